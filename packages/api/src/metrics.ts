/**
 * The process's one metrics registry: prom-client, with its default process and
 * event-loop metrics (`process_*`, `nodejs_eventloop_lag_*`, heap, GC) collected for free.
 * The application's own metrics are declared here once; the money path's generic
 * counters land in the same registry under their own names (`moneyMetrics`).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from "prom-client";

export type Labels = Record<string, string | number>;
export { Counter, Gauge, Histogram, Registry };

export const DEFAULT_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Milliseconds buckets for the money path's `*_ms` histograms. */
const MS_BUCKETS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000];

/** The one name gateway latency is recorded under (by the Alipay client's response hook, `gatewayResponseHook`). */
export const GATEWAY_LATENCY_METRIC = "kiosk_gateway_request_duration_seconds";
/**
 * Names the money path may still emit that another metric already records: dropped, so
 * nothing is measured twice. `kiosk_gateway_latency_ms` is the Alipay round trip that
 * GATEWAY_LATENCY_METRIC records (with outcome) for every gateway call, not only payments'.
 */
export const SUPERSEDED_MONEY_METRICS: ReadonlySet<string> = new Set(["kiosk_gateway_latency_ms"]);

/** A new registry with prom-client's default metrics (process, heap, GC, event-loop lag). */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** The current value of a counter or gauge series (prom-client reads are async). */
export async function metricValue(metric: Metric, labels: Labels = {}): Promise<number> {
  const { values } = await metric.get();
  const wanted = Object.entries(labels);
  const series = values.find(
    (v) =>
      Object.keys(v.labels).length === wanted.length &&
      wanted.every(([k, value]) => String(v.labels[k]) === String(value)),
  );
  return series?.value ?? 0;
}

/** The application's metrics, created once per registry. Money-path code uses these too. */
export function createKioskMetrics(registry: Registry = createMetricsRegistry()) {
  const counter = (name: string, help: string, labelNames: string[]) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    paymentsTotal: counter("kiosk_payments_total", "Payments that reached an end state, by outcome.", ["outcome"]),
    paymentPollsTotal: counter("kiosk_payment_polls_total", "Trade queries sent while polling a payment, by result.", [
      "result",
    ]),
    /** labels: operation = pay | query | cancel | refund | bill | …, outcome = ok | error */
    gatewayLatencySeconds: new Histogram({
      name: GATEWAY_LATENCY_METRIC,
      help: "Alipay gateway request latency.",
      labelNames: ["operation", "outcome"],
      buckets: DEFAULT_SECONDS_BUCKETS,
      registers: [registry],
    }),
    kioskHeartbeatsTotal: counter("kiosk_heartbeats_total", "Heartbeats received from kiosks.", ["kiosk"]),
    kiosksOnline: new Gauge({
      name: "kiosk_kiosks_online",
      help: "Kiosks with a heartbeat within the online window.",
      registers: [registry],
    }),
    printFailuresTotal: counter(
      "kiosk_print_failures_total",
      "Ticket or receipt print jobs the kiosk reported as failed.",
      ["reason"],
    ),
    trpcRequestsTotal: counter("kiosk_trpc_requests_total", "tRPC procedure calls, by path, type and result code.", [
      "path",
      "type",
      "code",
    ]),
    trpcDurationSeconds: new Histogram({
      name: "kiosk_trpc_duration_seconds",
      help: "tRPC procedure duration.",
      labelNames: ["path", "type", "code"],
      buckets: DEFAULT_SECONDS_BUCKETS,
      registers: [registry],
    }),
    rateLimitedTotal: counter("kiosk_rate_limited_total", "Requests refused by a rate limit.", ["path"]),
    eventsPublishedTotal: counter("kiosk_events_published_total", "Domain events published.", ["type"]),
  };
}
export type KioskMetrics = ReturnType<typeof createKioskMetrics>;

/** What the money services count and time (services/money-deps.ts aliases it as MoneyMetrics). */
export interface AppMetrics {
  inc(name: string, labels?: Record<string, string>, value?: number): void;
  observe?(name: string, value: number, labels?: Record<string, string>): void;
}

/** Counts nothing (tests and tools that do not scrape). */
export const noopMetrics: AppMetrics = { inc: () => undefined };

/**
 * The money path's generic counters and histograms, registered on first use in `metrics.registry`
 * with the label names of that first use (later unknown labels are dropped: a metric never breaks a payment).
 */
export function moneyMetrics(metrics: KioskMetrics): AppMetrics {
  const { registry } = metrics;
  const helpOf = (name: string): string => name.replace(/^kiosk_/, "").replace(/_/g, " ");
  const known = (metric: Metric, labels: Record<string, string> | undefined): Record<string, string> => {
    const names = (metric as unknown as { labelNames?: string[] }).labelNames ?? [];
    return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => names.includes(k)));
  };
  return {
    inc(name, labels, value) {
      const metric =
        registry.getSingleMetric(name) ??
        new Counter({ name, help: helpOf(name), labelNames: Object.keys(labels ?? {}), registers: [registry] });
      if (metric instanceof Counter) metric.inc(known(metric, labels), value ?? 1);
    },
    observe(name, value, labels) {
      if (SUPERSEDED_MONEY_METRICS.has(name)) return;
      const metric =
        registry.getSingleMetric(name) ??
        new Histogram({
          name,
          help: helpOf(name),
          labelNames: Object.keys(labels ?? {}),
          buckets: name.endsWith("_ms") ? MS_BUCKETS : DEFAULT_SECONDS_BUCKETS,
          registers: [registry],
        });
      if (metric instanceof Histogram) metric.observe(known(metric, labels), value);
    },
  };
}
