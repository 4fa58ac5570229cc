/**
 * Pieces shared by the staff console routers (console.ts, console-tickets.ts, console-sales.ts):
 * input schemas, the audit helper and the day/zone helpers.
 */
import { addDays, zonedTimeToUtc } from "@kiosk/db";
import { z } from "zod";
import { KioskError } from "../../errors.ts";
import type { Context } from "../context.ts";

export const IdSchema = z.string().min(1).max(64);
export const ReasonSchema = z.string().trim().min(3).max(128);
/** Sales and "today" are counted in this zone unless the caller names another. */
export const CONSOLE_DEFAULT_ZONE = "Asia/Shanghai";

export type StaffCtx = Context & {
  staff: { id: string; email: string; role: "admin" | "supervisor" | "cashier" | "viewer" };
};

export async function audit(
  ctx: StaffCtx,
  action: string,
  target: { type: string; id: string },
  reason: string | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  await ctx.services.audit.record({ actor: { type: "staff", id: ctx.staff.id }, action, target, reason, details });
}

export function dayRange(
  fromDay: string | undefined,
  toDay: string | undefined,
  zone: string,
): { gte?: Date; lt?: Date } {
  const range: { gte?: Date; lt?: Date } = {};
  if (fromDay) range.gte = zonedTimeToUtc(fromDay, "00:00", zone);
  if (toDay) range.lt = zonedTimeToUtc(addDays(toDay, 1), "00:00", zone);
  return range;
}

export function zoneOf(input: string | undefined): string {
  const zone = input ?? CONSOLE_DEFAULT_ZONE;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
  } catch {
    throw new KioskError("BAD_REQUEST", `Unknown time zone ${zone}`);
  }
  return zone;
}
