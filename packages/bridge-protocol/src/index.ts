/**
 * Messages between the kiosk page and the local device bridge.
 *
 * Defined once here and validated on both ends. This module must stay
 * browser-safe: it imports nothing but zod and page.ts. The kiosk page itself imports page.ts
 * (no zod) for its run-time needs.
 */
import { z } from "zod";

// The constants live in page.ts (the zod-free part the kiosk page ships).
import { MESSAGE_ID } from "./page.ts";

export { BRIDGE_CLOSE_CODES, BRIDGE_PROTOCOL_VERSION } from "./page.ts";

/** Client-chosen ids: command ids and print job ids. Safe as a file name. */
export const MessageIdSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(MESSAGE_ID, "id may contain letters, digits, '.', '_', ':' and '-'");

const Text = (max: number) => z.string().max(max);

// ---------------------------------------------------------------- documents

/** Already-localised strings; the bridge does no i18n, it only lays out. */
export const TicketDocumentSchema = z.strictObject({
  attractionName: Text(200).min(1),
  ticketTypeLabel: Text(200).min(1),
  validityText: Text(300),
  /** The signed ticket code, encoded as a QR code (printable ASCII, as signed codes are). */
  qrPayload: z
    .string()
    .min(1)
    .max(1500)
    .regex(/^[\x20-\x7e]+$/, "qrPayload must be printable ASCII"),
  priceText: Text(100),
  orderNo: Text(100),
  alipayTradeNo: Text(100),
  issuedAtText: Text(100),
  footerText: Text(500).optional(),
  labels: z.strictObject({
    price: Text(60),
    orderNo: Text(60),
    alipayTradeNo: Text(60),
    issuedAt: Text(60),
  }),
});
export type TicketDocument = z.infer<typeof TicketDocumentSchema>;

export const ReceiptLineSchema = z.strictObject({
  label: Text(200),
  quantity: z.number().int().min(0).max(10_000).optional(),
  amountText: Text(60),
});
export type ReceiptLine = z.infer<typeof ReceiptLineSchema>;

export const ReceiptDocumentSchema = z.strictObject({
  title: Text(200).min(1),
  attractionName: Text(200),
  lines: z.array(ReceiptLineSchema).max(100),
  totalLabel: Text(60),
  totalText: Text(60),
  orderNo: Text(100),
  alipayTradeNo: Text(100),
  issuedAtText: Text(100),
  /** The wallet the buyer paid with (Alipay+ through Antom, e.g. "GCash"); printed with `labels.wallet`. */
  walletName: Text(100).optional(),
  footerText: Text(500).optional(),
  labels: z.strictObject({
    orderNo: Text(60),
    alipayTradeNo: Text(60),
    issuedAt: Text(60),
    wallet: Text(60).optional(),
  }),
});
export type ReceiptDocument = z.infer<typeof ReceiptDocumentSchema>;

/** BCP 47 tag such as "zh-CN", "ja", "ko", "en". */
export const LocaleSchema = z
  .string()
  .min(2)
  .max(35)
  .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/);

// ---------------------------------------------------------- client → bridge

export const AuthMessageSchema = z.strictObject({
  type: z.literal("auth"),
  token: z.string().min(1).max(512),
  protocolVersion: z.number().int().positive(),
});

export const ScannerArmMessageSchema = z.strictObject({
  type: z.literal("scanner.arm"),
  id: MessageIdSchema,
  /** How long the scanner stays armed unless disarmed; the bridge caps it. */
  timeoutMs: z.number().int().min(100).max(600_000).optional(),
});

export const ScannerDisarmMessageSchema = z.strictObject({
  type: z.literal("scanner.disarm"),
  id: MessageIdSchema,
});

export const PrintTicketMessageSchema = z.strictObject({
  type: z.literal("print"),
  /** Job id, chosen by the client; re-sending the same id never prints twice. */
  id: MessageIdSchema,
  kind: z.literal("ticket"),
  locale: LocaleSchema,
  document: TicketDocumentSchema,
});

export const PrintReceiptMessageSchema = z.strictObject({
  type: z.literal("print"),
  id: MessageIdSchema,
  kind: z.literal("receipt"),
  locale: LocaleSchema,
  document: ReceiptDocumentSchema,
});

export const PrintMessageSchema = z.discriminatedUnion("kind", [PrintTicketMessageSchema, PrintReceiptMessageSchema]);

export const SelftestMessageSchema = z.strictObject({
  type: z.literal("selftest"),
  id: MessageIdSchema,
});

export const StatusGetMessageSchema = z.strictObject({
  type: z.literal("status.get"),
  id: MessageIdSchema,
});

export const ClientMessageSchema = z.discriminatedUnion("type", [
  AuthMessageSchema,
  ScannerArmMessageSchema,
  ScannerDisarmMessageSchema,
  PrintMessageSchema,
  SelftestMessageSchema,
  StatusGetMessageSchema,
]);

