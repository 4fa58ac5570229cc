/**
 * The kiosk page soak: one page, never reloaded, through many complete sales (instant, PIN
 * wait, declined, cancelled by the visitor, paper out and back), sampling at the attract
 * screen after each: JS heap after a forced GC, DOM nodes and event listeners (CDP
 * Memory.getDOMCounters), and what the page holds open (WebSockets, EventSources, intervals,
 * pending timeouts: counted by an init script that wraps their constructors), each at a moment
 * with no request in flight. Used by the
 * short e2e soak (kiosk-soak.e2e.ts, in `npm test`) and the long one (bench/page-soak.ts).
 */
import { expect, type CDPSession, type Page } from "@playwright/test";
import { expectScreen, scan, scenarioCode, setPaper, walkToScan } from "../tests/kiosk-support.ts";

export type SaleKind = "instant" | "pin_wait" | "declined" | "cancelled" | "paper_out";
/** The mix: one of each in turn. */
export const SALE_MIX: readonly SaleKind[] = ["instant", "pin_wait", "declined", "cancelled", "paper_out"];

export interface Sample {
  sale: number;
  kind: SaleKind | "baseline";
  heapUsedBytes: number;
  nodes: number;
  listeners: number;
  /** Listeners on window and document, counted by the init script. */
  globalListeners: number;
  documents: number;
  webSockets: number;
  eventSources: number;
  intervals: number;
  timeouts: number;
  /** Each pending timeout's delay and where it was set (diagnosis; see `above`). */
  pendingTimeouts: string[];
}

/** Installs the counters; call before the page loads. */
export async function instrument(page: Page): Promise<void> {
  // Run under tsx (the bench), esbuild's keepNames writes `__name(fn, "name")` into the function
  // below, which the page does not have: without this the script stopped at its first named arrow
  // function and every counter read 0 (soak() now refuses to run blind, see `isCounting`).
  await page.addInitScript({ content: "globalThis.__name ??= (fn) => fn;" });
  await page.addInitScript(() => {
    const w = window as unknown as {
      __soak: {
        ws: Set<WebSocket>;
        es: Set<EventSource>;
        intervals: Set<unknown>;
        timeouts: Map<unknown, string>;
        globalListeners: Set<string>;
        inflight: number;
      };
    };
    const soak = (w.__soak = {
      ws: new Set(),
      es: new Set(),
      intervals: new Set(),
      timeouts: new Map(),
      globalListeners: new Set(),
      inflight: 0,
    });
    // Requests in flight (until their headers arrive): a sample waits for none, since each holds
    // abort listeners for a moment (heartbeats, catalog refreshes) that are not left behind.
    const nativeFetch = window.fetch.bind(window);
    window.fetch = (...args: Parameters<typeof fetch>) => {
      soak.inflight += 1;
      return nativeFetch(...args).finally(() => {
        soak.inflight -= 1;
      });
    };
    // Who set a pending timeout: its delay and the first frames of the caller (for the report when one stays).
    const origin = (ms: number | undefined) =>
      `${ms ?? 0} ms ${(new Error().stack ?? "")
        .split("\n")
        .slice(3, 6)
        .map((l) => l.trim())
        .join(" < ")}`;
    // Listeners on window and document (CDP's jsEventListeners counts those on nodes).
    const ids = new WeakMap<object, number>();
    let nextId = 0;
    const key = (target: EventTarget, type: string, fn: unknown, options?: boolean | EventListenerOptions) => {
      if (typeof fn !== "function" && (typeof fn !== "object" || fn === null)) return null;
      if (!ids.has(fn)) ids.set(fn, nextId++);
      const capture = typeof options === "boolean" ? options : Boolean(options?.capture);
      return `${target === window ? "w" : "d"}:${type}:${capture}:${ids.get(fn)}`;
    };
    for (const target of [window, document] as EventTarget[]) {
      const add = target.addEventListener.bind(target);
      const remove = target.removeEventListener.bind(target);
      target.addEventListener = (
        type: string,
        fn: EventListenerOrEventListenerObject | null,
        options?: boolean | AddEventListenerOptions,
      ) => {
        const k = key(target, type, fn, options);
        if (k && !(typeof options === "object" && options?.once)) soak.globalListeners.add(k);
        add(type, fn, options);
      };
      target.removeEventListener = (
        type: string,
        fn: EventListenerOrEventListenerObject | null,
        options?: boolean | EventListenerOptions,
      ) => {
        const k = key(target, type, fn, options);
        if (k) soak.globalListeners.delete(k);
        remove(type, fn, options);
      };
    }
    const NativeWS = window.WebSocket;
    window.WebSocket = class extends NativeWS {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        soak.ws.add(this);
        this.addEventListener("close", () => soak.ws.delete(this));
      }
    };
    const NativeES = window.EventSource;
    window.EventSource = class extends NativeES {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        soak.es.add(this);
        const close = this.close.bind(this);
        this.close = () => {
          soak.es.delete(this);
          close();
        };
      }
    };
    const { setInterval: si, clearInterval: ci, setTimeout: st, clearTimeout: ct } = window;
    window.setInterval = ((fn: TimerHandler, ms?: number, ...args: unknown[]) => {
      const id = si(fn, ms, ...args);
      soak.intervals.add(id);
      return id;
    }) as typeof window.setInterval;
    window.clearInterval = ((id?: number) => {
      soak.intervals.delete(id);
      ci(id);
    }) as typeof window.clearInterval;
    window.setTimeout = ((fn: TimerHandler, ms?: number, ...args: unknown[]) => {
      const id: number = st(
        (...a: unknown[]) => {
          soak.timeouts.delete(id);
          if (typeof fn === "function") (fn as (...x: unknown[]) => void)(...a);
        },
        ms,
        ...args,
      );
      soak.timeouts.set(id, origin(ms));
      return id;
    }) as typeof window.setTimeout;
    window.clearTimeout = ((id?: number) => {
      soak.timeouts.delete(id);
      ct(id);
    }) as typeof window.clearTimeout;
  });
}

