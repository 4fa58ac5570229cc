/**
 * The partner payment API (issue 18) over real HTTP: a registered terminal creates Alipay
 * payments through /api/partner/v1 against the real sandbox gateway (over HTTP), with
 * idempotent replays, long-poll, server-sent events, cancel, refunds, list by day, receipts,
 * and signed webhooks retried with back-off. SQLite, and PostgreSQL when TEST_DATABASE_URL is set.
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { ReceiptDocumentSchema } from "@kiosk/bridge-protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providersFor } from "../__tests__/platform-harness.ts";
import { code, PG_URL } from "../services/__tests__/harness.ts";
import { requestHash } from "../services/idempotency-service.ts";
import { ATTRACTION, startPartnerFixture, type Answer, type PartnerFixture } from "./__tests__/partner-fixture.ts";
import { signWebhook, verifyWebhook } from "./signature.ts";
import type { TerminalPaymentView } from "./payments.ts";

for (const provider of providersFor(PG_URL)) {
  describe(`partner payment API on ${provider}`, () => {
    let f: PartnerFixture;
    let h: PartnerFixture["h"];
    let sandbox: PartnerFixture["sandbox"];
    let api: { baseUrl: string };
    let received: PartnerFixture["received"];
    let key: string;
    let webhookSecret: string;
    let otherKey: string;

    beforeAll(async () => {
      f = await startPartnerFixture(provider);
      ({ h, sandbox, received, key, webhookSecret, otherKey } = f);
      api = { baseUrl: f.baseUrl };
    });
    afterAll(async () => {
      await f?.close();
    });

    const call = <T = TerminalPaymentView>(...args: Parameters<PartnerFixture["call"]>): Promise<Answer<T>> =>
      f.call<T>(...args);
    const body = (...args: Parameters<PartnerFixture["body"]>) => f.body(...args);
    const step = (ms?: number) => f.step(ms);
    const until = <T>(p: Promise<T>, max?: number) => f.until(p, max);

    async function tradeFor(view: TerminalPaymentView) {
      const p = await h.services.db.payment.findUniqueOrThrow({ where: { id: view.paymentId! } });
      return [...sandbox.store.trades.values()].filter((t) => t.outTradeNo === p.partnerTransId);
    }

    async function counts() {
      const db = h.services.db;
      return {
        orders: await db.order.count(),
        payments: await db.payment.count(),
        terminalPayments: await db.terminalPayment.count(),
      };
    }

    it("pays at once with an instant code, answers a replay with the same payment and refuses the key with another body", async () => {
      const request = body(code("success"));
      const first = await call("POST", "/payments", { body: request, idem: "sale-1" });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ status: "succeeded", isFinal: true, amount: 1250, currency: "SGD" });
      expect(first.body.reference).toBe(request.reference);
      const trades = await tradeFor(first.body);
      expect(trades).toHaveLength(1);
      expect(trades[0]!.amountMinor).toBe(1250);
      expect(trades[0]!.storeId).toBe("GIFTSHOP");
      expect(trades[0]!.terminalId).toBe("POS-1");
      // Receipt data, ready to print.
      const receipt = first.body.receipt!;
      expect(receipt).toMatchObject({
        merchant: expect.any(String),
        storeId: "GIFTSHOP",
        terminalId: "POS-1",
        amount: 1250,
        amountText: "12.50 SGD",
        alipayTransId: trades[0]!.tradeNo,
      });
      expect(receipt.buyerLoginId).toMatch(/\*/);
      expect(receipt.exchangeRate).toBe(trades[0]!.exchangeRate);
      expect(receipt.exchangeRate).toMatch(/^\d+\.\d+$/); // the sandbox returns one: the row carries it
      expect(receipt.walletName).toBeNull(); // MAPI names no Alipay+ wallet

      const again = await call("POST", "/payments", { body: request, idem: "sale-1" });
      expect(again.status).toBe(200);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(again.body.id).toBe(first.body.id);
      expect(await tradeFor(again.body)).toHaveLength(1);

      const before = await counts();
      const other = await call<{ error: { code: string } }>("POST", "/payments", {
        body: { ...request, amount: 1300 },
        idem: "sale-1",
      });
      expect(other.status).toBe(409);
      expect(other.body.error.code).toBe("idempotency_conflict");
      expect(await counts()).toEqual(before);

      const got = await call("GET", `/payments/${first.body.id}`);
      expect(got.body).toMatchObject({ id: first.body.id, status: "succeeded" });
      const printed = await call<{ lines: string[] }>("GET", `/payments/${first.body.id}/receipt`);
      expect(printed.status).toBe(200);
      expect(printed.body.lines.join("\n")).toContain("12.50 SGD");
      // The bridge's receipt document (ESC/POS through a bridge: apps/bridge terminal-receipt.test.ts).
      const document = (printed.body as unknown as { document: unknown }).document;
      expect(ReceiptDocumentSchema.safeParse(document).success).toBe(true);
      expect(document).toMatchObject({
        attractionName: receipt.merchant,
        totalText: "12.50 SGD",
        orderNo: request.reference,
        alipayTradeNo: trades[0]!.tradeNo,
        lines: expect.arrayContaining([{ label: "Gift shop: mug", amountText: "12.50 SGD" }]),
      });
    });

    it("refuses bad requests with a typed error and changes nothing", async () => {
      const before = await counts();
      const cases: [Answer<{ error: { code: string } }>, number, string][] = [
        [await call("POST", "/payments", { body: body(code("success")), idem: "x1", key: null }), 401, "unauthorized"],
        [
          await call("POST", "/payments", { body: body(code("success")), idem: "x2", key: `${key.slice(0, -4)}AAAA` }),
          401,
          "unauthorized",
        ],
        [await call("POST", "/payments", { body: body(code("success")) }), 400, "invalid_request"],
        [await call("POST", "/payments", { body: body(code("success"), 12.5), idem: "x3" }), 400, "invalid_request"],
        [await call("POST", "/payments", { body: body(code("success"), 0), idem: "x4" }), 400, "invalid_request"],
        [
          await call("POST", "/payments", { body: body(code("success"), 100, { currency: "JPY" }), idem: "x5" }),
          400,
          "invalid_request",
        ],
        [await call("POST", "/payments", { body: body("1234"), idem: "x6" }), 400, "invalid_request"],
        [
          await call("POST", "/payments", { body: body(code("success"), 100, { storeId: "CAFE" }), idem: "x7" }),
          403,
          "forbidden",
        ],
        [await call("POST", "/payments", { raw: "{not json", idem: "x8" }), 400, "invalid_request"],
        [
          await call("POST", "/payments", { body: { ...body(code("success")), extra: 1 }, idem: "x9" }),
          400,
          "invalid_request",
        ],
        [await call("GET", "/payments/tpay_nope"), 404, "not_found"],
        [await call("GET", "/payments?date=2026-13-45"), 400, "invalid_request"],
        [await call("GET", "/payments/x?wait=99"), 400, "invalid_request"],
      ];
      for (const [answer, status, errorCode] of cases) {
        expect(answer.status).toBe(status);
        expect(answer.body.error.code).toBe(errorCode);
      }
      expect(await counts()).toEqual(before);
    });

    it("answers a PIN wait at once as processing and long-polls (wait) to succeeded", async () => {
      const created = await call("POST", "/payments", {
        body: body(code("pin_wait_confirm", { parameter: 5 })),
        idem: "pin-1",
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ status: "processing", isFinal: false, receipt: null });
      const polled = await until(call("GET", `/payments/${created.body.id}?wait=20`));
      expect(polled.status).toBe(200);
      expect(polled.body).toMatchObject({ id: created.body.id, status: "succeeded", isFinal: true });
      expect(polled.body.receipt?.alipayTransId).toBeTruthy();
    });

    it("streams the payment's changes as server-sent events and closes once it is final", async () => {
      const created = await call("POST", "/payments", {
        body: body(code("pin_wait_confirm", { parameter: 4 })),
        idem: "sse-1",
      });
      const res = await fetch(`${api.baseUrl}/api/partner/v1/payments/${created.body.id}/events`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const text = await until(res.text());
      const events = text
        .split("\n\n")
        .filter((b) => b.startsWith("event: payment"))
        .map(
          (b) =>
            JSON.parse(
              b
                .split("\n")
                .find((l) => l.startsWith("data: "))!
                .slice(6),
            ) as TerminalPaymentView,
        );
      expect(events[0]!.status).toBe("processing");
      expect(events.at(-1)!.status).toBe("succeeded");
      expect(events.map((e) => e.version)).toEqual([...events.map((e) => e.version)].sort((a, b) => a - b));
    });

    it("reports a decline as failed with its reason and no receipt", async () => {
      const created = await call("POST", "/payments", { body: body(code("insufficient_balance")), idem: "decline-1" });
      expect(created.body).toMatchObject({ status: "failed", isFinal: true, receipt: null });
      expect(created.body.failureReason).toBeTruthy();
      const receipt = await call<{ error: { code: string } }>("GET", `/payments/${created.body.id}/receipt`);
      expect(receipt.status).toBe(409);
    });

    it("cancels when the buyer walks away during the PIN wait, idempotently; a paid payment is refunded instead", async () => {
      const created = await call("POST", "/payments", { body: body(code("pin_wait_never")), idem: "walk-1" });
      expect(created.body.status).toBe("processing");
      const cancelled = await until(call("POST", `/payments/${created.body.id}/cancel`));
      expect(cancelled.status).toBe(200);
      const final = await until(call("GET", `/payments/${created.body.id}?wait=20`));
      expect(final.body.status).toBe("cancelled");
      const trades = await tradeFor(final.body);
      expect(trades.every((t) => t.status !== "TRADE_SUCCESS")).toBe(true);
      const twice = await call("POST", `/payments/${created.body.id}/cancel`);
      expect(twice.body.status).toBe("cancelled");

      const paid = await call("POST", "/payments", { body: body(code("success")), idem: "walk-2" });
      const refused = await call<{ error: { code: string } }>("POST", `/payments/${paid.body.id}/cancel`);
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe("conflict");
    });

    it("refunds partly and then fully, each idempotent by its key, and the sandbox agrees", async () => {
      const paid = await call("POST", "/payments", { body: body(code("success"), 5000), idem: "refund-sale" });
      type R = { refund: { id: string; amountMinor: number; state: string }; payment: TerminalPaymentView };
      const part = await until(
        call<R>("POST", `/payments/${paid.body.id}/refunds`, { body: { amount: 2000 }, idem: "rf-1" }),
      );
      expect(part.status).toBe(200);
      expect(part.body.refund.amountMinor).toBe(2000);
      const replay = await call<R>("POST", `/payments/${paid.body.id}/refunds`, {
        body: { amount: 2000 },
        idem: "rf-1",
      });
      expect(replay.body.refund.id).toBe(part.body.refund.id);
      const misuse = await call<{ error: { code: string } }>("POST", `/payments/${paid.body.id}/refunds`, {
        body: { amount: 1000 },
        idem: "rf-1",
      });
      expect(misuse.status).toBe(409);
      for (let i = 0; i < 10; i++) await step();
      const rest = await until(call<R>("POST", `/payments/${paid.body.id}/refunds`, { body: {}, idem: "rf-2" }));
      expect(rest.body.refund.amountMinor).toBe(3000);
      for (let i = 0; i < 10; i++) await step();
      const after = await call("GET", `/payments/${paid.body.id}`);
      expect(after.body).toMatchObject({ status: "refunded", refundedAmount: 5000 });
      const [trade] = await tradeFor(after.body);
      expect(trade!.refundedMinor).toBe(5000);
      const over = await call<{ error: { code: string } }>("POST", `/payments/${paid.body.id}/refunds`, {
        body: { amount: 1 },
        idem: "rf-3",
      });
      expect(over.status).toBe(409);
    });

    it("lists the terminal's own payments of a day and hides them from another terminal", async () => {
      const list = await call<{ payments: TerminalPaymentView[] }>("GET", "/payments?date=2026-03-01");
      expect(list.status).toBe(200);
      expect(list.body.payments.length).toBeGreaterThanOrEqual(5);
      expect(list.body.payments.every((p) => p.terminalId === "POS-1")).toBe(true);
      const empty = await call<{ payments: TerminalPaymentView[] }>("GET", "/payments?date=2026-02-28");
      expect(empty.body.payments).toHaveLength(0);
      const theirs = await call<{ payments: TerminalPaymentView[] }>("GET", "/payments?date=2026-03-01", {
        key: otherKey,
      });
      expect(theirs.body.payments).toHaveLength(0);
      const peek = await call<{ error: { code: string } }>("GET", `/payments/${list.body.payments[0]!.id}`, {
        key: otherKey,
      });
      expect(peek.status).toBe(404);
    });

    it("sends signed webhooks, retries after a failure with the same event id, and a replay is refused", async () => {
      for (let i = 0; i < 3; i++) await step(30_000);
      received.length = 0;
      f.failNextHooks(1);
      const created = await call("POST", "/payments", { body: body(code("success"), 700), idem: "hook-1" });
      await step(); // the outbox sees PAID; the first delivery gets a 500
      const mine = () => received.filter((r) => r.body.includes(created.body.id));
      expect(mine()).toHaveLength(1);
      await step(5_000); // before the 10 s back-off: nothing
      expect(mine()).toHaveLength(1);
      await step(6_000);
      expect(mine()).toHaveLength(2);
      const [failed, delivered] = mine() as [(typeof received)[0], (typeof received)[0]];
      expect(failed.headers["kiosk-event-id"]).toBe(delivered.headers["kiosk-event-id"]);
      const nowSeconds = Math.floor(h.clock.now().getTime() / 1000);
      const seen = new Set<string>();
      const check = verifyWebhook({
        secret: webhookSecret,
        header: String(delivered.headers["kiosk-signature"]),
        body: delivered.body,
        nowSeconds,
        seen,
      });
      expect(check.ok).toBe(true);
      const event = JSON.parse(delivered.body) as { id: string; type: string; data: { payment: TerminalPaymentView } };
      expect(event.data.payment).toMatchObject({ id: created.body.id, status: "succeeded" });
      // The same delivery again: refused by its event id; an old one: refused by its timestamp.
      expect(
        verifyWebhook({
          secret: webhookSecret,
          header: String(delivered.headers["kiosk-signature"]),
          body: delivered.body,
          nowSeconds,
          seen,
        }),
      ).toEqual({ ok: false, reason: "replayed" });
      expect(
        verifyWebhook({
          secret: webhookSecret,
          header: String(delivered.headers["kiosk-signature"]),
          body: delivered.body,
          nowSeconds: nowSeconds + 3_600,
        }),
      ).toEqual({ ok: false, reason: "too_old" });
      expect(
        verifyWebhook({
          secret: "whsec_wrong",
          header: String(delivered.headers["kiosk-signature"]),
          body: delivered.body,
          nowSeconds,
        }),
      ).toEqual({ ok: false, reason: "bad_signature" });
      expect(signWebhook(webhookSecret, 1, "{}")).toMatch(/^t=1,v1=[0-9a-f]{64}$/);
      // Delivered once: later ticks send nothing more for it.
      await step(60_000);
      expect(mine()).toHaveLength(2);
    });

    it("documents every partner route in the OpenAPI document", async () => {
      const doc = (await (await fetch(`${api.baseUrl}/api/openapi.json`)).json()) as {
        paths: Record<string, Record<string, { parameters?: { name: string }[]; servers?: { url: string }[] }>>;
        components: { securitySchemes: Record<string, unknown> };
      };
      const partnerPaths = Object.keys(doc.paths).filter((p) => p.startsWith("/api/partner/v1/"));
      expect(partnerPaths.sort()).toEqual(
        [
          "/api/partner/v1/payments",
          "/api/partner/v1/payments/{id}",
          "/api/partner/v1/payments/{id}/cancel",
          "/api/partner/v1/payments/{id}/events",
          "/api/partner/v1/payments/{id}/receipt",
          "/api/partner/v1/payments/{id}/refunds",
        ].sort(),
      );
      const create = doc.paths["/api/partner/v1/payments"]!.post!;
      expect(create.parameters?.map((p) => p.name)).toContain("Idempotency-Key");
      expect(create.servers?.[0]?.url).toBe("http://kiosk.test");
      expect(doc.components.securitySchemes.TerminalKey).toBeTruthy();
      // Each documented route exists: without a key it is 401, never 404.
      for (const path of partnerPaths) {
        for (const method of Object.keys(doc.paths[path]!)) {
          const res = await fetch(`${api.baseUrl}${path.replace("{id}", "tpay_x")}`, { method: method.toUpperCase() });
          expect(res.status, `${method} ${path}`).toBe(401);
        }
      }
    });

    it("shows terminal payments in the console and manages terminals by role", async () => {
      const viewer = await h.staffSession("viewer");
      const admin = await h.staffSession("admin");
      const asViewer = h.caller({ sessionToken: viewer.token });
      const asAdmin = h.caller({ sessionToken: admin.token });
      const paid = await call("POST", "/payments", { body: body(code("success"), 990), idem: "console-1" });
      const { items } = await asViewer.console.transactions({
        text: paid.body.paymentId!,
        fromDay: "2026-03-01",
        toDay: "2026-03-02",
      });
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ channel: "terminal", state: "PAID", amountMinor: 990 });
      const till = await asViewer.terminal.till({ fromDay: "2026-03-01", toDay: "2026-03-02", zone: "UTC" });
      const pos = till.find((s) => s.storeId === "GIFTSHOP")!;
      const paidHere = await h.services.db.order.findMany({
        where: {
          channel: "terminal",
          state: { in: ["paid", "partially_refunded", "refunded"] },
          externalRef: { startsWith: "R-" },
        },
        select: { totalMinor: true, refundedMinor: true },
      });
      expect(pos.totals.salesTotalMinor).toBe(paidHere.reduce((n, o) => n + o.totalMinor, 0));
      expect(pos.totals.netTotalMinor).toBe(paidHere.reduce((n, o) => n + o.totalMinor - o.refundedMinor, 0));

      await expect(
        asViewer.terminal.create({ attractionId: ATTRACTION, storeId: "S2", terminalCode: "T2", name: "No" }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
      const made = await asAdmin.terminal.create({
        attractionId: ATTRACTION,
        storeId: "S2",
        terminalCode: "T2",
        name: "Kiosk bar",
      });
      expect(made.key).toMatch(/^ktm_[0-9a-f]{8}_/);
      const listed = await asViewer.terminal.list();
      expect(JSON.stringify(listed)).not.toContain(made.key);
      expect(JSON.stringify(listed)).not.toContain(made.webhookSecret);
      await expect(
        asAdmin.terminal.create({ attractionId: ATTRACTION, storeId: "S2", terminalCode: "T2", name: "Twice" }),
      ).rejects.toMatchObject({ code: "CONFLICT" });
      expect((await call("GET", "/payments?date=2026-03-01", { key: made.key })).status).toBe(200);
      await asAdmin.terminal.setActive({ terminalId: made.terminal.id, isActive: false });
      expect((await call("GET", "/payments?date=2026-03-01", { key: made.key })).status).toBe(401);
    });

    it("lets the worker's deadline cancel end a PIN wait nobody finishes, and says so in a webhook", async () => {
      const created = await call("POST", "/payments", { body: body(code("pin_wait_never"), 430), idem: "deadline-1" });
      expect(created.body.status).toBe("processing");
      const final = await until(call("GET", `/payments/${created.body.id}?wait=25`), 400);
      expect(final.body.status).toBe("cancelled");
      const trades = await tradeFor(final.body);
      expect(trades.every((t) => t.status !== "TRADE_SUCCESS")).toBe(true);
      await step();
      const events = received
        .filter((r) => r.body.includes(created.body.id))
        .map((r) => JSON.parse(r.body) as { data: { payment: TerminalPaymentView } });
      expect(events.at(-1)?.data.payment.status).toBe("cancelled");
    });

    it("sends the pay exactly once when a crash left the payment recorded but not sent", async () => {
      const request = body(code("success"), 610);
      const terminal = await h.services.db.terminal.findFirstOrThrow({ where: { storeId: "GIFTSHOP" } });
      const now = h.clock.now();
      // What `create` commits before the pay request leaves, and nothing more (the process died there).
      await h.services.db.order.create({
        data: {
          id: "ord_crashed1",
          attractionId: ATTRACTION,
          channel: "terminal",
          externalRef: request.reference,
          state: "pending",
          currency: "SGD",
          totalMinor: 610,
          expiresAt: new Date(now.getTime() + 300_000),
          createdAt: now,
        },
      });
      await h.services.db.terminalPayment.create({
        data: {
          id: "tpay_crashed1",
          terminalId: terminal.id,
          orderId: "ord_crashed1",
          idempotencyKey: "crash-1",
          requestHash: requestHash(request),
          reference: request.reference,
          subject: request.subject,
          amountMinor: 610,
          currency: "SGD",
          createdAt: now,
        },
      });
      const before = await call("GET", "/payments/tpay_crashed1");
      expect(before.body).toMatchObject({ status: "processing", paymentId: null });
      const retried = await call("POST", "/payments", { body: request, idem: "crash-1" });
      expect(retried.status).toBe(200);
      expect(retried.body).toMatchObject({ id: "tpay_crashed1", status: "succeeded" });
      const again = await call("POST", "/payments", { body: request, idem: "crash-1" });
      expect(again.body.paymentId).toBe(retried.body.paymentId);
      expect(await tradeFor(again.body)).toHaveLength(1);
      expect(await h.services.db.payment.count({ where: { orderId: "ord_crashed1" } })).toBe(1);
    });

    it("pays through the documented Node terminal client (docs/partner-terminal-client.mjs)", async () => {
      const file = fileURLToPath(new URL("../../../../docs/partner-terminal-client.mjs", import.meta.url));
      const mod = (await import(pathToFileURL(file).href)) as {
        createTerminalClient(o: Record<string, string>): {
          pay(i: { amount: number; paymentCode: string }): Promise<TerminalPaymentView>;
          refund(id: string, amount?: number): Promise<{ payment: TerminalPaymentView }>;
        };
      };
      const client = mod.createTerminalClient({
        baseUrl: api.baseUrl,
        key,
        storeId: "GIFTSHOP",
        terminalId: "POS-1",
        currency: "SGD",
      });
      const instant = await client.pay({ amount: 300, paymentCode: code("success") });
      expect(instant.status).toBe("succeeded");
      const pin = await until(client.pay({ amount: 450, paymentCode: code("pin_wait_confirm", { parameter: 3 }) }));
      expect(pin.status).toBe("succeeded");
      const declined = await client.pay({ amount: 450, paymentCode: code("insufficient_balance") });
      expect(declined.status).toBe("failed");
      await expect(client.pay({ amount: 450, paymentCode: "123" })).rejects.toMatchObject({ code: "invalid_request" });
      const refunded = await until(client.refund(instant.id));
      expect(["refunded", "refunding"]).toContain(refunded.payment.status);
    });

    it("limits each terminal's request rate with a typed 429", async () => {
      const t = await h.services.money.partner.terminals.create({
        attractionId: ATTRACTION,
        storeId: "BURST",
        terminalCode: "T1",
        name: "Burst",
      });
      const answers = await Promise.all(
        Array.from({ length: 70 }, () =>
          call<{ error?: { code: string } }>("GET", "/payments?date=2026-03-01", { key: t.key }),
        ),
      );
      const limited = answers.filter((a) => a.status === 429);
      expect(limited.length).toBeGreaterThan(0);
      expect(limited[0]!.body.error?.code).toBe("rate_limited");
      // Another terminal is not affected.
      expect((await call("GET", "/payments?date=2026-03-01")).status).toBe(200);
    });

    it("refuses a disabled terminal's key", async () => {
      const t = await h.services.money.partner.terminals.create({
        attractionId: ATTRACTION,
        storeId: "KIOSKBAR",
        terminalCode: "T1",
        name: "Bar",
      });
      expect((await call("GET", "/payments?date=2026-03-01", { key: t.key })).status).toBe(200);
      await h.services.money.partner.terminals.setActive(t.terminal.id, false);
      expect((await call("GET", "/payments?date=2026-03-01", { key: t.key })).status).toBe(401);
    });
  });
}