export type AuthMessage = z.infer<typeof AuthMessageSchema>;
export type ScannerArmMessage = z.infer<typeof ScannerArmMessageSchema>;
export type ScannerDisarmMessage = z.infer<typeof ScannerDisarmMessageSchema>;
export type PrintTicketMessage = z.infer<typeof PrintTicketMessageSchema>;
export type PrintReceiptMessage = z.infer<typeof PrintReceiptMessageSchema>;
export type PrintMessage = z.infer<typeof PrintMessageSchema>;
export type SelftestMessage = z.infer<typeof SelftestMessageSchema>;
export type StatusGetMessage = z.infer<typeof StatusGetMessageSchema>;
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
export type ClientMessageType = ClientMessage["type"];

// ---------------------------------------------------------- bridge → client

export const ScannerKindSchema = z.enum(["hid-pos", "hid-keyboard", "serial", "virtual"]);
export type ScannerKind = z.infer<typeof ScannerKindSchema>;

export const PrinterKindSchema = z.enum(["usb", "tcp", "serial", "virtual"]);
export type PrinterKind = z.infer<typeof PrinterKindSchema>;

export const PaperStateSchema = z.enum(["ok", "near_end", "out", "unknown"]);
export type PaperState = z.infer<typeof PaperStateSchema>;

export const ScannerStatusSchema = z.strictObject({
  kind: ScannerKindSchema,
  connected: z.boolean(),
  armed: z.boolean(),
  /** Scans that arrived while the scanner was not armed, since start. */
  droppedScans: z.number().int().min(0),
});
export type ScannerStatus = z.infer<typeof ScannerStatusSchema>;

export const PrinterStatusSchema = z.strictObject({
  kind: PrinterKindSchema,
  /** The transport is open and the printer answered the last status request. */
  connected: z.boolean(),
  online: z.boolean(),
  paper: PaperStateSchema,
  coverOpen: z.boolean(),
  /** Cutter or unrecoverable error reported by the printer. */
  error: z.boolean(),
  /** Jobs waiting on disk to be printed. */
  queuedJobs: z.number().int().min(0),
});
export type PrinterStatus = z.infer<typeof PrinterStatusSchema>;

export const DevicesStatusSchema = z.strictObject({
  scanner: ScannerStatusSchema,
  printer: PrinterStatusSchema,
});
export type DevicesStatus = z.infer<typeof DevicesStatusSchema>;

export const BridgeErrorCodeSchema = z.enum([
  "malformed_message",
  "unknown_message",
  "not_authenticated",
  "already_authenticated",
  "scanner_unavailable",
  "printer_unavailable",
  "render_failed",
  "internal_error",
]);
export type BridgeErrorCode = z.infer<typeof BridgeErrorCodeSchema>;

export const HelloMessageSchema = z.strictObject({
  type: z.literal("hello"),
  bridgeVersion: z.string(),
  protocolVersion: z.number().int().positive(),
  devices: DevicesStatusSchema,
});

export const AckMessageSchema = z.strictObject({
  type: z.literal("ack"),
  id: MessageIdSchema,
});

export const ErrorMessageSchema = z.strictObject({
  type: z.literal("error"),
  /** The id of the command that failed, when it could be read. */
  id: MessageIdSchema.optional(),
  code: BridgeErrorCodeSchema,
  message: z.string(),
});

export const ScanMessageSchema = z.strictObject({
  type: z.literal("scan"),
  data: z.string(),
  source: ScannerKindSchema,
  /** ISO 8601 time the bridge decoded the scan. */
  at: z.iso.datetime(),
});

export const DeviceStatusMessageSchema = z.strictObject({
  type: z.literal("device.status"),
  scanner: ScannerStatusSchema,
  printer: PrinterStatusSchema,
});

export const PrintResultMessageSchema = z.strictObject({
  type: z.literal("print.result"),
  id: MessageIdSchema,
  status: z.enum(["printed", "failed"]),
  /** Why it failed, e.g. "paper_out", "interrupted: reprint needed". */
  reason: z.string().optional(),
});

export const BridgeMessageSchema = z.discriminatedUnion("type", [
  HelloMessageSchema,
  AckMessageSchema,
  ErrorMessageSchema,
  ScanMessageSchema,
  DeviceStatusMessageSchema,
  PrintResultMessageSchema,
]);

export type HelloMessage = z.infer<typeof HelloMessageSchema>;
export type AckMessage = z.infer<typeof AckMessageSchema>;
export type ErrorMessage = z.infer<typeof ErrorMessageSchema>;
export type ScanMessage = z.infer<typeof ScanMessageSchema>;
export type DeviceStatusMessage = z.infer<typeof DeviceStatusMessageSchema>;
export type PrintResultMessage = z.infer<typeof PrintResultMessageSchema>;
export type BridgeMessage = z.infer<typeof BridgeMessageSchema>;
export type BridgeMessageType = BridgeMessage["type"];

