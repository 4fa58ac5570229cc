/**
 * The Alipay barcode client: the protocol-neutral contract (`shared/contract.ts`), one class
 * per protocol folder (`mapi/`, `openapi/`, `antom/`) on the shared `ProtocolClient`, and the factory
 * that picks one by `config.protocol`. A new protocol is a folder plus one row in
 * {@link PROTOCOLS} (and its config schema in {@link AlipayClientConfigSchema}).
 *
 * Every response is signature-checked BEFORE any field is read; a missing or wrong
 * signature is an `AlipaySignatureError`, never a result.
 */
import { z } from "zod";
import { AntomClient } from "./antom/client.ts";
import { AntomConfigSchema, type AntomConfig } from "./antom/config.ts";
import { AlipayConfigError } from "./errors.ts";
import { MapiClient } from "./mapi/client.ts";
import { MapiConfigSchema, type MapiConfig } from "./mapi/config.ts";
import { OpenApiClient } from "./openapi/client.ts";
import { OpenApiConfigSchema, type OpenApiConfig } from "./openapi/config.ts";
import type { AlipayClient, ClientDeps } from "./shared/contract.ts";
import type { AlipayProtocol } from "./types.ts";

export type {
  AlipayClient,
  CallOptions,
  CancelInput,
  ClientDeps,
  ClientHooks,
  Logger,
  Operation,
  PayInput,
  QueryInput,
  ReadTextFile,
  RefundInput,
  RefundQueryInput,
  RequestSummary,
  ResponseSummary,
  SettlementInput,
  SignedHttpRequest,
  SignedPayRequest,
} from "./shared/contract.ts";
export { DEFAULT_TIMEOUTS_MS } from "./shared/config.ts";
export { parseNotificationBody } from "./shared/mapping.ts";
export { MapiClient, MapiConfigSchema, OpenApiClient, OpenApiConfigSchema, type MapiConfig, type OpenApiConfig };

export { AntomClient, AntomConfigSchema, type AntomConfig };

export const AlipayClientConfigSchema = z.discriminatedUnion("protocol", [
  MapiConfigSchema,
  OpenApiConfigSchema,
  AntomConfigSchema,
]);
export type AlipayClientConfig = z.input<typeof AlipayClientConfigSchema>;

/** One row per protocol: how its client is made from a config of that protocol. */
const PROTOCOLS: { readonly [P in AlipayProtocol]: (config: AlipayClientConfig, deps: ClientDeps) => AlipayClient } = {
  mapi: (config, deps) => new MapiClient(config as MapiConfig, deps),
  openapi: (config, deps) => new OpenApiClient(config as OpenApiConfig, deps),
  antom: (config, deps) => new AntomClient(config as AntomConfig, deps),
};

/** Creates the client for `config.protocol` (`"mapi"`, `"openapi"` or `"antom"`). @throws AlipayConfigError */
export function createAlipayClient(config: AlipayClientConfig, deps: ClientDeps = {}): AlipayClient {
  const protocol = (config as { protocol?: unknown } | null)?.protocol;
  if (typeof protocol === "string" && Object.hasOwn(PROTOCOLS, protocol))
    return PROTOCOLS[protocol as AlipayProtocol](config, deps);
  const names = Object.keys(PROTOCOLS).map((name) => JSON.stringify(name));
  throw new AlipayConfigError(`Invalid Alipay client configuration: protocol must be ${names.join(" or ")}`);
}
