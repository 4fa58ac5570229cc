/**
 * Alipay merchant key rotation for admins: which key signs now (fingerprints only, never key
 * material) and the switch to the next key, recorded in the audit log once. The switch is a
 * database row every server and worker reads (alipay-key-ring.ts): one call switches the fleet
 * within seconds. Later, restart each instance with the env file promoted by `alipay-keys rotate`.
 */
import { checkKeys, type KeyCheckResult, type MerchantFieldsScope } from "@kiosk/alipay-keys";
import { ANTOM_WALLETS, isKnownWalletCode, parseWalletList } from "@kiosk/alipay-core/wallets";
import { z } from "zod";
import { getEnv } from "../../env.ts";
import type { AlipayKeyRing } from "../../alipay-key-ring.ts";
import { KioskError } from "../../errors.ts";
import type { Context } from "../context.ts";
import { requireRole, router } from "../init.ts";

function ringOf(ctx: Context): AlipayKeyRing {
  const ring = ctx.services.alipayKeys;
  if (!ring)
    throw new KioskError(
      "PRECONDITION_FAILED",
      "Alipay key rotation is not available in this process (no key ring was configured).",
    );
  return ring;
}

/**
 * Runs the key check (a signed query for a transaction that cannot exist, verified answer,
 * plain-words diagnosis) with the configured gateway and partner, using the current or the
 * next merchant key. Reads the process configuration; never returns key material.
 */
async function runKeyCheck(ctx: Context, slot: "current" | "next"): Promise<KeyCheckResult> {
  const a = getEnv().alipay;
  const privateKey = slot === "next" ? a.nextPrivateKeyPem : a.privateKeyPem;
  if (slot === "next" && !privateKey)
    throw new KioskError("PRECONDITION_FAILED", "No next Alipay key is configured (ALIPAY_NEXT_PRIVATE_KEY_FILE).");
  return checkKeys({
    protocol: a.protocol,
    gatewayUrl: a.gatewayUrl,
    partnerId: a.partnerId,
    appId: a.appId ?? undefined,
    ...(a.antom ? { clientId: a.antom.clientId, keyVersion: a.antom.keyVersion } : {}),
    signType: a.signType,
    md5Key: a.md5Key ?? undefined,
    privateKey: privateKey ?? undefined,
    alipayPublicKey: a.alipayPublicKeyPem ?? undefined,
    ...(a.certs
      ? {
          appCert: slot === "next" ? (a.certs.nextAppCertPem ?? undefined) : a.certs.appCertPem,
          alipayCert: a.certs.alipayCertPem,
          alipayRootCert: a.certs.alipayRootCertPem,
          alipayNextCert: a.certs.alipayNextCertPem ?? undefined,
        }
      : {}),
    merchantFields: await merchantFieldScopes(ctx, a),
  });
}

/** What each attraction's pays carry: its own fields, the store falling back to ALIPAY_STORE_ID. */
async function merchantFieldScopes(
  ctx: Context,
  a: ReturnType<typeof getEnv>["alipay"],
): Promise<MerchantFieldsScope[]> {
  const attractions = await ctx.services.db.attraction.findMany({
    select: { name: true, secondaryMerchantId: true, storeId: true },
    orderBy: { name: "asc" },
  });
  return attractions.map((t) => ({
    scope: t.name,
    secondaryMerchantId: t.secondaryMerchantId,
    storeId: t.storeId ?? a.storeId,
    fields: a.protocol === "openapi" ? ["store_id"] : ["secondary_merchant_id", "store_id"],
  }));
}

/** Alipay's id charset for `extend_info` ids (ref §1.4); null clears the field. */
const MERCHANT_FIELD = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{1,32}$/, "1–32 letters, digits, '_' or '-'")
  .nullable();
const MERCHANT_FIELDS_SELECT = { id: true, name: true, secondaryMerchantId: true, storeId: true } as const;
/** Wallets the scan screen lists (issue 21): known codes, or null for the protocol's default. */
const WALLETS = z
  .array(
    z.string().refine(isKnownWalletCode, { message: `a known wallet: ${ANTOM_WALLETS.map((w) => w.code).join(", ")}` }),
  )
  .min(1)
  .max(ANTOM_WALLETS.length)
  .refine((codes) => new Set(codes).size === codes.length, "each wallet once")
  .nullable();

