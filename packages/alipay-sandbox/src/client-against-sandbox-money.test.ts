/**
 * The real client against the real sandbox (see client-against-sandbox.test.ts): SYSTEM_ERROR
 * resends, cancel, refunds, settlement and bills, per row.
 */
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { fetchBill, runPayment, runRefund, type AlipayClient } from "@kiosk/alipay-core";
import { scenarioCode } from "./scenarios.ts";
import {
  ROWS,
  spelled,
  CURRENCY,
  AMOUNT,
  SUBJECT,
  closeAfterEach,
  setup,
  newId,
  pay,
  onlyTrade,
  merchantBalance,
  expectOnlyId,
  payRequests,
  expectCharged,
  expectNothingCharged,
  finalState,
} from "./__tests__/client-harness.ts";

closeAfterEach();

describe.each(ROWS)("$name: client against the sandbox", (row) => {
  describe("SYSTEM_ERROR before processing", () => {
    it("resends the pay with the same partner_trans_id and charges once", async () => {
      const h = await setup(row);
      h.sandbox.setFaults({ systemErrorNext: 1 });
      const run = await pay(h, scenarioCode("success"), "sysfault");
      expect(finalState(run).state).toBe("PAID");
      // pay → SYSTEM_ERROR (nothing recorded) → query: not found → pay again, same id.
      expect(run.transitions.map((t) => t.event.type)).toEqual([
        h.row.protocol === "mapi" ? "pay_error" : "pay_result",
        "query_result",
        "pay_result",
      ]);
      expect(run.transitions[1]?.event).toMatchObject({
        result: { status: "not_found" },
      });
      expect(payRequests(h)).toHaveLength(2);
      // The resend is the same request, byte for byte, although the clock moved on (issue 14).
      const payMark = spelled(h.row, {
        mapi: "service=alipay.acquire.overseas.spot.pay",
        openapi: "method=alipay.trade.pay",
        antom: "/ams/api/v1/payments/pay\n",
      });
      const pays = h.wire.filter((w) => w.includes(payMark));
      expect(pays).toHaveLength(2);
      expect(pays[1]).toBe(pays[0]);
      expectOnlyId(h, run.id);
      expectCharged(h, onlyTrade(h, run.id));
    });

    it("resends again after a second SYSTEM_ERROR on the resend (maxPayRetries = 2)", async () => {
      const h = await setup(row);
      h.sandbox.setFaults({ systemErrorNext: 1 });
      const id = newId(row, "sysfault2");
      const result = await runPayment({
        client: h.client,
        clock: h.coreClock,
        payment: {
          partnerTransId: id,
          amountMinor: AMOUNT,
          currency: CURRENCY,
          paymentCode: scenarioCode("success"),
          subject: SUBJECT,
        },
        onTransition: (record) => {
          // The first resend fails with SYSTEM_ERROR as well.
          if (record.commands.some((c) => c.type === "pay" && c.attempt === 2))
            h.sandbox.setFaults({ systemErrorNext: 1 });
        },
      });
      expect(result.state.state).toBe("PAID");
      expect(result.state.payAttempts).toBe(3);
      expect(payRequests(h)).toHaveLength(3);
      expectOnlyId(h, id);
      expectCharged(h, onlyTrade(h, id));
    });
  });

  describe("cancel", () => {
    it("reverses a paid trade (money back, TRADE_CLOSED); cancelling again changes nothing", async () => {
      const h = await setup(row);
      const run = await pay(h, scenarioCode("success"), "cancelpaid");
      expect(finalState(run).state).toBe("PAID");
      const trade = onlyTrade(h, run.id);
      expectCharged(h, trade);

      const cancelled = await h.client.cancel({ partnerTransId: run.id });
      expect(cancelled).toMatchObject({
        status: "cancelled",
        partnerTransId: run.id,
        ...(h.row.protocol === "openapi" ? { action: "refund" } : {}),
      });
      expect(trade).toMatchObject({
        status: "TRADE_CLOSED",
        closeReason: "cancelled",
        cancelAction: "refund",
      });
      expectNothingCharged(h, trade);
      await expect(h.client.query({ partnerTransId: run.id, currency: CURRENCY })).resolves.toMatchObject({
        status: "closed",
      });

      await expect(h.client.cancel({ partnerTransId: run.id })).resolves.toMatchObject({ status: "cancelled" });
      expect(h.sandbox.store.refundsOf(trade.tradeNo)).toHaveLength(1);
      expectNothingCharged(h, trade);
    });

    it("cancel pressed while the pay is in flight: the machine reverses the paid trade", async () => {
      const h = await setup(row);
      const id = newId(row, "cancelsending");
      const pressed = new AbortController();
      pressed.abort();
      const result = await runPayment({
        client: h.client,
        clock: h.coreClock,
        cancelSignal: pressed.signal,
        payment: {
          partnerTransId: id,
          amountMinor: AMOUNT,
          currency: CURRENCY,
          paymentCode: scenarioCode("success"),
          subject: SUBJECT,
        },
      });
      expect(result.state).toMatchObject({
        state: "CANCELLED",
        cancelReason: "visitor",
        cancelOutcome: "cancelled",
      });
      const trade = onlyTrade(h, id);
      expect(trade.paidAt).toBeDefined();
      expect(trade).toMatchObject({
        status: "TRADE_CLOSED",
        cancelAction: "refund",
      });
      expectNothingCharged(h, trade);
    });
  });

  describe("refund", () => {
    it("partial, over-refund refused, then the rest (full); a repeat moves no money", async () => {
      const h = await setup(row);
      const run = await pay(h, scenarioCode("success"), "refund");
      const paid = finalState(run);
      expect(paid.state).toBe("PAID");
      const trade = onlyTrade(h, run.id);
      const payment = {
        paymentCode: scenarioCode("success"),
        subject: SUBJECT,
      };

      const partial = await runRefund({
        client: h.client,
        clock: h.coreClock,
        state: paid,
        partnerRefundId: `${run.id}_R1`,
        amountMinor: 500,
        payment,
      });
      expect(partial.state).toMatchObject({
        state: "PARTIALLY_REFUNDED",
        refundedMinor: 500,
      });
      expect(merchantBalance(h)).toBe(AMOUNT - 500);
      expect(trade.status).toBe("TRADE_SUCCESS");

      // More than the 734 left: Alipay refuses, nothing moves.
      const over = await h.client.refund({
        partnerTransId: run.id,
        partnerRefundId: `${run.id}_R2`,
        amountMinor: 800,
        currency: CURRENCY,
      });
      expect(over).toMatchObject({
        status: "failed",
        reason: spelled(h.row, {
          mapi: "REFUND_AMT_NOT_EQUAL_TOTAL",
          openapi: "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
          antom: "REFUND_AMOUNT_EXCEED",
        }),
      });
      expect(merchantBalance(h)).toBe(AMOUNT - 500);
      // The machine refuses it before sending as well.
      const overByMachine = await runRefund({
        client: h.client,
        clock: h.coreClock,
        state: partial.state,
        partnerRefundId: `${run.id}_R2`,
        amountMinor: 800,
        payment,
      });
      expect(overByMachine.state.state).toBe("PARTIALLY_REFUNDED");

      const rest = await runRefund({
        client: h.client,
        clock: h.coreClock,
        state: partial.state,
        partnerRefundId: `${run.id}_R3`,
        amountMinor: AMOUNT - 500,
        payment,
      });
      expect(rest.state).toMatchObject({
        state: "REFUNDED",
        refundedMinor: AMOUNT,
      });
      expect(trade).toMatchObject({
        status: "TRADE_CLOSED",
        closeReason: "refunded",
        refundedMinor: AMOUNT,
      });
      expectNothingCharged(h, trade);

      // Same partner_refund_id and amount again: no money moved. MAPI repeats the success;
      // OpenAPI says fund_change=N (accepted), and the refund query confirms the refund.
      const repeatInput = {
        partnerTransId: run.id,
        partnerRefundId: `${run.id}_R3`,
        amountMinor: AMOUNT - 500,
        currency: CURRENCY,
      };
      await expect(h.client.refund(repeatInput)).resolves.toMatchObject({
        status: h.row.protocol === "openapi" ? "accepted" : "refunded",
      });
      await expect(h.client.refundQuery(repeatInput)).resolves.toMatchObject({
        status: "refunded",
        refundAmountMinor: AMOUNT - 500,
      });
      expect(h.sandbox.store.refundsOf(trade.tradeNo).map((r) => r.outRefundNo)).toEqual([
        `${run.id}_R1`,
        `${run.id}_R3`,
      ]);
      expectNothingCharged(h, trade);
    });
  });

  describe("refund whose money moves later (refund_delayed)", () => {
    it("is accepted without moving money; the refund query says so until it moves", async () => {
      const h = await setup(row);
      const code = scenarioCode("refund_delayed", { parameter: 90 });
      const run = await pay(h, code, "delayed");
      expect(finalState(run).state).toBe("PAID");
      const input = {
        partnerTransId: run.id,
        partnerRefundId: `${run.id}_R1`,
        amountMinor: AMOUNT,
        currency: CURRENCY,
      };
      const before = merchantBalance(h);
      await expect(h.client.refundQuery(input)).resolves.toMatchObject({
        status: "not_found",
      });
      await expect(h.client.refund(input)).resolves.toMatchObject({
        status: h.row.protocol === "mapi" ? "unknown" : "accepted",
      });
      await expect(h.client.refundQuery(input)).resolves.toMatchObject({
        status: "pending",
      });
      expect(merchantBalance(h)).toBe(before);
      // A repeat (same id) is still not done, and moves nothing either.
      await expect(h.client.refund(input)).resolves.toMatchObject({
        status: h.row.protocol === "mapi" ? "unknown" : "accepted",
      });
      await h.coreClock.sleep(90_000);
      await expect(h.client.refundQuery(input)).resolves.toMatchObject({
        status: "refunded",
        refundAmountMinor: AMOUNT,
      });
      expect(merchantBalance(h)).toBe(before - AMOUNT);
      expect(onlyTrade(h, run.id)).toMatchObject({
        status: "TRADE_CLOSED",
        refundedMinor: AMOUNT,
      });
    });
  });

  // Antom delivers settlement reports by SFTP (not simulated): no settlement describe for its row.
  if (row.protocol !== "antom")
    describe("settlement / bill of the day", () => {
      it("lists exactly the payments, refunds and reversals done that day", async () => {
        const h = await setup(row);
        const a = await pay(h, scenarioCode("success", { serial: 1 }), "billA");
        const b = await pay(h, scenarioCode("success", { serial: 2 }), "billB", 2000);
        const failed = await pay(h, scenarioCode("insufficient_balance"), "billF");
        const never = await pay(h, scenarioCode("pin_wait_never"), "billN");
        const d = await pay(h, scenarioCode("success", { serial: 3 }), "billD");
        expect([a, b, failed, never, d].map((r) => finalState(r).state)).toEqual([
          "PAID",
          "PAID",
          "FAILED",
          "CANCELLED",
          "PAID",
        ]);
        await expect(
          h.client.refund({
            partnerTransId: b.id,
            partnerRefundId: `${b.id}_R1`,
            amountMinor: 500,
            currency: CURRENCY,
          }),
        ).resolves.toMatchObject({ status: "refunded" });
        await expect(h.client.cancel({ partnerTransId: d.id })).resolves.toMatchObject({ status: "cancelled" });

        // Expected movements, from the sandbox's own records.
        type Line = {
          kind: "PAYMENT" | "REFUND" | "CANCEL";
          id: string;
          amountMinor: number;
        };
        const expected: Line[] = [
          { kind: "PAYMENT", id: a.id, amountMinor: AMOUNT },
          { kind: "PAYMENT", id: b.id, amountMinor: 2000 },
          { kind: "REFUND", id: b.id, amountMinor: 500 },
          { kind: "PAYMENT", id: d.id, amountMinor: AMOUNT },
          { kind: "CANCEL", id: d.id, amountMinor: AMOUNT },
        ];
        const sortLines = (lines: Line[]): Line[] =>
          [...lines].sort((x, y) => `${x.id}${x.kind}`.localeCompare(`${y.id}${y.kind}`));

        // The files exist once the day is over (end date before today).
        await h.coreClock.sleep(2 * 24 * 60 * 60 * 1000);

        const toLines = (result: Awaited<ReturnType<AlipayClient["downloadSettlement"]>>): Line[] => {
          if (result.format !== "records") throw new Error(result.format);
          return result.records.map((r) => ({
            kind: r.transactionType as Line["kind"],
            id: r.transactionType === "PAYMENT" ? r.partnerTransId : r.remarks.replace("partner_trans_id=", ""),
            amountMinor: Math.abs(r.amountMinor),
          }));
        };
        if (h.row.protocol === "mapi") {
          const transactions = await h.client.downloadSettlement({
            startDate: "2024-01-01",
            kind: "transactions",
          });
          expect(sortLines(toLines(transactions))).toEqual(sortLines(expected));
          if (transactions.format === "records") {
            const refund = transactions.records.find((r) => r.transactionType === "REFUND");
            expect(refund?.partnerTransId).toBe(`${b.id}_R1`);
            expect(transactions.isSigned).toBe(false);
          }
          // The liquidation file lists the same movements under the next (settlement) day.
          const liquidation = await h.client.downloadSettlement({
            startDate: "2024-01-02",
            kind: "settlement",
          });
          expect(sortLines(toLines(liquidation))).toEqual(sortLines(expected));
        } else {
          const result = await h.client.downloadSettlement({
            startDate: "2024-01-01",
          });
          if (result.format !== "download_url") throw new Error(`expected a download url, got ${result.format}`);
          expect(result.downloadUrl.startsWith(h.sandbox.url)).toBe(true);
          const bill = await fetchBill(result.downloadUrl);
          const entries = Object.entries(unzipSync(bill.bytes)).map(([name, data]) => ({ name, data }));
          const detail = entries.find((e) => e.name.endsWith("_业务明细.csv"));
          if (detail === undefined) throw new Error("no detail CSV in the bill");
          // GBK, as Alipay writes its bills.
          const rows = new TextDecoder("gbk")
            .decode(detail.data)
            .split("\r\n")
            .filter((l) => l !== "" && !l.startsWith("#"))
            .slice(1)
            .map((l) => l.split(","));
          const lines = rows.map((cells): Line => {
            const amountText = cells[11] ?? "";
            const isPayment = cells[2] === "交易";
            return {
              kind: isPayment ? "PAYMENT" : cells[24] === "撤销" ? "CANCEL" : "REFUND",
              id: cells[1] ?? "",
              amountMinor: Math.round(Math.abs(Number(amountText)) * 100),
            };
          });
          expect(sortLines(lines)).toEqual(sortLines(expected));
          // Every listed trade number is a real trade of the sandbox.
          for (const cells of rows) expect(h.sandbox.store.trades.get(cells[0] ?? "")).toBeDefined();
          // alipay-core reads the same archive into the rows the MAPI file gives.
          const read = await h.client.downloadSettlement({
            startDate: "2024-01-01",
            readBillArchive: true,
            billCurrency: CURRENCY,
          });
          expect(sortLines(toLines(read))).toEqual(sortLines(expected));
          if (read.format === "records")
            expect(read.records.find((r) => r.transactionType === "REFUND")?.partnerTransId).toBe(`${b.id}_R1`);
        }
      });
    });
});
