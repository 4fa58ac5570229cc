/**
 * Loopback HTTP control endpoint for the virtual devices:
 *   POST /virtual/scan            {"data": "..."}
 *   POST /virtual/scanner/plug    {"connected": true|false}
 *   POST /virtual/printer/paper   {"state": "ok"|"near_end"|"out", "afterLines"?: n}
 *   POST /virtual/printer/cover   {"open": true|false}
 *   POST /virtual/printer/speed   {"msPerLine": n}   (0: instant)
 *   GET  /virtual/printer/jobs
 *
 * It can inject scans, so it answers local tools only: the Host header must name a loopback
 * address with our port (a DNS-rebound name is refused), a request that carries an Origin (a
 * web page) is refused, and a POST must be `application/json` (no CORS-simple form posts).
 * These checks apply in development too: the virtual devices run on developer machines.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import type { VirtualScanner } from "../scanner/virtual-scanner.ts";
import type { VirtualPrinter } from "./virtual-printer.ts";

const ScanBody = z.strictObject({ data: z.string().min(1).max(4096) });
const PlugBody = z.strictObject({ connected: z.boolean() });
const PaperBody = z.strictObject({
  state: z.enum(["ok", "near_end", "out"]),
  afterLines: z.number().int().positive().optional(),
});
const CoverBody = z.strictObject({ open: z.boolean() });
const SpeedBody = z.strictObject({ msPerLine: z.number().int().min(0).max(10_000) });

export interface ControlServerOptions {
  host: string;
  port: number;
  scanner: VirtualScanner | null;
  printer: VirtualPrinter | null;
}

export class VirtualControlServer {
  readonly #options: ControlServerOptions;
  #server: Server | null = null;

  constructor(options: ControlServerOptions) {
    this.#options = options;
  }

  async start(): Promise<number> {
    const server = createServer((request, response) => void this.#route(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#options.port, this.#options.host, () => resolve());
    });
    this.#server = server;
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { scanner, printer } = this.#options;
    const reply = (status: number, body: unknown): void => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    const refusal = refuseForeign(request, (this.#server?.address() as AddressInfo | null)?.port ?? this.#options.port);
    if (refusal) {
      request.resume();
      reply(refusal.status, { error: refusal.error });
      return;
    }
    try {
      const route = `${request.method ?? ""} ${request.url ?? ""}`;
      if (route === "GET /virtual/printer/jobs" && printer) {
        reply(
          200,
          printer.jobs.map(({ blocks: _blocks, ...job }) => job),
        );
        return;
      }
      const body: unknown = request.method === "POST" ? JSON.parse((await readBody(request)) || "{}") : undefined;
      if (route === "POST /virtual/scan" && scanner) {
        scanner.feed(ScanBody.parse(body).data);
        reply(200, { ok: true });
      } else if (route === "POST /virtual/scanner/plug" && scanner) {
        scanner.setConnected(PlugBody.parse(body).connected);
        reply(200, { ok: true });
      } else if (route === "POST /virtual/printer/paper" && printer) {
        const paper = PaperBody.parse(body);
        printer.setPaper(paper.state, paper.afterLines);
        reply(200, { ok: true });
      } else if (route === "POST /virtual/printer/speed" && printer) {
        printer.setSpeed(SpeedBody.parse(body).msPerLine);
        reply(200, { ok: true });
      } else if (route === "POST /virtual/printer/cover" && printer) {
        printer.setCoverOpen(CoverBody.parse(body).open);
        reply(200, { ok: true });
      } else {
        reply(404, { error: "not found" });
      }
    } catch (error) {
      reply(400, { error: error instanceof Error ? error.message : "bad request" });
    }
  }
}

const LOOPBACK_HOSTNAMES = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Why a request is not from a local tool (foreign Host, a web page's Origin, a non-JSON POST), or null. */
export function refuseForeign(request: IncomingMessage, port: number): { status: number; error: string } | null {
  const host = (request.headers.host ?? "").toLowerCase();
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  if (!match?.[1] || !LOOPBACK_HOSTNAMES.has(match[1]) || Number(match[2] ?? 80) !== port)
    return { status: 403, error: "host not allowed" };
  if (request.headers.origin !== undefined) return { status: 403, error: "origin not allowed" };
  if (
    request.method === "POST" &&
    !(request.headers["content-type"] ?? "").toLowerCase().startsWith("application/json")
  ) {
    return { status: 415, error: "content-type must be application/json" };
  }
  return null;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > 64 * 1024) throw new Error("body too large");
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf-8");
}
