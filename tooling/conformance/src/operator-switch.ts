/**
 * Our sandbox's operator switch (its operator API under `/sandbox/*`), as the conformance
 * steps use it. A gateway is treated as our sandbox only when the switch answers; steps that
 * need it are skipped on any other gateway (Alipay's sandbox or live gateway, a simulator).
 */

/** What the sandbox tells about one of its trades. */
export interface SandboxTrade {
  status: string;
  amountMinor: number;
  refundedMinor: number;
  cancelAction?: "close" | "refund";
}

/** The notification the sandbox signs on request (`POST /sandbox/trades/:id/notification`). */
export interface CraftedNotification {
  tradeStatus?: "WAIT_BUYER_PAY" | "TRADE_SUCCESS" | "TRADE_CLOSED";
  omit?: string[];
  set?: Record<string, string>;
}

export interface SandboxControl {
  setFaults(patch: Record<string, number | boolean>): Promise<void>;
  /** The buyer enters the PIN of a waiting trade (by `out_trade_no`). */
  confirm(outTradeNo: string): Promise<void>;
  /** The trade, or null when the gateway has none for this `out_trade_no`. */
  trade(outTradeNo: string): Promise<SandboxTrade | null>;
  /** A gateway-signed notification for the trade, as sent or altered; not delivered. */
  notification(outTradeNo: string, request: CraftedNotification): Promise<Record<string, string>>;
}

async function call(
  baseUrl: string,
  method: "GET" | "POST" | "PUT",
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(new URL(path, baseUrl), {
    method,
    signal: AbortSignal.timeout(10_000),
    ...(body === undefined
      ? {}
      : {
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: kept as an error below
  }
  if (!res.ok && res.status !== 404)
    throw new Error(`Sandbox operator API refused ${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return { status: res.status, json };
}

function operatorClient(baseUrl: string): SandboxControl {
  const tradePath = (id: string): string => `/sandbox/trades/${encodeURIComponent(id)}`;
  const found = (r: { status: number; json: Record<string, unknown> }, what: string) => {
    if (r.status === 404) throw new Error(`The sandbox has no ${what}`);
    return r.json;
  };
  return {
    async setFaults(patch) {
      found(await call(baseUrl, "PUT", "/sandbox/faults", patch), "fault switch");
    },
    async confirm(outTradeNo) {
      found(await call(baseUrl, "POST", `${tradePath(outTradeNo)}/confirm`), `trade ${outTradeNo}`);
    },
    async trade(outTradeNo) {
      const r = await call(baseUrl, "GET", tradePath(outTradeNo));
      if (r.status === 404) return null;
      const t = r.json["trade"] as Record<string, unknown>;
      return {
        status: String(t["status"]),
        amountMinor: Number(t["amountMinor"]),
        refundedMinor: Number(t["refundedMinor"]),
        ...(t["cancelAction"] === "close" || t["cancelAction"] === "refund" ? { cancelAction: t["cancelAction"] } : {}),
      };
    },
    async notification(outTradeNo, request) {
      const json = found(
        await call(baseUrl, "POST", `${tradePath(outTradeNo)}/notification`, request),
        `trade ${outTradeNo} (or no notification route)`,
      );
      return json["params"] as Record<string, string>;
    },
  };
}

/**
 * The operator switch at `baseUrl` when it is our sandbox's: `GET /sandbox/faults` answers
 * with its fault counters. Null for any other gateway.
 */
export async function detectOperatorSwitch(baseUrl: string): Promise<SandboxControl | null> {
  try {
    const res = await fetch(new URL("/sandbox/faults", baseUrl), {
      signal: AbortSignal.timeout(5_000),
      redirect: "manual",
    });
    if (!res.ok) return null;
    const body = (await res.json()) as {
      faults?: { systemErrorNext?: unknown; cancelSystemErrorNext?: unknown };
    };
    return typeof body.faults?.systemErrorNext === "number" && typeof body.faults.cancelSystemErrorNext === "number"
      ? operatorClient(baseUrl)
      : null;
  } catch {
    return null;
  }
}
