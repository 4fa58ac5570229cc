/**
 * DATABASE_URL's TLS parameters (sslmode, sslrootcert) reach the PostgreSQL driver: over a
 * real socket, a client told to use TLS opens with an SSLRequest before anything else
 * (PostgreSQL protocol, 53.2.10), so the password never crosses the network in the clear.
 */
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createDb } from "../src/client.ts";

const SSL_REQUEST_CODE = 80877103;
const PROTOCOL_3 = 196608;

let server: Server | null = null;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = null;
});

/** A fake PostgreSQL server that reports the code of the client's first message, then refuses TLS and hangs up. */
async function firstMessageCode(query: string): Promise<number> {
  let resolveCode: (code: number) => void = () => undefined;
  const code = new Promise<number>((resolve) => (resolveCode = resolve));
  server = createServer((socket) => {
    socket.once("data", (data: Buffer) => {
      resolveCode(data.readInt32BE(4));
      socket.end(Buffer.from("N"));
      socket.destroy();
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const port = (server!.address() as { port: number }).port;
  const handle = createDb({ url: `postgresql://kiosk:secret@127.0.0.1:${port}/kiosk${query}` });
  await handle.db.$queryRawUnsafe("SELECT 1").catch(() => undefined);
  await handle.close().catch(() => undefined);
  return code;
}

describe("DATABASE_URL TLS parameters", () => {
  it("sslmode=require makes the driver ask for TLS first", async () => {
    expect(await firstMessageCode("?sslmode=require")).toBe(SSL_REQUEST_CODE);
  });

  it("sslmode=verify-full with sslrootcert asks for TLS (the CA file is read)", async () => {
    const { writeFileSync, mkdtempSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "pg-tls-"));
    const ca = join(dir, "root.crt");
    writeFileSync(ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    expect(await firstMessageCode(`?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`)).toBe(SSL_REQUEST_CODE);
  });

  it("without sslmode the driver starts in the clear (local development)", async () => {
    expect(await firstMessageCode("")).toBe(PROTOCOL_3);
  });
});
