import { EventEmitter } from "node:events";
import type { Db } from "@kiosk/db";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import type { KioskMetrics } from "../metrics.ts";
import { EVENT_ACTION_PREFIX, parseJsonObject, type ActorRef } from "./audit-service.ts";
import { insertSql } from "./raw-sql.ts";

/** Durable events, stored and resumable by cursor; what booking systems follow. */
export const DOMAIN_EVENT_TYPES = ["sale.completed", "sale.refunded", "ticket.redeemed", "ticket.voided"] as const;
export type DomainEventType = (typeof DOMAIN_EVENT_TYPES)[number];

export interface DomainEventInput {
  type: DomainEventType;
  attractionId: string;
  subject: { type: "order" | "ticket" | "payment" | "refund"; id: string };
  actor: ActorRef;
  /** Public payload for subscribers (ids, amounts, counts; never secrets or payment codes). */
  data: Record<string, unknown>;
}

export interface DomainEvent {
  /** Cursor: a decimal string, increasing in publish order. Pass it back as `afterId` to resume. */
  id: string;
  type: DomainEventType;
  attractionId: string;
  subject: { type: string; id: string };
  data: Record<string, unknown>;
  occurredAt: Date;
}

/** In-process only fleet notifications (not stored: a fresh fleet snapshot is the resume). */
export interface FleetEvent {
  type: "kiosk.registered" | "kiosk.heartbeat" | "kiosk.paired" | "kiosk.service_changed" | "kiosk.sale";
  kioskId: string;
  attractionId: string;
  at: Date;
}

export interface StreamOptions {
  attractionId?: string;
  types?: readonly DomainEventType[];
  /** Resume after this cursor; omitted → only events published from now on. */
  afterId?: string | null;
  signal?: AbortSignal;
}

const DOMAIN_CHANNEL = "domain";
const FLEET_CHANNEL = "fleet";
const BATCH = 100;
/**
 * Payloads kept for one subscriber that is not reading; older ones are dropped. Domain and
 * fleet wake-ups carry no state (the reader re-reads the store or a fresh snapshot); a topic
 * subscriber (a kiosk's reprint requests) that falls this far behind loses the oldest ones.
 */
export const DEFAULT_MAX_BUFFERED_PER_SUBSCRIBER = 256;

/**
 * Event bus: `publish` stores a domain event (as an "event:<type>" row of the
 * append-only AuditLog, whose autoincrement id is the cursor) and wakes local
 * subscribers; `stream` replays from a cursor, then follows live events. Streams
 * also poll the database every `pollIntervalMs`, so events published by another
 * server instance arrive too. Fleet events are in-process only.
 */
