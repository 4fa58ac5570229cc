/**
 * Helpers for the kiosk e2e tests: a paired device credential, opening the kiosk page with
 * it, the bridge's virtual scanner/printer controls, sandbox scenario codes, staff calls,
 * and the axe-core + screenshot check every screen goes through.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { expect, request as playwrightRequest, test, type APIRequestContext, type Page } from "@playwright/test";
import { E2E, demoCredentials, type DemoCredentials } from "../support/system.ts";
import { glyphReport, legible } from "./glyphs.ts";

const require = createRequire(import.meta.url);
/** Overridable so the kiosk tests can also run against a system started elsewhere (defaults: support/system.ts). */
const SYS = {
  kioskUrl: process.env.E2E_KIOSK_URL ?? E2E.kioskUrl,
  sandboxUrl: process.env.E2E_SANDBOX_URL ?? E2E.sandboxUrl,
  bridgeControlUrl: process.env.E2E_BRIDGE_CONTROL_URL ?? E2E.bridgeControlUrl,
  bridgeUrl: process.env.E2E_BRIDGE_URL ?? `ws://127.0.0.1:${E2E.ports.bridge}`,
  dataDir: process.env.E2E_DATA_DIR ?? E2E.dataDir,
};
export const SCREENS_DIR = join(import.meta.dirname, "../artifacts/screens");
const CREDENTIAL_FILE = join(SYS.dataDir, "kiosk-e2e-credential.json");
export const KIOSK_ID = "kiosk_lobby_1";
export const BRIDGE_URL = SYS.bridgeUrl;
export const LOCALES = ["en", "zh-Hans", "zh-Hant", "ja", "ko"] as const;
export type Locale = (typeof LOCALES)[number];
export const NATIVE: Record<Locale, string> = {
  en: "English",
  "zh-Hans": "简体中文",
  "zh-Hant": "繁體中文",
  ja: "日本語",
  ko: "한국어",
};

// ------------------------------------------------------------------ tRPC over HTTP

async function trpcCall<T>(
  api: APIRequestContext,
  path: string,
  input: unknown,
  opts: { bearer?: string; method?: "query" | "mutation" } = {},
): Promise<T> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  const url = `${SYS.kioskUrl}/api/trpc/${path}`;
  const r =
    opts.method === "query"
      ? await api.get(`${url}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, { headers })
      : await api.post(url, { headers, data: { json: input } });
  const body = (await r.json()) as { result?: { data?: { json?: T } }; error?: { json?: { message?: string } } };
  if (!r.ok() || !body.result)
    throw new Error(
      `${path} failed (${r.status()}): ${body.error?.json?.message ?? JSON.stringify(body).slice(0, 300)}`,
    );
  return body.result.data?.json as T;
}

function readDemo(): DemoCredentials {
  return SYS.dataDir === E2E.dataDir
    ? demoCredentials()
    : (JSON.parse(readFileSync(join(SYS.dataDir, "demo-credentials.json"), "utf8")) as DemoCredentials);
}

async function staffApi(): Promise<APIRequestContext> {
  const api = await playwrightRequest.newContext({ baseURL: SYS.kioskUrl });
  const creds = readDemo();
  await trpcCall(api, "auth.login", { email: creds.adminEmail, password: creds.adminPassword });
  return api;
}

/** A device credential for the demo kiosk: reused across runs, re-paired (by staff code if needed) when stale. */
export async function kioskCredential(): Promise<string> {
  const api = await playwrightRequest.newContext();
  try {
    if (existsSync(CREDENTIAL_FILE)) {
      const saved = (JSON.parse(readFileSync(CREDENTIAL_FILE, "utf8")) as { credential: string }).credential;
      try {
        await trpcCall(api, "fleet.status", undefined, { bearer: saved, method: "query" });
        return saved;
      } catch {
        // stale (re-paired elsewhere): pair again below
      }
    }
    let paired: { credential: string };
    try {
      paired = await trpcCall(api, "auth.pairKiosk", { code: readDemo().kioskPairingCode });
    } catch {
      const staff = await staffApi();
      const { code } = await trpcCall<{ code: string }>(staff, "fleet.issuePairingCode", { kioskId: KIOSK_ID });
      await staff.dispose();
      paired = await trpcCall(api, "auth.pairKiosk", { code });
    }
    mkdirSync(SYS.dataDir, { recursive: true });
    writeFileSync(CREDENTIAL_FILE, JSON.stringify({ credential: paired.credential }));
    return paired.credential;
  } finally {
    await api.dispose();
  }
}

export async function setInService(isInService: boolean): Promise<void> {
  const staff = await staffApi();
  try {
    await trpcCall(staff, "fleet.setInService", {
      kioskId: KIOSK_ID,
      isInService,
      reason: isInService ? "e2e: back in service" : "e2e: maintenance",
    });
  } finally {
    await staff.dispose();
  }
}

// ------------------------------------------------------------------ system readiness

async function isUp(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return r.ok;
  } catch {
    return false;
  }
}

let bridgeControl: string | null | undefined;
/** The bridge's virtual-device control URL (the configured port, else the bridge's own default 7879). */
export async function bridgeControlUrl(): Promise<string | null> {
  if (bridgeControl !== undefined) return bridgeControl;
  for (const url of [SYS.bridgeControlUrl, "http://127.0.0.1:7879"]) {
    if (await isUp(`${url}/virtual/printer/jobs`)) return (bridgeControl = url);
  }
  return (bridgeControl = null);
}

/** Why the kiosk e2e cannot run yet (a dependency is not up), or null. */
export async function missingDependency(): Promise<string | null> {
  if (!(await isUp(`${SYS.sandboxUrl}/healthz`))) return `the Alipay sandbox is not answering at ${SYS.sandboxUrl}`;
  if (!(await bridgeControlUrl()))
    return `the bridge's virtual device control is not answering at ${SYS.bridgeControlUrl}`;
  try {
    await kioskCredential();
  } catch (e) {
    return `the kiosk could not be paired: ${(e as Error).message}`;
  }
  return null;
}

