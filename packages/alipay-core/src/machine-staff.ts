/** Staff resolutions of a NEEDS_ATTENTION payment (the machine's `staff_resolved` event). */
import { assertNever, cancelling, commonOf, ignore, withTransId, type S } from "./machine-common.ts";
import { refundSendAt } from "./refund-window.ts";
import { refundCommand } from "./machine-refunds.ts";
import type { PaymentPolicy } from "./machine-policy.ts";
import type { PaymentEvent, PaymentState, Transition } from "./machine-types.ts";

export function fromNeedsAttention(
  s: S<"NEEDS_ATTENTION">,
  event: PaymentEvent,
  policy: PaymentPolicy,
  now: number,
): Transition {
  if (event.type !== "staff_resolved") return ignore(s, `${event.type} in NEEDS_ATTENTION (staff resolve it)`);
  const resolution = event.resolution;
  const base = Object.assign(commonOf(s), { nextActionAt: null });
  switch (resolution.to) {
    case "PAID": {
      const state: PaymentState = {
        state: "PAID",
        ...withTransId(base, resolution.alipayTransId),
        paidAt: s.paidAt ?? now,
        hasIssuedTickets: true,
      };
      return {
        state,
        commands: s.hasIssuedTickets ? [] : [{ type: "issue_tickets" }],
      };
    }
    case "FAILED":
      return {
        state: {
          state: "FAILED",
          ...base,
          failureReason: `staff: ${event.note}`,
        },
        commands: s.hasIssuedTickets ? [] : [{ type: "release_hold" }],
      };
    case "CANCELLED":
      return {
        state: {
          state: "CANCELLED",
          ...base,
          cancelReason: "staff",
          // A person's decision is not Alipay's proof that a trade was reversed (the console's
          // "cancel now" resolves so on a cancel that found no trade): a later paid fact escalates.
          cancelOutcome: "not_found",
        },
        commands: s.hasIssuedTickets ? [] : [{ type: "release_hold" }],
      };
    case "REFUNDED":
    case "PARTIALLY_REFUNDED": {
      if (
        !Number.isSafeInteger(resolution.refundedMinor) ||
        resolution.refundedMinor < 0 ||
        resolution.refundedMinor > s.amountMinor
      ) {
        return ignore(s, "refundedMinor out of range");
      }
      return {
        state: {
          state: resolution.to,
          ...base,
          refundedMinor: resolution.refundedMinor,
        },
        commands: [],
      };
    }
    case "CANCELLING":
      return cancelling(Object.assign({}, s, { cancelAttempts: 0 }), "staff", now);
    case "REFUNDING": {
      if (s.refund === undefined) return ignore(s, "no refund to retry");
      const { confirm: _confirm, ...pending } = s.refund;
      const refund = Object.assign({}, pending, { attempts: 1 });
      const resumeState = s.refundedMinor > 0 ? "PARTIALLY_REFUNDED" : "PAID";
      const at = refundSendAt(now, policy.refundPauseWindow, refund.partnerRefundId);
      return {
        state: {
          state: "REFUNDING",
          ...base,
          refund,
          resumeState,
          nextActionAt: at,
        },
        commands: [refundCommand(base, refund, at)],
      };
    }
    default:
      return assertNever(resolution);
  }
}
