/**
 * Operator API under `/sandbox/...`: lets a person (or a test) play the buyer, inspect records,
 * toggle faults and reset. JSON in, JSON out; no authentication (bind to loopback).
 */
import { z } from "zod";
import { NotificationRequestSchema, type NotificationRequest } from "./crafted-notification.ts";
import { currencyInfoOrCny, formatAmount } from "./money.ts";
import { OPERATOR_PAGE_HTML } from "./operator-page.ts";
import { SCENARIOS, scenarioCode } from "./scenarios.ts";
import type { FaultSettings, SandboxStore, Trade } from "./store.ts";
import { formatDateTime } from "./time-format.ts";
import type { TradeEngine } from "./trade-engine.ts";

export type OperatorReply = {
  status: number;
  contentType: string;
  body: string | Buffer;
  headers?: Record<string, string>;
};

export type OperatorContext = {
  store: SandboxStore;
  engine: TradeEngine;
  now(): number;
  reset(): void;
  /** Resolves due PIN waits and waits for notification deliveries. */
  tick(): Promise<void>;
  /** A signed notification for the trade, as sent or altered (crafted-notification.ts); not delivered. */
  notification(trade: Trade, request: NotificationRequest): Record<string, string> | undefined;
};

/** Patch accepted by `PUT /sandbox/faults`; unknown keys are rejected. */
export const FaultPatchSchema = z
  .object({
    systemErrorNext: z.number().int().min(0),
    cancelSystemErrorNext: z.number().int().min(0),
    dropNext: z.number().int().min(0),
    badSignatureNext: z.number().int().min(0),
    slowResponseMs: z.number().int().min(0).max(600_000),
    duplicateNotifications: z.boolean(),
  })
  .partial()
  .strict();

export type FaultPatch = z.infer<typeof FaultPatchSchema>;

/** A trade as the operator API shows it: the record plus formatted amounts and times. */
export type TradeView = Trade & {
  amount: string;
  refunded: string;
  createdAtText: string;
  paidAtText: string | undefined;
};

export function tradeView(trade: Trade): TradeView {
  const currency = currencyInfoOrCny(trade.currency);
  return Object.assign({}, trade, {
    amount: formatAmount(trade.amountMinor, currency),
    refunded: formatAmount(trade.refundedMinor, currency),
    createdAtText: formatDateTime(trade.createdAt),
    paidAtText: trade.paidAt === undefined ? undefined : formatDateTime(trade.paidAt),
  });
}

function json(status: number, body: unknown): OperatorReply {
  return {
    status,
    contentType: "application/json; charset=utf-8",
    body: JSON.stringify(body),
  };
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  return JSON.parse(body.toString("utf8"));
}

export function applyFaultPatch(store: SandboxStore, patch: FaultPatch): FaultSettings {
  const next: FaultSettings = { ...store.faults };
  for (const [key, value] of Object.entries(patch) as Array<
    [keyof FaultSettings, FaultSettings[keyof FaultSettings]]
  >) {
    if (value !== undefined) (next as Record<keyof FaultSettings, unknown>)[key] = value;
  }
  store.faults = next;
  return next;
}

