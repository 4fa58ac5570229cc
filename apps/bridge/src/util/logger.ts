/** The bridge's logger: @kiosk/log (pino with redaction), namespaced "bridge.<part>". */
import { createLogger as createKioskLogger, type Logger } from "@kiosk/log";

export type { Logger } from "@kiosk/log";
export { silentLogger } from "@kiosk/log";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LoggerOptions {
  level: LogLevel;
  /** Receives one JSON line per record; main.ts wires it to stdout. */
  write: (line: string) => void;
  namespace?: string;
  now?: () => Date;
}

/** JSON-line logger with namespaced children; secrets by key and payment codes anywhere are masked. */
export function createLogger(options: LoggerOptions): Logger {
  return createKioskLogger({
    level: options.level,
    sink: (line) => options.write(line),
    bindings: { ns: options.namespace ?? "bridge" },
    nsSeparator: ".",
    ...(options.now ? { clock: options.now } : {}),
  });
}
