/** Antom client configuration (zod, strict). `alipayPublicKey(File)` holds Antom's public key. */
import { z } from "zod";
import { commonShape } from "../shared/config.ts";

const idText = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export const AntomConfigSchema = z.strictObject({
  protocol: z.literal("antom"),
  /**
   * `gatewayUrl`: Antom's domain without a path, e.g. `https://open-sea-global.alipay.com`
   * (the client appends `/ams/api/v1/payments/…`).
   */
  ...commonShape,
  /** The client id Antom assigned (Antom Dashboard → Developer). */
  clientId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  /** Version of the key pair registered with Antom (`keyVersion` in the Signature header). @default "1" */
  keyVersion: z
    .string()
    .regex(/^\d{1,4}$/)
    .default("1"),
  /** `paymentMethod.paymentMethodType` sent with the buyer's code. @default "CONNECT_WALLET" (Alipay+) */
  paymentMethodType: z
    .string()
    .regex(/^[A-Z_]{2,32}$/)
    .default("CONNECT_WALLET"),
  /** `order.merchant` (secondary merchant) and its store / terminal. */
  referenceMerchantId: idText.optional(),
  merchantName: z.string().min(1).max(128).optional(),
  merchantMcc: z
    .string()
    .regex(/^\d{4}$/)
    .optional(),
  storeId: idText.optional(),
  storeName: z.string().min(1).max(128).optional(),
  terminalId: idText.optional(),
  /**
   * Antom's SFTP server, where the daily transaction details report lies (Antom delivers
   * settlement and reconciliation reports only by SFTP). Without it, downloadSettlement answers `empty`.
   */
  sftp: z
    .strictObject({
      host: z.string().min(1).max(255),
      port: z.number().int().min(1).max(65535).default(22),
      username: z.string().min(1).max(128),
      /** OpenSSH private key text (never logged). */
      privateKey: z.string().min(1).optional(),
      privateKeyFile: z.string().min(1).optional(),
      password: z.string().min(1).optional(),
      /** The server's host key fingerprint, `SHA256:…` (as `ssh-keygen -lf` prints it). */
      hostKeySha256: z
        .string()
        .regex(/^SHA256:[A-Za-z0-9+/]{43}$/)
        .optional(),
      /** Directory of the reports. @default "/" */
      directory: z.string().min(1).max(255).default("/"),
      /** File name of a day's report; `{date}` is `YYYYMMDD`. @default "transactionDetails_{date}.csv" */
      fileName: z.string().min(1).max(255).default("transactionDetails_{date}.csv"),
    })
    .optional(),
});

export type AntomConfig = z.input<typeof AntomConfigSchema>;
export type ParsedAntomConfig = z.output<typeof AntomConfigSchema>;
