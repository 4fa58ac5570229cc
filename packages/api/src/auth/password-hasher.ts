/**
 * Password hashing off the event loop with a cap: scrypt runs on libuv's thread pool (which
 * DNS lookups, file I/O and the database driver share), so at most `concurrency` hashes run
 * at once and at most `queueLimit` wait; a login beyond that is refused with a typed
 * TOO_MANY_REQUESTS instead of queueing without bound. A flood of logins therefore cannot
 * stall /healthz, payments or notifications.
 */
import { hashPassword, needsRehash, verifyPassword, PASSWORD_HASH_PARAMS, type ScryptParams } from "@kiosk/db";
import { KioskError } from "../errors.ts";

export interface PasswordHasherOptions {
  /** scrypt parameters for new hashes. @default PASSWORD_HASH_PARAMS (OWASP: N=2^17, r=8, p=1) */
  params?: ScryptParams;
  /** Hashes running at once. @default 2 */
  concurrency?: number;
  /** Hashes waiting for a slot; more are refused. @default 16 */
  queueLimit?: number;
}

export class PasswordHasher {
  readonly params: ScryptParams;
  private readonly concurrency: number;
  private readonly queueLimit: number;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(o: PasswordHasherOptions = {}) {
    this.params = o.params ?? PASSWORD_HASH_PARAMS;
    this.concurrency = o.concurrency ?? 2;
    this.queueLimit = o.queueLimit ?? 16;
  }

  hash(password: string): Promise<string> {
    return this.slot(() => hashPassword(password, this.params));
  }

  verify(password: string, stored: string): Promise<boolean> {
    return this.slot(() => verifyPassword(password, stored));
  }

  /** True when `stored` should be replaced by a hash with the current parameters. */
  needsRehash(stored: string): boolean {
    return needsRehash(stored, this.params);
  }

  private async slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueLimit) {
        throw new KioskError(
          "TOO_MANY_REQUESTS",
          "Too many sign-ins are being checked right now; retry in a few seconds.",
          { details: { retryAfterSec: 2, reason: "password_queue_full" } },
        );
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.running += 1;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
