// A partner terminal client for the kiosk server's partner payment API (docs/partner-api.md).
// Node 20+, no dependencies. CLI: BASE_URL=https://kiosk.example TERMINAL_KEY=ktm_… STORE_ID=GIFTSHOP \
//   TERMINAL_ID=POS-1 CURRENCY=SGD node docs/partner-terminal-client.mjs <amountMinor> <paymentCode>
import { randomUUID } from "node:crypto";

export function createTerminalClient({ baseUrl, key, storeId, terminalId, currency, tries = 4 }) {
  const api = `${baseUrl.replace(/\/+$/, "")}/api/partner/v1`;
  async function call(method, path, body, idempotencyKey) {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(`${api}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${key}`,
            ...(body ? { "content-type": "application/json" } : {}),
            ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        const json = await res.json();
        if (res.status < 500)
          return res.ok ? json : Promise.reject(Object.assign(new Error(json.error.message), json.error));
      } catch {
        // No answer (network, timeout, not JSON). A typed 4xx is returned above and never retried.
      }
      // Lost answer or 5xx: the same request with the same Idempotency-Key is safe to repeat.
      if (attempt >= tries) throw new Error(`${method} ${path}: no answer after ${tries} tries; GET it later`);
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }
  /** Pays and resolves with the final payment (succeeded, failed, cancelled, needs_attention). */
  async function pay({ amount, paymentCode, reference = randomUUID(), subject = "Purchase" }) {
    const body = { amount, currency, paymentCode, reference, subject, storeId, terminalId };
    let payment = await call("POST", "/payments?wait=25", body, randomUUID());
    while (!payment.isFinal) payment = await call("GET", `/payments/${payment.id}?wait=25`);
    return payment;
  }
  return {
    pay,
    get: (id) => call("GET", `/payments/${id}`),
    cancel: (id) => call("POST", `/payments/${id}/cancel`),
    refund: (id, amount) => call("POST", `/payments/${id}/refunds`, amount ? { amount } : {}, randomUUID()),
    receipt: (id) => call("GET", `/payments/${id}/receipt`),
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  // eslint-disable-next-line no-restricted-properties -- a standalone example CLI, configured by its environment
  const { BASE_URL, TERMINAL_KEY, STORE_ID, TERMINAL_ID, CURRENCY } = process.env;
  const client = createTerminalClient({
    baseUrl: BASE_URL,
    key: TERMINAL_KEY,
    storeId: STORE_ID,
    terminalId: TERMINAL_ID,
    currency: CURRENCY,
  });
  const payment = await client.pay({ amount: Number(process.argv[2]), paymentCode: process.argv[3] });
  console.log(payment.status, payment.receipt ? payment.receipt.lines.join("\n") : (payment.failureReason ?? ""));
}
