/**
 * What both protocol gateways share: configuration, the engine, the notifier, and the
 * reply shape the HTTP layer writes (with optional delay / drop).
 */
import type { KeyObject } from "node:crypto";
import type { SandboxCertMode } from "./cert-mode.ts";
import type { Clock } from "./clock.ts";
import type { SandboxLogger } from "./logger.ts";
import type { Notifier } from "./notifier.ts";
import type { SandboxStore } from "./store.ts";
import type { ResponseEffects, TradeEngine } from "./trade-engine.ts";

export type ResolvedPartner = {
  partnerId: string;
  name: string;
  md5Key: string | undefined;
  rsaPublicKey: KeyObject | undefined;
  /** Every accepted RSA key (`rsaPublicKey` first), with its fingerprint for `store.keyUse`. */
  rsaPublicKeys: readonly { key: KeyObject; fingerprint: string }[];
  feeRateBasisPoints: number;
};

export type ResolvedApp = {
  appId: string;
  name: string;
  rsaPublicKey: KeyObject;
  /** The merchant's 2088 user id reported as `seller_id`. */
  sellerId: string;
  /** Certificate mode: the SN of the app's certificate its requests must carry as `app_cert_sn`. */
  appCertSn?: string | undefined;
  feeRateBasisPoints: number;
};

/** An Antom client (`client-id`) and the public key its requests are verified with. */
export type ResolvedAntomClient = {
  clientId: string;
  name: string;
  rsaPublicKey: KeyObject;
};

export type GatewayReply = {
  status: number;
  contentType: string;
  body: string | Buffer;
  /** Non-standard header explaining a rejection, for humans debugging a client. */
  detail?: string;
  /** Extra response headers (Antom's `signature`, `response-time`, `client-id`). */
  headers?: Record<string, string>;
  effects?: ResponseEffects;
};

export type GatewayContext = {
  store: SandboxStore;
  engine: TradeEngine;
  notifier: Notifier;
  clock: Clock;
  logger: SandboxLogger;
  partners: ReadonlyMap<string, ResolvedPartner>;
  apps: ReadonlyMap<string, ResolvedApp>;
  antomClients: ReadonlyMap<string, ResolvedAntomClient>;
  gatewayPrivateKey: KeyObject;
  /** OpenAPI answers write `/` as `\/` outside the signed text, as Alipay's JSON writer does. */
  escapeSlashesInJson: boolean;
  /** Certificate mode (Alipay's certificates and root), if configured. */
  certMode: SandboxCertMode | undefined;
  /** Public base URL of this sandbox (for bill download links). */
  baseUrl(): string;
  /** Resolves a request's notify_url (relative ones against the configured notify base). */
  resolveNotifyUrl(url: string | undefined): string | undefined;
  /** True if this signed response must carry a bad signature (scenario or operator fault). */
  takeBadSignature(requested: boolean | undefined): boolean;
};

export function textReply(status: number, body: string, detail?: string): GatewayReply {
  return detail === undefined
    ? { status, contentType: "text/plain; charset=utf-8", body }
    : { status, contentType: "text/plain; charset=utf-8", body, detail };
}
