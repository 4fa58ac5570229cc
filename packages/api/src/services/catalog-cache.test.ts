import { describe, expect, it } from "vitest";
import { createRowCache } from "./catalog-cache.ts";

type Row = { id: string; version: number };

/** A loader over a table that counts its reads; `gate` holds reads until released. */
function table(rows: Record<string, number>) {
  const reads: string[][] = [];
  let gate: Promise<void> | undefined;
  let isFailing = false;
  return {
    reads,
    rows,
    hold() {
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      return () => {
        gate = undefined;
        open();
      };
    },
    fail(value: boolean) {
      isFailing = value;
    },
    async load(ids: string[]): Promise<Row[]> {
      reads.push([...ids]);
      const snapshot = ids.filter((id) => id in rows).map((id) => ({ id, version: rows[id]! }));
      if (gate) await gate;
      if (isFailing) throw new Error("database unavailable");
      return snapshot;
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

/** A table and a cache over it (time to live 1,000 ms unless given) on a clock the test moves. */
function cachedTable(rows: Record<string, number>, ttlMs = 1000) {
  const t = table(rows);
  const clock = { now: 0 };
  const cache = createRowCache<Row>(
    ttlMs,
    (ids) => t.load(ids),
    () => clock.now,
  );
  return { t, clock, cache };
}

describe("catalog row cache", () => {
  it("reads once while fresh, and reads every time with a time to live of 0", async () => {
    const { t, clock, cache } = cachedTable({ a: 1, b: 1 });
    expect(await cache.get(["a", "b"])).toEqual([
      { id: "a", version: 1 },
      { id: "b", version: 1 },
    ]);
    clock.now = 500;
    await cache.get(["a", "b", "a"]);
    expect(t.reads).toEqual([["a", "b"]]);

    const uncached = cachedTable({ a: 1 }, 0);
    await uncached.cache.get(["a"]);
    await uncached.cache.get(["a"]);
    expect(uncached.t.reads).toHaveLength(2);
  });

  it("callers missing the same ids at once share one read", async () => {
    const { t, cache } = cachedTable({ a: 1, b: 2 });
    const release = t.hold();
    const answers = Promise.all(Array.from({ length: 8 }, () => cache.get(["a", "b"])));
    await tick();
    release();
    for (const rows of await answers) expect(rows.map((r) => r.id).sort()).toEqual(["a", "b"]);
    expect(t.reads).toEqual([["a", "b"]]);
  });

  it("refreshes an entry in the background near the end of its life; no caller waits for it", async () => {
    const { t, clock, cache } = cachedTable({ a: 1 });
    await cache.get(["a"]);
    t.rows.a = 2;
    clock.now = 850; // past 80 % of the time to live: the cached row is served, one reload starts
    const release = t.hold();
    expect(await cache.get(["a"])).toEqual([{ id: "a", version: 1 }]);
    expect(await cache.get(["a"])).toEqual([{ id: "a", version: 1 }]);
    expect(t.reads).toEqual([["a"], ["a"]]);
    release();
    await tick();
    clock.now = 1500; // the first entry's life is over; the reloaded one (read at 850) lives to 1850
    expect(await cache.get(["a"])).toEqual([{ id: "a", version: 2 }]);
    expect(t.reads).toHaveLength(2);
  });

  it("never serves a row past its time to live", async () => {
    const { t, clock, cache } = cachedTable({ a: 1 });
    await cache.get(["a"]);
    t.rows.a = 2;
    clock.now = 1000; // no caller came during the refresh window: the row has expired, read it now
    expect(await cache.get(["a"])).toEqual([{ id: "a", version: 2 }]);
  });

  it("a failed background read keeps the row until it expires, then the caller sees the failure", async () => {
    const { t, clock, cache } = cachedTable({ a: 1 });
    await cache.get(["a"]);
    t.fail(true);
    clock.now = 900;
    expect(await cache.get(["a"])).toEqual([{ id: "a", version: 1 }]);
    await tick();
    clock.now = 1001;
    await expect(cache.get(["a"])).rejects.toThrow("database unavailable");
    t.fail(false);
    expect(await cache.get(["a"])).toEqual([{ id: "a", version: 1 }]);
  });

  it("clear() forgets the rows, and a read begun before it does not bring them back", async () => {
    const { t, cache } = cachedTable({ a: 1 });
    const release = t.hold();
    const before = cache.get(["a"]);
    await tick();
    t.rows.a = 2; // an edit in this process, then its invalidation, while the read is out
    cache.clear();
    release();
    expect(await before).toEqual([{ id: "a", version: 1 }]);
    expect(await cache.get(["a"])).toEqual([{ id: "a", version: 2 }]);
    expect(t.reads).toHaveLength(2);
  });

  it("unknown ids are not cached and are not invented", async () => {
    const { t, cache } = cachedTable({ a: 1 });
    expect(await cache.get(["a", "zz"])).toEqual([{ id: "a", version: 1 }]);
    expect(await cache.get(["zz"])).toEqual([]);
    expect(t.reads).toEqual([["a", "zz"], ["zz"]]);
  });
});
