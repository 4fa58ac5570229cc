/**
 * Registered partner terminals (issue 18): a shop's POS, a café's cash register or a vendor's
 * counter app that takes Alipay through the partner API. Each has an API key
 * (`ktm_<8 hex>_<secret>`, stored as a SHA-256 hash, shown once) with the `payments:write`
 * scope, and a webhook secret (shown once; kept because the server signs with it). A key is
 * rotated in place: the new key is shown once and the previous one keeps working until the
 * overlap ends or staff revoke it.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { hashToken, isUniqueViolation, type Db } from "@kiosk/db";
import { KioskError } from "../errors.ts";
import { newId, type MoneyDeps } from "../services/money-deps.ts";

export const TERMINAL_KEY_PREFIX = "ktm";
export const TERMINAL_SCOPES = ["payments:write"] as const;
export type TerminalScope = (typeof TERMINAL_SCOPES)[number];
/** Alipay's store_id / terminal_id alphabet. */
export const TERMINAL_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const LAST_USED_TOUCH_MS = 60_000;

export interface TerminalIdentity {
  id: string;
  attractionId: string;
  storeId: string;
  terminalCode: string;
  name: string;
  scopes: string[];
}

export interface TerminalView extends TerminalIdentity {
  webhookUrl: string | null;
  keyPrefix: string;
  /** During a key rotation's overlap: the previous key's prefix and when it stops working (else null). */
  previousKeyPrefix: string | null;
  previousKeyExpiresAt: Date | null;
  keyRotatedAt: Date | null;
  isActive: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface CreateTerminalInput {
  attractionId: string;
  storeId: string;
  terminalCode: string;
  name: string;
  webhookUrl?: string | null;
}

type TerminalRow = NonNullable<Awaited<ReturnType<Db["terminal"]["findUnique"]>>>;

/** A rotation's overlap: at least a minute, at most 30 days. */
export const MIN_KEY_OVERLAP_MS = 60_000;
export const MAX_KEY_OVERLAP_MS = 30 * 86_400_000;

function isPreviousKeyValid(r: TerminalRow, now: Date): boolean {
  return r.previousKeyPrefix !== null && r.previousKeyExpiresAt !== null && r.previousKeyExpiresAt > now;
}

function toView(r: TerminalRow, now: Date): TerminalView {
  const hasPrevious = isPreviousKeyValid(r, now);
  return {
    id: r.id,
    attractionId: r.attractionId,
    storeId: r.storeId,
    terminalCode: r.terminalCode,
    name: r.name,
    scopes: r.scopes.split(" ").filter(Boolean),
    webhookUrl: r.webhookUrl,
    keyPrefix: r.keyPrefix,
    previousKeyPrefix: hasPrevious ? r.previousKeyPrefix : null,
    previousKeyExpiresAt: hasPrevious ? r.previousKeyExpiresAt : null,
    keyRotatedAt: r.keyRotatedAt,
    isActive: r.isActive,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
  };
}

export function terminalKeyPrefix(key: string): string | null {
  const m = /^ktm_([0-9a-f]{8})_[A-Za-z0-9_-]{20,}$/.exec(key);
  return m ? m[1]! : null;
}

/** A webhook URL must be http(s); anything else is refused up front. */
export function checkWebhookUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KioskError("BAD_REQUEST", "The webhook URL is not a URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:")
    throw new KioskError("BAD_REQUEST", "The webhook URL must be http(s)");
  if (parsed.username || parsed.password) throw new KioskError("BAD_REQUEST", "The webhook URL must carry no password");
  return parsed.toString();
}

function newKey(): { prefix: string; key: string } {
  const prefix = randomBytes(4).toString("hex");
  return { prefix, key: `${TERMINAL_KEY_PREFIX}_${prefix}_${randomBytes(32).toString("base64url")}` };
}

