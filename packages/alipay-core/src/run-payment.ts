/**
 * In-memory driver: executes the commands of the payment machine against an
 * {@link AlipayClient} with an injected {@link Clock}, until the payment settles.
 * For tests and a simple single-process host; the server persists every transition instead of
 * holding it in memory, with the same two steps (`nextCommand` / `executeCommand`, payment-driver.ts).
 */
import type { AlipayClient, SignedPayRequest } from "./client.ts";
import type { Clock } from "./clock.ts";
import { executeCommand } from "./payment-driver.ts";
import {
  DEFAULT_PAYMENT_POLICY,
  SETTLED_STATE_NAMES,
  startPayment,
  timedCommandOf,
  transition,
  type PaymentCommand,
  type PaymentEvent,
  type PaymentPolicy,
  type PaymentState,
  type Transition,
} from "./payment-machine.ts";
import type { PayInput } from "./wire.ts";

export type TransitionRecord = {
  atMs: number;
  from: PaymentState["state"];
  to: PaymentState["state"];
  event: PaymentEvent;
  commands: PaymentCommand[];
  state: PaymentState;
  ignored?: string;
};

export type DriveOptions = {
  client: AlipayClient;
  clock: Clock;
  policy?: PaymentPolicy;
  /** Shutdown: stop driving and return the current state (resume later with a `resume` event). */
  signal?: AbortSignal;
  /** Visitor / staff pressed cancel. */
  cancelSignal?: AbortSignal;
  /** Called after every transition (persist it, record the event row). */
  onTransition?: (record: TransitionRecord) => void | Promise<void>;
  /** Called for `issue_tickets`, `release_hold`, `escalate`. */
  onCommand?: (
    command: Extract<PaymentCommand, { type: "issue_tickets" | "release_hold" | "escalate" }>,
    state: PaymentState,
  ) => void | Promise<void>;
};

/** `stuck`: the machine ignored the result of its own command (a bug or an impossible answer); see the last TransitionRecord. */
export type DriveResult = {
  state: PaymentState;
  outcome: "settled" | "aborted" | "stuck";
  transitions: number;
};

export type RunPaymentOptions = DriveOptions & {
  payment: PayInput;
};

function isSettled(state: PaymentState): boolean {
  return SETTLED_STATE_NAMES.includes(state.state);
}

/** Pays and drives one payment to PAID, FAILED, CANCELLED or NEEDS_ATTENTION. */
export async function runPayment(options: RunPaymentOptions): Promise<DriveResult> {
  const policy = options.policy ?? DEFAULT_PAYMENT_POLICY;
  const start = startPayment(options.payment, policy, options.clock.now());
  return drive(start, options);
}

/** Starts a refund on a PAID / PARTIALLY_REFUNDED state and drives it to its end. */
export async function runRefund(
  options: DriveOptions & {
    state: PaymentState;
    partnerRefundId: string;
    amountMinor: number;
    reason?: string;
    payment: Pick<PayInput, "paymentCode" | "subject">;
  },
): Promise<DriveResult> {
  const policy = options.policy ?? DEFAULT_PAYMENT_POLICY;
  const event: PaymentEvent = {
    type: "refund_requested",
    partnerRefundId: options.partnerRefundId,
    amountMinor: options.amountMinor,
    ...(options.reason !== undefined ? { reason: options.reason } : {}),
  };
  const first = transition(options.state, event, policy, options.clock.now());
  await options.onTransition?.({
    atMs: options.clock.now(),
    from: options.state.state,
    to: first.state.state,
    event,
    commands: first.commands,
    state: first.state,
    ...(first.ignored ? { ignored: first.ignored } : {}),
  });
  return drive(first, Object.assign({}, options, { payment: toPayInput(first.state, options.payment) }));
}

