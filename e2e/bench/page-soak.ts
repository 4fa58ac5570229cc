/**
 * The long kiosk page soak: one page, without reload, through SOAK_SALES (500) complete sales
 * of the mix (instant, PIN wait, declined, cancelled, paper out and back) against the sandbox
 * and the bridge's virtual devices, all started here (scripts/start.mjs, own ports). Figures:
 * heap growth after GC, and after how many sales a DOM node / listener / WebSocket /
 * EventSource / interval / timeout count stood above the post-warm-up baseline.
 * Writes `{ figures }` to BENCH_OUT if set.
 * usage: npx tsx e2e/bench/page-soak.ts   (SOAK_SALES=500, SOAK_LOG_EVERY=25 optional)
 */
import { writeFileSync } from "node:fs";
import { kioskPageUrl, launchChromium, startSystem } from "./browser-system.ts";

const SALES = Number(process.env.SOAK_SALES ?? 500);
const BENCH_OUT = process.env.BENCH_OUT;
/** Print a sample every N sales (SOAK_LOG_EVERY, default 25). */
const LOG_EVERY = Number(process.env.SOAK_LOG_EVERY ?? 25);

const sys = await startSystem(Number(process.env.BENCH_PORT_OFFSET ?? 40));
// The e2e helpers read where the system is from these (tests/kiosk-support.ts).
process.env.E2E_KIOSK_URL = sys.kioskUrl;
process.env.E2E_SANDBOX_URL = sys.sandboxUrl;
process.env.E2E_BRIDGE_CONTROL_URL = sys.bridgeControlUrl;
process.env.E2E_BRIDGE_URL = sys.bridgeUrl;
process.env.E2E_DATA_DIR = sys.dataDir;
const { instrument, soak } = await import("../support/page-soak.ts");
const browser = await launchChromium();
const started = Date.now();
try {
  const context = await browser.newContext({
    serviceWorkers: "block",
    viewport: { width: 1080, height: 1920 },
    baseURL: sys.kioskUrl,
  });
  const page = await context.newPage();
  await instrument(page);
  await page.addInitScript((c) => window.localStorage.setItem("kiosk.deviceCredential", c), sys.credential);
  await page.goto(kioskPageUrl(sys, { doneMs: "300", idleMs: "600000", heartbeatMs: "5000" }));
  await page.locator("[data-kiosk-screen=attract]").waitFor({ timeout: 60_000 });
  const cdp = await context.newCDPSession(page);
  const result = await soak(page, cdp, SALES, (s) => {
    if (s.sale % LOG_EVERY === 0)
      console.log(
        `sale ${s.sale} (${s.kind}): heap ${(s.heapUsedBytes / 1048576).toFixed(1)} MB, ${s.nodes} nodes, ${s.listeners} listeners, ws ${s.webSockets}, sse ${s.eventSources}, intervals ${s.intervals}, timeouts ${s.timeouts}`,
      );
  });
  const salesAbove = (field: string) => new Set(result.above.filter((a) => a.field === field).map((a) => a.sale)).size;
  const growthMb = Math.round((result.heapGrowthBytes / 1048576) * 100) / 100;
  console.log(
    `${SALES} sales in ${Math.round((Date.now() - started) / 1000)} s; heap after GC grew ${growthMb} MB; counts above baseline after ${new Set(result.above.map((a) => a.sale)).size} sales`,
  );
  for (const a of result.above.slice(0, 10))
    console.log(
      `  above after sale ${a.sale} (${a.kind}): ${a.field} ${a.value} (rest ${a.baseline})${a.pending ? `; pending: ${a.pending.join(" | ")}` : ""}`,
    );
  if (BENCH_OUT) {
    const figures = [
      { name: "page_soak_sales", value: SALES, unit: "sales", target: ">= 500" },
      { name: "page_soak_heap_growth_after_gc", value: growthMb, unit: "MB", target: "< 10" },
      { name: "page_soak_sales_with_more_dom_nodes", value: salesAbove("nodes"), unit: "sales", target: "= 0" },
      { name: "page_soak_sales_with_more_listeners", value: salesAbove("listeners"), unit: "sales", target: "= 0" },
      {
        name: "page_soak_sales_with_more_websockets_or_eventsources",
        value: new Set(
          result.above.filter((a) => a.field === "webSockets" || a.field === "eventSources").map((a) => a.sale),
        ).size,
        unit: "sales",
        target: "= 0",
      },
      {
        name: "page_soak_sales_with_more_timers",
        value: new Set(result.above.filter((a) => a.field === "intervals" || a.field === "timeouts").map((a) => a.sale))
          .size,
        unit: "sales",
        target: "= 0",
      },
      { name: "page_soak_baseline_dom_nodes", value: result.baseline.nodes, unit: "nodes", target: null },
      { name: "page_soak_baseline_listeners", value: result.baseline.listeners, unit: "listeners", target: null },
    ];
    writeFileSync(
      BENCH_OUT,
      `${JSON.stringify({ figures, baseline: result.baseline, last: result.last, above: result.above.slice(0, 50) }, null, 2)}\n`,
    );
  }
} finally {
  await browser.close();
  await sys.stop();
}
