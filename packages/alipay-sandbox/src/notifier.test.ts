import { describe, expect, it } from "vitest";
import { createManualClock } from "./clock.ts";
import { silentLogger } from "./logger.ts";
import { isAcknowledged, Notifier, type NotificationTransport } from "./notifier.ts";
import { SandboxStore } from "./store.ts";

function setup(answers: Array<string | Error>, options: { duplicate?: boolean } = {}) {
  const clock = createManualClock();
  const store = new SandboxStore();
  store.faults.duplicateNotifications = options.duplicate === true;
  const sent: string[] = [];
  const transport: NotificationTransport = async ({ body }) => {
    sent.push(body);
    const answer = answers.shift() ?? "success";
    if (answer instanceof Error) throw answer;
    return { status: 200, text: answer };
  };
  const notifier = new Notifier({
    store,
    clock,
    logger: silentLogger,
    transport,
    retryScheduleMs: [120_000, 600_000],
  });
  return { clock, store, sent, notifier };
}

describe("Notifier", () => {
  it("accepts success in any case, nothing else", () => {
    expect(isAcknowledged(200, " SUCCESS\n")).toBe(true);
    expect(isAcknowledged(200, "success")).toBe(true);
    expect(isAcknowledged(200, "fail")).toBe(false);
    expect(isAcknowledged(500, "success")).toBe(false);
  });

  it("retries on the injected clock until acknowledged", async () => {
    const { clock, sent, notifier } = setup(["fail", new Error("ECONNREFUSED"), "success"]);
    const delivery = notifier.enqueue({
      url: "http://merchant/notify",
      params: { notify_id: "n1", a: "1" },
      tradeNo: "T1",
    });
    await notifier.flush();
    expect(sent).toHaveLength(1);
    expect(delivery).toMatchObject({
      status: "pending",
      attempts: 1,
      lastResponse: "200 fail",
    });
    clock.advance(119_999);
    await notifier.flush();
    expect(sent).toHaveLength(1);
    clock.advance(1);
    await notifier.flush();
    expect(delivery).toMatchObject({
      status: "pending",
      attempts: 2,
      lastError: "ECONNREFUSED",
    });
    clock.advance(600_000);
    await notifier.flush();
    expect(delivery).toMatchObject({ status: "delivered", attempts: 3 });
    expect(sent[0]).toBe("notify_id=n1&a=1");
  });

  it("gives up after the schedule is exhausted", async () => {
    const { clock, notifier } = setup(["no", "no", "no"]);
    const delivery = notifier.enqueue({
      url: "http://merchant/notify",
      params: { notify_id: "n2" },
      tradeNo: "T2",
    });
    await notifier.flush();
    clock.advance(120_000);
    await notifier.flush();
    clock.advance(600_000);
    await notifier.flush();
    expect(delivery).toMatchObject({ status: "gave_up", attempts: 3 });
  });

  it("sends duplicates when the fault is on", async () => {
    const { sent, notifier } = setup([], { duplicate: true });
    const delivery = notifier.enqueue({
      url: "http://merchant/notify",
      params: { notify_id: "n3" },
      tradeNo: "T3",
    });
    await notifier.flush();
    expect(sent).toEqual(["notify_id=n3", "notify_id=n3"]);
    expect(delivery.status).toBe("delivered");
  });
});
