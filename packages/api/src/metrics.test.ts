import { describe, expect, it } from "vitest";
import { createKioskMetrics, MetricsRegistry } from "./metrics.ts";

describe("metrics", () => {
  it("renders counters, gauges and histograms in the Prometheus text format", () => {
    const r = new MetricsRegistry();
    const c = r.counter("kiosk_test_total", "A test counter.");
    c.inc({ outcome: "paid" });
    c.inc({ outcome: "paid" }, 2);
    c.inc({ outcome: 'we"ird\n' });
    r.gauge("kiosk_up", "Up.").set(1);
    const h = r.histogram("kiosk_latency_seconds", "Latency.", [0.1, 1]);
    h.observe(0.05, { op: "pay" });
    h.observe(0.5, { op: "pay" });
    const text = r.render();
    expect(text).toContain("# HELP kiosk_test_total A test counter.\n# TYPE kiosk_test_total counter\n");
    expect(text).toContain('kiosk_test_total{outcome="paid"} 3\n');
    expect(text).toContain('kiosk_test_total{outcome="we\\"ird\\n"} 1\n');
    expect(text).toContain("kiosk_up 1\n");
    expect(text).toContain('kiosk_latency_seconds_bucket{op="pay",le="0.1"} 1\n');
    expect(text).toContain('kiosk_latency_seconds_bucket{op="pay",le="1"} 2\n');
    expect(text).toContain('kiosk_latency_seconds_bucket{op="pay",le="+Inf"} 2\n');
    expect(text).toContain('kiosk_latency_seconds_sum{op="pay"} 0.55\n');
    expect(text).toContain('kiosk_latency_seconds_count{op="pay"} 2\n');
  });

  it("returns the same metric for the same name and refuses a type clash", () => {
    const m = createKioskMetrics();
    expect(m.registry.counter("kiosk_payments_total", "x")).toBe(m.paymentsTotal);
    expect(() => m.registry.gauge("kiosk_payments_total", "x")).toThrow(/already registered as counter/);
    expect(() => m.paymentsTotal.inc({}, -1)).toThrow();
  });
});