/** Resumes a persisted state (after a restart) and drives it. Pay retries are impossible without the code. */
export async function resumePayment(options: DriveOptions & { state: PaymentState }): Promise<DriveResult> {
  const policy = options.policy ?? DEFAULT_PAYMENT_POLICY;
  const event: PaymentEvent = { type: "resume" };
  const first = transition(options.state, event, policy, options.clock.now());
  await options.onTransition?.({
    atMs: options.clock.now(),
    from: options.state.state,
    to: first.state.state,
    event,
    commands: first.commands,
    state: first.state,
  });
  return drive(first, options);
}

function toPayInput(state: PaymentState, rest: Pick<PayInput, "paymentCode" | "subject">): PayInput {
  return {
    partnerTransId: state.partnerTransId,
    amountMinor: state.amountMinor,
    currency: state.currency,
    ...rest,
  };
}

/** Drives from a transition until settled or aborted. */
export async function drive(initial: Transition, options: DriveOptions & { payment?: PayInput }): Promise<DriveResult> {
  const policy = options.policy ?? DEFAULT_PAYMENT_POLICY;
  const { clock, signal, cancelSignal } = options;
  let current = initial;
  let count = 0;
  let isCancelDelivered = false;
  let isStuck = false;
  let signed: Promise<SignedPayRequest> | undefined;
  const signedPay = (): Promise<SignedPayRequest> => {
    if (!options.payment) throw new Error("no payment to sign");
    signed ??= options.client.signPay(options.payment);
    return signed;
  };

  const handleInstant = async (t: Transition): Promise<void> => {
    for (const c of t.commands) {
      if (c.type === "issue_tickets" || c.type === "release_hold" || c.type === "escalate")
        await options.onCommand?.(c, t.state);
    }
  };

  const apply = async (event: PaymentEvent): Promise<void> => {
    const from = current.state;
    const next = transition(from, event, policy, clock.now());
    count++;
    await options.onTransition?.({
      atMs: clock.now(),
      from: from.state,
      to: next.state.state,
      event,
      commands: next.commands,
      state: next.state,
      ...(next.ignored ? { ignored: next.ignored } : {}),
    });
    current = next;
    if (next.ignored === undefined) await handleInstant(next);
    else if (event.type !== "cancel_requested") isStuck = true;
  };

  // A cancel pressed while SENDING (before or during the pay) is delivered right after the
  // pay answer arrives and before it is applied: the machine remembers it and reverses a
  // paid trade. Delivered earlier, the machine would have no pay command to wait for.
  const isCancelDue = (): boolean =>
    cancelSignal?.aborted === true && !isCancelDelivered && current.state.state !== "SENDING";

  await handleInstant(initial);
  let pending = timedCommandOf(current.commands);
  while (pending !== undefined && !isSettled(current.state)) {
    if (signal?.aborted) return { state: current.state, outcome: "aborted", transitions: count };
    if (isCancelDue()) {
      isCancelDelivered = true;
      await apply({ type: "cancel_requested", by: "visitor" });
      pending = timedCommandOf(current.commands);
      continue;
    }
    const waitMs = pending.at - clock.now();
    if (waitMs > 0) {
      const isCancelWaking = !isCancelDelivered && current.state.state !== "SENDING";
      const sleepSignal = AbortSignal.any(
        [signal, isCancelWaking ? cancelSignal : undefined].filter((s): s is AbortSignal => s !== undefined),
      );
      try {
        await clock.sleep(waitMs, sleepSignal);
      } catch {
        continue; // woken by shutdown or cancel: re-check at the loop head
      }
    }
    let event: PaymentEvent;
    try {
      event = await executeCommand(options.client, pending, current.state, {
        signedPay: options.payment ? signedPay : undefined,
        signal,
      });
    } catch {
      return { state: current.state, outcome: "aborted", transitions: count };
    }
    if (cancelSignal?.aborted === true && !isCancelDelivered && current.state.state === "SENDING") {
      isCancelDelivered = true;
      await apply({ type: "cancel_requested", by: "visitor" });
    }
    await apply(event);
    if (isStuck) return { state: current.state, outcome: "stuck", transitions: count };
    pending = timedCommandOf(current.commands);
  }
  return {
    state: current.state,
    outcome: isSettled(current.state) ? "settled" : "stuck",
    transitions: count,
  };
}
