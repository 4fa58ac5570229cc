import { describe, expect, it } from "vitest";
import { gatewayResponseHook } from "./app-services.ts";
import { createKioskMetrics, GATEWAY_LATENCY_METRIC, metricValue, moneyMetrics } from "./metrics.ts";

describe("metrics", () => {
  it("renders the application's metrics in the Prometheus text format, escaped", async () => {
    const m = createKioskMetrics();
    m.paymentsTotal.inc({ outcome: "paid" });
    m.paymentsTotal.inc({ outcome: "paid" }, 2);
    m.paymentsTotal.inc({ outcome: 'we"ird\n' });
    m.kiosksOnline.set(1);
    const text = await m.registry.metrics();
    expect(text).toContain(
      "# HELP kiosk_payments_total Payments that reached an end state, by outcome.\n# TYPE kiosk_payments_total counter\n",
    );
    expect(text).toContain('kiosk_payments_total{outcome="paid"} 3\n');
    expect(text).toContain('kiosk_payments_total{outcome="we\\"ird\\n"} 1\n');
    expect(text).toContain("kiosk_kiosks_online 1\n");
    expect(await metricValue(m.paymentsTotal, { outcome: "paid" })).toBe(3);
    expect(() => m.paymentsTotal.inc({ outcome: "paid" }, -1)).toThrow();
  });

  it("exports process and event-loop metrics from the same registry", async () => {
    const text = await createKioskMetrics().registry.metrics();
    expect(text).toContain("# TYPE process_cpu_user_seconds_total counter");
    expect(text).toMatch(/# TYPE nodejs_eventloop_lag_seconds gauge/);
    expect(text).toMatch(/# TYPE nodejs_heap_size_used_bytes gauge/);
  });

  it("records gateway latency once, under one name, whoever reports it", async () => {
    const m = createKioskMetrics();
    // The Alipay client's response hook (every exchange) and the money path's own timing of a pay.
    gatewayResponseHook(m)({ operation: "pay", outcome: "success", durationMs: 120 } as never);
    moneyMetrics(m).observe?.("kiosk_gateway_latency_ms", 120, { op: "pay" });
    const text = await m.registry.metrics();
    const names = new Set(text.match(/kiosk_gateway_\w+?(?=_bucket|_sum|_count)/g));
    expect([...names]).toEqual([GATEWAY_LATENCY_METRIC]);
    expect(text).toContain(`${GATEWAY_LATENCY_METRIC}_count{operation="pay",outcome="ok"} 1\n`);
  });

  it("registers the money path's counters by name on first use, in the same registry", async () => {
    const m = createKioskMetrics();
    const money = moneyMetrics(m);
    money.inc("kiosk_orders_total", { outcome: "created" });
    money.inc("kiosk_orders_total", { outcome: "created" }, 2);
    // A label the first use did not declare is dropped rather than failing the payment.
    money.inc("kiosk_orders_total", { outcome: "created", extra: "x" });
    money.observe?.("kiosk_worker_tick_ms", 30, { kind: "poll" });
    const text = await m.registry.metrics();
    expect(text).toContain('kiosk_orders_total{outcome="created"} 4\n');
    expect(text).toContain('kiosk_worker_tick_ms_bucket{le="50",kind="poll"} 1\n');
  });
});
