import type { Metadata } from "next";
import type { ReactNode } from "react";
import { StaffApp } from "../../features/staff/staff-shell.tsx";

export const metadata: Metadata = { title: "Staff console · Ticket kiosk" };

export default function StaffLayout({ children }: { children: ReactNode }) {
  return <StaffApp>{children}</StaffApp>;
}
