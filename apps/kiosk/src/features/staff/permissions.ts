/**
 * What each staff role may see and do in the console. Mirrors the server's
 * requireRole() levels (server/trpc/routers/*.ts); the server stays the authority,
 * this only hides and disables what would be refused anyway.
 */
export const STAFF_ROLE_ORDER = ["viewer", "cashier", "supervisor", "admin"] as const;
export type ConsoleRole = (typeof STAFF_ROLE_ORDER)[number];

export function atLeast(role: ConsoleRole, min: ConsoleRole): boolean {
  return STAFF_ROLE_ORDER.indexOf(role) >= STAFF_ROLE_ORDER.indexOf(min);
}

export const CAPABILITIES = {
  viewFleet: "viewer",
  changeOwnPassword: "viewer",
  viewPayments: "viewer",
  viewReconciliation: "viewer",
  viewSales: "viewer",
  setInService: "cashier",
  lookupTickets: "cashier",
  redeemTickets: "cashier",
  reprintTickets: "cashier",
  sellAtCounter: "cashier",
  viewAllShifts: "supervisor",
  viewAttention: "supervisor",
  resolvePayments: "supervisor",
  refund: "supervisor",
  runReconciliation: "supervisor",
  resolveDifferences: "supervisor",
  registerKiosks: "supervisor",
  viewAudit: "supervisor",
  viewUsers: "supervisor",
  manageUsers: "admin",
  revokeCredentials: "admin",
  manageAlipayKeys: "admin",
  runConformance: "admin",
  rotateBridgeTokens: "admin",
  viewTerminals: "viewer",
  manageTerminals: "admin",
} as const satisfies Record<string, ConsoleRole>;

export type Capability = keyof typeof CAPABILITIES;

export function can(role: ConsoleRole, capability: Capability): boolean {
  return atLeast(role, CAPABILITIES[capability]);
}

export interface NavItem {
  href: string;
  label: string;
  capability: Capability;
}

export const NAV: readonly NavItem[] = [
  { href: "/staff", label: "Fleet", capability: "viewFleet" },
  { href: "/staff/payments", label: "Payments", capability: "viewPayments" },
  { href: "/staff/attention", label: "Needs attention", capability: "viewAttention" },
  { href: "/staff/reconciliation", label: "Reconciliation", capability: "viewReconciliation" },
  { href: "/staff/tickets", label: "Tickets", capability: "lookupTickets" },
  { href: "/staff/gate", label: "Gate", capability: "redeemTickets" },
  { href: "/staff/counter", label: "Counter sale", capability: "sellAtCounter" },
  { href: "/staff/sales", label: "Sales", capability: "viewSales" },
  { href: "/staff/terminals", label: "Terminals", capability: "viewTerminals" },
  { href: "/staff/audit", label: "Audit log", capability: "viewAudit" },
  { href: "/staff/users", label: "Users", capability: "viewUsers" },
  { href: "/staff/keys", label: "Alipay keys", capability: "manageAlipayKeys" },
  { href: "/staff/conformance", label: "Conformance", capability: "runConformance" },
  { href: "/staff/account", label: "My account", capability: "changeOwnPassword" },
];
