/**
 * Asynchronous notifications: form POSTs to `notify_url`, acknowledged by the body `success`.
 * Retries follow the injected clock (Alipay: 2m, 10m, 10m, 1h, 2h, 6h, 15h; reference §1.8),
 * so tests advance time instead of waiting.
 */
import type { Clock } from "./clock.ts";
import type { SandboxLogger } from "./logger.ts";
import type { NotificationDelivery, SandboxStore } from "./store.ts";

/** POSTs one form body; resolves with the HTTP status and body text, rejects on network errors. */
export type NotificationTransport = (request: {
  url: string;
  body: string;
  contentType: string;
  /** Extra request headers (Antom's `signature`, `request-time`, `client-id`). */
  headers?: Readonly<Record<string, string>>;
}) => Promise<{ status: number; text: string }>;

/** Alipay's documented re-send intervals after the first attempt. */
export const DEFAULT_NOTIFY_RETRY_SCHEDULE_MS: readonly number[] = [
  2 * 60_000,
  10 * 60_000,
  10 * 60_000,
  60 * 60_000,
  2 * 60 * 60_000,
  6 * 60 * 60_000,
  15 * 60 * 60_000,
];

export const DEFAULT_NOTIFY_TIMEOUT_MS = 5_000;

export function createFetchTransport(timeoutMs: number): NotificationTransport {
  return async ({ url, body, contentType, headers }) => {
    const response = await fetch(url, {
      method: "POST",
      headers: Object.assign({}, headers, { "content-type": contentType }),
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.status, text: await response.text() };
  };
}

export type NotifierOptions = {
  store: SandboxStore;
  clock: Clock;
  logger: SandboxLogger;
  transport: NotificationTransport;
  retryScheduleMs: readonly number[];
};

/** The merchant acknowledged: body `success` (case-insensitive, surrounding whitespace ignored). */
export function isAcknowledged(status: number, text: string): boolean {
  return status >= 200 && status < 300 && text.trim().toLowerCase() === "success";
}

/** The merchant acknowledged an Antom notification: HTTP 200 with `result.resultStatus` `S`. */
export function isAntomAcknowledged(status: number, text: string): boolean {
  if (status !== 200) return false;
  try {
    const body = JSON.parse(text) as { result?: { resultStatus?: unknown } } | null;
    return body?.result?.resultStatus === "S";
  } catch {
    return false;
  }
}

/** The HTTP request of a delivery: a signed form, or Antom's JSON with its signature in headers. */
function requestOf(delivery: NotificationDelivery): {
  body: string;
  contentType: string;
  headers?: Record<string, string>;
} {
  if (delivery.format !== "antom")
    return {
      body: new URLSearchParams(delivery.params).toString(),
      contentType: "application/x-www-form-urlencoded; charset=utf-8",
    };
  const p = delivery.params;
  return {
    body: p["body"] ?? "",
    contentType: "application/json; charset=UTF-8",
    headers: {
      signature: p["signature"] ?? "",
      "request-time": p["request-time"] ?? "",
      "client-id": p["client-id"] ?? "",
    },
  };
}

export class Notifier {
  private readonly inFlight = new Set<Promise<void>>();
  private sequence = 0;

  constructor(private readonly options: NotifierOptions) {}

  enqueue(spec: {
    url: string;
    params: Record<string, string>;
    tradeNo: string;
    format?: "form" | "antom";
  }): NotificationDelivery {
    const now = this.options.clock.now();
    this.sequence += 1;
    const delivery: NotificationDelivery = {
      id: `N${String(this.sequence).padStart(8, "0")}`,
      notifyId: spec.params["notify_id"] ?? "",
      url: spec.url,
      params: spec.params,
      ...(spec.format === "antom" ? { format: "antom" as const } : {}),
      tradeNo: spec.tradeNo,
      attempts: 0,
      status: "pending",
      nextAttemptAt: now,
      lastResponse: undefined,
      lastError: undefined,
      duplicatesLeft: this.options.store.faults.duplicateNotifications ? 1 : 0,
      createdAt: now,
    };
    this.options.store.notifications.push(delivery);
    this.startDue();
    return delivery;
  }

  /** Starts every delivery that is due, then waits for all deliveries in flight. */
  async flush(): Promise<void> {
    this.startDue();
    while (this.inFlight.size > 0) {
      await Promise.all([...this.inFlight]);
    }
  }

  private startDue(): void {
    const now = this.options.clock.now();
    for (const delivery of this.options.store.notifications) {
      if (delivery.status === "pending" && delivery.nextAttemptAt <= now) {
        const promise = this.attempt(delivery).finally(() => this.inFlight.delete(promise));
        this.inFlight.add(promise);
      }
    }
  }

  private async attempt(delivery: NotificationDelivery): Promise<void> {
    delivery.status = "in_flight";
    delivery.attempts += 1;
    const request = requestOf(delivery);
    let acknowledged = false;
    try {
      const response = await this.options.transport({ url: delivery.url, ...request });
      delivery.lastResponse = `${response.status} ${response.text.slice(0, 200)}`;
      delivery.lastError = undefined;
      acknowledged =
        delivery.format === "antom"
          ? isAntomAcknowledged(response.status, response.text)
          : isAcknowledged(response.status, response.text);
    } catch (error) {
      delivery.lastError = error instanceof Error ? error.message : String(error);
    }
    const now = this.options.clock.now();
    if (acknowledged) {
      if (delivery.duplicatesLeft > 0) {
        // Fault injection: deliver the same notification again, as Alipay sometimes does.
        delivery.duplicatesLeft -= 1;
        delivery.status = "pending";
        delivery.nextAttemptAt = now;
        await this.attempt(delivery);
        return;
      }
      delivery.status = "delivered";
      this.options.logger.info("notification delivered", {
        deliveryId: delivery.id,
        tradeNo: delivery.tradeNo,
        attempts: delivery.attempts,
      });
      return;
    }
    const wait = this.options.retryScheduleMs[delivery.attempts - 1];
    if (wait === undefined) {
      delivery.status = "gave_up";
      this.options.logger.warn("notification not acknowledged, giving up", {
        deliveryId: delivery.id,
        tradeNo: delivery.tradeNo,
        attempts: delivery.attempts,
      });
      return;
    }
    delivery.status = "pending";
    delivery.nextAttemptAt = now + wait;
    this.options.logger.info("notification not acknowledged, will retry", {
      deliveryId: delivery.id,
      tradeNo: delivery.tradeNo,
      attempts: delivery.attempts,
      nextAttemptAt: delivery.nextAttemptAt,
      lastResponse: delivery.lastResponse,
      lastError: delivery.lastError,
    });
  }
}
