/**
 * Reads one file from Antom's SFTP server (ssh2, pure JavaScript; loaded only when a report is
 * fetched). Authenticates with a private key and/or a password; when `hostKeySha256` is set the
 * server's host key must have that OpenSSH fingerprint (`SHA256:…`), else the connection is refused.
 */
import { createHash } from "node:crypto";
import { AlipayConfigError, AlipayNetworkError, AlipayTimeoutError } from "../errors.ts";

export type AntomSftpSettings = {
  host: string;
  port: number;
  username: string;
  privateKey?: string | undefined;
  password?: string | undefined;
  /** OpenSSH fingerprint of the server's host key, e.g. `SHA256:abc…` (recommended). */
  hostKeySha256?: string | undefined;
};

/** The OpenSSH `SHA256:` fingerprint of a raw SSH public key blob. */
export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

/** The file's bytes, or `undefined` when it does not exist. @throws AlipayNetworkError, AlipayConfigError */
export async function readSftpFile(
  settings: AntomSftpSettings,
  remotePath: string,
  timeoutMs: number,
): Promise<Buffer | undefined> {
  if (settings.privateKey === undefined && settings.password === undefined)
    throw new AlipayConfigError("Antom SFTP needs a private key or a password");
  // A runtime import: bundlers leave ssh2 (and its optional native parts) out of the page builds.
  const { Client } = await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "ssh2");
  return new Promise<Buffer | undefined>((resolve, reject) => {
    const conn = new Client();
    let isSettled = false;
    const finish = (error: Error | undefined, value?: Buffer): void => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      conn.end();
      if (error) reject(error);
      else resolve(value);
    };
    const timer = setTimeout(
      () => finish(new AlipayTimeoutError(`Antom SFTP: no file within ${timeoutMs} ms`, { timeoutMs })),
      timeoutMs,
    );
    conn.on("error", (error: Error) =>
      finish(new AlipayNetworkError(`Antom SFTP: ${error.message}`, { cause: error })),
    );
    conn.on("ready", () => {
      conn.sftp((error, sftp) => {
        if (error) return finish(new AlipayNetworkError(`Antom SFTP: ${error.message}`, { cause: error }));
        sftp.readFile(remotePath, (readError: (Error & { code?: unknown }) | null | undefined, data: Buffer) => {
          if (readError && readError.code === 2) return finish(undefined, undefined);
          if (readError)
            return finish(
              new AlipayNetworkError(`Antom SFTP read ${remotePath}: ${readError.message}`, { cause: readError }),
            );
          finish(undefined, data);
        });
      });
    });
    conn.connect({
      host: settings.host,
      port: settings.port,
      username: settings.username,
      ...(settings.privateKey !== undefined ? { privateKey: settings.privateKey } : {}),
      ...(settings.password !== undefined ? { password: settings.password } : {}),
      readyTimeout: timeoutMs,
      ...(settings.hostKeySha256 !== undefined
        ? { hostVerifier: (key: Buffer) => sshFingerprint(key) === settings.hostKeySha256 }
        : {}),
    });
  });
}
