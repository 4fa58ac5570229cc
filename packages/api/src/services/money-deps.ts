/** Plain dependencies of the money services, so the composition root can build them. */
import { randomBytes } from "node:crypto";
import type { Db, DbProvider, Prisma, StaffRole } from "@kiosk/db";
import type { Clock } from "../clock.ts";
import type { AlipayGateway } from "./gateway.ts";
import type { PaymentPolicy } from "./payment-policy.ts";
import type { TicketKeyStore } from "./ticket-keys.ts";

export interface MoneyLogger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: MoneyLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Counters the platform's Prometheus module can read; optional. */
export interface MoneyMetrics {
  inc(name: string, labels?: Record<string, string>, value?: number): void;
  observe?(name: string, value: number, labels?: Record<string, string>): void;
}

export const noopMetrics: MoneyMetrics = { inc: () => undefined };

/** A durable domain event the money path writes in the transaction of the change it reports. */
export interface MoneyDomainEvent {
  type: "sale.completed";
  attractionId: string;
  subject: { type: "order"; id: string };
  data: Record<string, unknown>;
}

/** Sink for domain events (sales feed, kiosk pages); optional. */
export interface MoneyEventSink {
  /** In-process notification after a commit (may be lost in a crash). */
  publish(topic: string, payload: Record<string, unknown>): void;
  /**
   * Stores `event` inside `tx`, so it exists exactly when the change commits. A
   * `sale.completed` is stored at most once per order (a second call is a no-op).
   */
  publishInTx?(tx: Prisma.TransactionClient, event: MoneyDomainEvent): Promise<void>;
}

/** Who asks. Kiosks and API clients only ever see their own orders. */
export type Actor =
  | { type: "kiosk"; id: string; attractionId: string }
  | { type: "api_client"; id: string; attractionId: string }
  | { type: "staff"; id: string; role: StaffRole }
  | { type: "system"; id?: string };

export const SYSTEM_ACTOR: Actor = { type: "system" };

export interface MoneyDeps {
  db: Db;
  /** Detected with a probe query when absent. */
  provider?: DbProvider;
  clock: Clock;
  alipay: AlipayGateway;
  log?: MoneyLogger;
  policy?: Partial<PaymentPolicy>;
  ticketKeys: TicketKeyStore;
  events?: MoneyEventSink;
  metrics?: MoneyMetrics;
  /** Names this process in leases; random when absent. */
  instanceId?: string;
  /** How long an unpaid order keeps its capacity. @default 300000 */
  holdMs?: number;
  /**
   * How long catalog rows a sale reads (attraction, ticket types, slots) are cached, in ms;
   * edits by another process show within this time. @default 0 (read every time)
   */
  catalogCacheMs?: number;
  /** Subject shown in the buyer's Alipay bill. */
  tradeSubject?: (attractionName: string) => string;
  /**
   * 32-byte AES key that seals each payment's first pay request on its row, so a restarted
   * process resends the same bytes after SYSTEM_ERROR (pay-request-seal.ts). Without it the
   * request is held in memory only.
   */
  payRequestKey?: Uint8Array;
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString("base64url").replace(/[-_]/g, "x")}`;
}

export async function detectProvider(db: Db): Promise<DbProvider> {
  try {
    await db.$queryRawUnsafe("SELECT sqlite_version()");
    return "sqlite";
  } catch {
    return "postgresql";
  }
}

export function actorType(actor: Actor): "system" | "kiosk" | "staff" | "api_client" {
  return actor.type;
}

export function actorId(actor: Actor): string | null {
  return actor.id ?? null;
}
