/**
 * Scenario payment codes. The README table is rendered from `SCENARIOS` (scripts/render-readme.ts).
 *
 * Layout of a code (any valid Alipay code: 16–24 digits starting 25–30):
 *
 *   28 12345678 0030 0010
 *   │  │        │    └─ last 4 digits: scenario number (unknown numbers behave like 0000)
 *   │  │        └────── 4 digits before: scenario parameter (seconds, count…; 0000 = the default)
 *   │  └─────────────── free digits: choose any; they also select the simulated buyer
 *   └────────────────── prefix 25–30
 */
import { isPaymentCode, PAYMENT_CODE_PATTERN } from "@kiosk/alipay-core/money";

export type ScenarioId =
  | "success"
  | "insufficient_balance"
  | "expired_code"
  | "pin_wait_confirm"
  | "pin_wait_never"
  | "pin_wait_reject"
  | "unknown_paid"
  | "unknown_not_created"
  | "unknown_late_paid"
  | "system_error"
  | "system_error_no_trade"
  | "slow_response"
  | "dropped_connection"
  | "dropped_before_processing"
  | "bad_signature"
  | "refund_delayed";

export type ScenarioParameter = {
  /** What the 4-digit parameter means. */
  readonly meaning: string;
  /** Value used when the parameter digits are `0000`. */
  readonly defaultValue: number;
};

export type ScenarioDefinition = {
  readonly id: ScenarioId;
  /** The last four digits of the code. */
  readonly number: string;
  readonly title: string;
  readonly parameter?: ScenarioParameter;
  /** What the MAPI gateway (`alipay.acquire.overseas.spot.pay`) answers and records. */
  readonly mapi: string;
  /** What the Open Platform gateway (`alipay.trade.pay`, `scene=bar_code`) answers. */
  readonly openApi: string;
  /** What a later query / cancel / refund finds. */
  readonly afterwards: string;
};

