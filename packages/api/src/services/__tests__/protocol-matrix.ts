/**
 * The money path's scenario matrix, shared by the protocol suites (openapi.integration.test.ts,
 * antom.integration.test.ts): each sandbox scenario and how a purchase through it must end.
 */
import type { ScenarioId } from "@kiosk/alipay-sandbox";
import type { DbProvider } from "@kiosk/db";
import { PG_URL } from "./harness.ts";

export const providers: { provider: DbProvider; skip: boolean }[] = [
  { provider: "sqlite", skip: false },
  { provider: "postgresql", skip: !PG_URL },
];

export const SCENARIOS: { id: ScenarioId; parameter?: number; state: string; tickets: number }[] = [
  { id: "success", state: "PAID", tickets: 2 },
  { id: "insufficient_balance", state: "FAILED", tickets: 0 },
  { id: "expired_code", state: "FAILED", tickets: 0 },
  { id: "pin_wait_confirm", parameter: 10, state: "PAID", tickets: 2 },
  { id: "pin_wait_never", state: "CANCELLED", tickets: 0 },
  { id: "pin_wait_reject", parameter: 10, state: "FAILED", tickets: 0 },
  { id: "unknown_paid", state: "PAID", tickets: 2 },
  { id: "unknown_not_created", state: "CANCELLED", tickets: 0 },
  { id: "system_error", parameter: 1, state: "PAID", tickets: 2 },
  { id: "dropped_connection", state: "PAID", tickets: 2 },
  { id: "dropped_before_processing", state: "CANCELLED", tickets: 0 },
  { id: "bad_signature", state: "PAID", tickets: 2 },
];