export const alipayKeysRouter = router({
  /** Each attraction's Alipay merchant fields (MAPI `extend_info` secondary_merchant_id / store_id). */
  merchantFields: requireRole("admin").query(async ({ ctx }) => {
    const rows = await ctx.services.db.attraction.findMany({
      select: Object.assign({}, MERCHANT_FIELDS_SELECT, { acceptedWallets: true }),
      orderBy: { name: "asc" },
    });
    return rows.map((r) => Object.assign({}, r, { acceptedWallets: parseWalletList(r.acceptedWallets) ?? null }));
  }),

  /** Sets (or clears, with null: the protocol's default) the wallets an attraction's scan screen lists. Audited. */
  setAcceptedWallets: requireRole("admin")
    .input(z.strictObject({ attractionId: z.string().min(1).max(64), wallets: WALLETS }))
    .mutation(async ({ ctx, input }) => {
      const db = ctx.services.db;
      const before = await db.attraction.findUnique({
        where: { id: input.attractionId },
        select: { acceptedWallets: true },
      });
      if (!before) throw new KioskError("NOT_FOUND", `Attraction ${input.attractionId} not found`);
      await db.attraction.update({
        where: { id: input.attractionId },
        data: { acceptedWallets: input.wallets === null ? null : JSON.stringify(input.wallets) },
      });
      await ctx.services.audit.record({
        actor: { type: "staff", id: ctx.staff.id },
        action: "alipay.accepted_wallets_set",
        target: { type: "attraction", id: input.attractionId },
        details: { wallets: input.wallets, before: parseWalletList(before.acceptedWallets) ?? null },
      });
      return { id: input.attractionId, acceptedWallets: input.wallets };
    }),

  /** Sets (or clears, with null) an attraction's merchant fields; later pays carry them. Audited. */
  setMerchantFields: requireRole("admin")
    .input(
      z.strictObject({
        attractionId: z.string().min(1).max(64),
        secondaryMerchantId: MERCHANT_FIELD,
        storeId: MERCHANT_FIELD,
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const db = ctx.services.db;
      const before = await db.attraction.findUnique({
        where: { id: input.attractionId },
        select: MERCHANT_FIELDS_SELECT,
      });
      if (!before) throw new KioskError("NOT_FOUND", `Attraction ${input.attractionId} not found`);
      const after = await db.attraction.update({
        where: { id: input.attractionId },
        data: { secondaryMerchantId: input.secondaryMerchantId, storeId: input.storeId },
        select: MERCHANT_FIELDS_SELECT,
      });
      ctx.services.money.catalogCache.invalidate();
      await ctx.services.audit.record({
        actor: { type: "staff", id: ctx.staff.id },
        action: "alipay.merchant_fields_set",
        target: { type: "attraction", id: input.attractionId },
        details: {
          secondaryMerchantId: after.secondaryMerchantId,
          storeId: after.storeId,
          before: { secondaryMerchantId: before.secondaryMerchantId, storeId: before.storeId },
        },
      });
      return after;
    }),

  /** The key check for the current or the next key; admin only, fingerprints and diagnoses only. */
  check: requireRole("admin")
    .input(z.strictObject({ slot: z.enum(["current", "next"]) }))
    .mutation(async ({ ctx, input }) => {
      const result = await runKeyCheck(ctx, input.slot);
      await ctx.services.audit.record({
        actor: { type: "staff", id: ctx.staff.id },
        action: "alipay.key_checked",
        target: { type: "alipay_key", id: result.fingerprints.privateKey ?? input.slot },
        details: { slot: input.slot, ok: result.ok, diagnosis: result.diagnosis.code },
      });
      return result;
    }),

  /** Which merchant key signs Alipay requests in this process. */
  status: requireRole("admin").query(async ({ ctx }) => {
    const ring = ringOf(ctx);
    await ring.sync();
    return ring.status();
  }),

  /**
   * Switch signing to ALIPAY_NEXT_PRIVATE_KEY in every instance (this one at once, the others within seconds). Upload the next public key to
   * Alipay's merchant portal (and check it with `alipay-keys check --next`) first.
   * Idempotent: a second call changes nothing and writes no audit entry.
   */
  switchToNext: requireRole("admin")
    .input(z.strictObject({ reason: z.string().trim().min(3).max(500) }))
    .mutation(async ({ ctx, input }) => {
      const ring = ringOf(ctx);
      await ring.sync();
      const before = ring.status();
      if (before.nextFingerprint === null) {
        throw new KioskError(
          "PRECONDITION_FAILED",
          "No next Alipay key is configured: set ALIPAY_NEXT_PRIVATE_KEY_FILE (alipay-keys install --next) and restart first.",
          {
            details: { activeFingerprint: before.activeFingerprint },
          },
        );
      }
      const result = await ring.switchToNext(ctx.clock.now(), ctx.staff.id);
      if (result.switched) {
        await ctx.services.audit.record({
          actor: { type: "staff", id: ctx.staff.id },
          action: "alipay.key_switched",
          target: { type: "alipay_key", id: result.toFingerprint ?? "unknown" },
          reason: input.reason,
          details: {
            by: ctx.staff.email,
            fromFingerprint: result.fromFingerprint,
            toFingerprint: result.toFingerprint,
            signType: result.status.signType,
          },
        });
        ctx.log.warn("alipay signing key switched to the next key", {
          fromFingerprint: result.fromFingerprint,
          toFingerprint: result.toFingerprint,
          staffId: ctx.staff.id,
        });
      }
      return { switched: result.switched, status: result.status };
    }),
});
