/**
 * The sandbox gateway: composition of store, engine, notifier and the two protocol gateways
 * behind one `node:http` request listener.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { loadPrivateKey, loadPublicKey, parseAlipayCertificate } from "@kiosk/alipay-core";
import { resolveCertMode, type SandboxCertMode, type SandboxCertModeOptions } from "./cert-mode.ts";
import {
  TEST_ANTOM_CLIENT_ID,
  TEST_APP_ID,
  TEST_GATEWAY_PRIVATE_KEY_PEM,
  TEST_MD5_KEY,
  TEST_MERCHANT_PUBLIC_KEY_PEM,
  TEST_PARTNER_ID,
} from "@kiosk/alipay-core/public-test-keys";
import { systemClock, type Clock } from "./clock.ts";
import { ANTOM_PREFIX, antomNotificationBody, handleAntom, signAntomNotification } from "./antom-gateway.ts";
import type {
  GatewayContext,
  GatewayReply,
  ResolvedAntomClient,
  ResolvedApp,
  ResolvedPartner,
} from "./gateway-context.ts";
import { BodyTooLargeError, mergeParams, readBody, sendJson } from "./http-util.ts";
import { silentLogger, type SandboxLogger } from "./logger.ts";
import { handleMapi, mapiNotificationParams } from "./mapi-gateway.ts";
import {
  createFetchTransport,
  DEFAULT_NOTIFY_RETRY_SCHEDULE_MS,
  DEFAULT_NOTIFY_TIMEOUT_MS,
  Notifier,
  type NotificationTransport,
} from "./notifier.ts";
import { handleOpenApi, openApiNotificationParams } from "./openapi-gateway.ts";
import { applyFaultPatch, handleOperator, type FaultPatch } from "./operator-api.ts";
import { SandboxStore, type Account, type FaultSettings, type Trade } from "./store.ts";
import { craftNotification } from "./crafted-notification.ts";
import { TradeEngine, type OperatorOutcome, type TradeEvent } from "./trade-engine.ts";

/** A MAPI partner the sandbox accepts. At least one of `md5Key` / `rsaPublicKey`. */
export type SandboxPartner = {
  /** 16 digits starting 2088. */
  partnerId: string;
  name?: string;
  /** Enables `sign_type=MD5` (requests verified and responses signed with it). */
  md5Key?: string;
  /** Merchant RSA public key (PEM or bare base64); enables `RSA` / `RSA2` requests. */
  rsaPublicKey?: KeyObject | string;
  /** More merchant keys accepted besides `rsaPublicKey` (a key rotation: the next key). */
  rsaPublicKeys?: readonly (KeyObject | string)[];
  /** Alipay's service charge in the settlement files. @default 60 (0.6 %) */
  feeRateBasisPoints?: number;
};

/** An Open Platform app the sandbox accepts. */
export type SandboxApp = {
  appId: string;
  name?: string;
  /** Application public key (PEM or bare base64) the requests are verified with. Unused with `appCertPem` (its key is used). */
  rsaPublicKey?: KeyObject | string;
  /**
   * Certificate mode: the app's certificate (PEM). Its requests must then carry its SN as
   * `app_cert_sn` and the root SN as `alipay_root_cert_sn`, and are verified with its key;
   * needs `SandboxOptions.certMode`.
   */
  appCertPem?: string;
  /** 2088 user id reported as `seller_id` and used as the bill account. @default the test partner id */
  sellerId?: string;
  /** @default 60 (0.6 %) */
  feeRateBasisPoints?: number;
};

/** An Antom client the sandbox accepts (`client-id` header). */
export type SandboxAntomClient = {
  clientId: string;
  name?: string;
  /** The merchant's public key (PEM or bare base64) its requests are verified with. */
  rsaPublicKey: KeyObject | string;
};

