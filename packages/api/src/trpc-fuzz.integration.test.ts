/**
 * Fuzz: every procedure of the app router over real HTTP (node:http in front of the
 * production tRPC fetch handler), as the caller it expects (staff session, kiosk
 * credential, booking-system API key) and as callers it must refuse, with generated
 * malformed inputs, adversarial but well-formed inputs, raw garbage bodies and wrong
 * methods. Every answer must be a typed tRPC error (never INTERNAL_SERVER_ERROR, never
 * a 5xx), and the database (row counts, hash of the money tables) must be unchanged.
 * Seeded: FUZZ_SEED (printed) reproduces a run; FUZZ_SCALE multiplies the case counts;
 * FUZZ_REPORT (a file) receives one JSON line of counts per property.
 */
import { appendFileSync } from "node:fs";
import type { Server } from "node:http";
import { startSandbox, type RunningSandbox } from "@kiosk/alipay-sandbox";
import { snapshotDb, type DbSnapshot } from "@kiosk/db/testing";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { ZodType } from "zod";
import { FakeClock } from "./clock.ts";
import { ATTRACTION, createHarness, providersFor, type Harness } from "./__tests__/platform-harness.ts";
import { serveTrpc } from "./__tests__/serve-http.ts";
import { TRPC_ENDPOINT } from "./http-handlers.ts";
import { createAlipay } from "./services/__tests__/harness.ts";
import type { ProcedureAuth } from "./trpc/init.ts";
import { appRouter } from "./trpc/root.ts";

const PG_URL = process.env.TEST_DATABASE_URL;
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_127);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));
// A larger run (npm run proof:fuzz) gets proportionally more time per property.
vi.setConfig({ testTimeout: 60_000 * Math.max(1, SCALE) });
process.stdout.write(`tRPC fuzz: seed ${SEED}, scale ${SCALE} (FUZZ_SEED / FUZZ_SCALE to change)\n`);

function report(name: string, cases: number, outcomes: Record<string, number>): void {
  const line = JSON.stringify({ suite: "trpc", name, seed: SEED, cases, outcomes });
  process.stdout.write(`fuzz ${line}\n`);
  const file = process.env.FUZZ_REPORT;
  if (file) appendFileSync(file, `${line}\n`);
}

/**
 * The answers a refused call may get. Beyond the domain codes: PARSE_ERROR for a body
 * that is not JSON, METHOD_NOT_SUPPORTED for a query sent as POST (or the reverse),
 * TOO_MANY_REQUESTS from the sign-in and pairing limiters, PRECONDITION_FAILED for a
 * kiosk that may not sell.
 */
const TYPED_CODES = new Set([
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "PRECONDITION_FAILED",
  "TOO_MANY_REQUESTS",
  "PARSE_ERROR",
  "METHOD_NOT_SUPPORTED",
]);

type Procedure = {
  path: string;
  type: "query" | "mutation" | "subscription";
  auth: ProcedureAuth;
  minRole: string | undefined;
  input: ZodType | undefined;
};

const PROCEDURES: readonly Procedure[] = Object.entries(
  (
    appRouter as unknown as {
      _def: {
        procedures: Record<
          string,
          { _def: { type: Procedure["type"]; meta?: { auth?: ProcedureAuth; minRole?: string }; inputs: ZodType[] } }
        >;
      };
    }
  )._def.procedures,
).map(([path, p]) => ({
  path,
  type: p._def.type,
  auth: p._def.meta?.auth ?? "public",
  minRole: p._def.meta?.minRole,
  input: p._def.inputs[0],
}));