/**
 * Skips the spec (or the describe's tests, in a beforeAll) when a dependency is missing —
 * outside CI only. Under CI (the `CI` variable set) a missing dependency fails the spec:
 * a browser suite that skipped itself there proved nothing (scripts/skips.mjs).
 */
export async function skipWhenDependencyMissing(label: string): Promise<void> {
  const missing = await missingDependency();
  if (missing === null) return;
  if (process.env.CI) throw new Error(`${label}: ${missing} (under CI a missing dependency fails instead of skipping)`);
  test.skip(true, `${label} skipped: ${missing}`);
}

// ------------------------------------------------------------------ virtual devices

async function control(path: string, body: unknown): Promise<void> {
  const base = await bridgeControlUrl();
  if (!base) throw new Error("bridge control not available");
  const r = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`${path} → ${r.status} ${await r.text()}`);
}

export const scan = (data: string) => control("/virtual/scan", { data });
export const setPaper = (state: "ok" | "near_end" | "out", afterLines?: number) =>
  control("/virtual/printer/paper", afterLines === undefined ? { state } : { state, afterLines });
/** Simulated print speed of the virtual printer (0: instant), so a test can act while a job prints. */
export const setPrinterSpeed = (msPerLine: number) => control("/virtual/printer/speed", { msPerLine });
export interface PrinterJob {
  seq: number;
  /** Text with "[QR payload]" markers. */
  text: string;
  isTruncated: boolean;
}
/** Every job the virtual printer finished, in order. */
export async function printerJobs(): Promise<PrinterJob[]> {
  const url = await bridgeControlUrl();
  if (!url) throw new Error("the bridge's virtual device control is not reachable");
  const r = await fetch(`${url}/virtual/printer/jobs`);
  if (!r.ok) throw new Error(`virtual printer jobs: HTTP ${r.status}`);
  return (await r.json()) as PrinterJob[];
}
export const plugScanner = (connected: boolean) => control("/virtual/scanner/plug", { connected });

/** A sandbox scenario payment code (packages/alipay-sandbox/src/scenarios.ts): 28 + 8 free digits + parameter + scenario. */
export function scenarioCode(scenario: "0000" | "0001" | "0002" | "0010" | "0011" | "0012", parameter = 0): string {
  const free = String(Math.floor(Math.random() * 1e8)).padStart(8, "0");
  return `28${free}${String(parameter).padStart(4, "0")}${scenario}`;
}

// ------------------------------------------------------------------ the page

export interface OpenOptions {
  idleMs?: number;
  idleCountdownMs?: number;
  heartbeatMs?: number;
  doneMs?: number;
  bridge?: string;
}

export async function openKiosk(page: Page, credential: string, opts: OpenOptions = {}): Promise<void> {
  await page.addInitScript((c) => {
    if (!window.localStorage.getItem("kiosk.deviceCredential"))
      window.localStorage.setItem("kiosk.deviceCredential", c);
  }, credential);
  const q = new URLSearchParams({
    // A loopback URL for this page load only; the page gets its bridge token from the server (fleet.bridgeToken).
    bridge: opts.bridge ?? BRIDGE_URL,
    idleMs: String(opts.idleMs ?? 120_000),
    idleCountdownMs: String(opts.idleCountdownMs ?? 20_000),
    heartbeatMs: String(opts.heartbeatMs ?? 2_000),
    doneMs: String(opts.doneMs ?? 4_000),
  });
  await page.goto(`/kiosk?${q.toString()}`);
}

export const screen = (page: Page, name: string) => page.locator(`[data-kiosk-screen="${name}"]`);

/**
 * Starts recording every screen (`data-kiosk-screen`) and payment phase (`data-phase`) the
 * page shows, so a test can assert that a short-lived state happened even when the flow has
 * already moved on (server pushes can make "cancelling" or "success" last only milliseconds).
 */