export const SCENARIOS: readonly ScenarioDefinition[] = [
  {
    id: "success",
    number: "0000",
    title: "Instant success",
    mapi: "`SUCCESS`, buyer charged",
    openApi: "`10000`",
    afterwards: "`TRADE_SUCCESS`",
  },
  {
    id: "insufficient_balance",
    number: "0001",
    title: "Insufficient balance",
    mapi: "`FAILED` / `BUYER_BALANCE_NOT_ENOUGH`",
    openApi: "`40004` / `ACQ.BUYER_BALANCE_NOT_ENOUGH`",
    afterwards: "`TRADE_CLOSED` (trade recorded, nothing charged)",
  },
  {
    id: "expired_code",
    number: "0002",
    title: "Expired / invalid payment code",
    mapi: "`FAILED` / `SOUNDWAVE_PARSER_FAIL`",
    openApi: "`40004` / `ACQ.PAYMENT_AUTH_CODE_INVALID`",
    afterwards: "no trade (`TRANS_NOT_FOUND` / `ACQ.TRADE_NOT_EXIST`)",
  },
  {
    id: "pin_wait_confirm",
    number: "0010",
    title: "PIN wait, buyer confirms after N seconds",
    parameter: {
      meaning: "N = seconds until the buyer confirms (sandbox clock)",
      defaultValue: 10,
    },
    mapi: "`UNKNOW` / `ORDER_SUCCESS_PAY_INPROCESS`",
    openApi: "`10003` (order success pay inprocess)",
    afterwards:
      "`WAIT_BUYER_PAY` until N s, then `TRADE_SUCCESS` (notification sent); operator can confirm/reject earlier",
  },
  {
    id: "pin_wait_never",
    number: "0011",
    title: "PIN wait, buyer never confirms",
    mapi: "`UNKNOW` / `ORDER_SUCCESS_PAY_INPROCESS`",
    openApi: "`10003`",
    afterwards:
      "`WAIT_BUYER_PAY` until cancelled, confirmed/rejected by the operator, or closed after `waitingTradeExpiryMs` (default 3 h)",
  },
  {
    id: "pin_wait_reject",
    number: "0012",
    title: "PIN wait, buyer rejects after N seconds",
    parameter: {
      meaning: "N = seconds until the buyer gives up (sandbox clock)",
      defaultValue: 10,
    },
    mapi: "`UNKNOW` / `ORDER_SUCCESS_PAY_INPROCESS`",
    openApi: "`10003`",
    afterwards: "`WAIT_BUYER_PAY` until N s, then `TRADE_CLOSED`",
  },
  {
    id: "unknown_paid",
    number: "0020",
    title: "UNKNOW on pay, actually paid",
    mapi: "`UNKNOW` / `SYSTEM_ERROR`",
    openApi: "`20000` / `isp.unknow-error`",
    afterwards: "`TRADE_SUCCESS` (the charge went through)",
  },
  {
    id: "unknown_not_created",
    number: "0021",
    title: "UNKNOW on pay, never created",
    mapi: "`UNKNOW` / `SYSTEM_ERROR`",
    openApi: "`20000` / `isp.unknow-error`",
    afterwards:
      "no trade; MAPI cancel answers `FAIL`/`TRADE_NOT_EXIST`, OpenAPI cancel succeeds and blocks the `out_trade_no`",
  },
  {
    id: "unknown_late_paid",
    number: "0022",
    title: "UNKNOW on pay, the charge lands N seconds later",
    parameter: {
      meaning: "N = seconds until the pay reaches the ledger and charges (sandbox clock)",
      defaultValue: 40,
    },
    mapi: "`UNKNOW` / `SYSTEM_ERROR`",
    openApi: "`20000` / `isp.unknow-error`",
    afterwards:
      "no trade until N s: query finds none, MAPI cancel answers `SUCCESS` without `trade_no`, OpenAPI cancel `10000` without `action` — neither stops the pay already in the gateway; then `TRADE_SUCCESS` (notification sent), and a cancel from then on reverses it",
  },
  {
    id: "system_error",
    number: "0030",
    title: "SYSTEM_ERROR on the first K calls of every service",
    parameter: {
      meaning: "K = failing calls per service (pay, query, cancel, refund) of this trade",
      defaultValue: 1,
    },
    mapi: "`is_success=F`, `<error>SYSTEM_ERROR</error>` (the first pay call is still processed and charged)",
    openApi: "`40004` / `ACQ.SYSTEM_ERROR` (cancel adds `retry_flag=Y`)",
    afterwards: "call K+1 of each service answers normally; the trade is `TRADE_SUCCESS`",
  },
  {
    id: "system_error_no_trade",
    number: "0031",
    title: "SYSTEM_ERROR on the first K pays, no trade created",
    parameter: {
      meaning: "K = pay calls of this `out_trade_no` that fail without creating a trade",
      defaultValue: 1,
    },
    mapi: "`is_success=F`, `<error>SYSTEM_ERROR</error>`, nothing recorded",
    openApi: "`40004` / `ACQ.SYSTEM_ERROR`, nothing recorded",
    afterwards:
      "no trade until pay call K+1 (the same request resent), which succeeds instantly; queries before it `TRANS_NOT_FOUND` / `ACQ.TRADE_NOT_EXIST`",
  },
  {
    id: "slow_response",
    number: "0040",
    title: "Slow response",
    parameter: {
      meaning: "seconds before the answer is written (real time × `slowResponseScale`)",
      defaultValue: 20,
    },
    mapi: "`SUCCESS`, late",
    openApi: "`10000`, late",
    afterwards: "`TRADE_SUCCESS` as soon as the request arrived",
  },
  {
    id: "dropped_connection",
    number: "0050",
    title: "Connection dropped after charging",
    mapi: "socket destroyed, no answer",
    openApi: "socket destroyed, no answer",
    afterwards: "`TRADE_SUCCESS`",
  },
  {
    id: "dropped_before_processing",
    number: "0051",
    title: "Connection dropped before processing",
    mapi: "socket destroyed, no answer",
    openApi: "socket destroyed, no answer",
    afterwards: "no trade",
  },
  {
    id: "bad_signature",
    number: "0060",
    title: "Response with a bad signature",
    mapi: "`SUCCESS` with a corrupted `<sign>`",
    openApi: "`10000` with a corrupted `sign`",
    afterwards: "`TRADE_SUCCESS`",
  },
  {
    id: "refund_delayed",
    number: "0070",
    title: "Paid; a refund is accepted but its money moves N seconds later",
    parameter: {
      meaning: "N = seconds (sandbox clock) between accepting a refund and executing it",
      defaultValue: 60,
    },
    mapi: "`SUCCESS`, buyer charged",
    openApi: "`10000`",
    afterwards:
      "`TRADE_SUCCESS`; refund: OpenAPI `10000` with `fund_change=N`, MAPI `UNKNOW`; `alipay.trade.fastpay.refund.query` has no `refund_status` / `alipay.acquire.refund.query` says `PROCESSING` until N s, then the money moves (`REFUND_SUCCESS` / `SUCCESS`, a refund notification)",
  },
];