export class EventsService {
  private readonly bus = new EventEmitter();
  private readonly pollIntervalMs: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly deps: {
      db: Db;
      clock: Clock;
      log: Logger;
      metrics?: KioskMetrics;
      pollIntervalMs?: number;
      maxBufferedPerSubscriber?: number;
    },
  ) {
    this.bus.setMaxListeners(0);
    this.pollIntervalMs = deps.pollIntervalMs ?? 2_000;
    this.maxBuffered = deps.maxBufferedPerSubscriber ?? DEFAULT_MAX_BUFFERED_PER_SUBSCRIBER;
  }

  /**
   * Stores the event; pass `tx` to write it in the same transaction as the change it
   * reports (then it exists exactly when the change does). Returns the cursor.
   */
  async publish(event: DomainEventInput, tx?: Pick<Db, "auditLog">): Promise<string> {
    const row = await (tx ?? this.deps.db).auditLog.create({ data: this.rowOf(event), select: { id: true } });
    this.published(event);
    return String(row.id);
  }

  /**
   * `publish` inside a transaction when the cursor is not needed: one raw INSERT (the money
   * path's PAID write, issue 16: no query compilation), the same row.
   */
  async appendInTx(event: DomainEventInput, tx: Pick<Db, "$executeRaw">): Promise<void> {
    await tx.$executeRaw(insertSql("AuditLog", [this.rowOf(event)]));
    this.published(event);
  }

  private rowOf(event: DomainEventInput) {
    return {
      actorType: event.actor.type,
      actorId: event.actor.id,
      action: `${EVENT_ACTION_PREFIX}${event.type}`,
      targetType: event.subject.type,
      targetId: event.subject.id,
      details: JSON.stringify({ attractionId: event.attractionId, data: event.data }),
      createdAt: this.deps.clock.now(),
    };
  }

  private published(event: DomainEventInput): void {
    this.deps.metrics?.eventsPublishedTotal.inc({ type: event.type });
    // Inside a transaction the row is not visible yet; waking early is harmless (the
    // reader finds nothing new and the next poll or publish picks it up).
    setImmediate(() => this.bus.emit(DOMAIN_CHANNEL));
  }

  /** The cursor of the newest stored event ("0" when there is none). */
  async latestCursor(): Promise<string> {
    const row = await this.deps.db.auditLog.findFirst({
      where: { action: { startsWith: EVENT_ACTION_PREFIX } },
      orderBy: { id: "desc" },
      select: { id: true },
    });
    return String(row?.id ?? 0);
  }

  /** Stored events after `afterId`, oldest first. */
  async readAfter(opts: {
    afterId: string;
    attractionId?: string;
    types?: readonly DomainEventType[];
    limit?: number;
  }): Promise<{ events: DomainEvent[]; cursor: string; isCaughtUp: boolean }> {
    const after = parseCursor(opts.afterId);
    const limit = opts.limit ?? BATCH;
    const actions = (opts.types ?? DOMAIN_EVENT_TYPES).map((t) => `${EVENT_ACTION_PREFIX}${t}`);
    const rows = await this.deps.db.auditLog.findMany({
      where: { id: { gt: after }, action: { in: actions } },
      orderBy: { id: "asc" },
      take: limit,
    });
    const events: DomainEvent[] = [];
    for (const r of rows) {
      const details = parseJsonObject(r.details);
      const attractionId = typeof details.attractionId === "string" ? details.attractionId : "";
      if (opts.attractionId && attractionId !== opts.attractionId) continue;
      events.push({
        id: String(r.id),
        type: r.action.slice(EVENT_ACTION_PREFIX.length) as DomainEventType,
        attractionId,
        subject: { type: r.targetType ?? "", id: r.targetId ?? "" },
        data: (details.data as Record<string, unknown> | undefined) ?? {},
        occurredAt: r.createdAt,
      });
    }
    const last = rows[rows.length - 1];
    return { events, cursor: last ? String(last.id) : String(after), isCaughtUp: rows.length < limit };
  }

  /** Replays stored events after the cursor, then follows new ones until `signal` aborts. */
  async *stream(opts: StreamOptions = {}): AsyncGenerator<DomainEvent> {
    let cursor = opts.afterId ?? (await this.latestCursor());
    const wake = new Waker(this.bus, DOMAIN_CHANNEL, this.maxBuffered, opts.signal);
    try {
      while (!opts.signal?.aborted) {
        const batch = await this.readAfter({ afterId: cursor, attractionId: opts.attractionId, types: opts.types });
        cursor = batch.cursor;
        for (const e of batch.events) {
          if (opts.signal?.aborted) return;
          yield e;
        }
        if (batch.isCaughtUp) await wake.wait(this.pollIntervalMs);
      }
    } finally {
      wake.close();
    }
  }

  /** In-process publish on a named topic (e.g. "payment"); nothing is stored. */
  emit(topic: string, payload: Record<string, unknown>): void {
    this.bus.emit(`topic:${topic}`, payload);
  }

  /** Payloads emitted on `topic` from now until `signal` aborts (buffered while the reader is busy). */
  async *iterate(topic: string, opts: { signal?: AbortSignal } = {}): AsyncGenerator<Record<string, unknown>> {
    const wake = new Waker(this.bus, `topic:${topic}`, this.maxBuffered, opts.signal);
    try {
      while (!opts.signal?.aborted) {
        const payload = await wake.wait(60_000);
        if (opts.signal?.aborted) return;
        if (payload !== undefined) yield payload as Record<string, unknown>;
      }
    } finally {
      wake.close();
    }
  }

  emitFleet(event: FleetEvent): void {
    this.bus.emit(FLEET_CHANNEL, event);
  }

  onFleet(listener: (event: FleetEvent) => void): () => void {
    this.bus.on(FLEET_CHANNEL, listener);
    return () => this.bus.off(FLEET_CHANNEL, listener);
  }

  /**
   * Resolves on the next fleet event or after `timeoutMs`, whichever is first
   * (the fleet subscription refreshes on either).
   */
  async *fleetTicks(opts: { signal?: AbortSignal; refreshMs: number }): AsyncGenerator<FleetEvent | null> {
    const wake = new Waker(this.bus, FLEET_CHANNEL, this.maxBuffered, opts.signal);
    try {
      while (!opts.signal?.aborted) {
        const e = await wake.wait(opts.refreshMs);
        if (opts.signal?.aborted) return;
        yield (e as FleetEvent | undefined) ?? null;
      }
    } finally {
      wake.close();
    }
  }
}

function parseCursor(cursor: string): number {
  const n = Number(cursor);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/** Turns bus emissions into an awaitable "something happened (or time passed)"; keeps at most `maxPending` unread. */
class Waker {
  private pending: unknown[] = [];
  private resolve: ((value: unknown) => void) | null = null;
  private readonly listener = (value?: unknown) => {
    if (this.resolve) {
      const r = this.resolve;
      this.resolve = null;
      r(value);
    } else {
      this.pending.push(value);
      if (this.pending.length > this.maxPending) this.pending.shift();
    }
  };
  private readonly onAbort = () => this.listener(undefined);

  constructor(
    private readonly bus: EventEmitter,
    private readonly channel: string,
    private readonly maxPending: number,
    private readonly signal?: AbortSignal,
  ) {
    bus.on(channel, this.listener);
    signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  wait(timeoutMs: number): Promise<unknown> {
    if (this.pending.length > 0) return Promise.resolve(this.pending.shift());
    if (this.signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.resolve = null;
        resolve(undefined);
      }, timeoutMs);
      this.resolve = (v) => {
        clearTimeout(timer);
        resolve(v);
      };
    });
  }

  close(): void {
    this.bus.off(this.channel, this.listener);
    this.signal?.removeEventListener("abort", this.onAbort);
    this.resolve?.(undefined);
    this.resolve = null;
  }
}
