"use client";
import type { ReactNode } from "react";
import { CAPABILITIES, type Capability } from "./permissions.ts";
import { useStaffSession } from "./session.tsx";

export function Guard({ capability, children }: { capability: Capability; children: ReactNode }) {
  const session = useStaffSession();
  if (!session.can(capability)) {
    return (
      <p role="alert" className="rounded border border-amber-300 bg-amber-50 p-3 text-sm">
        This needs the {CAPABILITIES[capability]} role or higher; you are signed in as {session.staff.role}.
      </p>
    );
  }
  return <>{children}</>;
}
