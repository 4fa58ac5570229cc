/**
 * The login back-off of staff accounts and their known devices (issue 15, item 2).
 *
 * Per-account back-off: the first `freeFailures` wrong passwords in a row cost nothing; from then
 * on no password is checked before `StaffUser.loginDelayUntil` (30 s, doubling per further wrong
 * password, at most 15 min) — except from a known device (a browser that signed in as this account
 * before, `StaffDevice`), whose correct password always passes. So guessing is slow, and nobody
 * who does not know the password can keep a staff member out. Entering the back-off is audited
 * ("auth.login_backoff"): the console's sign-in alert.
 */
import { hashToken, type Db } from "@kiosk/db";
import type { Clock } from "../clock.ts";
import { newId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { AuditService } from "../services/audit-service.ts";
import { DEVICE_TOKEN_PREFIX, newDeviceToken } from "./tokens.ts";

export const LOGIN_BACKOFF = { freeFailures: 5, baseDelayMs: 30_000, maxDelayMs: 15 * 60_000 } as const;

export function loginDelayMs(failedLogins: number): number {
  if (failedLogins < LOGIN_BACKOFF.freeFailures) return 0;
  return Math.min(
    LOGIN_BACKOFF.maxDelayMs,
    LOGIN_BACKOFF.baseDelayMs * 2 ** (failedLogins - LOGIN_BACKOFF.freeFailures),
  );
}

export interface LoginAlert {
  userId: string;
  email: string;
  /** When the account entered the back-off (the audit entry "auth.login_backoff"). */
  at: Date;
  failedLogins: number;
  loginDelayUntil: Date | null;
  lastFailedLoginAt: Date | null;
}

export class LoginGuard {
  constructor(private readonly o: { db: Db; clock: Clock; log: Logger; audit: AuditService }) {}

  /** Counts a wrong password and sets the delay; entering the back-off is audited. Returns the count. */
  async recordFailure(userId: string, email: string, ip: string): Promise<number> {
    const now = this.o.clock.now();
    const u = await this.o.db.staffUser.update({
      where: { id: userId },
      data: { failedLogins: { increment: 1 }, lastFailedLoginAt: now },
      select: { failedLogins: true },
    });
    const delayMs = loginDelayMs(u.failedLogins);
    if (delayMs > 0) {
      const loginDelayUntil = new Date(now.getTime() + delayMs);
      await this.o.db.staffUser.update({ where: { id: userId }, data: { loginDelayUntil } });
      if (u.failedLogins === LOGIN_BACKOFF.freeFailures) {
        this.o.log.warn("staff account in login back-off", { userId, failedLogins: u.failedLogins, ip });
        await this.o.audit.record({
          actor: { type: "system", id: null },
          action: "auth.login_backoff",
          target: { type: "staff_user", id: userId },
          details: { email, failedLogins: u.failedLogins, ip, loginDelayUntil },
        });
      }
    }
    return u.failedLogins;
  }

  async isKnownDevice(userId: string, deviceToken: string | null | undefined): Promise<boolean> {
    if (!deviceToken?.startsWith(`${DEVICE_TOKEN_PREFIX}_`)) return false;
    const d = await this.o.db.staffDevice.findUnique({
      where: { userId_tokenHash: { userId, tokenHash: hashToken(deviceToken) } },
      select: { id: true },
    });
    return !!d;
  }

  /** Records the browser as a known device of `userId` (keeping its token when it has one); returns the token. */
  async rememberDevice(userId: string, deviceToken: string | null | undefined, now: Date): Promise<string> {
    const token =
      deviceToken?.startsWith(`${DEVICE_TOKEN_PREFIX}_`) && deviceToken.length <= 100 ? deviceToken : newDeviceToken();
    const tokenHash = hashToken(token);
    await this.o.db.staffDevice.upsert({
      where: { userId_tokenHash: { userId, tokenHash } },
      update: { lastUsedAt: now },
      create: { id: newId("dev"), userId, tokenHash, createdAt: now, lastUsedAt: now },
    });
    return token;
  }

  /** Accounts that entered the back-off since `since` (newest first), with their state now. */
  async alerts(since: Date): Promise<LoginAlert[]> {
    const { entries } = await this.o.audit.query({ action: "auth.login_backoff", since, limit: 100 });
    const firstPerUser = new Map<string, Date>();
    for (const e of entries) if (e.targetId && !firstPerUser.has(e.targetId)) firstPerUser.set(e.targetId, e.createdAt);
    const users = await this.o.db.staffUser.findMany({ where: { id: { in: [...firstPerUser.keys()] } } });
    return users
      .map((u) => ({
        userId: u.id,
        email: u.email,
        at: firstPerUser.get(u.id)!,
        failedLogins: u.failedLogins,
        loginDelayUntil: u.loginDelayUntil,
        lastFailedLoginAt: u.lastFailedLoginAt,
      }))
      .sort((a, b) => b.at.getTime() - a.at.getTime());
  }
}