/** One sample (forces a GC first). */
export async function sample(page: Page, cdp: CDPSession, sale: number, kind: Sample["kind"]): Promise<Sample> {
  // A quiet moment: no request in flight (a stream left open never ends, so it is counted after 5 s).
  await page
    .waitForFunction(() => (window as unknown as { __soak: { inflight: number } }).__soak.inflight === 0, null, {
      timeout: 5_000,
      polling: 50,
    })
    .catch(() => {});
  await cdp.send("HeapProfiler.collectGarbage");
  const heap = await cdp.send("Runtime.getHeapUsage");
  const dom = await cdp.send("Memory.getDOMCounters");
  const held = await page.evaluate(() => {
    const s = (
      window as unknown as {
        __soak: {
          ws: Set<unknown>;
          es: Set<unknown>;
          intervals: Set<unknown>;
          timeouts: Map<unknown, string>;
          globalListeners: Set<unknown>;
        };
      }
    ).__soak;
    return {
      webSockets: s.ws.size,
      eventSources: s.es.size,
      intervals: s.intervals.size,
      timeouts: s.timeouts.size,
      pendingTimeouts: [...s.timeouts].map(([id, where]) => `#${String(id)} ${where}`),
      globalListeners: s.globalListeners.size,
    };
  });
  return {
    sale,
    kind,
    heapUsedBytes: heap.usedSize,
    nodes: dom.nodes,
    listeners: dom.jsEventListeners,
    documents: dom.documents,
    ...held,
  };
}

async function startOver(page: Page): Promise<void> {
  await page.locator("footer button").first().click();
}

/** One complete sale of `kind`, from the attract screen back to it. */
export async function sale(page: Page, kind: SaleKind): Promise<void> {
  if (kind === "paper_out") {
    await setPaper("out");
    await expectScreen(page, "out_of_service", 30_000);
    await setPaper("ok");
    await expectScreen(page, "attract", 30_000);
    return;
  }
  await walkToScan(page, "en");
  if (kind === "instant") {
    await scan(scenarioCode("0000"));
  } else if (kind === "pin_wait") {
    await scan(scenarioCode("0010", 1));
    await expect(page.locator("[data-phase=waiting_pin]").or(page.locator("[data-kiosk-screen=success]"))).toBeVisible({
      timeout: 15_000,
    });
  } else if (kind === "declined") {
    await scan(scenarioCode("0001"));
    await expectScreen(page, "failure", 30_000);
    await startOver(page);
  } else {
    await scan(scenarioCode("0011"));
    await expect(page.locator("[data-phase=waiting_pin]")).toBeVisible({ timeout: 15_000 });
    await page.locator("footer button").first().click();
    await expectScreen(page, "failure", 30_000);
    await startOver(page);
  }
  await expectScreen(page, "attract", 60_000);
}

export interface SoakResult {
  samples: Sample[];
  baseline: Sample;
  last: Sample;
  heapGrowthBytes: number;
  /** Sales after which a count was above the baseline's. */
  above: {
    sale: number;
    kind: string;
    field: keyof Sample;
    value: number;
    baseline: number;
    /** For timeouts: the pending ones (delay and caller) at that sample. */
    pending?: string[];
  }[];
}

const HELD: (keyof Sample)[] = [
  "nodes",
  "listeners",
  "globalListeners",
  "documents",
  "webSockets",
  "eventSources",
  "intervals",
  "timeouts",
];

/**
 * The field-wise maximum of samples at rest over one whole loop of the attract screen's
 * greeting (5 languages × 3.5 s: each language's text makes a few more or fewer nodes), so a
 * heartbeat's timer or the current language cannot pass for something left behind.
 */
