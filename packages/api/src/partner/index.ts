/** The partner payment API's services (issue 18): terminal registry, terminal payments, webhooks. */
import type { MoneyDeps } from "../services/money-deps.ts";
import type { PaymentService } from "../services/payment-service.ts";
import type { RefundService } from "../services/refund-service.ts";
import { createTerminalPayments } from "./payments.ts";
import { createTerminalRegistry } from "./terminals.ts";
import { createTerminalWebhooks } from "./webhooks.ts";

export function createPartnerServices(
  deps: Pick<MoneyDeps, "db" | "clock" | "log" | "holdMs"> & {
    payments: PaymentService;
    refunds: RefundService;
    fetch?: typeof fetch;
  },
) {
  const terminals = createTerminalRegistry(deps);
  const payments = createTerminalPayments(deps);
  const webhooks = createTerminalWebhooks(Object.assign({}, deps, { terminalPayments: payments }));
  return { terminals, payments, webhooks };
}

export type PartnerServices = ReturnType<typeof createPartnerServices>;
