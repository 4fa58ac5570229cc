"use client";
/** The console frame: provider, session gate, navigation filtered by role, sign-out. */
import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { KioskTrpcProvider } from "../../lib/trpc.tsx";
import { NAV } from "./permissions.ts";
import { SessionGate, useStaffSession } from "./session.tsx";
import { formatDateTime } from "./format.ts";

export function StaffApp({ children }: { children: ReactNode }) {
  return (
    <KioskTrpcProvider>
      <SessionGate>
        <Shell>{children}</Shell>
      </SessionGate>
    </KioskTrpcProvider>
  );
}

function Shell({ children }: { children: ReactNode }) {
  const session = useStaffSession();
  const pathname = usePathname() ?? ""; // typed nullable since the app also has a Pages Router page (/kiosk)
  const items = NAV.filter((n) => session.can(n.capability));
  const isCurrentPage = (href: string) => (href === "/staff" ? pathname === "/staff" : pathname.startsWith(href));
  const current = NAV.find((n) => isCurrentPage(n.href));
  return (
    <div className="min-h-screen">
      <header className="flex flex-wrap items-center justify-between gap-2 border-b border-slate-300 bg-white px-4 py-2">
        <div className="flex items-center gap-3">
          <span className="font-semibold">Staff console</span>
          <nav aria-label="Console sections">
            <ul className="flex flex-wrap gap-1 text-sm">
              {items.map((n) => {
                const isCurrent = isCurrentPage(n.href);
                return (
                  <li key={n.href}>
                    <Link
                      href={n.href}
                      aria-current={isCurrent ? "page" : undefined}
                      className={`rounded px-2 py-1 focus-visible:outline-2 focus-visible:outline-blue-700 ${isCurrent ? "bg-blue-800 text-white" : "text-blue-900 hover:bg-slate-100"}`}
                    >
                      {n.label}
                    </Link>
                  </li>
                );
              })}
            </ul>
          </nav>
        </div>
        <div className="flex items-center gap-2 text-sm">
          <span data-testid="signed-in-as">
            {session.staff.name} · <span className="font-medium">{session.staff.role}</span>
          </span>
          <span className="text-xs text-slate-500" title="The session is renewed while you use the console">
            session until {formatDateTime(session.expiresAt)}
          </span>
          <button
            type="button"
            className="rounded border border-slate-400 px-2 py-0.5 hover:bg-slate-100"
            onClick={session.signOut}
          >
            Sign out
          </button>
        </div>
      </header>
      <main className="mx-auto max-w-7xl p-4">
        {/* Every console page gets a level-one heading (axe: page-has-heading-one); the sections show their own titles. */}
        <h1 className="sr-only">{`${current?.label ?? "Staff console"} · Staff console`}</h1>
        {children}
      </main>
    </div>
  );
}
