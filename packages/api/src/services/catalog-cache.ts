/**
 * The catalog rows a sale reads (attraction, ticket types, slots), cached per id for `ttlMs`
 * so an order costs no catalog reads while the cache is warm. Only fields that do not move
 * with sales are used from these rows (a slot's capacity is checked in the UPDATE that takes
 * the places). `invalidate()` after an edit in this process; other processes see an edit
 * within `ttlMs` (real time, not the injected clock). `ttlMs` 0 (the default) reads every time.
 * Entries are refreshed ahead of expiry (see {@link createRowCache}): until issue 16's tenth
 * session every expiry made each sale in flight read the catalog again (three reads each, all at
 * once), a latency spike every `ttlMs`.
 */
import type { Db, Prisma } from "@kiosk/db";

type Attraction = Prisma.AttractionGetPayload<object>;
type TicketType = Prisma.TicketTypeGetPayload<object>;
type Slot = Prisma.SlotGetPayload<object>;

/** Most entries per kind; the oldest go first. */
const MAX_ENTRIES = 5_000;

/** An entry is reloaded in the background once this share of its time to live has passed. */
const REFRESH_AFTER = 0.8;

/**
 * Rows by id, each kept `ttlMs` from when it was read. Under steady traffic an entry is reloaded
 * in the background in the last fifth of its life (callers keep the row they have meanwhile),
 * so sales never wait for a catalog read and no row is older than `ttlMs`. Ids missing at once
 * from several callers are read once (single flight). `clear()` also discards the rows of reads
 * that started before it. `now` is real time (performance.now()), injectable for tests.
 */
export function createRowCache<T extends { id: string }>(
  ttlMs: number,
  load: (ids: string[]) => Promise<T[]>,
  now: () => number = () => performance.now(),
) {
  const entries = new Map<string, { row: T; until: number; refreshAt: number }>();
  /** The read in flight for each id (the ids it asked for share one promise). */
  const inFlight = new Map<string, Promise<T[]>>();
  let generation = 0;
  const read = (ids: string[]): Promise<T[]> => {
    const startedAt = now();
    const startedIn = generation;
    const rows = load(ids).then((loaded) => {
      if (generation === startedIn)
        for (const row of loaded) {
          entries.delete(row.id);
          if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
          entries.set(row.id, { row, until: startedAt + ttlMs, refreshAt: startedAt + ttlMs * REFRESH_AFTER });
        }
      return loaded;
    });
    for (const id of ids) inFlight.set(id, rows);
    const forget = () => {
      for (const id of ids) if (inFlight.get(id) === rows) inFlight.delete(id);
    };
    rows.then(forget, forget); // a failure reaches the caller of `read` and the waiters
    return rows;
  };
  return {
    async get(ids: readonly string[]): Promise<T[]> {
      if (ttlMs <= 0) return load([...ids]);
      const t = now();
      const found: T[] = [];
      const missing: string[] = [];
      const waiting: Promise<T | undefined>[] = [];
      const stale: string[] = [];
      for (const id of new Set(ids)) {
        const e = entries.get(id);
        const pending = inFlight.get(id);
        if (e && e.until > t) {
          found.push(e.row);
          if (e.refreshAt <= t && !pending) stale.push(id);
        } else if (pending) waiting.push(pending.then((loaded) => loaded.find((r) => r.id === id)));
        else missing.push(id);
      }
      // A failed background read leaves the entries to expire; the next caller reads again.
      if (stale.length > 0) read(stale).catch(() => {});
      if (missing.length === 0 && waiting.length === 0) return found;
      const [loaded, shared] = await Promise.all([missing.length > 0 ? read(missing) : [], Promise.all(waiting)]);
      return [...found, ...loaded, ...shared.filter((r): r is Awaited<T> => r !== undefined)];
    },
    clear(): void {
      generation += 1;
      entries.clear();
      inFlight.clear();
    },
  };
}

export function createCatalogCache(db: Db, ttlMs = 0) {
  const attractions = createRowCache<Attraction>(ttlMs, (ids) =>
    db.attraction.findMany({ where: { id: { in: ids } } }),
  );
  const ticketTypes = createRowCache<TicketType>(ttlMs, (ids) =>
    db.ticketType.findMany({ where: { id: { in: ids } } }),
  );
  const slots = createRowCache<Slot>(ttlMs, (ids) => db.slot.findMany({ where: { id: { in: ids } } }));
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
