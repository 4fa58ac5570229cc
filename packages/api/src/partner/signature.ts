/**
 * Webhook signatures (issue 18), Stripe-style: `Kiosk-Signature: t=<unix seconds>,v1=<hex>`
 * where v1 = HMAC-SHA256(secret, `${t}.${body}`). A receiver recomputes it over the raw body,
 * refuses a timestamp outside its tolerance (replays of old deliveries) and remembers event
 * ids it has handled (`Kiosk-Event-Id`, also the body's `id`), so a replay inside the window
 * changes nothing either.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "kiosk-signature";
export const EVENT_ID_HEADER = "kiosk-event-id";
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  const v1 = createHmac("sha256", secret).update(`${timestampSeconds}.${body}`).digest("hex");
  return `t=${timestampSeconds},v1=${v1}`;
}

export type WebhookCheck =
  | { ok: true; timestamp: number; eventId: string }
  | { ok: false; reason: "malformed" | "bad_signature" | "too_old" | "replayed" };

/**
 * Checks a delivery: signature over the raw body, timestamp within `toleranceSeconds` of
 * `nowSeconds`, and (when `seen` is given) an event id not handled before; records it in `seen`.
 */
export function verifyWebhook(input: {
  secret: string;
  header: string | null;
  body: string;
  nowSeconds: number;
  toleranceSeconds?: number;
  seen?: Set<string>;
}): WebhookCheck {
  const parts = new Map<string, string[]>();
  for (const item of (input.header ?? "").split(",")) {
    const eq = item.indexOf("=");
    if (eq < 1) continue;
    const k = item.slice(0, eq).trim();
    parts.set(k, [...(parts.get(k) ?? []), item.slice(eq + 1).trim()]);
  }
  const t = Number(parts.get("t")?.[0]);
  const candidates = parts.get("v1") ?? [];
  if (!Number.isSafeInteger(t) || candidates.length === 0) return { ok: false, reason: "malformed" };
  const expected = Buffer.from(signWebhook(input.secret, t, input.body).split("v1=")[1]!, "hex");
  const isValid = candidates.some((c) => {
    const given = Buffer.from(c, "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!isValid) return { ok: false, reason: "bad_signature" };
  if (Math.abs(input.nowSeconds - t) > (input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS))
    return { ok: false, reason: "too_old" };
  let eventId = "";
  try {
    eventId = String((JSON.parse(input.body) as { id?: unknown }).id ?? "");
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (input.seen) {
    if (input.seen.has(eventId)) return { ok: false, reason: "replayed" };
    input.seen.add(eventId);
  }
  return { ok: true, timestamp: t, eventId };
}
