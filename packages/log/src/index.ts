/**
 * The one logger of the repository (server, sandbox, bridge): pino, one JSON line per
 * record, namespaced children, and redaction of anything that looks like a key, token,
 * password or payment code — by field name (pino's `redact` paths for the well-known
 * places, plus a deep pass over every record for names and values) before a line is written.
 */
import { maskPaymentCodesIn } from "@kiosk/alipay-core/money";
import { pino, type DestinationStream, type Logger as Pino } from "pino";

export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
type WriteLevel = Exclude<LogLevel, "silent">;

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /**
   * A logger that adds `bindings` to every record; `ns` (or a bare string) is joined to the
   * parent's namespace with the logger's separator (":" by default).
   */
  child(bindings: (LogFields & { ns?: string }) | string): Logger;
}

export interface CreateLoggerOptions {
  level?: LogLevel;
  /** Where lines go (without the trailing newline); defaults to stdout (stderr for warn/error). Tests pass an array sink. */
  sink?: (line: string, level: WriteLevel) => void;
  bindings?: LogFields;
  clock?: () => Date;
  /** Joins a child's namespace to its parent's. @default ":" */
  nsSeparator?: string;
}

/** Field names whose values are never logged. Matched case-insensitively on the whole name. */
const SECRET_KEY =
  /(pass(word)?|secret|token|api_?key|private_?key|md5_?key|authorization|cookie|credential|sign(ature)?|payment_?code|auth_?code|dynamic_?id|pairing_?code|session)$/i;
/** Names that end like a secret but are safe identifiers. */
const SAFE_KEY = /^(keyPrefix|keyId|ticketKeyId|idempotencyKey|signType|tokenPrefix|sessionId|paymentCodeMasked)$/;
/** Secret-looking values inside strings: our own tokens (16–24 digit payment codes: maskPaymentCodesIn). */
const SECRET_TOKEN = /\b(k(?:ak|dc|st|pc)_[A-Za-z0-9_-]{6,})/g;
const PEM = /-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g;
const REDACTED = "[redacted]";

/** pino's own redaction (fast-redact): the well-known places, censored before the deep pass below sees them. */
export const REDACT_PATHS = [
  "password",
  "token",
  "secret",
  "authorization",
  "cookie",
  "paymentCode",
  "*.password",
  "*.token",
  "*.authorization",
  "*.cookie",
  "*.paymentCode",
  "headers.authorization",
  "headers.cookie",
  "req.headers.authorization",
  "req.headers.cookie",
];

export function redactString(value: string): string {
  const masked = value
    .replace(PEM, "[redacted pem]")
    .replace(SECRET_TOKEN, (token: string) => `${token.slice(0, 4)}${REDACTED}`);
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
        SECRET_KEY.test(k) && !SAFE_KEY.test(k) && v !== null && v !== undefined ? REDACTED : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

function defaultSink(line: string, level: WriteLevel): void {
  // The one console sink of the repository's loggers: stdout, stderr for warn/error.
  (level === "warn" || level === "error" ? process.stderr : process.stdout).write(`${line}\n`);
}

function sinkStream(sink: NonNullable<CreateLoggerOptions["sink"]>): DestinationStream {
  return {
    write(chunk: string): void {
      const line = chunk.endsWith("\n") ? chunk.slice(0, -1) : chunk;
      const level = /"level":"(debug|info|warn|error)"/.exec(line)?.[1] as WriteLevel | undefined;
      sink(line, level ?? "info");
    },
  };
}

function rootPino(options: CreateLoggerOptions): Pino {
  const clock = options.clock ?? (() => new Date());
  return pino(
    {
      level: options.level ?? "info",
      base: undefined,
      // "message", as the server, bridge and sandbox have always written it (operators' log queries, docs).
      messageKey: "message",
      timestamp: () => `,"time":"${clock().toISOString()}"`,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redact(bindings) as LogFields,
        log: (record) => redact(record) as LogFields,
      },
    },
    sinkStream(options.sink ?? defaultSink),
  );
}

function renameMessageField(fields: LogFields): LogFields {
  const { message, ...rest } = fields;
  return Object.assign(rest, { messageField: message });
}

function wrap(root: Pino, bindings: LogFields, separator: string): Logger {
  // Children are made from the root with all bindings merged, so each key (e.g. `ns`) appears once per line.
  const instance = Object.keys(bindings).length > 0 ? root.child(bindings) : root;
  const write =
    (level: WriteLevel) =>
    (message: string, fields?: LogFields): void => {
      if (!instance.isLevelEnabled(level)) return;
      // A field named like the message key would write "message" twice on one line (JSON readers keep the last).
      const safe = fields && "message" in fields ? renameMessageField(fields) : fields;
      instance[level](safe ?? {}, redactString(message));
    };
  return {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    child: (more) => {
      const { ns: childNs, ...rest } = typeof more === "string" ? { ns: more } : more;
      const parentNs = typeof bindings.ns === "string" ? bindings.ns : undefined;
      const ns = childNs ? (parentNs ? `${parentNs}${separator}${childNs}` : childNs) : parentNs;
      return wrap(root, Object.assign({}, bindings, rest, ns ? { ns } : {}), separator);
    },
  };
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  return wrap(rootPino(options), options.bindings ?? {}, options.nsSeparator ?? ":");
}

/** A logger that drops everything (default for tests). */
export const silentLogger: Logger = createLogger({ level: "silent" });

/** A logger that keeps parsed records in memory, for assertions. */
export function createMemoryLogger(level: LogLevel = "debug"): { log: Logger; records: LogFields[] } {
  const records: LogFields[] = [];
  return { log: createLogger({ level, sink: (line) => records.push(JSON.parse(line) as LogFields) }), records };
}
