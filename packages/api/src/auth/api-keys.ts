/**
 * Booking systems' API keys: issued once (`kak_<prefix>_<secret>`), stored as a SHA-256 hash,
 * looked up by prefix and compared in constant time. Reached as `AuthService.apiKeys`.
 */
import { API_SCOPES, directSqlOf, hashToken, Prisma, type ApiScope } from "@kiosk/db";
import { KioskError } from "../errors.ts";
import { newId } from "../ids.ts";
import type { ActorRef } from "../services/audit-service.ts";
import { bucketUpsertSql, type SharedBucket } from "../services/rate-limit.ts";
import type { AuthServiceOptions } from "./auth-service.ts";
import { apiKeyPrefix, newApiKey, safeEqualHex } from "./tokens.ts";

const API_KEY_TOUCH_INTERVAL_MS = 60_000;

/** The columns of an API client its key is checked against. */
type ApiClientRow = {
  id: string;
  attractionId: string;
  name: string;
  keyHash: string;
  scopes: string;
  isActive: boolean;
  lastUsedAt: Date | null;
};

export interface ApiClientIdentity {
  id: string;
  attractionId: string;
  name: string;
  scopes: readonly ApiScope[];
}

export function parseScopes(text: string): ApiScope[] {
  return text.split(/\s+/).filter((s): s is ApiScope => (API_SCOPES as readonly string[]).includes(s));
}

export class ApiKeyService {
  constructor(private readonly o: Pick<AuthServiceOptions, "db" | "clock" | "log" | "audit">) {}

  async create(
    input: { attractionId: string; name: string; scopes: readonly ApiScope[] },
    actor: ActorRef,
  ): Promise<{ key: string; client: ApiClientIdentity }> {
    const attraction = await this.o.db.attraction.findUnique({
      where: { id: input.attractionId },
      select: { id: true },
    });
    if (!attraction) throw new KioskError("NOT_FOUND", `Attraction ${input.attractionId} does not exist.`);
    const { key, prefix } = newApiKey();
    const id = newId("apc");
    const scopes = [...new Set(input.scopes)];
    await this.o.db.apiClient.create({
      data: {
        id,
        attractionId: input.attractionId,
        name: input.name,
        keyPrefix: prefix,
        keyHash: hashToken(key),
        scopes: scopes.join(" "),
        createdAt: this.o.clock.now(),
      },
    });
    await this.o.audit.record({
      actor,
      action: "api_client.create",
      target: { type: "api_client", id },
      details: { name: input.name, scopes, keyPrefix: prefix },
    });
    return { key, client: { id, attractionId: input.attractionId, name: input.name, scopes } };
  }

  async revoke(input: { apiClientId: string; reason: string }, actor: ActorRef): Promise<void> {
    const r = await this.o.db.apiClient.updateMany({ where: { id: input.apiClientId }, data: { isActive: false } });
    if (r.count === 0) throw new KioskError("NOT_FOUND", `API client ${input.apiClientId} does not exist.`);
    await this.o.audit.record({
      actor,
      action: "api_client.revoke",
      target: { type: "api_client", id: input.apiClientId },
      reason: input.reason,
    });
  }

  async list(
    attractionId?: string,
  ): Promise<
    Array<ApiClientIdentity & { keyPrefix: string; isActive: boolean; lastUsedAt: Date | null; createdAt: Date }>
  > {
    const rows = await this.o.db.apiClient.findMany({ where: { attractionId }, orderBy: { createdAt: "desc" } });
    return rows.map((r) => ({
      id: r.id,
      attractionId: r.attractionId,
      name: r.name,
      scopes: parseScopes(r.scopes),
      keyPrefix: r.keyPrefix,
      isActive: r.isActive,
      lastUsedAt: r.lastUsedAt,
      createdAt: r.createdAt,
    }));
  }

  async authenticate(key: string): Promise<ApiClientIdentity | null> {
    const prefix = apiKeyPrefix(key);
    if (!prefix) return null;
    const c = await this.o.db.apiClient.findUnique({ where: { keyPrefix: prefix } });
    return this.apiClientOf(key, c);
  }

  /**
   * `authenticate` and the client's rate-limit bucket (`RateLimiter.sharedBucket`) in one
   * statement: the client by its key's prefix, then the bucket of its id charged only when the
   * key is the client's and active (a wrong or revoked key charges nothing). Throws the
   * bucket's refusal when over. PostgreSQL's direct executor only, like `AuthService.authenticateKioskCounted`.
   */
  async authenticateCounted(key: string, bucket: SharedBucket): Promise<ApiClientIdentity | null> {
    const direct = directSqlOf(this.o.db);
    if (direct?.provider !== "postgresql")
      throw new Error("ApiKeyService.authenticateCounted needs PostgreSQL's direct executor");
    const prefix = apiKeyPrefix(key);
    if (!prefix) return null;
    const [c] = await direct.query<ApiClientRow & { points: number | null }>(
      Prisma.sql`WITH c AS (
          SELECT "id", "attractionId", "name", "keyHash", "scopes", "isActive", "lastUsedAt" FROM "ApiClient"
          WHERE "keyPrefix" = ${prefix}
        ), b AS (${bucketUpsertSql(
          Prisma.sql`SELECT ${bucket.keyPrefix}::text || c."id" || ${bucket.keySuffix}::text, ${bucket.points}::int, ${bucket.expire}::timestamp(3)
            FROM c WHERE c."isActive" AND c."keyHash" = ${hashToken(key)}`,
          bucket.now,
        )})
        SELECT c.*, (SELECT "points" FROM b) AS "points" FROM c`,
      { dates: ["lastUsedAt"] },
    );
    const client = await this.apiClientOf(key, c ?? null);
    if (client && bucket.isOver(Number(c!.points))) throw bucket.refusal();
    return client;
  }

  /** The identity of the client `key` belongs to (its hash compared in constant time); touches lastUsedAt now and then. */
  private async apiClientOf(key: string, c: ApiClientRow | null): Promise<ApiClientIdentity | null> {
    if (!c || !c.isActive || !safeEqualHex(c.keyHash, hashToken(key))) return null;
    const now = this.o.clock.now();
    if (!c.lastUsedAt || now.getTime() - c.lastUsedAt.getTime() > API_KEY_TOUCH_INTERVAL_MS) {
      await this.o.db.apiClient
        .update({ where: { id: c.id }, data: { lastUsedAt: now } })
        .catch((e: unknown) => this.o.log.warn("api key lastUsedAt update failed", { error: e }));
    }
    return { id: c.id, attractionId: c.attractionId, name: c.name, scopes: parseScopes(c.scopes) };
  }
}
