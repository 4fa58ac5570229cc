/**
 * A money-path process for the crash test: `first` starts purchases (pausing some of them
 * before or after the pay request) with the worker running, and waits to be SIGKILLed;
 * `resume` is the restarted process: it runs the worker until nothing is left to do.
 * Lines on stdout tell the parent where it is.
 */
import { createDb, tuneSqlite, type DbProvider } from "@kiosk/db";
import { FakeClock } from "../../clock.ts";
import type { AlipayGateway } from "../gateway.ts";
import { createMoneyServices } from "../index.ts";
import { fileTicketKeys } from "../ticket-keys.ts";
import { createAlipay, KIOSK, ADULT, SLOT_14 } from "./harness.ts";

interface Plan {
  label: string;
  code: string;
  pause?: "before_pay" | "after_pay";
}

interface Args {
  mode: "first" | "resume";
  dbUrl: string;
  provider: DbProvider;
  gatewayUrl: string;
  keysDir: string;
  instanceId: string;
  plans: Plan[];
}

const args = JSON.parse(process.argv[2] as string) as Args;
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const systemClock = { now: () => new Date() };

const handle = createDb({ url: args.dbUrl });
await tuneSqlite(handle);
const clockForClient = new FakeClock();
clockForClient.now = () => new Date();
const real = createAlipay({ gatewayUrl: args.gatewayUrl, clock: clockForClient });
const pauseById = new Map<string, Plan["pause"]>();
const labelByCode = new Map(args.plans.map((p) => [p.code, p]));
const planByTrade = new Map<string, (typeof args.plans)[number]>();
const alipay: AlipayGateway = {
  ...real,
  protocol: real.protocol,
  pay: async (request, options) => {
    const plan = labelByCode.get(request.paymentCode);
    if (plan?.pause === "before_pay") {
      say(`PAUSED ${plan.label} before_pay`);
      return new Promise(() => undefined);
    }
    const result = await real.pay(request, options);
    if (plan?.pause === "after_pay") {
      say(`PAUSED ${plan.label} after_pay ${result.status}`);
      return new Promise(() => undefined);
    }
    return result;
  },
  // The server signs first (code in hand) and sends the signed bytes: pause by trade id.
  signPay: (request) => {
    const plan = labelByCode.get(request.paymentCode);
    if (plan) planByTrade.set(request.partnerTransId, plan);
    return real.signPay(request);
  },
  sendPay: async (signed, options) => {
    const plan = planByTrade.get(signed.partnerTransId);
    if (plan?.pause === "before_pay") {
      say(`PAUSED ${plan.label} before_pay`);
      return new Promise(() => undefined);
    }
    const result = await real.sendPay(signed, options);
    if (plan?.pause === "after_pay") {
      say(`PAUSED ${plan.label} after_pay ${result.status}`);
      return new Promise(() => undefined);
    }
    return result;
  },
  query: (r, o) => real.query(r, o),
  cancel: (r, o) => real.cancel(r, o),
  refund: (r, o) => real.refund(r, o),
  refundQuery: (r, o) => real.refundQuery(r, o),
  downloadSettlement: (r, o) => real.downloadSettlement(r, o),
  verifyNotification: (p) => real.verifyNotification(p),
};
const services = createMoneyServices({
  db: handle.db,
  provider: args.provider,
  clock: systemClock,
  alipay,
  ticketKeys: fileTicketKeys(args.keysDir),
  instanceId: args.instanceId,
  policy: {
    firstQueryDelayMs: 300,
    queryIntervalMs: 300,
    // Real time: generous enough that a loaded CI runner restarts the child and queries B before its deadline.
    paymentDeadlineMs: 12_000,
    payInFlightWindowMs: 1_000,
    cancelBackoff: { baseMs: 200, maxMs: 1_600, jitterRatio: 0 },
    maxCancelAttempts: 5,
    leaseMs: 20_000,
  },
  worker: { intervalMs: 50 },
});

if (args.mode === "first") {
  services.worker.start();
  await Promise.all(
    args.plans.map(async (plan) => {
      const order = await services.orders.create({
        actor: KIOSK,
        lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 2 }],
      });
      say(`ORDER ${plan.label} ${order.id}`);
      const payment = await services.payments.start({ orderId: order.id, paymentCode: plan.code, actor: KIOSK });
      pauseById.set(payment.id, plan.pause);
      say(`STARTED ${plan.label} ${payment.id} ${payment.state}`);
    }),
  );
  await new Promise(() => undefined);
} else {
  services.worker.start();
  for (;;) {
    const left = await handle.db.payment.count({
      where: { state: { in: ["SENDING", "POLLING", "CANCELLING", "REFUNDING"] } },
    });
    if (left === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await services.worker.stop();
  await handle.close();
  say("DONE");
  process.exit(0);
}
