/** Structured logger the sandbox writes to (@kiosk/log: pino with redaction); tests pass nothing. */
import type { Logger } from "@kiosk/log";

export type SandboxLogger = Pick<Logger, "info" | "warn" | "error">;

export { silentLogger } from "@kiosk/log";
