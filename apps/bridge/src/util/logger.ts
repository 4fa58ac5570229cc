import { maskPaymentCodesIn } from "@kiosk/alipay-core/money";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(namespace: string): Logger;
}

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const MASKED_KEYS = new Set(["token", "pairingToken", "authorization"]);

export interface LoggerOptions {
  level: LogLevel;
  /** Receives one JSON line per record; main.ts wires it to stdout. */
  write: (line: string) => void;
  namespace?: string;
  now?: () => Date;
}

/** JSON-line logger with namespaced children; secrets under known keys and payment codes anywhere are masked. */
export function createLogger(options: LoggerOptions): Logger {
  const now = options.now ?? (() => new Date());
  const log = (level: LogLevel, message: string, fields?: LogFields): void => {
    if (LEVEL_RANK[level] < LEVEL_RANK[options.level]) return;
    const record: LogFields = { time: now().toISOString(), level, ns: options.namespace ?? "bridge", msg: message };
    for (const [key, value] of Object.entries(fields ?? {})) {
      record[key] = MASKED_KEYS.has(key) ? "***" : value instanceof Error ? value.message : value;
    }
    // A scan quoted in a message or an error (any 16–24 digit run) gets the one payment code mask.
    options.write(maskPaymentCodesIn(JSON.stringify(record)));
  };
  return {
    debug: (message, fields) => log("debug", message, fields),
    info: (message, fields) => log("info", message, fields),
    warn: (message, fields) => log("warn", message, fields),
    error: (message, fields) => log("error", message, fields),
    child: (namespace) => createLogger({ ...options, namespace: `${options.namespace ?? "bridge"}.${namespace}` }),
  };
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
