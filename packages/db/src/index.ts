export {
  backupSqlite,
  createDb,
  DEFAULT_DB_TIMEOUTS,
  pgTimeoutConfig,
  providerOf,
  redactUrl,
  sqlitePath,
  tuneSqlite,
  withDatabasePassword,
} from "./client.ts";
export type { CreateDbOptions, Db, DbHandle, DbProvider, DbTimeouts } from "./client.ts";
export { listMigrations, migrate, MigrationChecksumError, type MigrateOptions } from "./migrate.ts";
export { DEMO_ATTRACTIONS, DEMO_COUNTER_ID, DEMO_KIOSK_ID, seed } from "./seed.ts";
export type { SeedOptions, SeedResult } from "./seed.ts";
export {
  hashPassword,
  hashToken,
  needsRehash,
  newToken,
  verifyPassword,
  PASSWORD_HASH_PARAMS,
  type ScryptParams,
} from "./secrets.ts";
export { addDays, dayInZone, zonedTimeToUtc, zoneOffsetMs } from "./time-zone.ts";
export * from "./types.ts";
export { Prisma } from "./generated/sqlite/client.ts";
export { isRecordNotFound, isRetryableConflict, isUniqueViolation } from "./errors.ts";
export { BatchMiss, directSqlOf, setDirectSql, type BatchStatement, type DirectSql } from "./direct-sql.ts";
