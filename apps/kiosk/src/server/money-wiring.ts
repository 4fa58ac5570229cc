/**
 * Adapts platform services to the money services' plain dependency types
 * (services/money-deps.ts) and builds the Alipay client from env.
 */
import type { KioskEnv } from "../env.ts";
import type { MoneyDeps } from "./services/money-deps.ts";
import type { PlatformServices } from "./services/platform.ts";
import { fileTicketKeys } from "./services/ticket-keys.ts";
import type { AlipayGateway } from "./services/gateway.ts";
import type { AppServices } from "./trpc/context.ts";

export interface MoneyWiring {
  deps: MoneyDeps;
  /** Starts the payment worker; resolves to its stop function. */
  startWorker(services: AppServices): Promise<() => Promise<void>>;
}

export async function buildMoneyDeps(opts: { env: KioskEnv; platform: PlatformServices }): Promise<MoneyWiring> {
  const { env, platform } = opts;
  const alipay = await createGatewayFromEnv(env);
  const deps: MoneyDeps = {
    db: platform.db,
    clock: platform.clock,
    alipay,
    log: platform.log.child({ ns: "money" }),
    ticketKeys: fileTicketKeys(env.ticketKeysDir),
  };
  return {
    deps,
    async startWorker() {
      platform.log.warn("payment worker not wired yet");
      return async () => undefined;
    },
  };
}

async function createGatewayFromEnv(env: KioskEnv): Promise<AlipayGateway> {
  void env;
  const unavailable = (): never => {
    throw new Error("Alipay client not wired yet (alipay-core createAlipayClient pending)");
  };
  return {
    protocol: env.alipay.protocol,
    pay: async () => unavailable(),
    query: async () => unavailable(),
    cancel: async () => unavailable(),
    refund: async () => unavailable(),
    downloadSettlement: async () => unavailable(),
    verifyNotification: () => unavailable(),
  };
}