/** Values that break schemas and services: ids that do not exist, extremes, injections, wrong types. */
const adversarialValue = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.constantFrom(
    "",
    " ",
    "ord_nope",
    "pay_nope",
    "kiosk_nope",
    "slot_nope",
    "tt_nope",
    "tkt_nope",
    "rec_nope",
    "2026-03-01",
    "2026-13-45",
    "x".repeat(5000),
    `'; DROP TABLE "Order"; --`,
    "\u0000",
    "🎟️",
    "idem-key-0001-fuzz",
    "admin",
    "PAID",
    "REFUNDED",
    "T1.e30.c2ln",
  ),
  fc.integer(),
  fc.constantFrom(-1, 0, 1, 2 ** 31, -(2 ** 31), Number.MAX_SAFE_INTEGER, 0.5),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(
    fc.record({
      ticketTypeId: fc.constantFrom("tt_nope", "", "tt_skyline_adult"),
      slotId: fc.constantFrom("slot_nope", "x"),
      quantity: fc.integer({ min: -5, max: 10_000 }),
    }),
    { maxLength: 3 },
  ),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
);

function shapeOf(schema: ZodType | undefined): string[] {
  const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

/** Objects with the schema's own keys (some missing, sometimes one extra) and adversarial values. */
function shapedInput(p: Procedure): fc.Arbitrary<unknown> {
  const keys = shapeOf(p.input);
  if (keys.length === 0) return fc.jsonValue({ maxDepth: 2 });
  return fc
    .tuple(
      fc.record(Object.fromEntries(keys.map((k) => [k, adversarialValue])), { requiredKeys: [] }),
      fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: undefined, freq: 4 }),
    )
    .map(([record, extra]) => (extra === undefined || keys.includes(extra) ? record : { ...record, [extra]: true }));
}

const byPath = new Map(PROCEDURES.map((p) => [p.path, p]));
/** Generates procedure paths (readable in a counterexample), not procedure objects. */
const pathOf = (list: readonly Procedure[]): fc.Arbitrary<Procedure> =>
  fc.constantFrom(...list.map((p) => p.path)).map(
    (path) => byPath.get(path)!,
    (p) => (p as Procedure).path,
  );

const isAccepted = (p: Procedure, value: unknown): boolean => p.input === undefined || p.input.safeParse(value).success;

type Answer = { status: number; code: string };

