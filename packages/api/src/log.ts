/** The server's logger is the repository's one logger, @kiosk/log (pino with redaction). */
export * from "@kiosk/log";