/** Returns `undefined` when the path is not an operator route. */
export async function handleOperator(
  ctx: OperatorContext,
  request: {
    method: string;
    pathname: string;
    searchParams: URLSearchParams;
    body: Buffer;
  },
): Promise<OperatorReply | undefined> {
  const { method, pathname } = request;
  if (pathname === "/sandbox" || pathname === "/sandbox/") {
    if (method !== "GET") return json(405, { error: "use GET" });
    return {
      status: 200,
      contentType: "text/html; charset=utf-8",
      body: OPERATOR_PAGE_HTML,
    };
  }
  if (!pathname.startsWith("/sandbox/")) return undefined;
  const parts = pathname.slice("/sandbox/".length).split("/").map(decodeURIComponent);

  if (parts[0] === "trades" && parts.length === 1 && method === "GET") {
    ctx.engine.advance();
    const status = request.searchParams.get("status");
    const trades = ctx.store.listTrades().filter((t) => status === null || t.status === status);
    return json(200, { trades: trades.map(tradeView) });
  }
  if (parts[0] === "trades" && parts.length === 2 && method === "GET") {
    ctx.engine.advance();
    const trade = ctx.store.trades.get(parts[1] as string) ?? findByOutTradeNo(ctx.store, parts[1] as string);
    if (trade === undefined) return json(404, { error: `No trade ${parts[1]}` });
    return json(200, {
      trade: tradeView(trade),
      refunds: ctx.store.refundsOf(trade.tradeNo),
      notifications: ctx.store.notifications.filter((n) => n.tradeNo === trade.tradeNo),
    });
  }
  if (
    parts[0] === "trades" &&
    parts.length === 3 &&
    method === "POST" &&
    (parts[2] === "confirm" || parts[2] === "reject")
  ) {
    const id = parts[1] as string;
    const tradeNo = ctx.store.trades.has(id) ? id : findByOutTradeNo(ctx.store, id)?.tradeNo;
    const outcome = ctx.engine.operate(tradeNo ?? id, parts[2]);
    if (outcome.kind === "not_found") return json(404, { error: `No trade ${id}` });
    if (outcome.kind === "not_waiting") {
      return json(409, {
        error: `Trade ${outcome.trade.tradeNo} is ${outcome.trade.status}, not waiting for the buyer`,
        trade: tradeView(outcome.trade),
      });
    }
    await ctx.tick();
    return json(200, { trade: tradeView(outcome.trade) });
  }
  if (parts[0] === "trades" && parts.length === 3 && parts[2] === "notification" && method === "POST") {
    ctx.engine.advance();
    const trade = ctx.store.trades.get(parts[1] as string) ?? findByOutTradeNo(ctx.store, parts[1] as string);
    if (trade === undefined) return json(404, { error: `No trade ${parts[1]}` });
    let parsed: NotificationRequest;
    try {
      parsed = NotificationRequestSchema.parse(parseJson(request.body));
    } catch (error) {
      return json(400, {
        error: "Invalid notification request",
        issues: error instanceof z.ZodError ? error.issues : String(error),
      });
    }
    const params = ctx.notification(trade, parsed);
    if (params === undefined) return json(409, { error: `No merchant configured for ${trade.tradeNo}` });
    return json(200, { params });
  }
  if (parts[0] === "accounts" && parts.length === 1 && method === "GET") {
    return json(200, { accounts: ctx.store.listAccounts() });
  }
  if (parts[0] === "faults" && parts.length === 1) {
    if (method === "GET") return json(200, { faults: ctx.store.faults });
    if (method === "PUT" || method === "POST" || method === "PATCH") {
      let parsed: FaultPatch;
      try {
        parsed = FaultPatchSchema.parse(parseJson(request.body));
      } catch (error) {
        return json(400, {
          error: "Invalid fault settings",
          issues: error instanceof z.ZodError ? error.issues : String(error),
        });
      }
      return json(200, { faults: applyFaultPatch(ctx.store, parsed) });
    }
  }
  if (parts[0] === "reset" && parts.length === 1 && method === "POST") {
    ctx.reset();
    return json(200, { ok: true });
  }
  if (parts[0] === "tick" && parts.length === 1 && method === "POST") {
    await ctx.tick();
    return json(200, { ok: true, now: ctx.now() });
  }
  if (parts[0] === "scenarios" && parts.length === 1 && method === "GET") {
    return json(200, {
      scenarios: SCENARIOS.map((s) => Object.assign({}, s, { exampleCode: scenarioCode(s.id) })),
    });
  }
  if (parts[0] === "notifications" && parts.length === 1 && method === "GET") {
    return json(200, { notifications: ctx.store.notifications });
  }
  if (parts[0] === "bills" && parts.length === 2 && method === "GET") {
    const bill = ctx.store.bills.get(parts[1] as string);
    if (bill === undefined || bill.expiresAt < ctx.now())
      return json(404, { error: "The bill link is unknown or expired" });
    return {
      status: 200,
      contentType: bill.contentType,
      body: bill.body,
      headers: {
        "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(bill.fileName)}`,
      },
    };
  }
  return json(404, { error: `No operator route ${method} ${pathname}` });
}

function findByOutTradeNo(store: SandboxStore, outTradeNo: string): Trade | undefined {
  return store.listTrades().find((t) => t.outTradeNo === outTradeNo);
}