export type SandboxOptions = {
  /** @default "127.0.0.1" */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** MAPI partners. @default the test partner (MD5 + RSA with the alipay-core test keys) */
  partners?: readonly SandboxPartner[];
  /** OpenAPI apps. @default the test app (alipay-core test merchant key) */
  apps?: readonly SandboxApp[];
  /** Antom clients. @default the test client (`TEST_ANTOM_CLIENT_ID`, alipay-core test merchant key) */
  antomClients?: readonly SandboxAntomClient[];
  /** The sandbox's ("Alipay's") private key for RSA/RSA2 responses and notifications. @default the test gateway key */
  gatewayPrivateKey?: KeyObject | string;
  /** Public-key certificate mode for apps with `appCertPem`: Alipay's certificates and root. */
  certMode?: SandboxCertModeOptions;
  /**
   * OpenAPI answers escape `/` as `\/` in the body while the signature covers the unescaped
   * text (as real Alipay answers with URLs do; clients must retry verification unescaped).
   * @default false
   */
  escapeSlashesInJson?: boolean;
  /** Drives PIN waits, notification retries, trade and bill dates. @default wall clock */
  clock?: Clock;
  logger?: SandboxLogger;
  /** Base URL used in bill download links. @default the listening URL */
  publicUrl?: string;
  /** Relative `notify_url`s (starting with `/`) are resolved against this. */
  notifyBaseUrl?: string;
  /** Multiplies the real delay of the slow-response scenario (tests use e.g. 0.001). @default 1 */
  slowResponseScale?: number;
  notifications?: {
    /** Waits between attempts on the injected clock. @default Alipay's 2m,10m,10m,1h,2h,6h,15h */
    retryScheduleMs?: readonly number[];
    /** Real timeout of one POST. @default 5000 */
    timeoutMs?: number;
    /** Replaces the HTTP POST (tests). */
    transport?: NotificationTransport;
  };
  /** Initial fault settings (also changeable through the operator API). */
  faults?: FaultPatch;
  /** A waiting trade with no scheduled outcome closes after this long. @default 3 h */
  waitingTradeExpiryMs?: number;
  /** Real interval of the background tick (PIN waits, notification retries); 0 disables. @default 250 */
  tickIntervalMs?: number;
  /** Starting CNY balance of each simulated buyer, fen. @default 1_000_000_00 (1 000 000 CNY) */
  initialBuyerBalanceCny?: number;
};

/** A sandbox that is not listening yet: mount `handler` on your own server, or call `listen()`. */
export type Sandbox = {
  readonly store: SandboxStore;
  readonly clock: Clock;
  /** `node:http` request listener serving every route. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Resolves due PIN waits and waits until due notifications have been attempted. */
  tick(): Promise<void>;
  /** Plays the buyer on a waiting trade (by `trade_no` / `alipay_trans_id`). */
  operate(tradeNo: string, action: "confirm" | "reject"): OperatorOutcome;
  setFaults(patch: FaultPatch): FaultSettings;
  /** Forgets trades, refunds, notifications and faults; restores account balances. */
  reset(): void;
  /** Certificate mode: makes the Alipay certificate with this SN current (Alipay renewing its certificate). */
  rotateAlipayCert(sn: string): void;
  /** Certificate mode, if configured. */
  readonly certMode: SandboxCertMode | undefined;
  listen(): Promise<RunningSandbox>;
};

export type RunningSandbox = Sandbox & {
  /** e.g. `http://127.0.0.1:54321` */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** `${url}/gateway.do`: both protocols (dispatch on `method` vs `service`). */
  readonly gatewayUrl: string;
  close(): Promise<void>;
};

export const DEFAULT_FEE_RATE_BASIS_POINTS = 60;
export const DEFAULT_WAITING_TRADE_EXPIRY_MS = 3 * 60 * 60 * 1000;
export const DEFAULT_TICK_INTERVAL_MS = 250;
export const DEFAULT_INITIAL_BUYER_BALANCE_CNY = 1_000_000_00;

/** `SHA256:` + unpadded base64 of SHA-256 over the SPKI DER (the fingerprint `alipay-keys` prints). */
export function publicKeyFingerprint(key: KeyObject): string {
  return `SHA256:${createHash("sha256")
    .update(key.export({ type: "spki", format: "der" }))
    .digest("base64")
    .replace(/=+$/, "")}`;
}

function asPublicKey(key: KeyObject | string): KeyObject {
  if (typeof key === "string") return loadPublicKey(key);
  return key.type === "private" ? createPublicKey(key) : key;
}

function resolvePartners(partners: readonly SandboxPartner[] | undefined): Map<string, ResolvedPartner> {
  const list = partners ?? [
    {
      partnerId: TEST_PARTNER_ID,
      name: "Test partner",
      md5Key: TEST_MD5_KEY,
      rsaPublicKey: TEST_MERCHANT_PUBLIC_KEY_PEM,
    },
  ];
  const map = new Map<string, ResolvedPartner>();
  for (const p of list) {
    if (!/^2088\d{12}$/.test(p.partnerId))
      throw new TypeError(`Partner id ${p.partnerId} must be 16 digits starting 2088`);
    const rsaKeys = [...(p.rsaPublicKey === undefined ? [] : [p.rsaPublicKey]), ...(p.rsaPublicKeys ?? [])].map(
      asPublicKey,
    );
    if (p.md5Key === undefined && rsaKeys.length === 0) {
      throw new TypeError(`Partner ${p.partnerId} needs an md5Key or an rsaPublicKey`);
    }
    map.set(p.partnerId, {
      partnerId: p.partnerId,
      name: p.name ?? p.partnerId,
      md5Key: p.md5Key,
      rsaPublicKey: rsaKeys[0],
      rsaPublicKeys: rsaKeys.map((key) => ({ key, fingerprint: publicKeyFingerprint(key) })),
      feeRateBasisPoints: p.feeRateBasisPoints ?? DEFAULT_FEE_RATE_BASIS_POINTS,
    });
  }
  return map;
}

