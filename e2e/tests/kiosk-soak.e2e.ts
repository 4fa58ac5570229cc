/**
 * The short kiosk page soak (the long one is `npm run bench`, e2e/bench/page-soak.ts): one
 * page, never reloaded, through SOAK_SALES (20) complete sales of the mix (instant, PIN wait,
 * declined, cancelled, paper out and back). Back at the attract screen after each sale, no count
 * of DOM nodes, event listeners (on nodes, window, document), WebSockets, EventSources,
 * intervals or pending timeouts stays above its resting value after the warm-up round (see
 * soak() in support/page-soak.ts), and the heap after GC has grown < 10 MB. A second test plants
 * a small leak and checks that these checks catch it.
 */
import { expect, test, type Page } from "@playwright/test";
import { instrument, soak } from "../support/page-soak.ts";
import { kioskCredential, skipWhenDependencyMissing, openKiosk, setPaper, expectScreen } from "./kiosk-support.ts";

const SALES = Number(process.env.E2E_SOAK_SALES ?? 20);
const HEAP_GROWTH_LIMIT = 10 * 1024 * 1024;

test.use({ viewport: { width: 1080, height: 1920 } });

test.beforeAll(async () => {
  await skipWhenDependencyMissing("kiosk e2e");
  await setPaper("ok");
});
test.afterAll(async () => {
  await setPaper("ok");
});

async function openInstrumented(page: Page) {
  await instrument(page);
  await openKiosk(page, await kioskCredential(), { doneMs: 300 });
  await expectScreen(page, "attract", 30_000);
  return page.context().newCDPSession(page);
}

test(`${SALES} sales on one page: nothing left behind after each, heap after GC grows < 10 MB`, async ({ page }) => {
  test.setTimeout(120_000 + SALES * 30_000);
  const cdp = await openInstrumented(page);
  const result = await soak(page, cdp, SALES);
  test.info().annotations.push({
    type: "soak",
    description: JSON.stringify({
      baseline: result.baseline,
      last: result.last,
      heapGrowthBytes: result.heapGrowthBytes,
    }),
  });
  expect(result.samples).toHaveLength(SALES + 1);
  expect(result.above, "counts above the post-warm-up baseline after a sale").toEqual([]);
  expect(result.last.webSockets, "the bridge connection, and only it").toBe(1);
  expect(result.heapGrowthBytes).toBeLessThan(HEAP_GROWTH_LIMIT);
});

test("the soak's checks catch a planted leak (a listener, ten nodes and an interval per visit of the attract screen)", async ({
  page,
}) => {
  test.setTimeout(300_000);
  // The leak: each time the attract screen appears, something the page never gives back.
  await page.addInitScript(() => {
    let wasAttract = false;
    new MutationObserver(() => {
      const isAttract = document.querySelector("[data-kiosk-screen=attract]") !== null;
      if (isAttract && !wasAttract) {
        window.addEventListener("resize", () => {});
        for (let i = 0; i < 10; i += 1) document.body.appendChild(document.createElement("div")); // above the greeting's few nodes of variation
        setInterval(() => {}, 60_000);
      }
      wasAttract = isAttract;
    }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-kiosk-screen"] });
  });
  const cdp = await openInstrumented(page);
  const result = await soak(page, cdp, 2);
  const fields = new Set(result.above.map((a) => a.field));
  expect([...fields].sort()).toEqual(expect.arrayContaining(["globalListeners", "intervals", "nodes"]));
});
