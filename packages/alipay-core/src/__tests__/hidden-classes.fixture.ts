/**
 * Run by hidden-classes.test.ts as `node --allow-natives-syntax --import tsx` (V8 intrinsics are
 * not JavaScript, so they are reached through `new Function`). Calls each hot builder a few
 * thousand times, then prints, per builder, whether two fresh results share a hidden class.
 */
import { buildMapiPayParams } from "../mapi/params.ts";
import { DEFAULT_PAYMENT_POLICY, startPayment, transition, type PaymentState } from "../payment-machine.ts";

const haveSameMap = new Function("a", "b", "return %HaveSameMap(a, b)") as (a: object, b: object) => boolean;
const T0 = Date.UTC(2026, 11, 6, 12);

function started(i: number): PaymentState {
  return startPayment(
    { partnerTransId: `kiosk_${i}`, amountMinor: 1000 + i, currency: "CNY" },
    DEFAULT_PAYMENT_POLICY,
    T0,
  ).state;
}

const builders: Record<string, (i: number) => object> = {
  "payment-machine: SENDING → PAID": (i) =>
    transition(
      started(i),
      {
        type: "pay_result",
        result: {
          status: "paid",
          partnerTransId: `kiosk_${i}`,
          alipayTransId: `2026${i}`,
          paidAt: new Date(T0),
          amountMinor: 1000 + i,
          currency: "CNY",
        },
      } as never,
      DEFAULT_PAYMENT_POLICY,
      T0 + 100,
    ).state,
  "payment-machine: SENDING → POLLING": (i) =>
    transition(
      started(i),
      {
        type: "pay_result",
        result: { status: "waiting_buyer", partnerTransId: `kiosk_${i}`, alipayTransId: `2026${i}` },
      } as never,
      DEFAULT_PAYMENT_POLICY,
      T0 + 100,
    ).state,
  "mapi params: pay": (i) =>
    buildMapiPayParams(
      { partnerId: "2088101122136241" },
      {
        partnerTransId: `kiosk_${i}`,
        amountMinor: 1000 + i,
        currency: "CNY",
        paymentCode: String(281_000_000_000_000_000n + BigInt(i)),
        subject: "Skyline day ticket",
        createdAtMs: T0,
        merchant: { secondaryMerchantId: "S1", secondaryMerchantName: "Skyline" },
      },
    ),
};

const answer: Record<string, boolean> = {};
for (const [name, build] of Object.entries(builders)) {
  for (let i = 0; i < 3000; i++) build(i);
  answer[name] = haveSameMap(build(1), build(2));
}
process.stdout.write(JSON.stringify(answer));
