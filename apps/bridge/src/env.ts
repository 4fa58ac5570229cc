/**
 * The only reader of process.env. Parses and validates once; a wrong value
 * stops start-up with a message naming the variable.
 */
import { z } from "zod";

export const DEV_PAIRING_TOKEN = "dev-pairing-token-change-me";

const LOOPBACK_HOSTS = ["127.0.0.1", "::1", "localhost"] as const;

const hexId = z.string().regex(/^[0-9a-fA-F]{1,4}$/);

export type PrinterTarget =
  | { kind: "virtual" }
  | { kind: "tcp"; host: string; port: number }
  | { kind: "usb"; vendorId: number; productId: number }
  | { kind: "serial"; path: string; baudRate: number };

export type ScannerTarget =
  | { kind: "virtual" }
  | { kind: "hid-pos"; vendorId: number; productId: number }
  | { kind: "hid-keyboard"; vendorId: number; productId: number }
  | { kind: "serial"; path: string; baudRate: number };

function parseVidPid(value: string): { vendorId: number; productId: number } | null {
  const [vid, pid, ...rest] = value.split(":");
  if (rest.length > 0 || !hexId.safeParse(vid).success || !hexId.safeParse(pid).success) return null;
  return { vendorId: Number.parseInt(vid ?? "", 16), productId: Number.parseInt(pid ?? "", 16) };
}

function parseSerial(value: string): { path: string; baudRate: number } | null {
  const match = /^serial:([^@]+)(?:@(\d+))?$/.exec(value);
  if (!match?.[1]) return null;
  return { path: match[1], baudRate: match[2] ? Number(match[2]) : 9600 };
}

const PrinterTargetSchema = z.string().transform((value, ctx): PrinterTarget => {
  if (value === "virtual") return { kind: "virtual" };
  const tcp = /^tcp:\/\/([^:/]+):(\d{1,5})$/.exec(value);
  if (tcp?.[1] && tcp[2]) return { kind: "tcp", host: tcp[1], port: Number(tcp[2]) };
  if (value.startsWith("usb:")) {
    const ids = parseVidPid(value.slice(4));
    if (ids) return { kind: "usb", ...ids };
  }
  if (value.startsWith("serial:")) {
    const serial = parseSerial(value);
    if (serial) return { kind: "serial", ...serial, baudRate: value.includes("@") ? serial.baudRate : 115_200 };
  }
  ctx.addIssue({
    code: "custom",
    message: 'expected "virtual", "tcp://host:port", "usb:VID:PID" or "serial:/dev/...[@baud]"',
  });
  return z.NEVER;
});

const ScannerTargetSchema = z.string().transform((value, ctx): ScannerTarget => {
  if (value === "virtual") return { kind: "virtual" };
  for (const prefix of ["hid-keyboard:", "hid:"] as const) {
    if (value.startsWith(prefix)) {
      const ids = parseVidPid(value.slice(prefix.length));
      if (ids) return { kind: prefix === "hid:" ? "hid-pos" : "hid-keyboard", ...ids };
    }
  }
  if (value.startsWith("serial:")) {
    const serial = parseSerial(value);
    if (serial) return { kind: "serial", ...serial };
  }
  ctx.addIssue({
    code: "custom",
    message: 'expected "virtual", "hid:VID:PID", "hid-keyboard:VID:PID" or "serial:/dev/...[@baud]"',
  });
  return z.NEVER;
});

const port = z.coerce.number().int().min(0).max(65_535);

export const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  BRIDGE_HOST: z
    .enum(LOOPBACK_HOSTS, { message: "must be a loopback address (127.0.0.1, ::1 or localhost)" })
    .default("127.0.0.1"),
  BRIDGE_PORT: port.default(7878),
  BRIDGE_ALLOWED_ORIGINS: z
    .string()
    .default("http://localhost:3000,http://127.0.0.1:3000")
    .transform((value) =>
      value
        .split(",")
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ message: "each origin must be a URL such as https://kiosk.example.com" })).min(1)),
  /**
   * The device bridge token(s) this bridge accepts, comma-separated: normally one, the token the
   * console issued for the kiosk or counter on this PC (docs/security.md). `npm start` lists the
   * demo kiosk's and the demo counter's, since one bridge serves both there.
   */
  BRIDGE_PAIRING_TOKEN: z
    .string()
    .default(DEV_PAIRING_TOKEN)
    .transform((value) =>
      value
        .split(",")
        .map((token) => token.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().min(16, "each token must be at least 16 characters")).min(1, "at least one token")),
  BRIDGE_DATA_DIR: z.string().min(1).default("./data/bridge"),
  BRIDGE_PRINTER: PrinterTargetSchema.default({ kind: "virtual" }),
  BRIDGE_SCANNER: ScannerTargetSchema.default({ kind: "virtual" }),
  BRIDGE_SCANNER_KEYMAP: z.enum(["us", "de"]).default("us"),
  BRIDGE_PAPER_WIDTH: z.enum(["80mm", "58mm"]).default("80mm"),
  BRIDGE_PRINTER_STATUS_POLL_MS: z.coerce.number().int().min(200).max(60_000).default(2000),
  BRIDGE_VIRTUAL_PRINTER_PORT: port.default(9100),
  BRIDGE_VIRTUAL_CONTROL_PORT: port.default(7879),
  BRIDGE_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

export type BridgeEnv = z.infer<typeof EnvSchema>;

export class EnvError extends Error {
  override readonly name = "EnvError";
}

export function parseEnv(source: Record<string, string | undefined>): BridgeEnv {
  // Empty strings count as unset, so `BRIDGE_PORT=` falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".") || "(env)"}: ${issue.message}`);
    throw new EnvError(`Invalid bridge configuration:\n${lines.join("\n")}`);
  }
  const env = parsed.data;
  if (env.NODE_ENV === "production" && env.BRIDGE_PAIRING_TOKEN.includes(DEV_PAIRING_TOKEN)) {
    throw new EnvError(
      "Invalid bridge configuration:\n  BRIDGE_PAIRING_TOKEN: must be set in production (the dev default is public)",
    );
  }
  return env;
}

export function readEnv(): BridgeEnv {
  return parseEnv(process.env);
}