export function createTerminalRegistry(deps: Pick<MoneyDeps, "db" | "clock">) {
  const { db, clock } = deps;

  async function create(
    input: CreateTerminalInput,
  ): Promise<{ terminal: TerminalView; key: string; webhookSecret: string }> {
    if (!TERMINAL_ID_PATTERN.test(input.storeId) || !TERMINAL_ID_PATTERN.test(input.terminalCode))
      throw new KioskError("BAD_REQUEST", "Store and terminal ids are 1 to 32 letters, digits, _ or -");
    const name = input.name.trim();
    if (name.length < 1 || name.length > 80) throw new KioskError("BAD_REQUEST", "A name of 1 to 80 characters");
    const webhookUrl = input.webhookUrl ? checkWebhookUrl(input.webhookUrl) : null;
    const attraction = await db.attraction.findUnique({ where: { id: input.attractionId }, select: { id: true } });
    if (!attraction) throw new KioskError("NOT_FOUND", `Attraction ${input.attractionId} does not exist`);
    const { prefix, key } = newKey();
    const webhookSecret = `whsec_${randomBytes(32).toString("base64url")}`;
    try {
      const row = await db.terminal.create({
        data: {
          id: newId("trm"),
          attractionId: input.attractionId,
          storeId: input.storeId,
          terminalCode: input.terminalCode,
          name,
          webhookUrl,
          webhookSecret,
          keyPrefix: prefix,
          keyHash: hashToken(key),
          scopes: TERMINAL_SCOPES.join(" "),
          createdAt: clock.now(),
        },
      });
      return { terminal: toView(row, clock.now()), key, webhookSecret };
    } catch (error) {
      if (isUniqueViolation(error))
        throw new KioskError("CONFLICT", `Terminal ${input.terminalCode} of store ${input.storeId} already exists`);
      throw error;
    }
  }

  async function list(attractionId?: string): Promise<TerminalView[]> {
    const rows = await db.terminal.findMany({
      where: attractionId ? { attractionId } : {},
      orderBy: { createdAt: "desc" },
    });
    const now = clock.now();
    return rows.map((r) => toView(r, now));
  }

  async function setActive(terminalId: string, isActive: boolean): Promise<TerminalView> {
    const { count } = await db.terminal.updateMany({ where: { id: terminalId }, data: { isActive } });
    if (count !== 1) throw new KioskError("NOT_FOUND", `Terminal ${terminalId} not found`);
    return toView(await db.terminal.findUniqueOrThrow({ where: { id: terminalId } }), clock.now());
  }

  /**
   * Rotation in place: a new key becomes the terminal's key (returned once); the key it had
   * stays valid for `overlapMs` (or until revoked), so the vendor can deploy the new one
   * without a gap. One overlap at a time: CONFLICT while a previous key is still valid.
   */
  async function rotateKey(
    terminalId: string,
    input: { overlapMs: number },
  ): Promise<{ terminal: TerminalView; key: string; previousKeyPrefix: string }> {
    if (
      !Number.isSafeInteger(input.overlapMs) ||
      input.overlapMs < MIN_KEY_OVERLAP_MS ||
      input.overlapMs > MAX_KEY_OVERLAP_MS
    )
      throw new KioskError("BAD_REQUEST", "The overlap is one minute to 30 days", { details: { field: "overlap" } });
    const row = await db.terminal.findUnique({ where: { id: terminalId } });
    if (!row) throw new KioskError("NOT_FOUND", `Terminal ${terminalId} not found`);
    const now = clock.now();
    if (isPreviousKeyValid(row, now))
      throw new KioskError("CONFLICT", "The previous key is still valid; revoke it (or wait for its expiry) first", {
        details: { reason: "rotation_in_progress", previousKeyExpiresAt: row.previousKeyExpiresAt?.toISOString() },
      });
    const { prefix, key } = newKey();
    // Conditional on the key it replaces: two racing rotations cannot both win.
    const { count } = await db.terminal.updateMany({
      where: { id: terminalId, keyPrefix: row.keyPrefix },
      data: {
        keyPrefix: prefix,
        keyHash: hashToken(key),
        previousKeyPrefix: row.keyPrefix,
        previousKeyHash: row.keyHash,
        previousKeyExpiresAt: new Date(now.getTime() + input.overlapMs),
        keyRotatedAt: now,
      },
    });
    if (count !== 1) throw new KioskError("CONFLICT", "The key was rotated at the same time; look again");
    const updated = await db.terminal.findUniqueOrThrow({ where: { id: terminalId } });
    return { terminal: toView(updated, now), key, previousKeyPrefix: row.keyPrefix };
  }

  /** Ends a rotation's overlap now: the previous key is refused from here on. */
  async function revokePreviousKey(
    terminalId: string,
  ): Promise<{ terminal: TerminalView; revokedPrefix: string | null }> {
    const row = await db.terminal.findUnique({ where: { id: terminalId } });
    if (!row) throw new KioskError("NOT_FOUND", `Terminal ${terminalId} not found`);
    await db.terminal.updateMany({
      where: { id: terminalId, previousKeyPrefix: row.previousKeyPrefix },
      data: { previousKeyPrefix: null, previousKeyHash: null, previousKeyExpiresAt: null },
    });
    const updated = await db.terminal.findUniqueOrThrow({ where: { id: terminalId } });
    return { terminal: toView(updated, clock.now()), revokedPrefix: row.previousKeyPrefix };
  }

  /** The terminal behind a bearer key, or null (unknown, wrong secret, disabled). */
  async function authenticate(key: string): Promise<TerminalIdentity | null> {
    const prefix = terminalKeyPrefix(key);
    if (!prefix) return null;
    const row = await db.terminal.findFirst({ where: { OR: [{ keyPrefix: prefix }, { previousKeyPrefix: prefix }] } });
    if (!row || !row.isActive) return null;
    const now = clock.now();
    const isCurrent = row.keyPrefix === prefix;
    if (!isCurrent && !isPreviousKeyValid(row, now)) return null;
    const given = Buffer.from(hashToken(key), "hex");
    const stored = Buffer.from((isCurrent ? row.keyHash : row.previousKeyHash) ?? "", "hex");
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) return null;
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_TOUCH_MS)
      await db.terminal.update({ where: { id: row.id }, data: { lastUsedAt: now } }).catch(() => undefined);
    return toView(row, now);
  }

  /** The terminal behind a bearer key with `payments:write`, or a typed UNAUTHORIZED / FORBIDDEN (REST and tRPC). */
  async function authorize(key: string | null | undefined): Promise<TerminalIdentity> {
    const terminal = key ? await authenticate(key) : null;
    if (!terminal)
      throw new KioskError("UNAUTHORIZED", "A valid terminal API key is required (Authorization: Bearer ktm_…)");
    if (!terminal.scopes.includes("payments:write"))
      throw new KioskError("FORBIDDEN", "This key lacks the payments:write scope");
    return terminal;
  }

  return { create, list, setActive, rotateKey, revokePreviousKey, authenticate, authorize };
}

export type TerminalRegistry = ReturnType<typeof createTerminalRegistry>;
