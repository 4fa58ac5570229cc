/**
 * Structured JSON logger: one line per record, namespaced child loggers, and
 * redaction of anything that looks like a key, token, password or payment code.
 * This is the only file in the app allowed to write to the console.
 */
import { maskPaymentCodesIn } from "@kiosk/alipay-core/money";

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `bindings` to every record; `ns` is joined with ":" to the parent's. */
  child(bindings: LogFields & { ns?: string }): Logger;
}

export interface CreateLoggerOptions {
  level?: LogLevel;
  /** Where lines go; defaults to stdout (stderr for warn/error). Tests pass an array sink. */
  sink?: (line: string, level: Exclude<LogLevel, "silent">) => void;
  bindings?: LogFields;
  clock?: () => Date;
}

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** Field names whose values are never logged. Matched case-insensitively on the whole name. */
const SECRET_KEY =
  /(pass(word)?|secret|token|api_?key|private_?key|md5_?key|authorization|cookie|credential|sign(ature)?|payment_?code|auth_?code|dynamic_?id|pairing_?code|session)$/i;
/** Names that end like a secret but are safe identifiers. */
const SAFE_KEY = /^(keyPrefix|keyId|ticketKeyId|idempotencyKey|signType|tokenPrefix|sessionId|paymentCodeMasked)$/;
/** Secret-looking values inside strings: our own tokens (16–24 digit payment codes: maskPaymentCodesIn). */
const SECRET_TOKEN = /\b(k(?:ak|dc|st|pc)_[A-Za-z0-9_-]{6,})/g;
const PEM = /-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g;

export function redactString(value: string): string {
  const masked = value
    .replace(PEM, "[redacted pem]")
    .replace(SECRET_TOKEN, (token: string) => `${token.slice(0, 4)}[redacted]`);
  // Payment codes (and any 16–24 digit run) get the one masking rule of @kiosk/alipay-core/money.
  return maskPaymentCodesIn(masked);
}

/** Deep copy of `value` with secret fields masked (cal.com `maskValuesOfKeys`). */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return "[depth]";
  if (typeof value === "string") return redactString(value);
  if (value instanceof Error) {
    const out: LogFields = { name: value.name, message: redactString(value.message) };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    if (value.stack) out.stack = redactString(value.stack);
    if (value.cause !== undefined) out.cause = redact(value.cause, depth + 1);
    return out;
  }
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === "object") {
    const out: LogFields = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        SECRET_KEY.test(k) && !SAFE_KEY.test(k) && v !== null && v !== undefined ? "[redacted]" : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

function defaultSink(line: string, level: Exclude<LogLevel, "silent">): void {
  // The server's one log sink: stdout/stderr (the only console use in packages/api).
  /* eslint-disable no-console */
  if (level === "warn" || level === "error") console.error(line);
  else console.log(line);
  /* eslint-enable no-console */
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const sink = options.sink ?? defaultSink;
  const clock = options.clock ?? (() => new Date());
  const bindings = options.bindings ?? {};

  const write = (lvl: Exclude<LogLevel, "silent">, message: string, fields?: LogFields): void => {
    if (RANK[lvl] < RANK[level]) return;
    const record = redact({
      time: clock().toISOString(),
      level: lvl,
      ...bindings,
      msg: message,
      ...fields,
    }) as LogFields;
    let line: string;
    try {
      line = JSON.stringify(record);
    } catch {
      line = JSON.stringify({ time: record.time, level: lvl, msg: message, logError: "unserializable fields" });
    }
    sink(line, lvl);
  };

  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: ({ ns, ...more }) => {
      const parentNs = typeof bindings.ns === "string" ? bindings.ns : undefined;
      const childNs = ns ? (parentNs ? `${parentNs}:${ns}` : ns) : parentNs;
      return createLogger({ ...options, bindings: { ...bindings, ...more, ...(childNs ? { ns: childNs } : {}) } });
    },
  };
}

/** A logger that drops everything (default for tests). */
export const silentLogger: Logger = createLogger({ level: "silent" });

/** A logger that keeps parsed records in memory, for assertions. */
export function createMemoryLogger(level: LogLevel = "debug"): { log: Logger; records: LogFields[] } {
  const records: LogFields[] = [];
  return { log: createLogger({ level, sink: (line) => records.push(JSON.parse(line) as LogFields) }), records };
}