function resolveApps(apps: readonly SandboxApp[] | undefined): Map<string, ResolvedApp> {
  const list = apps ?? [
    {
      appId: TEST_APP_ID,
      name: "Test app",
      rsaPublicKey: TEST_MERCHANT_PUBLIC_KEY_PEM,
    },
  ];
  const map = new Map<string, ResolvedApp>();
  for (const a of list) {
    const cert = a.appCertPem === undefined ? undefined : parseAlipayCertificate(a.appCertPem);
    // In certificate mode the certificate's key verifies the requests, as at Alipay.
    const publicKey = cert?.publicKey ?? a.rsaPublicKey;
    if (publicKey === undefined) throw new TypeError(`App ${a.appId} needs an rsaPublicKey or an appCertPem`);
    map.set(a.appId, {
      appId: a.appId,
      name: a.name ?? a.appId,
      rsaPublicKey: asPublicKey(publicKey),
      appCertSn: cert?.sn,
      sellerId: a.sellerId ?? TEST_PARTNER_ID,
      feeRateBasisPoints: a.feeRateBasisPoints ?? DEFAULT_FEE_RATE_BASIS_POINTS,
    });
  }
  return map;
}

function resolveAntomClients(clients: readonly SandboxAntomClient[] | undefined): Map<string, ResolvedAntomClient> {
  const list = clients ?? [
    { clientId: TEST_ANTOM_CLIENT_ID, name: "Test Antom client", rsaPublicKey: TEST_MERCHANT_PUBLIC_KEY_PEM },
  ];
  return new Map(
    list.map((c) => [
      c.clientId,
      { clientId: c.clientId, name: c.name ?? c.clientId, rsaPublicKey: asPublicKey(c.rsaPublicKey) },
    ]),
  );
}

function initialAccounts(
  partners: ReadonlyMap<string, ResolvedPartner>,
  apps: ReadonlyMap<string, ResolvedApp>,
): Account[] {
  return [
    ...[...partners.values()].map((p): Account => ({
      accountId: p.partnerId,
      kind: "merchant",
      name: p.name,
      balances: {},
    })),
    ...[...apps.values()].map((a): Account => ({
      accountId: a.appId,
      kind: "merchant",
      name: a.name,
      balances: {},
    })),
  ];
}

