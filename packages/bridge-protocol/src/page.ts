/**
 * The protocol as the kiosk page needs it at run time, without zod (issue 20: zod made up a
 * large part of the page's JavaScript): the constants and a hand-written `parseBridgeMessage`
 * that accepts exactly what `BridgeMessageSchema` accepts (page.test.ts checks the two agree
 * on every message and on thousands of damaged variants). The bridge and the server keep
 * using the zod schemas of index.ts. Only type imports here: nothing else ships with the page.
 */
import type { BridgeMessage, ParseFailure, ParseResult } from "./index.ts";

export const BRIDGE_PROTOCOL_VERSION = 1 as const;

/** WebSocket close codes the bridge uses; the reason string carries the detail. */
export const BRIDGE_CLOSE_CODES = {
  /** The Origin header is not on the allow-list. */
  originNotAllowed: 4003,
  /** The first message was not `auth`, or the token is wrong. */
  unauthorized: 4001,
  /** No `auth` message arrived in time. */
  authTimeout: 4002,
  /** The client speaks another protocol version. */
  unsupportedVersion: 4004,
  /** A newer authenticated connection took over. */
  superseded: 4005,
  /** The bridge is shutting down. */
  shuttingDown: 1001,
} as const;

/** Client-chosen ids (MessageIdSchema): 1-100 characters, safe as a file name. */
export const MESSAGE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
// z.iso.datetime(): a real calendar date, T, hh:mm:ss(.fraction), Z.
const DATE = String.raw`(?:(?:\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29|\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|(?:02)-(?:0[1-9]|1\d|2[0-8])))`;
const ISO_DATETIME = new RegExp(String.raw`^${DATE}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?Z$`);

const SCANNER_KINDS = ["hid-pos", "hid-keyboard", "serial", "virtual"];
const PRINTER_KINDS = ["usb", "tcp", "serial", "virtual"];
const PAPER_STATES = ["ok", "near_end", "out", "unknown"];
const ERROR_CODES = [
  "malformed_message",
  "unknown_message",
  "not_authenticated",
  "already_authenticated",
  "scanner_unavailable",
  "printer_unavailable",
  "render_failed",
  "internal_error",
];
const PRINT_STATUSES = ["printed", "failed"];

type Check = (v: unknown) => boolean;
type Shape = Readonly<Record<string, { check: Check; isOptional?: boolean }>>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str: Check = (v) => typeof v === "string";
const bool: Check = (v) => typeof v === "boolean";
const oneOf =
  (values: readonly string[]): Check =>
  (v) =>
    typeof v === "string" && values.includes(v);
const literal =
  (value: string): Check =>
  (v) =>
    v === value;
const count: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const positiveInt: Check = (v) => Number.isSafeInteger(v) && (v as number) > 0;
const messageId: Check = (v) => typeof v === "string" && v.length >= 1 && v.length <= 100 && MESSAGE_ID.test(v);
const req = (check: Check) => ({ check });
const opt = (check: Check) => ({ check, isOptional: true });

/** A strict object: exactly these keys (optional ones may be missing or undefined), each valid. */
function strict(shape: Shape): Check {
  return (v) => {
    if (!isRecord(v)) return false;
    for (const key of Object.keys(v)) if (!Object.hasOwn(shape, key)) return false;
    for (const [key, { check, isOptional }] of Object.entries(shape)) {
      const value = v[key];
      if (value === undefined ? !isOptional : !check(value)) return false;
    }
    return true;
  };
}

const scannerStatus = strict({
  kind: req(oneOf(SCANNER_KINDS)),
  connected: req(bool),
  armed: req(bool),
  droppedScans: req(count),
});
const printerStatus = strict({
  kind: req(oneOf(PRINTER_KINDS)),
  connected: req(bool),
  online: req(bool),
  paper: req(oneOf(PAPER_STATES)),
  coverOpen: req(bool),
  error: req(bool),
  queuedJobs: req(count),
});
const devices = strict({ scanner: req(scannerStatus), printer: req(printerStatus) });

const BRIDGE_MESSAGES: Readonly<Record<BridgeMessage["type"], Check>> = {
  hello: strict({
    type: req(literal("hello")),
    bridgeVersion: req(str),
    protocolVersion: req(positiveInt),
    devices: req(devices),
  }),
  ack: strict({ type: req(literal("ack")), id: req(messageId) }),
  error: strict({ type: req(literal("error")), id: opt(messageId), code: req(oneOf(ERROR_CODES)), message: req(str) }),
  scan: strict({
    type: req(literal("scan")),
    data: req(str),
    source: req(oneOf(SCANNER_KINDS)),
    at: req((v) => typeof v === "string" && ISO_DATETIME.test(v)),
  }),
  "device.status": strict({
    type: req(literal("device.status")),
    scanner: req(scannerStatus),
    printer: req(printerStatus),
  }),
  "print.result": strict({
    type: req(literal("print.result")),
    id: req(messageId),
    status: req(oneOf(PRINT_STATUSES)),
    reason: opt(str),
  }),
};

function withId(failure: ParseFailure, id: string | undefined): ParseFailure {
  return id === undefined ? failure : { ...failure, id };
}

/** Parses a message the bridge sent (a JSON string or an already-decoded value); same results as index.ts's. */
export function parseBridgeMessage(raw: unknown): ParseResult<BridgeMessage> {
  let value: unknown = raw;
  if (typeof raw === "string") {
    try {
      value = JSON.parse(raw);
    } catch {
      return { ok: false, code: "malformed_message", message: "Message is not valid JSON" };
    }
  }
  if (!isRecord(value)) return { ok: false, code: "malformed_message", message: "Message must be a JSON object" };
  const id = messageId(value["id"]) ? (value["id"] as string) : undefined;
  const type = value["type"];
  if (typeof type !== "string")
    return withId({ ok: false, code: "malformed_message", message: "Message has no string 'type'" }, id);
  const check = Object.hasOwn(BRIDGE_MESSAGES, type) ? BRIDGE_MESSAGES[type as BridgeMessage["type"]] : undefined;
  if (!check)
    return withId({ ok: false, code: "unknown_message", message: `Unknown message type '${type.slice(0, 40)}'` }, id);
  if (!check(value)) return withId({ ok: false, code: "malformed_message", message: `Invalid '${type}' message` }, id);
  return { ok: true, message: value as BridgeMessage };
}
