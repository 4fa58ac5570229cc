/**
 * Merchant key rotation without downtime: the process holds an Alipay client for the current
 * private key and, when ALIPAY_NEXT_PRIVATE_KEY(_FILE) is set, one for the next key. Everything
 * uses `ring.gateway`, which delegates to the active client, so `switchToNext()` changes the
 * signing key for every later call in this process at once. Both clients are built at start-up,
 * so a broken next key fails the start, not the switch.
 *
 * Only fingerprints (SHA-256 of the public half) ever leave this module.
 */
import { createHash, createPrivateKey, createPublicKey } from "node:crypto";
import type { AlipayGateway } from "./services/gateway.ts";

export type AlipayKeySlot = "current" | "next";

export interface AlipayKeyStatus {
  signType: "MD5" | "RSA" | "RSA2";
  /** Which key signs requests now. */
  active: AlipayKeySlot;
  activeFingerprint: string | null;
  /** Fingerprint of the key configured as current (ALIPAY_PRIVATE_KEY); null with MD5. */
  currentFingerprint: string | null;
  /** Fingerprint of ALIPAY_NEXT_PRIVATE_KEY; null when none is configured. */
  nextFingerprint: string | null;
  /** True when a next key is configured and not yet active. */
  canSwitch: boolean;
  switchedAt: Date | null;
}

export interface AlipayKeySwitch {
  /** False when the next key was already active (nothing changed). */
  switched: boolean;
  fromFingerprint: string | null;
  toFingerprint: string | null;
  status: AlipayKeyStatus;
}

/**
 * `SHA256:` + unpadded base64 of SHA-256 over the SPKI DER of the key's public half (the same
 * fingerprint `alipay-keys` prints). Private and public halves of a pair have the same one.
 */
export function alipayKeyFingerprint(pem: string): string {
  const der = createPublicKey(createPrivateKey(pem)).export({ type: "spki", format: "der" });
  return `SHA256:${createHash("sha256").update(der).digest("base64").replace(/=+$/, "")}`;
}

export class AlipayKeyRing {
  readonly gateway: AlipayGateway;
  readonly #signType: AlipayKeyStatus["signType"];
  readonly #current: { gateway: AlipayGateway; fingerprint: string | null };
  readonly #next: { gateway: AlipayGateway; fingerprint: string | null } | null;
  #active: AlipayKeySlot = "current";
  #switchedAt: Date | null = null;

  constructor(opts: {
    signType: AlipayKeyStatus["signType"];
    current: { gateway: AlipayGateway; fingerprint: string | null };
    next?: { gateway: AlipayGateway; fingerprint: string | null } | null;
  }) {
    this.#signType = opts.signType;
    this.#current = opts.current;
    this.#next = opts.next ?? null;
    const active = (): AlipayGateway =>
      this.#active === "next" && this.#next ? this.#next.gateway : this.#current.gateway;
    this.gateway = {
      protocol: opts.current.gateway.protocol,
      pay: (request, options) => active().pay(request, options),
      // Signed by the key active now; a resend sends those bytes, whichever key is active then.
      signPay: (request) => active().signPay(request),
      sendPay: (signed, options) => active().sendPay(signed, options),
      query: (request, options) => active().query(request, options),
      cancel: (request, options) => active().cancel(request, options),
      refund: (request, options) => active().refund(request, options),
      refundQuery: (request, options) => active().refundQuery(request, options),
      downloadSettlement: (request, options) => active().downloadSettlement(request, options),
      verifyNotification: (params) => active().verifyNotification(params),
    };
  }

  status(): AlipayKeyStatus {
    const active = this.#active === "next" && this.#next ? this.#next : this.#current;
    return {
      signType: this.#signType,
      active: this.#active,
      activeFingerprint: active.fingerprint,
      currentFingerprint: this.#current.fingerprint,
      nextFingerprint: this.#next?.fingerprint ?? null,
      canSwitch: this.#next !== null && this.#active === "current",
      switchedAt: this.#switchedAt,
    };
  }

  /**
   * Signs every later request in this process with the next key. Idempotent: when the next key
   * is already active, nothing changes. @throws Error when no next key is configured.
   */
  switchToNext(now: Date): AlipayKeySwitch {
    if (!this.#next) throw new Error("No next Alipay key is configured (ALIPAY_NEXT_PRIVATE_KEY_FILE).");
    if (this.#active === "next") {
      return {
        switched: false,
        fromFingerprint: this.#next.fingerprint,
        toFingerprint: this.#next.fingerprint,
        status: this.status(),
      };
    }
    this.#active = "next";
    this.#switchedAt = now;
    return {
      switched: true,
      fromFingerprint: this.#current.fingerprint,
      toFingerprint: this.#next.fingerprint,
      status: this.status(),
    };
  }
}