export async function recordStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __kioskStates?: string[] };
    if (w.__kioskStates) return;
    const seen: string[] = [];
    w.__kioskStates = seen;
    const note = (el: Element) => {
      for (const attr of ["data-kiosk-screen", "data-phase"]) {
        const v = el.getAttribute(attr);
        if (v && seen[seen.length - 1] !== v) seen.push(v);
      }
    };
    document.querySelectorAll("[data-kiosk-screen],[data-phase]").forEach(note);
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.type === "attributes" && r.target instanceof Element) note(r.target);
        for (const n of Array.from(r.addedNodes)) {
          if (n instanceof Element) {
            note(n);
            n.querySelectorAll("[data-kiosk-screen],[data-phase]").forEach(note);
          }
        }
      }
    }).observe(document.documentElement, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["data-kiosk-screen", "data-phase"],
    });
  });
}

/** Waits until the page has shown `state` (a screen or a payment phase) since recordStates(). */
export async function expectSeen(page: Page, state: string, timeout = 15_000): Promise<void> {
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { __kioskStates?: string[] }).__kioskStates ?? []), {
      timeout,
    })
    .toContain(state);
}

export async function expectScreen(page: Page, name: string, timeout = 15_000): Promise<void> {
  await expect(page.locator("[data-kiosk-screen]")).toHaveAttribute("data-kiosk-screen", name, { timeout });
}

/** Runs axe-core (WCAG 2.x A/AA rules) on the current screen, asserts no violations, and saves a screenshot. */
export async function checkScreen(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(SCREENS_DIR, `${name}.png`), fullPage: true, animations: "disabled" });
  if (!(await page.evaluate(() => "axe" in window)))
    await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const result = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run: (
            ctx: Document,
            opts: unknown,
          ) => Promise<{
            violations: { id: string; impact: string; nodes: { target: unknown; failureSummary: string }[] }[];
          }>;
        };
      }
    ).axe;
    const r = await axe.run(document, {
      resultTypes: ["violations"],
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target, summary: n.failureSummary })),
    }));
  });
  expect(result, `axe violations on ${name}`).toEqual([]);
  if (/^(zh-Hans|zh-Hant|ja|ko)-/.test(name)) {
    const glyphs = await glyphReport(page);
    expect(
      legible(glyphs),
      `${name}: CJK text must be drawn with real glyphs, not tofu (${JSON.stringify(glyphs)})`,
    ).toBe(true);
  }
}

// ------------------------------------------------------------------ walking the flow

/**
 * On the tickets screen, chooses the first free entry time: today's or, late in the attraction's
 * day (the demo's last slot starts 22:00 Singapore time, 14:00 UTC) when today has none left, the
 * next day's that has one, so the suite passes at any hour. A day whose times are all listed but
 * disabled (sold out or closed: a long soak late in the day sells out the last slot) counts as
 * none left too.
 */
export async function chooseFreeSlot(page: Page): Promise<void> {
  const slots = page.getByTestId("slot");
  const free = slots.and(page.locator(":not([disabled])")).first();
  const noneLeft = page.getByTestId("no-times");
  const days = page.locator("section[aria-labelledby=k-days] button");
  for (let day = 1; ; day++) {
    // The day's times render together, so once any is shown a free one would be shown too.
    await expect(free.or(noneLeft).or(slots.first()).first()).toBeVisible();
    if (await free.isVisible()) break;
    await days.nth(day).click();
    await expect(days.nth(day)).toHaveAttribute("aria-pressed", "true");
  }
  await free.click();
}

/** attract → language → tickets → summary → scan, buying one adult (first free time) and one day pass. */
export async function walkToScan(page: Page, locale: Locale, opts: { shoot?: boolean } = {}): Promise<void> {
  const shoot = async (n: string) => {
    if (opts.shoot) await checkScreen(page, `${locale}-${n}`);
  };
  await expectScreen(page, "attract", 30_000);
  await shoot("01-attract");
  await page.locator("[data-kiosk-screen=attract] button").first().click();
  await expectScreen(page, "language");
  await shoot("02-language");
  await page.getByRole("button", { name: NATIVE[locale], exact: true }).click();
  await expectScreen(page, "tickets");
  await chooseFreeSlot(page);
  const types = page.getByTestId("ticket-type");
  await expect(types.first()).toBeVisible();
  await types.nth(0).getByRole("button").last().click();
  await types.last().getByRole("button").last().click();
  await expect(page.locator("footer button").last()).toBeEnabled();
  await shoot("03-tickets");
  await page.locator("footer button").last().click();
  await expectScreen(page, "summary");
  await expect(page.getByTestId("order-total")).toBeVisible();
  await shoot("04-summary");
  await page.locator("footer button").last().click();
  await expectScreen(page, "scan");
  await expect(page.getByTestId("scanner-state")).toHaveAttribute("data-armed", "true", { timeout: 10_000 });
  await shoot("05-scan");
}