for (const provider of providersFor(PG_URL)) {
  describe(`tRPC procedures under fuzz over HTTP on ${provider}`, () => {
    let h: Harness;
    let sandbox: RunningSandbox;
    let server: Server;
    let baseUrl: string;
    let credentials: Record<ProcedureAuth, Record<string, string>>;
    let viewer: Record<string, string>;
    let before: DbSnapshot;
    let lastAuditId: number;

    beforeAll(async () => {
      sandbox = await startSandbox({ port: 0, tickIntervalMs: 0 });
      // The limiters are not under test here (their own tests cover them); lifted so every case reaches validation.
      const unlimited = { capacity: 1e9, refillPerSec: 1e9 };
      h = await createHarness(provider, {
        pgUrl: PG_URL,
        withTicketKeys: true,
        overrides: {
          rateLimitPolicies: {
            kioskPairing: unlimited,
            staffLogin: unlimited,
            bookingApi: unlimited,
            kioskDevice: unlimited,
          },
        },
        alipay: createAlipay({ gatewayUrl: sandbox.gatewayUrl, clock: new FakeClock() }),
      });
      ({ server, baseUrl } = await serveTrpc(h));
      const admin = await h.staffSession("admin");
      viewer = { cookie: `kiosk_session=${encodeURIComponent((await h.staffSession("viewer")).token)}` };
      const kiosk = await h.pairDemoKiosk();
      const api = await h.apiKey([
        "catalog:read",
        "bookings:write",
        "bookings:read",
        "tickets:read",
        "tickets:redeem",
        "refunds:write",
        "events:read",
      ]);
      // A partner terminal's key (issue 18: terminal.payments.*).
      const terminal = await h.services.money.partner.terminals.create({
        attractionId: ATTRACTION,
        storeId: "FUZZ",
        terminalCode: "T1",
        name: "Fuzz terminal",
      });
      credentials = {
        public: {},
        staff: { cookie: `kiosk_session=${encodeURIComponent(admin.token)}` },
        kiosk: { authorization: `Bearer ${kiosk}` },
        // The sale procedures take a kiosk or a cashier-or-higher staff session (the counter sale); the kiosk here.
        seller: { authorization: `Bearer ${kiosk}` },
        api_client: { authorization: `Bearer ${api.key}` },
        terminal: { authorization: `Bearer ${terminal.key}` },
      };
    });

    afterAll(async () => {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await sandbox?.close();
      await h?.close();
    });

    /** One call; `body` is the raw request text (a superjson envelope unless a test breaks it). */
    async function call(
      p: Procedure,
      body: string,
      headers: Record<string, string>,
      method: "GET" | "POST" = p.type === "mutation" ? "POST" : "GET",
    ): Promise<Answer> {
      const url = `${baseUrl}${TRPC_ENDPOINT}/${p.path}`;
      const ac = new AbortController();
      const res =
        method === "GET"
          ? await fetch(`${url}?input=${encodeURIComponent(body)}`, { headers, signal: ac.signal })
          : await fetch(url, {
              method: "POST",
              headers: { ...headers, "content-type": "application/json" },
              body,
              signal: ac.signal,
            });
      let text = "";
      if ((res.headers.get("content-type") ?? "").includes("text/event-stream")) {
        // A subscription answers as a stream: after `connected`, its first error or data event decides.
        const reader = res.body!.getReader();
        const errorEvent = /event: serialized-error\ndata: (.*)\n/;
        while (!errorEvent.test(text) && (text.match(/^data: .*\n/gm) ?? []).length < 2) {
          const chunk = await reader.read();
          if (chunk.done) break;
          text += new TextDecoder().decode(chunk.value);
        }
        ac.abort();
        await reader.cancel().catch(() => undefined);
        const error = errorEvent.exec(text);
        if (!error) return { status: res.status, code: "OK" };
        const parsed = JSON.parse(error[1]!) as { json?: { data?: { code?: string; httpStatus?: number } } };
        return { status: parsed.json?.data?.httpStatus ?? 500, code: parsed.json?.data?.code ?? "UNPARSED" };
      }
      text = await res.text();
      if (res.ok) return { status: res.status, code: "OK" };
      try {
        const parsed = JSON.parse(text) as { error?: { json?: { data?: { code?: string } } } };
        return { status: res.status, code: parsed.error?.json?.data?.code ?? "UNPARSED" };
      } catch {
        return { status: res.status, code: "UNPARSED" };
      }
    }

    function expectTyped(answer: Answer, p: Procedure, input: unknown): void {
      const where = `${p.path} (${p.type}, ${p.auth}) with ${JSON.stringify(input)?.slice(0, 200)}`;
      expect(answer.status, where).toBeLessThan(500);
      expect(
        TYPED_CODES.has(answer.code)
          ? answer.code
          : `untyped answer ${answer.code} (HTTP ${answer.status}) from ${where}`,
      ).toBe(answer.code);
    }

    function tally(outcomes: Record<string, number>, answer: Answer): void {
      outcomes[answer.code] = (outcomes[answer.code] ?? 0) + 1;
    }

    /** Each property compares the database with its state when the property started. */
    beforeEach(async () => {
      before = await snapshotDb(h.tdb.db);
      lastAuditId = (await h.tdb.db.auditLog.aggregate({ _max: { id: true } }))._max.id ?? 0;
    });

    /**
     * Nothing changed: same row counts, same money tables. A gate scan of an invalid code is
     * answered `{ ok: false }` and audited by design, so `auditedAttempts` may add audit rows
     * of those actions only.
     */
    async function expectDbUnchanged(auditedAttempts: readonly string[] = []): Promise<void> {
      const after = await snapshotDb(h.tdb.db);
      const added = await h.tdb.db.auditLog.findMany({
        where: { id: { gt: lastAuditId } },
        select: { action: true, details: true },
      });
      expect(
        added.filter((a) => !auditedAttempts.includes(a.action) || a.details.includes('"outcome":"redeemed"')),
      ).toEqual([]);
      expect({ ...after.counts, auditLog: 0 }).toEqual({ ...before.counts, auditLog: 0 });
      expect(after.moneyHash).toBe(before.moneyHash);
    }

    it("refuses a NUL character in an id with BAD_REQUEST after authentication (found by this fuzz: PostgreSQL failed it as internal)", async () => {
      const orderGet = byPath.get("ticket.forOrder")!;
      expect(await call(orderGet, JSON.stringify({ json: { orderId: "ord\u0000x" } }), credentials.kiosk)).toEqual({
        status: 400,
        code: "BAD_REQUEST",
      });
      expect((await call(orderGet, JSON.stringify({ json: { orderId: "ord\u0000x" } }), {})).code).toBe("UNAUTHORIZED");
      expect(
        await call(byPath.get("payment.byId")!, JSON.stringify({ json: { paymentId: "\u0000" } }), viewer),
      ).toEqual({ status: 400, code: "BAD_REQUEST" });
      expect(
        (
          await call(
            byPath.get("payment.resolve")!,
            JSON.stringify({ json: { paymentId: "\u0000", to: "PAID", reason: "fuzz" } }),
            viewer,
          )
        ).code,
      ).toBe("FORBIDDEN");
    });

    it("answers every malformed input, as the right caller, with a typed error and changes nothing", async () => {
      const withInput = PROCEDURES.filter((p) => p.input !== undefined);
      const outcomes: Record<string, number> = {};
      let cases = 0;
      await fc.assert(
        fc.asyncProperty(
          pathOf(withInput).chain((p) =>
            fc
              .oneof(fc.jsonValue({ maxDepth: 3 }), shapedInput(p))
              .filter((v) => !isAccepted(p, v))
              .map((input) => ({ path: p.path, input })),
          ),
          async ({ path, input }) => {
            const p = byPath.get(path)!;
            const answer = await call(p, JSON.stringify({ json: input }), credentials[p.auth]);
            cases += 1;
            tally(outcomes, answer);
            expect(answer.code, `${p.path} accepted ${JSON.stringify(input)?.slice(0, 200)}`).not.toBe("OK");
            expectTyped(answer, p, input);
          },
        ),
        { seed: SEED, numRuns: runs(900) },
      );
      await expectDbUnchanged();
      report(`${provider}: malformed inputs`, cases, outcomes);
    });

    it("answers well-formed inputs naming things that do not exist with a typed error or a result, never an internal error, and moves no money", async () => {
      // Procedures whose success with any well-formed input is a legitimate write are left out.
      const writers = new Set([
        "fleet.register",
        "fleet.heartbeat",
        "fleet.setInService",
        "fleet.issuePairingCode",
        "staff.createUser",
        "staff.createApiKey",
        "staff.deactivateUser",
        "staff.revokeApiKey",
        "reconciliation.run",
        "console.runReconciliation",
        "alipayKeys.switchToNext",
        "alipayKeys.check",
        "auth.login",
        "auth.pairKiosk",
        "auth.logout",
        "auth.changePassword",
        "staff.setPassword",
        "staff.revokeKioskCredential",
      ]);
      // A well-formed value for each procedure, if the generator can find some (seeded).
      const candidates = PROCEDURES.filter(
        (p) => p.type !== "subscription" && !writers.has(p.path) && p.input !== undefined,
      ).filter((p) => fc.sample(shapedInput(p), { seed: SEED, numRuns: 300 }).some((v) => isAccepted(p, v)));
      expect(candidates.length).toBeGreaterThan(20);
      const outcomes: Record<string, number> = {};
      let cases = 0;
      await fc.assert(
        fc.asyncProperty(
          pathOf(candidates).chain((p) =>
            shapedInput(p)
              .filter((v) => isAccepted(p, v))
              .map((input) => ({ path: p.path, input })),
          ),
          async ({ path, input }) => {
            const p = byPath.get(path)!;
            const answer = await call(p, JSON.stringify({ json: input }), credentials[p.auth]);
            cases += 1;
            tally(outcomes, answer);
            if (answer.code !== "OK") expectTyped(answer, p, input);
          },
        ),
        { seed: SEED, numRuns: runs(500), maxSkipsPerRun: 1000 },
      );
      await expectDbUnchanged(["ticket.redeem"]);
      report(`${provider}: well-formed inputs, unknown references`, cases, outcomes);
    });

    it("refuses missing, forged and other callers' credentials with UNAUTHORIZED or FORBIDDEN, and changes nothing", async () => {
      const guarded = PROCEDURES.filter((p) => p.auth !== "public");
      const forged = fc.oneof(
        fc.constant({}),
        fc.string({ maxLength: 60 }).map((s) => ({ authorization: `Bearer ${s.replace(/[^\x20-\x7e]/g, "")}` })),
        fc.string({ maxLength: 60 }).map((s) => ({ cookie: `kiosk_session=${encodeURIComponent(s)}` })),
        fc.constantFrom<ProcedureAuth>("staff", "kiosk", "api_client", "terminal").map((auth) => ({ auth })),
        fc.constant({ isViewer: true }),
      );
      const outcomes: Record<string, number> = {};
      let cases = 0;
      await fc.assert(
        fc.asyncProperty(pathOf(guarded), forged, fc.jsonValue({ maxDepth: 2 }), async (p, who, input) => {
          // Another kind of caller's genuine credential, never the one the procedure expects.
          // A viewer (signed in, lowest role) only counts as wrong where a higher role is needed.
          if ("isViewer" in who && p.auth === "staff" && (p.minRole ?? "viewer") === "viewer") return;
          const isAccepted = (auth: ProcedureAuth) =>
            auth === p.auth || (p.auth === "seller" && (auth === "staff" || auth === "kiosk"));
          const headers =
            "isViewer" in who ? viewer : "auth" in who ? (isAccepted(who.auth) ? {} : credentials[who.auth]) : who;
          const answer = await call(p, JSON.stringify({ json: input }), headers);
          cases += 1;
          tally(outcomes, answer);
          expectTyped(answer, p, input);
          // Input validation may speak first; otherwise the caller is refused.
          expect(["UNAUTHORIZED", "FORBIDDEN", "BAD_REQUEST"]).toContain(answer.code);
          if ("isViewer" in who && (p.auth === "staff" || p.auth === "seller") && answer.code !== "BAD_REQUEST")
            expect(answer.code).toBe("FORBIDDEN");
        }),
        { seed: SEED, numRuns: runs(400) },
      );
      await expectDbUnchanged();
      report(`${provider}: wrong callers`, cases, outcomes);
    });

    it("answers bodies that are not JSON, envelopes without superjson and the wrong HTTP method with a typed error", async () => {
      const outcomes: Record<string, number> = {};
      let cases = 0;
      await fc.assert(
        fc.asyncProperty(
          pathOf(PROCEDURES.filter((p) => p.type !== "subscription" && p.input !== undefined)),
          fc.oneof(
            fc.string({ maxLength: 80 }).map((body) => ({ body, isWrongMethod: false })),
            fc.jsonValue({ maxDepth: 2 }).map((v) => ({ body: JSON.stringify(v), isWrongMethod: false })),
            fc.jsonValue({ maxDepth: 2 }).map((v) => ({
              body: JSON.stringify({ json: v, meta: { values: { json: ["Date"] } } }),
              isWrongMethod: false,
            })),
            fc.jsonValue({ maxDepth: 1 }).map((v) => ({ body: JSON.stringify({ json: v }), isWrongMethod: true })),
          ),
          async (p, { body, isWrongMethod }) => {
            const method = (p.type === "mutation") === isWrongMethod ? "GET" : "POST";
            const answer = await call(p, body, credentials[p.auth], method);
            cases += 1;
            tally(outcomes, answer);
            // A raw body can happen to be a valid input (an object with only optional keys); then any typed answer or OK.
            if (answer.code !== "OK") expectTyped(answer, p, body);
          },
        ),
        { seed: SEED, numRuns: runs(400) },
      );
      await expectDbUnchanged(["ticket.redeem"]);
      report(`${provider}: raw bodies and wrong methods`, cases, outcomes);
    });
  });
}