async function restingBaseline(page: Page, cdp: CDPSession): Promise<Sample> {
  const samples: Sample[] = [];
  for (let i = 0; i < 12; i += 1) {
    if (i > 0) await page.waitForTimeout(1_600);
    samples.push(await sample(page, cdp, 0, "baseline"));
  }
  const max = { ...samples[0]! };
  for (const s of samples) for (const f of HELD) (max[f] as number) = Math.max(max[f] as number, s[f] as number);
  max.heapUsedBytes = Math.min(...samples.map((s) => s.heapUsedBytes));
  return max;
}

/** The timeouts pending at both samples (the same timers, by id). */
export function persistingTimeouts(before: Sample, after: Sample): string[] {
  const idOf = (t: string) => t.slice(0, t.indexOf(" "));
  const earlier = new Set(before.pendingTimeouts.map(idOf));
  return after.pendingTimeouts.filter((t) => earlier.has(idOf(t)));
}

/** The counters work: at rest the page holds the bridge's WebSocket and the attract screen's intervals. */
export function isCounting(rest: Sample): boolean {
  return rest.webSockets >= 1 && rest.intervals >= 1;
}

/** The page three seconds later, still at the attract screen after the sale of `after`. */
async function settle(page: Page, cdp: CDPSession, after: Sample): Promise<Sample> {
  await page.waitForTimeout(3_000);
  return sample(page, cdp, after.sale, after.kind);
}

/**
 * Runs `sales` sales of the mix on a page already at the attract screen. The baseline is the
 * attract screen after one warm-up round of the mix (caches, lazy chunks and catalogues loaded),
 * the field-wise maximum of samples there over one loop of the greeting (restingBaseline).
 */
export async function soak(
  page: Page,
  cdp: CDPSession,
  sales: number,
  onSample?: (s: Sample) => void,
): Promise<SoakResult> {
  for (const kind of SALE_MIX) await sale(page, kind);
  await page.waitForTimeout(500);
  const baseline = await restingBaseline(page, cdp);
  if (!isCounting(baseline))
    throw new Error("the soak's counters are not running (no bridge WebSocket, no interval seen at rest)");
  onSample?.(baseline);
  const samples: Sample[] = [baseline];
  const above: SoakResult["above"] = [];
  // A count above the baseline counts as left behind when it is still above after the next
  // sale too and three seconds after that (a retry or heartbeat timer that happens to be running
  // is gone by then; what a sale leaves behind is not), or, after the last sale, still above
  // three seconds later. Timeouts by identity: only those pending at both samples (the same timer) count, since short ones are
  // re-armed all the time (TanStack Query's 5 s stale timer after a catalog refresh, the
  // heartbeat's 1.5 s device-change timer) and made the count read 3 against a resting 2.
  const aboveIn = (x: Sample) => HELD.filter((f) => (x[f] as number) > (baseline[f] as number));
  const stillAbove = (f: keyof Sample, before: Sample, after: Sample) =>
    f === "timeouts" ? persistingTimeouts(before, after).length > baseline.timeouts : aboveIn(after).includes(f);
  /** One count left behind: `reported`'s value, with the timers pending at both `before` and `after`. */
  const leftBehind = (f: (typeof HELD)[number], reported: Sample, before: Sample, after: Sample) => ({
    sale: reported.sale,
    kind: reported.kind,
    field: f,
    value: reported[f] as number,
    baseline: baseline[f] as number,
    ...(f === "timeouts" ? { pending: persistingTimeouts(before, after) } : {}),
  });
  let previous: Sample | null = null;
  for (let i = 1; i <= sales; i++) {
    const kind = SALE_MIX[(i - 1) % SALE_MIX.length] ?? "instant";
    await sale(page, kind);
    await page.waitForTimeout(500);
    const s = await sample(page, cdp, i, kind);
    samples.push(s);
    onSample?.(s);
    if (previous) {
      let held = aboveIn(previous).filter((f) => stillAbove(f, previous!, s));
      // Confirmed at rest: a count one above after two sales in a row can be chance (CI saw
      // listeners at 191 against 190 after sales 11 and 12, and again after 18 and 19, then back);
      // what a sale leaves behind is still there three seconds later.
      const settled = held.length > 0 ? await settle(page, cdp, s) : s;
      held = held.filter((f) => stillAbove(f, previous!, settled));
      for (const f of held) above.push(leftBehind(f, previous, previous, settled));
    }
    previous = s;
  }
  if (previous && aboveIn(previous).length > 0) {
    const again = await settle(page, cdp, previous);
    for (const f of aboveIn(previous).filter((x) => stillAbove(x, previous, again)))
      above.push(leftBehind(f, again, previous, again));
  }
  const last = samples[samples.length - 1] ?? baseline;
  return { samples, baseline, last, heapGrowthBytes: last.heapUsedBytes - baseline.heapUsedBytes, above };
}
