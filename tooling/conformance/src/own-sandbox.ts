/**
 * The default conformance target: an in-process sandbox gateway on a free loopback port,
 * with the public test keys and a simulated clock shared with the run (so PIN waits,
 * deadlines and the next settlement day cost no real time).
 */
import type { AlipayClientConfig } from "@kiosk/alipay-core";
import {
  TEST_ANTOM_CLIENT_ID,
  TEST_APP_ID,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MD5_KEY,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_PARTNER_ID,
} from "@kiosk/alipay-core/testing";
import { generateSshKeyPair, startAntomSftp, startSandbox, type RunningSandbox } from "@kiosk/alipay-sandbox";
import { FakeClock } from "@kiosk/api/clock.ts";
import { simulatedTimeline, type ConformanceTimeline } from "./timeline.ts";

export interface OwnSandbox {
  sandbox: RunningSandbox;
  gateway: AlipayClientConfig & { gatewayUrl: string };
  timeline: ConformanceTimeline;
  close(): Promise<void>;
}

export async function startOwnSandbox(
  options: {
    protocol?: "mapi" | "openapi" | "antom";
    signType?: "MD5" | "RSA2";
    alipayPublicKey?: string;
  } = {},
): Promise<OwnSandbox> {
  const clock = new FakeClock(new Date());
  const sandbox = await startSandbox({
    port: 0,
    clock: { now: () => clock.now().getTime() },
    tickIntervalMs: 0,
    slowResponseScale: 0.001,
    // Nobody listens for notifications here; the run follows payments by query.
    notifications: {
      transport: () => Promise.resolve({ status: 200, text: "success" }),
    },
  });
  const keys = {
    privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
    alipayPublicKey: options.alipayPublicKey ?? TEST_GATEWAY_PUBLIC_KEY_PEM,
    // Pays carry notify_url as in production; the stub transport above takes the notifications.
    notifyUrl: `${sandbox.url}/merchant/notify`,
  };
  const gatewayUrl = sandbox.gatewayUrl;
  // Antom delivers its settlement report by SFTP: the sandbox's loopback SFTP server, a fresh key pair.
  const sftpKey = options.protocol === "antom" ? generateSshKeyPair() : undefined;
  const sftp =
    sftpKey === undefined
      ? undefined
      : await startAntomSftp({
          store: sandbox.store,
          clientId: TEST_ANTOM_CLIENT_ID,
          username: "kiosk",
          authorizedKey: sftpKey.public,
        });
  const gateway: OwnSandbox["gateway"] =
    options.protocol === "antom"
      ? {
          protocol: "antom",
          clientId: TEST_ANTOM_CLIENT_ID,
          // Antom's gateway URL is the domain; the client adds /ams/api/v1/payments/….
          gatewayUrl: sandbox.url,
          ...keys,
          ...(sftp && sftpKey
            ? {
                sftp: {
                  host: sftp.host,
                  port: sftp.port,
                  username: "kiosk",
                  privateKey: sftpKey.private,
                  hostKeySha256: sftp.hostKeySha256,
                },
              }
            : {}),
        }
      : options.protocol === "openapi"
        ? {
            protocol: "openapi",
            appId: TEST_APP_ID,
            // The seller (2088 PID) notifications must name, as the server sets it (ALIPAY_PARTNER_ID).
            sellerId: TEST_PARTNER_ID,
            signType: "RSA2",
            gatewayUrl,
            ...keys,
          }
        : options.signType === "MD5"
          ? {
              protocol: "mapi",
              partnerId: TEST_PARTNER_ID,
              signType: "MD5",
              md5Key: TEST_MD5_KEY,
              gatewayUrl,
              ...keys,
            }
          : {
              protocol: "mapi",
              partnerId: TEST_PARTNER_ID,
              signType: "RSA2",
              gatewayUrl,
              ...keys,
            };
  return {
    sandbox,
    gateway,
    timeline: simulatedTimeline(clock, () => sandbox.tick()),
    close: async () => {
      await sftp?.close();
      await sandbox.close();
    },
  };
}
