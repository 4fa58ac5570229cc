/**
 * Terminal payments in the fault drill (issue 18): a partner terminal pays through the partner
 * REST API (/api/partner/v1) while the server is being killed. Like a vendor's POS it retries
 * every call that got no answer (connection refused or reset, 5xx) with the same
 * Idempotency-Key, so a kill between "recorded" and "answered" can neither lose the payment
 * nor charge twice; the checker then compares the gateway's trades with the ledger as for
 * kiosk sales (a terminal order has no lines, so it expects no tickets).
 */
import { createTerminalRegistry } from "@kiosk/api/partner/terminals.ts";
import type { Db } from "@kiosk/db";

export interface TerminalDrillClient {
  /** Creates the payment and, as planned, cancels (the buyer walked away) or refunds it. Null: refused. */
  pay(input: {
    idempotencyKey: string;
    amount: number;
    paymentCode: string;
    isVisitorCancel: boolean;
    isRefunded: boolean;
  }): Promise<{ paymentId: string | null; refusal?: string; cancelled: boolean; refunded: boolean }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function createDrillTerminal(
  db: Db,
  attractionId: string,
  serverUrl: string,
  isStopping: () => boolean,
): Promise<TerminalDrillClient> {
  const { key } = await createTerminalRegistry({ db, clock: { now: () => new Date() } }).create({
    attractionId,
    storeId: "DRILL",
    terminalCode: "POS-1",
    name: "Fault drill POS",
  });
  const base = `${serverUrl}/api/partner/v1`;

  /** One call, repeated (same key) until the server answers with something other than 5xx. */
  async function call(
    method: string,
    path: string,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    for (;;) {
      if (isStopping()) throw new Error("drill stopping");
      try {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${key}`,
            ...(body !== undefined ? { "content-type": "application/json" } : {}),
            ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(30_000),
        });
        const json = (await res.json()) as Record<string, unknown>;
        if (res.status < 500) return { status: res.status, json };
      } catch {
        // No answer: the server is down or died mid-call.
      }
      await sleep(300);
    }
  }

  return {
    async pay(input) {
      const created = await call(
        "POST",
        "/payments",
        {
          amount: input.amount,
          currency: "SGD",
          paymentCode: input.paymentCode,
          reference: input.idempotencyKey,
          subject: "Drill sale",
          storeId: "DRILL",
          terminalId: "POS-1",
        },
        input.idempotencyKey,
      );
      if (created.status >= 400) {
        const error = created.json.error as { code?: string; message?: string } | undefined;
        return {
          paymentId: null,
          refusal: `${error?.code ?? created.status}: ${(error?.message ?? "").slice(0, 80)}`,
          cancelled: false,
          refunded: false,
        };
      }
      const id = String(created.json.id);
      const paymentId = (created.json.paymentId as string | null) ?? null;
      let cancelled = false;
      let refunded = false;
      if (input.isVisitorCancel) {
        await sleep(1_000);
        cancelled = (await call("POST", `/payments/${id}/cancel`)).status === 200;
      }
      if (input.isRefunded) {
        // Once final; a refund after a lost answer is the same refund (same key).
        let view = created.json;
        while (view.isFinal !== true) view = (await call("GET", `/payments/${id}?wait=10`)).json;
        if (view.status === "succeeded")
          refunded =
            (await call("POST", `/payments/${id}/refunds`, {}, `${input.idempotencyKey}-refund`)).status === 200;
      }
      return { paymentId, cancelled, refunded };
    },
  };
}
