/**
 * Antom's SFTP server, simulated (ssh2, loopback): read-only, one user authenticated by public
 * key, serving `<directory>/transactionDetails_<YYYYMMDD>.csv`, the transaction details report of
 * that Beijing day built from the sandbox's own ledger (payments, refunds, cancel reversals).
 * The column names are Antom's (some guessed: alipay-core README, "Antom settlement report").
 */
import { timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { ANTOM_REPORT_COLUMNS, ANTOM_REPORT_END, antomReportFileName, sshFingerprint } from "@kiosk/alipay-core";
import ssh2 from "ssh2";
import { walletForCode } from "./antom-gateway.ts";
import { settlementRows, type SettlementRow } from "./settlement.ts";
import type { SandboxStore } from "./store.ts";
import { parseBeijingDay } from "./time-format.ts";

const { Server, utils } = ssh2;
const { OPEN_MODE, STATUS_CODE } = utils.sftp;
const DAY_MS = 24 * 60 * 60 * 1000;

export type AntomSftpOptions = {
  store: SandboxStore;
  /** The Antom client id whose trades the reports list (`customerId`). */
  clientId: string;
  username: string;
  /** The client's OpenSSH public key (`ssh-ed25519 AAAA…`), the only key accepted. */
  authorizedKey: string;
  /** The server's host key (OpenSSH private key text); generated when absent. */
  hostKey?: string;
  directory?: string;
  feeRateBasisPoints?: number;
  port?: number;
};

export type RunningAntomSftp = {
  host: string;
  port: number;
  /** The host key's OpenSSH fingerprint, for the client's `hostKeySha256`. */
  hostKeySha256: string;
  close(): Promise<void>;
};

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const TYPE: Record<SettlementRow["kind"], string> = { PAYMENT: "PAYMENT", REFUND: "REFUND", CANCEL: "CANCEL" };

/** The report text for a Beijing day `YYYY-MM-DD` (header, rows, `<END>`). */
export function antomReport(options: Pick<AntomSftpOptions, "store" | "clientId" | "feeRateBasisPoints">, day: string) {
  const fromMs = parseBeijingDay(day);
  if (fromMs === undefined) return undefined;
  const rows = settlementRows(options.store, {
    merchantId: options.clientId,
    fromMs,
    toMs: fromMs + DAY_MS,
    feeRateBasisPoints: options.feeRateBasisPoints ?? 60,
  }).filter((r) => r.protocol === "antom");
  const lines = [ANTOM_REPORT_COLUMNS.join(",")];
  for (const r of rows) {
    const isPayment = r.kind === "PAYMENT";
    const cells: Record<(typeof ANTOM_REPORT_COLUMNS)[number], string> = {
      customerId: options.clientId,
      transactionId: isPayment ? r.tradeNo : `${r.tradeNo}-${r.outRefundNo ?? ""}`,
      originalTransactionId: isPayment ? "" : r.tradeNo,
      transactionRequestId: isPayment || r.kind === "CANCEL" ? r.outTradeNo : (r.outRefundNo ?? ""),
      referenceStoreId: r.storeId ?? "",
      transactionType: TYPE[r.kind],
      transactionStatus: "SUCCESS",
      paymentMethodType: "CONNECT_WALLET",
      pspName: walletForCode(options.store.trades.get(r.tradeNo)?.buyerCode ?? "").code,
      transactionTime: new Date(r.at).toISOString(),
      transactionAmountValue: String(isPayment ? r.amountMinor : -r.amountMinor),
      transactionAmountCurrency: r.currency,
      feeAmountValue: String(r.feeMinor),
      feeAmountCurrency: r.currency,
      settlementTime: "",
    };
    lines.push(ANTOM_REPORT_COLUMNS.map((c) => csvCell(cells[c])).join(","));
  }
  lines.push(ANTOM_REPORT_END);
  return `${lines.join("\n")}\n`;
}

/** Starts the SFTP server on 127.0.0.1. */
export async function startAntomSftp(options: AntomSftpOptions): Promise<RunningAntomSftp> {
  const hostKey = options.hostKey ?? generateSshKeyPair().private;
  const parsedHost = utils.parseKey(hostKey);
  const allowed = utils.parseKey(options.authorizedKey);
  if (parsedHost instanceof Error || Array.isArray(parsedHost)) throw new TypeError("the SFTP host key cannot be read");
  if (allowed instanceof Error || Array.isArray(allowed)) throw new TypeError("the authorized SFTP key cannot be read");
  const directory = (options.directory ?? "/").replace(/\/+$/, "");
  const pattern = new RegExp(
    `^${directory}/${antomReportFileName("{day}").replace("{day}", "(\\d{8})").replace(".", "\\.")}$`,
  );
  const fileFor = (path: string): Buffer | undefined => {
    const m = pattern.exec(path);
    if (!m) return undefined;
    const d = m[1] as string;
    const text = antomReport(options, `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`);
    return text === undefined ? undefined : Buffer.from(text, "utf8");
  };
  const allowedBlob = allowed.getPublicSSH();
  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    client.on("authentication", (ctx) => {
      const isKey =
        ctx.method === "publickey" &&
        ctx.username === options.username &&
        ctx.key.algo === allowed.type &&
        ctx.key.data.length === allowedBlob.length &&
        timingSafeEqual(ctx.key.data, allowedBlob);
      if (!isKey) return ctx.reject(["publickey"]);
      if (ctx.method === "publickey" && ctx.signature !== undefined && ctx.blob !== undefined) {
        if (allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(["publickey"]);
      }
      ctx.accept();
    });
    client.on("error", () => undefined);
    client.on("ready", () => {
      client.on("session", (accept) => {
        const session = accept();
        session.on("sftp", (acceptSftp) => {
          const sftp = acceptSftp();
          const open = new Map<string, Buffer>();
          let nextHandle = 0;
          const fileOf = (handle: Buffer) => open.get(handle.toString("hex"));
          const attrsOf = (size: number) => ({ mode: 0o100444, uid: 0, gid: 0, size, atime: 0, mtime: 0 });
          sftp.on("OPEN", (reqid, filename, flags) => {
            if (flags & (OPEN_MODE.WRITE | OPEN_MODE.APPEND | OPEN_MODE.CREAT | OPEN_MODE.TRUNC))
              return sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED);
            const file = fileFor(filename);
            if (file === undefined) return sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE);
            const handle = Buffer.alloc(4);
            handle.writeUInt32BE(nextHandle++);
            open.set(handle.toString("hex"), file);
            sftp.handle(reqid, handle);
          });
          sftp.on("READ", (reqid, handle, offset, length) => {
            const file = fileOf(handle);
            if (file === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
            if (offset >= file.length) return sftp.status(reqid, STATUS_CODE.EOF);
            sftp.data(reqid, file.subarray(offset, Math.min(file.length, offset + length)));
          });
          sftp.on("FSTAT", (reqid, handle) => {
            const file = fileOf(handle);
            if (file === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
            sftp.attrs(reqid, attrsOf(file.length));
          });
          const stat = (reqid: number, path: string) => {
            const file = fileFor(path);
            if (file === undefined) return sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE);
            sftp.attrs(reqid, attrsOf(file.length));
          };
          sftp.on("STAT", stat);
          sftp.on("LSTAT", stat);
          sftp.on("CLOSE", (reqid, handle) => {
            open.delete(handle.toString("hex"));
            sftp.status(reqid, STATUS_CODE.OK);
          });
          sftp.on("REALPATH", (reqid, path) => {
            const name = path === "." || path === "" ? "/" : path;
            sftp.name(reqid, [{ filename: name, longname: name, attrs: attrsOf(0) }]);
          });
          for (const op of [
            "WRITE",
            "OPENDIR",
            "READDIR",
            "REMOVE",
            "RMDIR",
            "MKDIR",
            "RENAME",
            "SETSTAT",
            "FSETSTAT",
            "READLINK",
            "SYMLINK",
          ] as const)
            sftp.on(op, (reqid: number) => sftp.status(reqid, STATUS_CODE.OP_UNSUPPORTED));
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: "127.0.0.1",
    port,
    hostKeySha256: sshFingerprint(parsedHost.getPublicSSH()),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * A fresh Ed25519 key pair in OpenSSH text, for a test SFTP user (`private` for the client,
 * `public` to authorize) or the server's host key. ssh2's generator writes about 1 pair in 500
 * that ssh2 itself cannot read (a public half starting with a zero byte loses it: "Malformed
 * OpenSSH public key"), so a pair is kept only once both halves read back; another is made
 * otherwise.
 */
export function generateSshKeyPair(): { private: string; public: string } {
  for (;;) {
    const pair = utils.generateKeyPairSync("ed25519");
    const readable = [pair.public, pair.private].every((half) => {
      const parsed = utils.parseKey(half);
      return !(parsed instanceof Error) && !Array.isArray(parsed);
    });
    if (readable) return { private: pair.private, public: pair.public };
  }
}