// ------------------------------------------------------------------ parsing

export type ParseFailure = {
  ok: false;
  code: "malformed_message" | "unknown_message";
  /** The `id` of the message if one could be read, so an error reply can name it. */
  id?: string;
  message: string;
};
export type ParseResult<TMessage> = { ok: true; message: TMessage } | ParseFailure;

const CLIENT_TYPES: ReadonlySet<string> = new Set([
  "auth",
  "scanner.arm",
  "scanner.disarm",
  "print",
  "selftest",
  "status.get",
]);
const BRIDGE_TYPES: ReadonlySet<string> = new Set(["hello", "ack", "error", "scan", "device.status", "print.result"]);

function parseWith<TMessage>(
  raw: unknown,
  schema: z.ZodType<TMessage>,
  knownTypes: ReadonlySet<string>,
): ParseResult<TMessage> {
  let value: unknown = raw;
  if (typeof raw === "string") {
    try {
      value = JSON.parse(raw);
    } catch {
      return { ok: false, code: "malformed_message", message: "Message is not valid JSON" };
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, code: "malformed_message", message: "Message must be a JSON object" };
  }
  const record = value as Record<string, unknown>;
  const idResult = MessageIdSchema.safeParse(record["id"]);
  const id = idResult.success ? idResult.data : undefined;
  const type = record["type"];
  if (typeof type !== "string") {
    return withId({ ok: false, code: "malformed_message", message: "Message has no string 'type'" }, id);
  }
  if (!knownTypes.has(type)) {
    return withId({ ok: false, code: "unknown_message", message: `Unknown message type '${type.slice(0, 40)}'` }, id);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    return withId({ ok: false, code: "malformed_message", message: `Invalid '${type}' message: ${detail}` }, id);
  }
  return { ok: true, message: parsed.data };
}

function withId(failure: ParseFailure, id: string | undefined): ParseFailure {
  return id === undefined ? failure : { ...failure, id };
}

/** Parses a message the page sent (a JSON string or an already-decoded value). */
export function parseClientMessage(raw: unknown): ParseResult<ClientMessage> {
  return parseWith(raw, ClientMessageSchema, CLIENT_TYPES);
}

/** Parses a message the bridge sent (a JSON string or an already-decoded value). */
export function parseBridgeMessage(raw: unknown): ParseResult<BridgeMessage> {
  return parseWith(raw, BridgeMessageSchema, BRIDGE_TYPES);
}

// ---------------------------------------------------------- partner terminal receipts

/**
 * A partner terminal's Alipay receipt (issue 18) as a receipt document: the server builds it
 * (`receipt.document` of the partner API) and a terminal with a bridge sends it as
 * `{ type: "print", kind: "receipt", document }`, so the bridge prints it as ESC/POS with the
 * same layout and encoder as the kiosk's receipts. Check it with ReceiptDocumentSchema before
 * sending (the server does).
 */
export interface TerminalReceiptFacts {
  merchant: string;
  storeId: string;
  terminalId: string;
  terminalName: string;
  reference: string;
  subject: string;
  currency: string;
  /** "12.50 SGD" */
  amountText: string;
  /** What was refunded so far ("2.00 SGD"), or null. */
  refundedText: string | null;
  alipayTransId: string | null;
  /** ISO 8601 instant. */
  paidAt: string;
  buyerLoginId: string | null;
  exchangeRate: string | null;
  /** The wallet the buyer paid with (Alipay+ through Antom), or null. */
  walletName?: string | null;
}

export function terminalReceiptDocument(r: TerminalReceiptFacts): ReceiptDocument {
  const lines: ReceiptLine[] = [
    { label: r.subject, amountText: r.amountText },
    ...(r.refundedText ? [{ label: "Refunded", amountText: `-${r.refundedText}` }] : []),
    ...(r.exchangeRate ? [{ label: `Rate ${r.currency}/CNY`, amountText: r.exchangeRate }] : []),
    ...(r.buyerLoginId ? [{ label: "Buyer", amountText: r.buyerLoginId }] : []),
    { label: "Store / terminal", amountText: `${r.storeId} / ${r.terminalId}` },
  ];
  return {
    title: "Alipay",
    attractionName: r.merchant,
    lines,
    totalLabel: "Total",
    totalText: r.amountText,
    orderNo: r.reference,
    alipayTradeNo: r.alipayTransId ?? "-",
    issuedAtText: `${r.paidAt.replace("T", " ").slice(0, 19)} UTC`,
    footerText: r.terminalName,
    ...(r.walletName ? { walletName: r.walletName } : {}),
    labels: { orderNo: "Reference", alipayTradeNo: "Alipay trade", issuedAt: "Paid", wallet: "Paid with" },
  };
}
