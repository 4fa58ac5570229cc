/**
 * Merchant key rotation without downtime: the process holds an Alipay client for the current
 * private key and, when ALIPAY_NEXT_PRIVATE_KEY(_FILE) is set, one for the next key. Everything
 * uses `ring.gateway`, which delegates to the active client, so `switchToNext()` changes the
 * signing key for every later call at once. Both clients are built at start-up, so a broken next
 * key fails the start, not the switch.
 *
 * Fleet-wide (`shared`): which key signs is a row every instance reads (FleetSetting
 * "alipay.signing_key" = the fingerprint of the signing key). The switch writes it with a
 * conditional update, so of any number of instances switching at once exactly one reports
 * `switched: true` (and audits); every instance re-reads the row before a gateway call once its
 * copy is `refreshMs` old (injected clock) and on `startSync()`'s real-time timer, so a switch
 * reaches the whole fleet within seconds. A database error keeps the last known key.
 *
 * Only fingerprints (SHA-256 of the public half) ever leave this module.
 */
import { createHash, createPrivateKey, createPublicKey } from "node:crypto";
import type { Db } from "@kiosk/db";
import type { Clock } from "./clock.ts";
import type { AlipayGateway } from "./services/gateway.ts";

/** The FleetSetting row naming the signing key's fingerprint. */
export const SIGNING_KEY_SETTING = "alipay.signing_key";
export const DEFAULT_KEY_REFRESH_MS = 2_000;

export interface SharedKeyState {
  db: Db;
  clock: Clock;
  /** A copy of the row older than this is re-read before the next gateway call. @default 2000 */
  refreshMs?: number;
}

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
  readonly #shared: SharedKeyState | null;
  #syncedAtMs = Number.NEGATIVE_INFINITY;
  #syncing: Promise<void> | null = null;

  constructor(opts: {
    signType: AlipayKeyStatus["signType"];
    current: { gateway: AlipayGateway; fingerprint: string | null };
    next?: { gateway: AlipayGateway; fingerprint: string | null } | null;
    /** Share the switch through the database (every server and worker of a fleet). */
    shared?: SharedKeyState | null;
  }) {
    this.#signType = opts.signType;
    this.#current = opts.current;
    this.#next = opts.next ?? null;
    this.#shared = opts.shared ?? null;
    const active = (): AlipayGateway =>
      this.#active === "next" && this.#next ? this.#next.gateway : this.#current.gateway;
    const fresh = async (): Promise<AlipayGateway> => {
      await this.#refreshIfStale();
      return active();
    };
    this.gateway = {
      protocol: opts.current.gateway.protocol,
      pay: async (request, options) => (await fresh()).pay(request, options),
      // Signed by the key active now (the copy kept fresh by the calls and startSync); a resend
      // sends those bytes, whichever key is active then.
      signPay: (request) => active().signPay(request),
      sendPay: async (signed, options) => (await fresh()).sendPay(signed, options),
      query: async (request, options) => (await fresh()).query(request, options),
      cancel: async (request, options) => (await fresh()).cancel(request, options),
      refund: async (request, options) => (await fresh()).refund(request, options),
      refundQuery: async (request, options) => (await fresh()).refundQuery(request, options),
      downloadSettlement: async (request, options) => (await fresh()).downloadSettlement(request, options),
      verifyNotification: (params) => active().verifyNotification(params),
    };
  }

  /** Re-reads the fleet's signing key now (no-op without `shared`). Database errors propagate. */
  async sync(): Promise<void> {
    const shared = this.#shared;
    if (!shared) return;
    this.#syncing ??= (async () => {
      try {
        const row = await shared.db.fleetSetting.findUnique({ where: { key: SIGNING_KEY_SETTING } });
        this.#syncedAtMs = shared.clock.now().getTime();
        if (row && this.#next && row.value === this.#next.fingerprint) {
          this.#active = "next";
          this.#switchedAt = row.updatedAt;
        } else {
          this.#active = "current";
          this.#switchedAt = row && row.value === this.#current.fingerprint ? row.updatedAt : null;
        }
      } finally {
        this.#syncing = null;
      }
    })();
    return this.#syncing;
  }

  async #refreshIfStale(): Promise<void> {
    const shared = this.#shared;
    if (!shared || shared.clock.now().getTime() - this.#syncedAtMs < (shared.refreshMs ?? DEFAULT_KEY_REFRESH_MS))
      return;
    await this.sync().catch(() => undefined); // the database is away: keep the last known key
  }

  /** Re-reads the row every `intervalMs` of real time (servers and workers); returns the stop. */
  startSync(intervalMs = DEFAULT_KEY_REFRESH_MS): () => void {
    if (!this.#shared) return () => undefined;
    const timer = setInterval(() => void this.sync().catch(() => undefined), intervalMs);
    timer.unref();
    void this.sync().catch(() => undefined);
    return () => clearInterval(timer);
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
   * Signs every later request with the next key: in this process, and with `shared` in every
   * instance of the fleet. Idempotent: when the next key is already active, nothing changes;
   * of concurrent switches exactly one reports `switched: true`.
   * @throws Error when no next key is configured.
   */
  async switchToNext(now: Date, by: string | null = null): Promise<AlipayKeySwitch> {
    if (!this.#next) throw new Error("No next Alipay key is configured (ALIPAY_NEXT_PRIVATE_KEY_FILE).");
    if (this.#shared) return this.#switchShared(now, by, this.#next);
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

  async #switchShared(now: Date, by: string | null, next: { fingerprint: string | null }): Promise<AlipayKeySwitch> {
    const { db } = this.#shared!;
    const value = next.fingerprint ?? "next";
    const data = { value, updatedAt: now, updatedBy: by };
    const updated = await db.fleetSetting.updateMany({
      where: { key: SIGNING_KEY_SETTING, value: { not: value } },
      data,
    });
    let switched = updated.count === 1;
    if (!switched) {
      try {
        await db.fleetSetting.create({ data: { key: SIGNING_KEY_SETTING, ...data } });
        switched = true;
      } catch (error) {
        if ((error as { code?: unknown }).code !== "P2002") throw error;
      }
    }
    await this.sync();
    return {
      switched,
      fromFingerprint: switched ? this.#current.fingerprint : next.fingerprint,
      toFingerprint: next.fingerprint,
      status: this.status(),
    };
  }
}
