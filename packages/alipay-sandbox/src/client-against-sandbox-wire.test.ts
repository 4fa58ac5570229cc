/**
 * The real client against the real sandbox (see client-against-sandbox.test.ts): a late pay after
 * a cancel, notifications, tampered and forged answers, per row.
 */
import { describe, expect, it } from "vitest";
import { AlipaySignatureError, signParams, type AlipayClient } from "@kiosk/alipay-core";
import { scenarioCode } from "./scenarios.ts";
import {
  ROWS,
  CURRENCY,
  AMOUNT,
  SUBJECT,
  PIN_CONFIRM_SECONDS,
  forgerKey,
  closeAfterEach,
  type Harness,
  setup,
  newId,
  pay,
  tradesOf,
  onlyTrade,
  merchantBalance,
  expectCharged,
  expectNothingCharged,
  finalState,
  startTamperProxy,
  receiver,
} from "./__tests__/client-harness.ts";

closeAfterEach();

describe.each(ROWS)("$name: client against the sandbox", (row) => {
  // Antom's notifyPayment is not sent by the sandbox yet: no notification describes for its row.
  if (row.protocol !== "antom")
    describe("a pay that reaches the ledger after a cancel that found no trade", () => {
      it("the cancel names no trade, the charge still lands and is notified, and a later cancel reverses it", async () => {
        const r = await receiver();
        const h = await setup(row, { notifyUrl: r.url });
        const id = newId(row, "latepay");
        const paid = await h.client.pay({
          partnerTransId: id,
          amountMinor: AMOUNT,
          currency: CURRENCY,
          paymentCode: scenarioCode("unknown_late_paid", { parameter: 10 }),
          subject: SUBJECT,
        });
        expect(paid.status).toBe("unknown");
        // MAPI: SUCCESS without trade_no; OpenAPI: 10000 without action. Neither proves a cancel.
        expect(await h.client.cancel({ partnerTransId: id })).toEqual({
          status: "not_found",
          partnerTransId: id,
        });
        expect(tradesOf(h, id)).toHaveLength(0);
        await h.coreClock.sleep(10_000);
        const trade = onlyTrade(h, id);
        expect(trade.status).toBe("TRADE_SUCCESS");
        expectCharged(h, trade);
        const notified = r.received.map((n) => h.client.verifyNotification(n.params));
        expect(notified).toContainEqual(
          expect.objectContaining({
            partnerTransId: id,
            status: "paid",
            amountMinor: AMOUNT,
            currency: CURRENCY,
            foreignIdentity: undefined,
          }),
        );
        expect(await h.client.query({ partnerTransId: id, currency: CURRENCY })).toMatchObject({ status: "paid" });
        expect(await h.client.cancel({ partnerTransId: id })).toMatchObject({
          status: "cancelled",
          alipayTransId: trade.tradeNo,
        });
        expect(onlyTrade(h, id)).toMatchObject({
          status: "TRADE_CLOSED",
          cancelAction: "refund",
        });
        expectNothingCharged(h, onlyTrade(h, id));
      });
    });

  if (row.protocol !== "antom")
    describe("notifications", () => {
      it("the sandbox posts a signed notification that verifyNotification accepts; tampered and forged ones are rejected", async () => {
        const r = await receiver();
        const h = await setup(row, { notifyUrl: r.url });
        const run = await pay(h, scenarioCode("success"), "notify");
        expect(finalState(run).state).toBe("PAID");
        await h.sandbox.tick();
        expect(r.received).toHaveLength(1);
        const params = (r.received[0] as { params: Record<string, string> }).params;
        expect(h.sandbox.store.notifications[0]?.status).toBe("delivered");

        const verified = h.client.verifyNotification(params);
        expect(verified).toMatchObject({
          protocol: h.row.protocol,
          partnerTransId: run.id,
          alipayTransId: onlyTrade(h, run.id).tradeNo,
          status: "paid",
          amountMinor: AMOUNT,
          currency: CURRENCY,
          foreignIdentity: undefined,
        });

        const amountField = h.row.protocol === "mapi" ? "trans_amount" : "total_amount";
        expect(params[amountField]).toBe("12.34");
        const tampered: Array<Record<string, string>> = [
          { ...params, [amountField]: "0.01" },
          { ...params, trade_status: "TRADE_CLOSED" },
          { ...params, out_trade_no: `${run.id}X` },
        ];
        for (const t of tampered) expect(() => h.client.verifyNotification(t)).toThrow(AlipaySignatureError);

        // Forged: the same fields signed with a key that is not Alipay's.
        const unsigned = { ...params };
        delete unsigned["sign"];
        delete unsigned["sign_type"];
        const key = forgerKey(h.row);
        const forged = {
          ...unsigned,
          sign: signParams(unsigned, key),
          sign_type: key.signType,
        };
        expect(() => h.client.verifyNotification(forged)).toThrow(AlipaySignatureError);
        expect(() => h.client.verifyNotification(unsigned)).toThrow(AlipaySignatureError);
      });

      it("a PIN confirmed later is notified when the sandbox clock reaches it", async () => {
        const r = await receiver();
        const h = await setup(row, { notifyUrl: r.url });
        const run = await pay(h, scenarioCode("pin_wait_confirm", { parameter: PIN_CONFIRM_SECONDS }), "notifypin");
        expect(finalState(run).state).toBe("PAID");
        await h.sandbox.tick();
        const statuses = r.received.map((n) => h.client.verifyNotification(n.params).status);
        expect(statuses).toContain("paid");
      });
    });

  describe("a tampered or forged answer is rejected, for each service", () => {
    type Service = "pay" | "query" | "cancel" | "refund" | "refund_query";
    const SERVICES: readonly Service[] = ["pay", "query", "cancel", "refund", "refund_query"];

    /** Pays (unless testing pay) so query / cancel / refund have a paid trade. */
    async function prepare(h: Harness, service: Service): Promise<string> {
      if (service === "pay") return newId(h.row, "tamperpay");
      const run = await pay(h, scenarioCode("success"), `tamper${service}`);
      expect(finalState(run).state).toBe("PAID");
      return run.id;
    }

    function call(client: AlipayClient, service: Service, id: string): Promise<unknown> {
      switch (service) {
        case "pay":
          return client.pay({
            partnerTransId: id,
            amountMinor: AMOUNT,
            currency: CURRENCY,
            paymentCode: scenarioCode("success"),
            subject: SUBJECT,
          });
        case "query":
          return client.query({ partnerTransId: id, currency: CURRENCY });
        case "cancel":
          return client.cancel({ partnerTransId: id });
        case "refund":
          return client.refund({
            partnerTransId: id,
            partnerRefundId: `${id}_R`,
            amountMinor: 100,
            currency: CURRENCY,
          });
        case "refund_query":
          return client.refundQuery({
            partnerTransId: id,
            partnerRefundId: `${id}_R`,
            amountMinor: 100,
            currency: CURRENCY,
          });
      }
    }

    /** After the rejected answer, a clean retry (same ids) gives the real, single outcome. */
    async function checkAfter(h: Harness, service: Service, id: string): Promise<void> {
      const trade = onlyTrade(h, id);
      const again = await call(h.client, service, id);
      switch (service) {
        case "pay":
          // The forged SUCCESS was not believed; the trade was charged exactly once.
          expectCharged(h, trade);
          // A resend with the same id is told the trade exists: unknown → query, never failed.
          // Antom is idempotent on paymentRequestId: the same final result (paid) again.
          expect(again).toMatchObject(
            h.row.protocol === "antom"
              ? { status: "paid", alipayTransId: trade.tradeNo }
              : {
                  status: "unknown",
                  isSystemError: false,
                  reason: h.row.protocol === "mapi" ? "TRADE_HAS_SUCCESS" : "ACQ.TRADE_HAS_SUCCESS",
                },
          );
          await expect(h.client.query({ partnerTransId: id, currency: CURRENCY })).resolves.toMatchObject({
            status: "paid",
          });
          break;
        case "query":
          expect(again).toMatchObject({
            status: "paid",
            alipayTransId: trade.tradeNo,
          });
          expectCharged(h, trade);
          break;
        case "cancel":
          expect(again).toMatchObject({ status: "cancelled" });
          expect(trade.status).toBe("TRADE_CLOSED");
          expect(h.sandbox.store.refundsOf(trade.tradeNo)).toHaveLength(1);
          expectNothingCharged(h, trade);
          break;
        case "refund":
          // The repeat moves no money: MAPI repeats the success, OpenAPI says fund_change=N.
          expect(again).toMatchObject(
            h.row.protocol === "openapi" ? { status: "accepted" } : { status: "refunded", refundAmountMinor: 100 },
          );
          expect(h.sandbox.store.refundsOf(trade.tradeNo)).toHaveLength(1);
          expect(merchantBalance(h)).toBe(AMOUNT - 100);
          break;
        case "refund_query":
          expect(again).toMatchObject({ status: "not_found" });
          expect(h.sandbox.store.refundsOf(trade.tradeNo)).toHaveLength(0);
          expectCharged(h, trade);
          break;
      }
    }

    // MAPI settlement files are unsigned text (isSigned: false); OpenAPI signs the bill link.
    if (row.protocol === "openapi")
      it("bill download url: a corrupted signature is rejected", async () => {
        const h = await setup(row);
        await h.coreClock.sleep(24 * 60 * 60 * 1000);
        h.sandbox.setFaults({ badSignatureNext: 1 });
        await expect(h.client.downloadSettlement({ startDate: "2024-01-01" })).rejects.toBeInstanceOf(
          AlipaySignatureError,
        );
        await expect(h.client.downloadSettlement({ startDate: "2024-01-01" })).resolves.toMatchObject({
          format: "download_url",
        });
      });

    it.each(SERVICES)("%s: corrupted signature (sandbox fault badSignatureNext)", async (service) => {
      const h = await setup(row);
      const id = await prepare(h, service);
      h.sandbox.setFaults({ badSignatureNext: 1 });
      await expect(call(h.client, service, id)).rejects.toBeInstanceOf(AlipaySignatureError);
      expect(h.sandbox.store.faults.badSignatureNext).toBe(0);
      await checkAfter(h, service, id);
    });

    it.each(SERVICES)("%s: one digit of the signed answer flipped in transit (proxy)", async (service) => {
      const h = await setup(row);
      const proxy = await startTamperProxy(h.sandbox);
      const client = h.makeClient({ gatewayUrl: proxy.gatewayUrl });
      const id = await prepare(h, service);
      proxy.arm();
      const error = await call(client, service, id).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AlipaySignatureError);
      await checkAfter(h, service, id);
    });
  });
});
