/**
 * The conformance report: one JSON document per run (this zod schema is its contract, checked
 * by the tests and by the staff console when it reads a report back), rendered to HTML by
 * render-html.ts. Every gateway exchange is in it with payment codes masked and no key
 * material; signatures are only abbreviated.
 */
import { z } from "zod";

export const STEP_IDS = [
  "pay_success",
  "pin_wait",
  "unknown_then_query",
  "system_error_retries",
  "timeout_then_cancel",
  "cancel_retries",
  "refund_partial",
  "refund_full",
  "tampered_response",
  "settlement_download",
  "notification_proof",
  "refund_confirmed",
  "late_success_after_cancel",
] as const;

/** Steps run through the partner payment API instead of the kiosk path (`--via terminal`, issue 18). */
export const TERMINAL_STEP_IDS = [
  "terminal_pay",
  "terminal_replay",
  "terminal_pin_confirm",
  "terminal_pin_never",
  "terminal_pin_reject",
  "terminal_decline",
  "terminal_refund",
] as const;

export type StepId = (typeof STEP_IDS)[number] | (typeof TERMINAL_STEP_IDS)[number];

/**
 * How a response's signature fared: `verified` (signed and checked by alipay-core),
 * `failed` (rejected as AlipaySignatureError), `unsigned` (nothing to check, e.g. a gateway
 * rejection or a plain settlement file), `no_response` (the exchange failed in transit).
 */
export const SignatureVerdictSchema = z.enum(["verified", "failed", "unsigned", "no_response"]);
export type SignatureVerdict = z.infer<typeof SignatureVerdictSchema>;

export const ExchangeSchema = z.strictObject({
  seq: z.number().int().positive(),
  at: z.iso.datetime(),
  /** alipay-core operation (`pay`, `query`, `cancel`, `refund`, `settlement`). */
  operation: z.string(),
  /** MAPI service or OpenAPI method. */
  apiName: z.string(),
  partnerTransId: z.string().optional(),
  /**
   * `seq` of the earlier exchange this request repeats exactly: the same parameters apart from
   * `sign` and `timestamp` (compared before masking, never stored).
   */
  repeatOf: z.number().int().positive().optional(),
  request: z.strictObject({
    method: z.enum(["GET", "POST"]),
    url: z.string(),
    /** Form or query text with payment codes masked. */
    body: z.string(),
  }),
  response: z
    .strictObject({
      status: z.number().int(),
      contentType: z.string(),
      body: z.string(),
      /** True when `body` was cut to keep the report small (settlement files). */
      isTruncated: z.boolean(),
    })
    .nullable(),
  /** Transport failure (time-out, dropped connection), when there was no response. */
  transportError: z.string().optional(),
  signature: SignatureVerdictSchema,
  /** alipay-core's reading of the call: a domain status, or `error` with its name and reason. */
  outcome: z.string(),
  errorName: z.string().optional(),
  reason: z.string().optional(),
  durationMs: z.number().int().nonnegative(),
});
export type Exchange = z.infer<typeof ExchangeSchema>;

export const CheckSchema = z.strictObject({
  name: z.string(),
  ok: z.boolean(),
  detail: z.string(),
});
export type Check = z.infer<typeof CheckSchema>;

export const StepStatusSchema = z.enum(["passed", "failed", "skipped"]);
export type StepStatus = z.infer<typeof StepStatusSchema>;

export const StepResultSchema = z.strictObject({
  id: z.enum([...STEP_IDS, ...TERMINAL_STEP_IDS]),
  title: z.string(),
  status: StepStatusSchema,
  /** Why it was skipped, or the first failed check. */
  reason: z.string().optional(),
  checks: z.array(CheckSchema),
  exchanges: z.array(ExchangeSchema),
  /** Payments the step created (ids of the throwaway run database) and their end states. */
  payments: z.array(
    z.strictObject({
      id: z.string(),
      partnerTransId: z.string(),
      state: z.string(),
    }),
  ),
  durationMs: z.number().int().nonnegative(),
});
export type StepResult = z.infer<typeof StepResultSchema>;

export const TargetSchema = z.strictObject({
  /** `own_sandbox`: a sandbox this run started; `configured`: the gateway of the server's configuration. */
  kind: z.enum(["own_sandbox", "configured"]),
  env: z.enum(["sandbox", "live"]),
  protocol: z.enum(["mapi", "openapi", "antom"]),
  signType: z.enum(["MD5", "RSA", "RSA2"]),
  gatewayUrl: z.string(),
  /** Partner id (MAPI) or app id (OpenAPI); public identifiers, not secrets. */
  merchantId: z.string(),
});
export type Target = z.infer<typeof TargetSchema>;

export const ConformanceReportSchema = z.strictObject({
  schemaVersion: z.literal(1),
  runId: z.string(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  target: TargetSchema,
  summary: z.strictObject({
    total: z.number().int().nonnegative(),
    passed: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    skipped: z.number().int().nonnegative(),
    /** No step failed (skipped steps do not fail a run). */
    isPassing: z.boolean(),
  }),
  steps: z.array(StepResultSchema),
});
export type ConformanceReport = z.infer<typeof ConformanceReportSchema>;

export function summarise(steps: StepResult[]): ConformanceReport["summary"] {
  const count = (s: StepStatus): number => steps.filter((x) => x.status === s).length;
  return {
    total: steps.length,
    passed: count("passed"),
    failed: count("failed"),
    skipped: count("skipped"),
    isPassing: count("failed") === 0,
  };
}
