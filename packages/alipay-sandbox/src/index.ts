/**
 * `@kiosk/alipay-sandbox`: a local Alipay gateway (Global MAPI + Open Platform) for
 * development, tests and demos. See README.md for scenario codes and the operator API.
 */
export {
  createSandbox,
  startSandbox,
  DEFAULT_FEE_RATE_BASIS_POINTS,
  DEFAULT_INITIAL_BUYER_BALANCE_CNY,
  DEFAULT_TICK_INTERVAL_MS,
  DEFAULT_WAITING_TRADE_EXPIRY_MS,
  type RunningSandbox,
  type Sandbox,
  type SandboxApp,
  type SandboxOptions,
  type SandboxPartner,
} from "./sandbox.ts";
export { createManualClock, systemClock, type Clock, type ManualClock } from "./clock.ts";
export type { SandboxLogger } from "./logger.ts";
export {
  PAYMENT_CODE_PATTERN,
  SCENARIOS,
  resolveScenario,
  scenarioById,
  scenarioCode,
  renderScenarioTable,
  type ResolvedScenario,
  type ScenarioCodeOptions,
  type ScenarioDefinition,
  type ScenarioId,
  type ScenarioParameter,
} from "./scenarios.ts";
export {
  DEFAULT_FAULTS,
  SandboxStore,
  type Account,
  type CloseReason,
  type FaultSettings,
  type NotificationDelivery,
  type Protocol,
  type Refund,
  type Trade,
  type TradeStatus,
} from "./store.ts";
export type { FaultPatch, TradeView } from "./operator-api.ts";
export type { OperatorOutcome } from "./trade-engine.ts";
export { DEFAULT_NOTIFY_RETRY_SCHEDULE_MS, isAcknowledged, type NotificationTransport } from "./notifier.ts";
export { MAPI_SERVICES } from "./mapi-gateway.ts";
export type { SandboxAlipayCert, SandboxCertMode, SandboxCertModeOptions } from "./cert-mode.ts";
export { OPENAPI_METHODS, BILL_URL_TTL_MS } from "./openapi-gateway.ts";
export { SUPPORTED_CURRENCIES } from "./money.ts";
export {
  DEFAULT_FAULT_PLAN,
  FAULT_KINDS,
  createRng,
  startFaultProxy,
  type FaultKind,
  type FaultPlan,
  type FaultProxy,
  type FaultProxyOptions,
} from "./fault-proxy.ts";
export {
  antomReport,
  generateSshKeyPair,
  startAntomSftp,
  type AntomSftpOptions,
  type RunningAntomSftp,
} from "./antom-sftp.ts";
