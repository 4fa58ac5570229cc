/**
 * The catalog rows a sale reads (attraction, ticket types, slots), cached per id for `ttlMs`
 * so an order costs no catalog reads while the cache is warm. Only fields that do not move
 * with sales are used from these rows (a slot's capacity is checked in the UPDATE that takes
 * the places). `invalidate()` after an edit in this process; other processes see an edit
 * within `ttlMs` (real time, not the injected clock). `ttlMs` 0 (the default) reads every time.
 */
import type { Db, Prisma } from "@kiosk/db";

type Attraction = Prisma.AttractionGetPayload<object>;
type TicketType = Prisma.TicketTypeGetPayload<object>;
type Slot = Prisma.SlotGetPayload<object>;

/** Most entries per kind; the oldest go first. */
const MAX_ENTRIES = 5_000;

function cacheOf<T extends { id: string }>(ttlMs: number, load: (ids: string[]) => Promise<T[]>) {
  const entries = new Map<string, { row: T; until: number }>();
  return {
    async get(ids: readonly string[]): Promise<T[]> {
      if (ttlMs <= 0) return load([...ids]);
      const now = performance.now();
      const found: T[] = [];
      const missing: string[] = [];
      for (const id of new Set(ids)) {
        const e = entries.get(id);
        if (e && e.until > now) found.push(e.row);
        else missing.push(id);
      }
      if (missing.length === 0) return found;
      const loaded = await load(missing);
      for (const row of loaded) {
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
        entries.set(row.id, { row, until: now + ttlMs });
      }
      return [...found, ...loaded];
    },
    clear(): void {
      entries.clear();
    },
  };
}

export function createCatalogCache(db: Db, ttlMs = 0) {
  const attractions = cacheOf<Attraction>(ttlMs, (ids) => db.attraction.findMany({ where: { id: { in: ids } } }));
  const ticketTypes = cacheOf<TicketType>(ttlMs, (ids) => db.ticketType.findMany({ where: { id: { in: ids } } }));
  const slots = cacheOf<Slot>(ttlMs, (ids) => db.slot.findMany({ where: { id: { in: ids } } }));
  return {
    async attraction(id: string): Promise<Attraction | null> {
      return (await attractions.get([id]))[0] ?? null;
    },
    ticketTypes: (ids: readonly string[]) => ticketTypes.get(ids),
    slots: (ids: readonly string[]) => slots.get(ids),
    /** Forget everything (after a catalog or merchant-field edit). */
    invalidate(): void {
      attractions.clear();
      ticketTypes.clear();
      slots.clear();
    },
  };
}

export type CatalogCache = ReturnType<typeof createCatalogCache>;