/** Builds a sandbox without listening. */
export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const partners = resolvePartners(options.partners);
  const apps = resolveApps(options.apps);
  const antomClients = resolveAntomClients(options.antomClients);
  const gatewayPrivateKey =
    typeof options.gatewayPrivateKey === "string" || options.gatewayPrivateKey === undefined
      ? loadPrivateKey(options.gatewayPrivateKey ?? TEST_GATEWAY_PRIVATE_KEY_PEM)
      : options.gatewayPrivateKey;
  const certMode = options.certMode === undefined ? undefined : resolveCertMode(options.certMode);
  if (certMode === undefined && [...apps.values()].some((a) => a.appCertSn !== undefined))
    throw new TypeError("An app with appCertPem needs SandboxOptions.certMode");
  const accounts = initialAccounts(partners, apps);
  const store = new SandboxStore();
  store.reset(accounts);
  const initialFaults = options.faults ?? {};
  applyFaultPatch(store, initialFaults);
  const slowScale = options.slowResponseScale ?? 1;
  let baseUrl = options.publicUrl ?? "http://127.0.0.1";

  const notifier = new Notifier({
    store,
    clock,
    logger,
    transport:
      options.notifications?.transport ??
      createFetchTransport(options.notifications?.timeoutMs ?? DEFAULT_NOTIFY_TIMEOUT_MS),
    retryScheduleMs: options.notifications?.retryScheduleMs ?? DEFAULT_NOTIFY_RETRY_SCHEDULE_MS,
  });

  // The context is completed below; the engine's event hook needs it to build notifications.
  const ctxHolder: { ctx?: GatewayContext } = {};
  const onEvent = (event: TradeEvent): void => {
    const ctx = ctxHolder.ctx;
    if (ctx !== undefined) sendNotification(ctx, event);
  };
  const engine = new TradeEngine({
    store,
    clock,
    initialBuyerBalanceCny: options.initialBuyerBalanceCny ?? DEFAULT_INITIAL_BUYER_BALANCE_CNY,
    waitingTradeExpiryMs: options.waitingTradeExpiryMs ?? DEFAULT_WAITING_TRADE_EXPIRY_MS,
    onEvent,
  });

  const ctx: GatewayContext = {
    store,
    engine,
    notifier,
    clock,
    logger,
    partners,
    apps,
    antomClients,
    gatewayPrivateKey,
    certMode,
    escapeSlashesInJson: options.escapeSlashesInJson ?? false,
    baseUrl: () => baseUrl,
    resolveNotifyUrl(url) {
      if (url === undefined || url === "") return undefined;
      if (url.startsWith("/") && options.notifyBaseUrl !== undefined)
        return new URL(url, options.notifyBaseUrl).toString();
      return url;
    },
    takeBadSignature(requested) {
      if (requested === true) return true;
      if (store.faults.badSignatureNext > 0) {
        store.faults.badSignatureNext -= 1;
        return true;
      }
      return false;
    },
  };
  ctxHolder.ctx = ctx;

  const tick = async (): Promise<void> => {
    engine.advance();
    await notifier.flush();
  };

  const reset = (): void => {
    store.reset(accounts);
    applyFaultPatch(store, initialFaults);
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    handleRequest(req, res).catch((error: unknown) => {
      logger.error("request failed", {
        error: error instanceof Error ? error.message : String(error),
        url: req.url,
      });
      if (!res.headersSent) sendJson(res, 500, { error: "Internal sandbox error" });
      else res.destroy();
    });
  };

  /** Delayed answers in progress; `close()` releases them so nothing waits on a dead server. */
  const pendingDelays = new Map<NodeJS.Timeout, () => void>();

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://sandbox.invalid");
    const method = req.method ?? "GET";
    if (url.pathname === "/healthz") {
      sendJson(res, 200, { status: "ok", now: clock.now() });
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        sendJson(res, 413, { error: error.message });
        return;
      }
      throw error;
    }
    const operatorReply = await handleOperator(
      {
        store,
        engine,
        now: () => clock.now(),
        reset,
        tick,
        notification: (trade, request) =>
          craftNotification(ctx, trade, request, shortHash(`${trade.tradeNo}:crafted:${store.nextSequence()}`)),
      },
      { method, pathname: url.pathname, searchParams: url.searchParams, body },
    );
    if (operatorReply !== undefined) {
      res.writeHead(operatorReply.status, {
        "content-type": operatorReply.contentType,
        "cache-control": "no-store",
        ...operatorReply.headers,
      });
      res.end(operatorReply.body);
      return;
    }
    if (url.pathname.startsWith(ANTOM_PREFIX)) {
      if (method !== "POST") {
        sendJson(res, 405, { error: "Antom accepts POST" });
        return;
      }
      const header = (name: string): string | undefined => {
        const value = req.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      const reply = handleAntom(ctx, {
        path: url.pathname,
        headers: {
          "client-id": header("client-id"),
          "request-time": header("request-time"),
          signature: header("signature"),
        },
        body,
      });
      logger.info("gateway call", {
        protocol: "antom",
        service: url.pathname,
        merchant: header("client-id"),
        detail: reply.detail,
      });
      await writeGatewayReply(res, reply);
      return;
    }
    const gatewayPaths = ["/gateway.do", "/mapi/gateway.do", "/openapi/gateway.do"];
    if (!gatewayPaths.includes(url.pathname)) {
      sendJson(res, 404, { error: `No route ${method} ${url.pathname}` });
      return;
    }
    if (method !== "GET" && method !== "POST") {
      sendJson(res, 405, { error: "The gateway accepts GET and POST" });
      return;
    }
    const contentType = req.headers["content-type"] ?? "";
    const form =
      body.length > 0 && (contentType === "" || contentType.includes("application/x-www-form-urlencoded"))
        ? new URLSearchParams(body.toString("utf8"))
        : undefined;
    const { params, ordered } = mergeParams(url.searchParams, form);
    const isOpenApi =
      url.pathname === "/openapi/gateway.do" ||
      (url.pathname === "/gateway.do" && params["method"] !== undefined && params["service"] === undefined);
    const reply = isOpenApi ? handleOpenApi(ctx, params) : handleMapi(ctx, params, ordered);
    logger.info("gateway call", {
      protocol: isOpenApi ? "openapi" : "mapi",
      service: isOpenApi ? params["method"] : params["service"],
      merchant: isOpenApi ? params["app_id"] : params["partner"],
      detail: reply.detail,
    });
    await writeGatewayReply(res, reply);
  }

  async function writeGatewayReply(res: ServerResponse, reply: GatewayReply): Promise<void> {
    let drop = reply.effects?.drop === true;
    if (!drop && store.faults.dropNext > 0) {
      store.faults.dropNext -= 1;
      drop = true;
    }
    if (drop) {
      res.socket?.destroy();
      return;
    }
    const delayMs = store.faults.slowResponseMs + (reply.effects?.delaySeconds ?? 0) * 1000 * slowScale;
    if (delayMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          pendingDelays.delete(timer);
          resolve();
        }, delayMs);
        pendingDelays.set(timer, resolve);
      });
      if (res.destroyed) return;
    }
    const headers: Record<string, string> = {
      "content-type": reply.contentType,
      "cache-control": "no-store",
      ...reply.headers,
    };
    if (reply.detail !== undefined) headers["x-sandbox-detail"] = encodeURIComponent(reply.detail).slice(0, 2000);
    res.writeHead(reply.status, headers);
    res.end(reply.body);
  }

  function sendNotification(context: GatewayContext, event: TradeEvent): void {
    const trade: Trade = event.trade;
    const refund = event.type === "refund" ? event.refund : undefined;
    let url: string | undefined;
    if (event.type === "trade_status") url = trade.notifyUrl;
    else if (trade.protocol === "mapi") url = event.notifyUrl;
    else url = refund?.kind === "refund" ? event.notifyUrl : undefined;
    if (url === undefined) return;
    if (trade.protocol === "antom") {
      // notifyPayment for a payment's final state (refunds are not notified in this mode).
      const body = event.type === "trade_status" ? antomNotificationBody(trade) : undefined;
      const message =
        body === undefined ? undefined : signAntomNotification(context, { clientId: trade.merchantId, url, body });
      if (message !== undefined) notifier.enqueue({ url, params: message, tradeNo: trade.tradeNo, format: "antom" });
      return;
    }
    const notifyId = shortHash(
      `${trade.tradeNo}:${event.type}:${refund?.refundNo ?? trade.status}:${store.nextSequence()}`,
    );
    const params =
      trade.protocol === "mapi"
        ? mapiNotificationParams(context, { trade, refund, notifyId })
        : openApiNotificationParams(context, { trade, refund, notifyId });
    if (params === undefined) return;
    notifier.enqueue({ url, params, tradeNo: trade.tradeNo });
  }

  const sandbox: Sandbox = {
    store,
    clock,
    handler,
    tick,
    operate: (tradeNo, action) => engine.operate(tradeNo, action),
    setFaults: (patch) => applyFaultPatch(store, patch),
    reset,
    certMode,
    rotateAlipayCert(sn) {
      if (certMode === undefined) throw new TypeError("The sandbox is not in certificate mode");
      certMode.rotateTo(sn);
      logger.info("Alipay certificate rotated", { alipayCertSn: sn });
    },
    async listen(): Promise<RunningSandbox> {
      const host = options.host ?? "127.0.0.1";
      const server: Server = createServer(handler);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port ?? 0, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      const port = (server.address() as AddressInfo).port;
      const urlHost = host.includes(":") ? `[${host}]` : host;
      const url = `http://${urlHost}:${port}`;
      if (options.publicUrl === undefined) baseUrl = url;
      const intervalMs = options.tickIntervalMs ?? DEFAULT_TICK_INTERVAL_MS;
      const interval =
        intervalMs > 0
          ? setInterval(() => {
              tick().catch((error: unknown) =>
                logger.error("tick failed", {
                  error: error instanceof Error ? error.message : String(error),
                }),
              );
            }, intervalMs)
          : undefined;
      interval?.unref();
      logger.info("sandbox listening", { url });
      return Object.assign({}, sandbox, {
        url,
        port,
        host,
        gatewayUrl: `${url}/gateway.do`,
        async close(): Promise<void> {
          if (interval !== undefined) clearInterval(interval);
          for (const [timer, release] of pendingDelays) {
            clearTimeout(timer);
            release();
          }
          pendingDelays.clear();
          await new Promise<void>((resolve, reject) => {
            server.close((error) => (error ? reject(error) : resolve()));
            server.closeAllConnections();
          });
          await notifier.flush();
        },
      });
    },
  };
  return sandbox;
}

/** Creates a sandbox and starts listening (port 0 = any free port). */
export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  return createSandbox(options).listen();
}

/** Short stable id derived from text (notify ids, bill tokens). */
function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}
