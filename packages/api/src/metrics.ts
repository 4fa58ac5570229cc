/**
 * A small Prometheus registry (text exposition format 0.0.4): counters, gauges and
 * histograms with labels. No dependency; one registry per process (app-services).
 */
export type Labels = Record<string, string | number>;

interface MetricBase {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  render(): string[];
}

function labelKey(labels: Labels | undefined): string {
  if (!labels) return "";
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}="${escapeLabel(String(labels[k]))}"`).join(",");
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function fmt(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

function withLabels(name: string, key: string, extra?: string): string {
  const all = [key, extra].filter((s) => s && s.length > 0).join(",");
  return all ? `${name}{${all}}` : name;
}

export class Counter implements MetricBase {
  readonly type = "counter" as const;
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels?: Labels, by = 1): void {
    if (by < 0) throw new Error(`Counter ${this.name} cannot decrease`);
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels?: Labels): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  render(): string[] {
    return [...this.values].map(([k, v]) => `${withLabels(this.name, k)} ${fmt(v)}`);
  }
}

export class Gauge implements MetricBase {
  readonly type = "gauge" as const;
  private readonly values = new Map<string, number>();
  /** Called before rendering, to refresh values computed elsewhere. */
  collect: (() => void) | undefined;
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  set(value: number, labels?: Labels): void {
    this.values.set(labelKey(labels), value);
  }
  inc(labels?: Labels, by = 1): void {
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  reset(): void {
    this.values.clear();
  }
  get(labels?: Labels): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  render(): string[] {
    this.collect?.();
    return [...this.values].map(([k, v]) => `${withLabels(this.name, k)} ${fmt(v)}`);
  }
}

export const DEFAULT_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Histogram implements MetricBase {
  readonly type = "histogram" as const;
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[] = DEFAULT_SECONDS_BUCKETS,
  ) {}
  observe(value: number, labels?: Labels): void {
    const k = labelKey(labels);
    const s = this.series.get(k) ?? { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
    this.buckets.forEach((le, i) => {
      if (value <= le) s.counts[i]! += 1;
    });
    s.sum += value;
    s.count += 1;
    this.series.set(k, s);
  }
  /** Starts a timer; call the returned function to observe the elapsed seconds. */
  startTimer(labels?: Labels): (moreLabels?: Labels) => number {
    const t0 = performance.now();
    return (more) => {
      const sec = (performance.now() - t0) / 1000;
      this.observe(sec, { ...labels, ...more });
      return sec;
    };
  }
  count(labels?: Labels): number {
    return this.series.get(labelKey(labels))?.count ?? 0;
  }
  render(): string[] {
    const lines: string[] = [];
    for (const [k, s] of this.series) {
      this.buckets.forEach((le, i) =>
        lines.push(`${withLabels(`${this.name}_bucket`, k, `le="${fmt(le)}"`)} ${s.counts[i]}`),
      );
      lines.push(`${withLabels(`${this.name}_bucket`, k, 'le="+Inf"')} ${s.count}`);
      lines.push(`${withLabels(`${this.name}_sum`, k)} ${fmt(s.sum)}`);
      lines.push(`${withLabels(`${this.name}_count`, k)} ${s.count}`);
    }
    return lines;
  }
}

export class MetricsRegistry {
  private readonly metrics = new Map<string, MetricBase>();

  private add<TMetric extends MetricBase>(m: TMetric): TMetric {
    const existing = this.metrics.get(m.name);
    if (existing) {
      if (existing.type !== m.type) throw new Error(`Metric ${m.name} already registered as ${existing.type}`);
      return existing as TMetric;
    }
    this.metrics.set(m.name, m);
    return m;
  }
  counter(name: string, help: string): Counter {
    return this.add(new Counter(name, help));
  }
  gauge(name: string, help: string): Gauge {
    return this.add(new Gauge(name, help));
  }
  histogram(name: string, help: string, buckets?: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, buckets));
  }
  /** Prometheus text exposition format. */
  render(): string {
    const out: string[] = [];
    for (const m of this.metrics.values()) {
      out.push(`# HELP ${m.name} ${m.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
      out.push(`# TYPE ${m.name} ${m.type}`);
      out.push(...m.render());
    }
    return out.join("\n") + "\n";
  }
}

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The application's metrics, created once per registry. Money-path code uses these too. */
export function createKioskMetrics(registry: MetricsRegistry = new MetricsRegistry()) {
  return {
    registry,
    /** labels: outcome = paid | failed | cancelled | needs_attention | refunded */
    paymentsTotal: registry.counter("kiosk_payments_total", "Payments that reached an end state, by outcome."),
    /** labels: result = wait_buyer_pay | success | closed | error */
    paymentPollsTotal: registry.counter(
      "kiosk_payment_polls_total",
      "Trade queries sent while polling a payment, by result.",
    ),
    /** labels: operation = pay | query | cancel | refund | bill, outcome = ok | error | timeout */
    gatewayLatencySeconds: registry.histogram(
      "kiosk_gateway_request_duration_seconds",
      "Alipay gateway request latency.",
    ),
    /** labels: kiosk */
    kioskHeartbeatsTotal: registry.counter("kiosk_heartbeats_total", "Heartbeats received from kiosks."),
    kiosksOnline: registry.gauge("kiosk_kiosks_online", "Kiosks with a heartbeat within the online window."),
    /** labels: reason */
    printFailuresTotal: registry.counter(
      "kiosk_print_failures_total",
      "Ticket or receipt print jobs the kiosk reported as failed.",
    ),
    /** labels: path, type, code */
    trpcRequestsTotal: registry.counter(
      "kiosk_trpc_requests_total",
      "tRPC procedure calls, by path, type and result code.",
    ),
    trpcDurationSeconds: registry.histogram("kiosk_trpc_duration_seconds", "tRPC procedure duration."),
    /** labels: policy */
    rateLimitedTotal: registry.counter("kiosk_rate_limited_total", "Requests refused by a rate limit."),
    /** labels: type */
    eventsPublishedTotal: registry.counter("kiosk_events_published_total", "Domain events published."),
  };
}
export type KioskMetrics = ReturnType<typeof createKioskMetrics>;
