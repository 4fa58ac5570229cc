/**
 * The server's one dependency vocabulary: who acts (`Actor`), and the one deps object the
 * composition root (app-services.ts) builds and hands to the platform and money services.
 * services/money-deps.ts re-exports these under their older names.
 */
import type { Db, DbProvider, Prisma, StaffRole } from "@kiosk/db";
import type { Clock } from "./clock.ts";
import type { Logger } from "./log.ts";
import type { AppMetrics } from "./metrics.ts";
import type { AlipayGateway } from "./services/gateway.ts";
import type { PaymentPolicy } from "./services/payment-policy.ts";
import type { TicketKeyStore } from "./services/ticket-keys.ts";

export { newId } from "./ids.ts";

/** Who asks. Kiosks and API clients only ever see their own orders. */
export type Actor =
  | { type: "kiosk"; id: string; attractionId: string }
  | { type: "api_client"; id: string; attractionId: string }
  | { type: "staff"; id: string; role: StaffRole }
  | { type: "system"; id?: string };

export type ActorType = Actor["type"];
export const ACTOR_TYPES = ["staff", "kiosk", "api_client", "system"] as const satisfies readonly ActorType[];

/** How an Actor is recorded (audit rows, domain events): its type and id, nothing else. */
export interface ActorRef {
  type: ActorType;
  id: string | null;
}

export const SYSTEM_ACTOR: Actor = { type: "system" };

export function actorType(actor: Actor): ActorType {
  return actor.type;
}

export function actorId(actor: Actor): string | null {
  return actor.id ?? null;
}

export function actorRef(actor: Actor): ActorRef {
  return { type: actor.type, id: actor.id ?? null };
}

/** A durable domain event the money path writes in the transaction of the change it reports. */
export interface MoneyDomainEvent {
  type: "sale.completed";
  attractionId: string;
  subject: { type: "order"; id: string };
  data: Record<string, unknown>;
}

/** Sink for domain events (sales feed, kiosk pages); optional. */
export interface AppEventSink {
  /** In-process notification after a commit (may be lost in a crash). */
  publish(topic: string, payload: Record<string, unknown>): void;
  /**
   * Stores `event` inside `tx`, so it exists exactly when the change commits. A
   * `sale.completed` is stored at most once per order (a second call is a no-op);
   * `isFirstForSubject` says the caller knows there is none yet (no need to look).
   */
  publishInTx?(
    tx: Prisma.TransactionClient,
    event: MoneyDomainEvent,
    options?: { isFirstForSubject?: boolean },
  ): Promise<void>;
}

/** What every service of the process shares: one database, clock, logger and metrics registry. */
export interface CoreDeps {
  db: Db;
  clock: Clock;
  log?: Logger;
  metrics?: AppMetrics;
}

/** The one deps object of the money services (built by app-services.ts `buildAppDeps`). */
export interface AppDeps extends CoreDeps {
  /** Detected with a probe query when absent. */
  provider?: DbProvider;
  alipay: AlipayGateway;
  policy?: Partial<PaymentPolicy>;
  ticketKeys: TicketKeyStore;
  events?: AppEventSink;
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
  /**
   * Wallet codes shown as accepted where an attraction sets none (issue 21). @default Alipay only
   * (MAPI / OpenAPI), every known Alipay+ wallet (Antom)
   */
  acceptedWallets?: readonly string[];
}

export async function detectProvider(db: Db): Promise<DbProvider> {
  try {
    await db.$queryRawUnsafe("SELECT sqlite_version()");
    return "sqlite";
  } catch {
    return "postgresql";
  }
}
