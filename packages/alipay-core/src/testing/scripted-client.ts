import type {
  AlipayClient,
  CallOptions,
  CancelInput,
  QueryInput,
  SettlementInput,
  SignedPayRequest,
} from "../shared/contract.ts";
import type { Clock } from "../clock.ts";
import type {
  CancelResult,
  PayResult,
  QueryResult,
  RefundQueryResult,
  RefundResult,
  SettlementResult,
  VerifiedNotification,
} from "../types.ts";
import { maskPaymentCode } from "../money.ts";
import type { PayInput, RefundInput, RefundQueryInput } from "../shared/contract.ts";

type Step<TResult> = TResult | Error | ((call: number) => TResult | Error);

export type ScriptedCall = {
  operation: "pay" | "query" | "cancel" | "refund" | "refund_query";
  atMs: number;
  input: unknown;
};

/**
 * An in-memory {@link AlipayClient} that answers from per-operation scripts (the last entry
 * repeats). Entries are results, errors to throw, or functions of the call number.
 * For driver and worker tests; the HTTP-level fake is a real local server.
 */
export class ScriptedAlipayClient implements AlipayClient {
  readonly protocol = "mapi" as const;
  readonly calls: ScriptedCall[] = [];
  readonly #clock: Clock;
  readonly #scripts: {
    pay: Step<PayResult>[];
    query: Step<QueryResult>[];
    cancel: Step<CancelResult>[];
    refund: Step<RefundResult>[];
    refund_query: Step<RefundQueryResult>[];
  };
  readonly #counts = { pay: 0, query: 0, cancel: 0, refund: 0, refund_query: 0 };

  constructor(
    clock: Clock,
    scripts: Partial<{
      pay: Step<PayResult>[];
      query: Step<QueryResult>[];
      cancel: Step<CancelResult>[];
      refund: Step<RefundResult>[];
      refund_query: Step<RefundQueryResult>[];
    }>,
  ) {
    this.#clock = clock;
    this.#scripts = {
      pay: scripts.pay ?? [],
      query: scripts.query ?? [],
      cancel: scripts.cancel ?? [],
      refund: scripts.refund ?? [],
      refund_query: scripts.refund_query ?? [],
    };
  }

  #next<TResult>(operation: "pay" | "query" | "cancel" | "refund" | "refund_query", input: unknown): Promise<TResult> {
    this.calls.push({ operation, atMs: this.#clock.now(), input });
    const script = this.#scripts[operation] as Step<TResult>[];
    const index = this.#counts[operation]++;
    const step = script[Math.min(index, script.length - 1)];
    if (step === undefined) return Promise.reject(new Error(`No scripted ${operation} answer`));
    const value = typeof step === "function" ? (step as (call: number) => TResult | Error)(index + 1) : step;
    return value instanceof Error ? Promise.reject(value) : Promise.resolve(value);
  }

  pay(input: PayInput, _options?: CallOptions): Promise<PayResult> {
    return this.#next("pay", input);
  }
  /** A fake signature: the "body" is the input plus the clock at signing (so a re-sign shows). */
  signPay(input: PayInput): Promise<SignedPayRequest> {
    return Promise.resolve({
      protocol: this.protocol,
      partnerTransId: input.partnerTransId,
      amountMinor: input.amountMinor,
      currency: input.currency,
      paymentCodeMasked: maskPaymentCode(input.paymentCode),
      http: {
        method: "POST",
        url: "http://127.0.0.1/scripted",
        headers: {},
        body: JSON.stringify({ ...input, signedAtMs: this.#clock.now() }),
      },
    });
  }
  /** Answers from the pay script; the call's `input` is the signed request. */
  sendPay(signed: SignedPayRequest, _options?: CallOptions): Promise<PayResult> {
    return this.#next("pay", signed);
  }
  query(input: QueryInput, _options?: CallOptions): Promise<QueryResult> {
    return this.#next("query", input);
  }
  cancel(input: CancelInput, _options?: CallOptions): Promise<CancelResult> {
    return this.#next("cancel", input);
  }
  refund(input: RefundInput, _options?: CallOptions): Promise<RefundResult> {
    return this.#next("refund", input);
  }
  refundQuery(input: RefundQueryInput, _options?: CallOptions): Promise<RefundQueryResult> {
    return this.#next("refund_query", input);
  }
  downloadSettlement(_input: SettlementInput): Promise<SettlementResult> {
    return Promise.resolve({ format: "empty", message: "scripted" });
  }
  verifyNotification(_params: Readonly<Record<string, string>>): VerifiedNotification {
    throw new Error("ScriptedAlipayClient does not verify notifications");
  }

  /** Times (ms after `startMs`) of the calls of one operation. */
  timesOf(operation: ScriptedCall["operation"], startMs: number): number[] {
    return this.calls.filter((c) => c.operation === operation).map((c) => c.atMs - startMs);
  }
}
