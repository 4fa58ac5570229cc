import { directSqlOf, hashToken, isUniqueViolation, Prisma, type Db, type StaffRole } from "@kiosk/db";
import type { Clock } from "../clock.ts";
import { KioskError } from "../errors.ts";
import { newId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { ActorRef, AuditService } from "../services/audit-service.ts";
import { bucketUpsertSql, type SharedBucket } from "../services/rate-limit.ts";
import { LoginGuard, type LoginAlert } from "./login-guard.ts";
import { PasswordHasher, type PasswordHasherOptions } from "./password-hasher.ts";
import { ApiKeyService } from "./api-keys.ts";
import { isStaffRole } from "./roles.ts";

export { parseScopes, type ApiClientIdentity } from "./api-keys.ts";
import { hashPairingCode, newKioskCredential, newPairingCode, newSessionToken } from "./tokens.ts";

export interface StaffIdentity {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
}

export interface KioskIdentity {
  id: string;
  attractionId: string;
  name: string;
  /** False while staff have taken the kiosk out of service: it may read and heartbeat, not sell. */
  isInService: boolean;
}

export interface SessionInfo {
  staff: StaffIdentity;
  sessionId: string;
  expiresAt: Date;
  /** True when this check extended the session (the cookie should be re-sent). */
  isRenewed: boolean;
}

export interface AuthServiceOptions {
  db: Db;
  clock: Clock;
  log: Logger;
  audit: AuditService;
  sessionTtlMinutes: number;
  /** Absolute session lifetime from sign-in, however often it is renewed. @default 12 */
  sessionMaxHours?: number;
  /** How long an issued pairing code stays valid. */
  pairingCodeTtlMinutes?: number;
  /** scrypt parameters and the hashing cap (password-hasher.ts). */
  passwords?: PasswordHasherOptions;
}

const DEFAULT_PAIRING_CODE_TTL_MINUTES = 30;
const DEFAULT_SESSION_MAX_HOURS = 12;

/**
 * Staff sessions, kiosk device credentials and booking-system API keys. Every
 * secret is random, handed out once, and stored as a SHA-256 hash.
 */
export class AuthService {
  private readonly sessionTtlMs: number;
  private readonly sessionMaxMs: number;
  private readonly pairingTtlMs: number;
  private readonly passwords: PasswordHasher;
  private readonly guard: LoginGuard;
  /** Compared against when the e-mail is unknown, so both paths cost one scrypt. */
  private dummyHash: Promise<string> | undefined;

  /** Booking systems' API keys (api-keys.ts). */
  readonly apiKeys: ApiKeyService;

  constructor(private readonly o: AuthServiceOptions) {
    this.apiKeys = new ApiKeyService(o);
    this.sessionTtlMs = o.sessionTtlMinutes * 60_000;
    this.sessionMaxMs = (o.sessionMaxHours ?? DEFAULT_SESSION_MAX_HOURS) * 3_600_000;
    this.pairingTtlMs = (o.pairingCodeTtlMinutes ?? DEFAULT_PAIRING_CODE_TTL_MINUTES) * 60_000;
    this.passwords = new PasswordHasher(o.passwords);
    this.guard = new LoginGuard(o);
  }

  // ------------------------------------------------------------------ staff

  /**
   * Checks e-mail and password; on success creates a session and returns its token (once) and
   * the browser's device token (the `kiosk_device` cookie: new, or the one it sent). During the
   * account's back-off only a known device gets its password checked (login-guard.ts).
   */
  async login(input: {
    email: string;
    password: string;
    ip: string;
    deviceToken?: string | null;
  }): Promise<{ token: string; expiresAt: Date; staff: StaffIdentity; deviceToken: string }> {
    const email = input.email.trim().toLowerCase();
    const user = await this.o.db.staffUser.findUnique({ where: { email } });
    const now = this.o.clock.now();
    const isInBackoff = !!user?.loginDelayUntil && user.loginDelayUntil > now;
    if (user && isInBackoff && !(await this.guard.isKnownDevice(user.id, input.deviceToken))) {
      const retryAfterSec = Math.ceil((user.loginDelayUntil!.getTime() - now.getTime()) / 1000);
      throw new KioskError(
        "TOO_MANY_REQUESTS",
        `Too many wrong passwords for this account: retry in ${retryAfterSec} s, or sign in from a browser you used before.`,
        {
          details: { retryAfterSec, reason: "account_backoff" },
        },
      );
    }
    this.dummyHash ??= this.passwords.hash("not-a-real-password");
    const isPasswordOk = await this.passwords.verify(input.password, user?.passwordHash ?? (await this.dummyHash));
    if (!user || !isPasswordOk || !user.isActive || !isStaffRole(user.role)) {
      const failedLogins = user && !isPasswordOk ? await this.guard.recordFailure(user.id, email, input.ip) : undefined;
      await this.o.audit.record({
        actor: { type: "staff", id: user?.id ?? null },
        action: "auth.login_failed",
        details: {
          email,
          ip: input.ip,
          reason: !user ? "unknown_email" : !isPasswordOk ? "bad_password" : "inactive",
          ...(failedLogins ? { failedLogins } : {}),
        },
      });
      throw new KioskError("UNAUTHORIZED", "E-mail or password is wrong, or the account is deactivated.");
    }
    // A success during the back-off (known device) leaves the count: the delay keeps growing for the guesser.
    const data: { failedLogins?: number; loginDelayUntil?: null; passwordHash?: string } = {};
    if (!isInBackoff && (user.failedLogins > 0 || user.loginDelayUntil))
      Object.assign(data, { failedLogins: 0, loginDelayUntil: null });
    if (this.passwords.needsRehash(user.passwordHash)) data.passwordHash = await this.passwords.hash(input.password);
    if (Object.keys(data).length > 0) await this.o.db.staffUser.update({ where: { id: user.id }, data });
    if (data.passwordHash)
      await this.o.audit.record({
        actor: { type: "system", id: null },
        action: "auth.password_rehashed",
        target: { type: "staff_user", id: user.id },
        details: { params: this.passwords.params },
      });
    const deviceToken = await this.guard.rememberDevice(user.id, input.deviceToken, now);
    const token = newSessionToken();
    const expiresAt = new Date(now.getTime() + Math.min(this.sessionTtlMs, this.sessionMaxMs));
    const sessionId = newId("ses");
    await this.o.db.staffSession.create({
      data: { id: sessionId, userId: user.id, tokenHash: hashToken(token), expiresAt, createdAt: now },
    });
    await this.o.audit.record({
      actor: { type: "staff", id: user.id },
      action: "auth.login",
      target: { type: "staff_session", id: sessionId },
      details: { ip: input.ip, hasDeviceCookie: deviceToken === input.deviceToken },
    });
    return {
      token,
      expiresAt,
      staff: { id: user.id, email: user.email, name: user.name, role: user.role as StaffRole },
      deviceToken,
    };
  }

  /** Accounts that entered the login back-off since `since` (newest first), with their state now. */
  loginAlerts(since: Date): Promise<LoginAlert[]> {
    return this.guard.alerts(since);
  }

  /**
   * A signed-in staff member changes their own password: the current one must be right (a wrong
   * one counts toward the back-off); every other session of the account ends.
   */
  async changePassword(input: {
    userId: string;
    sessionId: string;
    currentPassword: string;
    newPassword: string;
    ip: string;
  }): Promise<{ sessionsRevoked: number }> {
    const user = await this.o.db.staffUser.findUnique({ where: { id: input.userId } });
    if (!user) throw new KioskError("NOT_FOUND", `Staff user ${input.userId} does not exist.`);
    if (!(await this.passwords.verify(input.currentPassword, user.passwordHash))) {
      const failedLogins = await this.guard.recordFailure(user.id, user.email, input.ip);
      await this.o.audit.record({
        actor: { type: "staff", id: user.id },
        action: "auth.password_change_failed",
        target: { type: "staff_user", id: user.id },
        details: { ip: input.ip, failedLogins },
      });
      throw new KioskError("UNAUTHORIZED", "The current password is wrong.");
    }
    const passwordHash = await this.passwords.hash(input.newPassword);
    await this.o.db.staffUser.update({
      where: { id: user.id },
      data: { passwordHash, failedLogins: 0, loginDelayUntil: null },
    });
    const r = await this.o.db.staffSession.updateMany({
      where: { userId: user.id, revokedAt: null, id: { not: input.sessionId } },
      data: { revokedAt: this.o.clock.now() },
    });
    await this.o.audit.record({
      actor: { type: "staff", id: user.id },
      action: "auth.password_changed",
      target: { type: "staff_user", id: user.id },
      details: { ip: input.ip, sessionsRevoked: r.count },
    });
    return { sessionsRevoked: r.count };
  }

  /** An admin sets another account's password (forgotten password): all its sessions end, the back-off clears. */
  async setPassword(
    input: { userId: string; newPassword: string; reason: string },
    actor: ActorRef,
  ): Promise<{ sessionsRevoked: number }> {
    const passwordHash = await this.passwords.hash(input.newPassword);
    const r = await this.o.db.staffUser.updateMany({
      where: { id: input.userId },
      data: { passwordHash, failedLogins: 0, loginDelayUntil: null },
    });
    if (r.count === 0) throw new KioskError("NOT_FOUND", `Staff user ${input.userId} does not exist.`);
    const sessionsRevoked = await this.revokeAllSessions(input.userId);
    await this.o.audit.record({
      actor,
      action: "staff.set_password",
      target: { type: "staff_user", id: input.userId },
      reason: input.reason,
      details: { sessionsRevoked },
    });
    return { sessionsRevoked };
  }

  /**
   * The staff member behind a session token, or null when it is unknown, expired,
   * revoked, past its absolute lifetime (sessionMaxHours from sign-in) or the user was
   * deactivated. Sliding renewal: past half its life, a used session is extended to a full
   * TTL from now, but never beyond the absolute lifetime.
   */
  async authenticateSession(token: string): Promise<SessionInfo | null> {
    const session = await this.o.db.staffSession.findUnique({
      where: { tokenHash: hashToken(token) },
      include: { user: true },
    });
    const now = this.o.clock.now();
    if (
      !session ||
      session.revokedAt ||
      session.expiresAt <= now ||
      !session.user.isActive ||
      !isStaffRole(session.user.role)
    )
      return null;
    const hardEndMs = session.createdAt.getTime() + this.sessionMaxMs;
    if (hardEndMs <= now.getTime()) return null;
    let expiresAt = session.expiresAt;
    let isRenewed = false;
    if (expiresAt.getTime() - now.getTime() < this.sessionTtlMs / 2 && expiresAt.getTime() < hardEndMs) {
      expiresAt = new Date(Math.min(now.getTime() + this.sessionTtlMs, hardEndMs));
      await this.o.db.staffSession.update({ where: { id: session.id }, data: { expiresAt } });
      isRenewed = true;
    }
    const u = session.user;
    const role = u.role as StaffRole;
    return { staff: { id: u.id, email: u.email, name: u.name, role }, sessionId: session.id, expiresAt, isRenewed };
  }

  /** Revokes the session of `token`; unknown tokens are ignored (logout is idempotent). */
  async logout(token: string): Promise<void> {
    const session = await this.o.db.staffSession.findUnique({ where: { tokenHash: hashToken(token) } });
    if (!session || session.revokedAt) return;
    await this.o.db.staffSession.update({ where: { id: session.id }, data: { revokedAt: this.o.clock.now() } });
    await this.o.audit.record({
      actor: { type: "staff", id: session.userId },
      action: "auth.logout",
      target: { type: "staff_session", id: session.id },
    });
  }

  /** Ends every session of a user (deactivation, password change). */
  async revokeAllSessions(userId: string): Promise<number> {
    const r = await this.o.db.staffSession.updateMany({
      where: { userId, revokedAt: null },
      data: { revokedAt: this.o.clock.now() },
    });
    return r.count;
  }

  // ----------------------------------------------------------------- staff admin

  async createStaffUser(
    input: { email: string; name: string; password: string; role: StaffRole },
    actor: ActorRef,
  ): Promise<StaffIdentity> {
    const email = input.email.trim().toLowerCase();
    const id = newId("stf");
    try {
      await this.o.db.staffUser.create({
        data: {
          id,
          email,
          name: input.name,
          passwordHash: await this.passwords.hash(input.password),
          role: input.role,
          createdAt: this.o.clock.now(),
        },
      });
    } catch (e) {
      if (isUniqueViolation(e))
        throw new KioskError("CONFLICT", `A staff account with e-mail ${email} already exists.`);
      throw e;
    }
    await this.o.audit.record({
      actor,
      action: "staff.create",
      target: { type: "staff_user", id },
      details: { email, role: input.role },
    });
    return { id, email, name: input.name, role: input.role };
  }

  async deactivateStaffUser(input: { userId: string; reason: string }, actor: ActorRef): Promise<void> {
    if (actor.id === input.userId)
      throw new KioskError("PRECONDITION_FAILED", "You cannot deactivate your own account.");
    const user = await this.o.db.staffUser.findUnique({ where: { id: input.userId } });
    if (!user) throw new KioskError("NOT_FOUND", `Staff user ${input.userId} does not exist.`);
    if (user.isActive) {
      await this.o.db.staffUser.update({ where: { id: user.id }, data: { isActive: false } });
    }
    const revoked = await this.revokeAllSessions(user.id);
    await this.o.audit.record({
      actor,
      action: "staff.deactivate",
      target: { type: "staff_user", id: user.id },
      reason: input.reason,
      details: { sessionsRevoked: revoked },
    });
  }

  async listStaffUsers(): Promise<Array<StaffIdentity & { isActive: boolean; createdAt: Date }>> {
    const rows = await this.o.db.staffUser.findMany({ orderBy: { email: "asc" } });
    return rows
      .filter((r) => isStaffRole(r.role))
      .map((r) => ({
        id: r.id,
        email: r.email,
        name: r.name,
        role: r.role as StaffRole,
        isActive: r.isActive,
        createdAt: r.createdAt,
      }));
  }

  // ------------------------------------------------------------------ kiosks

  /** A fresh one-time pairing code for a registered kiosk (replaces any earlier code). Shown once. */
  async issuePairingCode(kioskId: string, actor: ActorRef): Promise<{ code: string; expiresAt: Date }> {
    const code = newPairingCode();
    const expiresAt = new Date(this.o.clock.now().getTime() + this.pairingTtlMs);
    const r = await this.o.db.kiosk.updateMany({
      where: { id: kioskId },
      data: { pairingCodeHash: hashPairingCode(code), pairingExpiresAt: expiresAt },
    });
    if (r.count === 0) throw new KioskError("NOT_FOUND", `Kiosk ${kioskId} is not registered.`);
    await this.o.audit.record({
      actor,
      action: "kiosk.issue_pairing_code",
      target: { type: "kiosk", id: kioskId },
      details: { expiresAt },
    });
    return { code, expiresAt };
  }

  /**
   * Exchanges a pairing code for the kiosk's device credential. The code is cleared
   * in the same conditional update that stores the credential, so it works once.
   * A kiosk that pairs again gets a new credential; the old one stops working.
   */
  async pairKiosk(input: { code: string; ip: string }): Promise<{ credential: string; kiosk: KioskIdentity }> {
    const codeHash = hashPairingCode(input.code);
    const now = this.o.clock.now();
    const kiosk = await this.o.db.kiosk.findUnique({ where: { pairingCodeHash: codeHash } });
    const isExpired = kiosk?.pairingExpiresAt ? kiosk.pairingExpiresAt <= now : false;
    if (!kiosk || isExpired) {
      await this.o.audit.record({
        actor: { type: "kiosk", id: kiosk?.id ?? null },
        action: "kiosk.pair_failed",
        details: { ip: input.ip, reason: kiosk ? "expired" : "unknown_code" },
      });
      throw new KioskError(
        "UNAUTHORIZED",
        "The pairing code is wrong, expired or already used. Ask staff for a new one.",
      );
    }
    const credential = newKioskCredential();
    const r = await this.o.db.kiosk.updateMany({
      where: { id: kiosk.id, pairingCodeHash: codeHash },
      data: { pairingCodeHash: null, pairingExpiresAt: null, credentialHash: hashToken(credential), pairedAt: now },
    });
    if (r.count !== 1)
      throw new KioskError(
        "UNAUTHORIZED",
        "The pairing code is wrong, expired or already used. Ask staff for a new one.",
      );
    await this.o.audit.record({
      actor: { type: "kiosk", id: kiosk.id },
      action: "kiosk.pair",
      target: { type: "kiosk", id: kiosk.id },
      details: { ip: input.ip },
    });
    return {
      credential,
      kiosk: { id: kiosk.id, attractionId: kiosk.attractionId, name: kiosk.name, isInService: kiosk.isInService },
    };
  }

  /** Ends a kiosk's device credential (lost or stolen device); it must be paired again with a new code. */
  async revokeKioskCredential(input: { kioskId: string; reason: string }, actor: ActorRef): Promise<void> {
    const r = await this.o.db.kiosk.updateMany({ where: { id: input.kioskId }, data: { credentialHash: null } });
    if (r.count === 0) throw new KioskError("NOT_FOUND", `Kiosk ${input.kioskId} is not registered.`);
    await this.o.audit.record({
      actor,
      action: "kiosk.revoke_credential",
      target: { type: "kiosk", id: input.kioskId },
      reason: input.reason,
    });
  }

  /**
   * Every kiosk call's lookup: one direct statement past the Prisma client where the client
   * has the executor (@kiosk/db direct-sql.ts; issue 16: a Prisma findUnique cost ≈ 1.5 ms of
   * CPU per call), else Prisma.
   */
  async authenticateKiosk(credential: string): Promise<KioskIdentity | null> {
    const credentialHash = hashToken(credential);
    const direct = directSqlOf(this.o.db);
    if (direct) {
      const [k] = await direct.query<{ id: string; attractionId: string; name: string; isInService: unknown }>(
        Prisma.sql`SELECT "id", "attractionId", "name", "isInService" FROM "Kiosk" WHERE "credentialHash" = ${credentialHash}`,
      );
      // SQLite answers a boolean as 0 / 1.
      return k ? { id: k.id, attractionId: k.attractionId, name: k.name, isInService: Boolean(k.isInService) } : null;
    }
    const k = await this.o.db.kiosk.findUnique({ where: { credentialHash } });
    return k ? { id: k.id, attractionId: k.attractionId, name: k.name, isInService: k.isInService } : null;
  }

  /**
   * The kiosk behind a device credential, its request added to `bucket` (the rate limiter's
   * shared one, rate-limit.ts) in the same statement on PostgreSQL: one round trip on every
   * kiosk call instead of two. An unknown credential adds to no bucket. TOO_MANY_REQUESTS when
   * the bucket is over. The limiter hands out a bucket only where this statement runs
   * (`RateLimiter.sharedBucket`).
   */
  async authenticateKioskCounted(credential: string, bucket: SharedBucket): Promise<KioskIdentity | null> {
    const direct = directSqlOf(this.o.db);
    if (direct?.provider !== "postgresql")
      throw new Error("authenticateKioskCounted needs PostgreSQL's direct executor");
    const [k] = await direct.query<{
      id: string;
      attractionId: string;
      name: string;
      isInService: boolean;
      points: number;
    }>(
      Prisma.sql`WITH k AS (
          SELECT "id", "attractionId", "name", "isInService" FROM "Kiosk" WHERE "credentialHash" = ${hashToken(credential)}
        ), b AS (${bucketUpsertSql(
          Prisma.sql`SELECT ${bucket.keyPrefix}::text || k."id" || ${bucket.keySuffix}::text, ${bucket.points}::int, ${bucket.expire}::timestamp(3) FROM k WHERE true`,
          bucket.now,
        )})
        SELECT k."id", k."attractionId", k."name", k."isInService", (SELECT "points" FROM b) AS "points" FROM k`,
    );
    if (!k) return null;
    if (bucket.isOver(Number(k.points))) throw bucket.refusal();
    return { id: k.id, attractionId: k.attractionId, name: k.name, isInService: Boolean(k.isInService) };
  }
}