const BY_NUMBER: ReadonlyMap<string, ScenarioDefinition> = new Map(SCENARIOS.map((s) => [s.number, s]));
const BY_ID: ReadonlyMap<ScenarioId, ScenarioDefinition> = new Map(SCENARIOS.map((s) => [s.id, s]));

/** Payment code format accepted by Alipay: the one check of `@kiosk/alipay-core/money`. */
export { PAYMENT_CODE_PATTERN };

export type ResolvedScenario = {
  readonly scenario: ScenarioDefinition;
  /** Effective parameter (the default applied when the digits are `0000`). */
  readonly parameter: number;
};

export function scenarioById(id: ScenarioId): ScenarioDefinition {
  return BY_ID.get(id) as ScenarioDefinition;
}

/**
 * Reads the scenario out of a payment code. `undefined` when the text is not an Alipay payment
 * code at all (the gateway answers "invalid code"). Unknown scenario numbers mean instant success,
 * so arbitrary real-looking codes pay.
 */
export function resolveScenario(code: string): ResolvedScenario | undefined {
  if (!isPaymentCode(code)) return undefined;
  const number = code.slice(-4);
  const rawParameter = Number(code.slice(-8, -4));
  const scenario = BY_NUMBER.get(number) ?? scenarioById("success");
  const parameter =
    scenario.parameter === undefined ? 0 : rawParameter === 0 ? scenario.parameter.defaultValue : rawParameter;
  return { scenario, parameter };
}

export type ScenarioCodeOptions = {
  /** Seconds or count, 0–9999; 0 selects the scenario's default. */
  parameter?: number;
  /** 8 free digits (0–99999999); different values give different buyers. @default 0 */
  serial?: number;
  /** First two digits, 25–30. @default 28 */
  prefix?: 25 | 26 | 27 | 28 | 29 | 30;
};

/** Builds the 18-digit payment code for a scenario, e.g. `scenarioCode("pin_wait_confirm", { parameter: 30 })`. */
export function scenarioCode(id: ScenarioId, options: ScenarioCodeOptions = {}): string {
  const parameter = options.parameter ?? 0;
  const serial = options.serial ?? 0;
  if (!Number.isInteger(parameter) || parameter < 0 || parameter > 9999) {
    throw new RangeError(`Scenario parameter must be an integer 0..9999, got ${parameter}`);
  }
  if (!Number.isInteger(serial) || serial < 0 || serial > 99_999_999) {
    throw new RangeError(`Scenario serial must be an integer 0..99999999, got ${serial}`);
  }
  return `${options.prefix ?? 28}${String(serial).padStart(8, "0")}${String(parameter).padStart(4, "0")}${scenarioById(id).number}`;
}

/** The README's scenario table (Markdown), rendered from `SCENARIOS`. */
export function renderScenarioTable(): string {
  const escape = (text: string): string => text.replace(/\|/g, "\\|");
  const rows = SCENARIOS.map((s) => {
    const parameter = s.parameter === undefined ? "—" : `${s.parameter.meaning}; default ${s.parameter.defaultValue}`;
    return `| \`${s.number}\` | \`${scenarioCode(s.id)}\` | ${escape(s.title)} (\`${s.id}\`) | ${escape(parameter)} | ${escape(s.mapi)} | ${escape(s.openApi)} | ${escape(s.afterwards)} |`;
  });
  return [
    "| Last 4 digits | Example code | Scenario | Parameter (4 digits before) | MAPI spot.pay answers | OpenAPI trade.pay answers | Afterwards (query / cancel / refund) |",
    "|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}
