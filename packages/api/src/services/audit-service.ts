import type { Db } from "@kiosk/db";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import { redact } from "../log.ts";

import type { ActorRef, ActorType } from "../deps.ts";

export { ACTOR_TYPES, type ActorRef, type ActorType } from "../deps.ts";

export interface AuditEntryInput {
  actor: ActorRef;
  /** Verb-first, dotted: "kiosk.take_out_of_service", "staff.create", "auth.login_failed". */
  action: string;
  target?: { type: string; id: string };
  /** Why, in the actor's words (required by routers for service-affecting actions). */
  reason?: string | null;
  /** Facts worth keeping; secrets are masked before storing. */
  details?: Record<string, unknown>;
}

export interface AuditEntry {
  id: number;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  reason: string | null;
  details: Record<string, unknown>;
  createdAt: Date;
}

export interface AuditQuery {
  actorType?: ActorType;
  actorId?: string;
  /** Exact action, or a prefix ending in "." ("kiosk."). */
  action?: string;
  targetType?: string;
  targetId?: string;
  since?: Date;
  until?: Date;
  /** Return entries with id below this (pages go newest first). */
  beforeId?: number;
  limit?: number;
}

/** Audit actions are prefixed with this when the row is a domain event (see events-service). */
export const EVENT_ACTION_PREFIX = "event:";

/**
 * Append-only audit log: there is deliberately no update here, and the only delete is by
 * age (`pruneOlderThan`, the retention run by the maintenance job). Every staff action goes
 * through `record`, inside the same transaction as the change when the caller passes `tx`.
 */
export class AuditService {
  constructor(private readonly deps: { db: Db; clock: Clock; log: Logger }) {}

  async record(entry: AuditEntryInput, tx?: Pick<Db, "auditLog">): Promise<number> {
    const client = tx ?? this.deps.db;
    const row = await client.auditLog.create({
      data: {
        actorType: entry.actor.type,
        actorId: entry.actor.id,
        action: entry.action,
        targetType: entry.target?.type ?? null,
        targetId: entry.target?.id ?? null,
        reason: entry.reason ?? null,
        details: JSON.stringify(redact(entry.details ?? {})),
        createdAt: this.deps.clock.now(),
      },
      select: { id: true },
    });
    this.deps.log.info("audit", { auditId: row.id, action: entry.action, actor: entry.actor, target: entry.target });
    return row.id;
  }

  /** Deletes rows (audit entries and stored events) created before `cutoff`, in batches; returns how many. */
  async pruneOlderThan(cutoff: Date, batchSize = 1_000): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await this.deps.db.auditLog.findMany({
        where: { createdAt: { lt: cutoff } },
        select: { id: true },
        orderBy: { id: "asc" },
        take: batchSize,
      });
      if (rows.length === 0) return total;
      const r = await this.deps.db.auditLog.deleteMany({ where: { id: { in: rows.map((x) => x.id) } } });
      total += r.count;
      if (rows.length < batchSize) return total;
    }
  }

  /** Newest first. Domain event rows (action "event:…") are excluded unless asked for by action. */
  async query(q: AuditQuery = {}): Promise<{ entries: AuditEntry[]; nextBeforeId: number | null }> {
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 200);
    const action =
      q.action === undefined
        ? { not: { startsWith: EVENT_ACTION_PREFIX } }
        : q.action.endsWith(".")
          ? { startsWith: q.action }
          : q.action;
    const rows = await this.deps.db.auditLog.findMany({
      where: {
        actorType: q.actorType,
        actorId: q.actorId,
        action,
        targetType: q.targetType,
        targetId: q.targetId,
        createdAt: { gte: q.since, lte: q.until },
        id: q.beforeId === undefined ? undefined : { lt: q.beforeId },
      },
      orderBy: { id: "desc" },
      take: limit + 1,
    });
    const page = rows.slice(0, limit);
    return {
      entries: page.map((r) => Object.assign({}, r, { details: parseJsonObject(r.details) })),
      nextBeforeId: rows.length > limit ? page[page.length - 1]!.id : null,
    };
  }
}

export function parseJsonObject(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
