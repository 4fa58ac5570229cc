import type { StaffRole } from "@kiosk/db";

/** Staff roles from least to most powerful. */
export const ROLE_ORDER: readonly StaffRole[] = ["viewer", "cashier", "supervisor", "admin"];

export function roleRank(role: StaffRole): number {
  return ROLE_ORDER.indexOf(role);
}

/** True when `role` is `min` or above. */
export function hasRoleAtLeast(role: StaffRole, min: StaffRole): boolean {
  return roleRank(role) >= roleRank(min);
}

export function isStaffRole(value: string): value is StaffRole {
  return (ROLE_ORDER as readonly string[]).includes(value);
}
