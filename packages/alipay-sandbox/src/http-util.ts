import type { IncomingMessage, ServerResponse } from "node:http";

export const MAX_BODY_BYTES = 1_000_000;

export class BodyTooLargeError extends Error {
  constructor() {
    super(`Request body exceeds ${MAX_BODY_BYTES} bytes`);
    this.name = "BodyTooLargeError";
  }
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError();
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * Merges URL query and form body (reference §1.1: `_input_charset` may sit in the URL while the
 * rest is in the body, and the signature covers both). Body values win on conflict.
 * Returns the merged map and the pairs in arrival order for the MAPI `<request>` echo.
 */
export function mergeParams(
  query: URLSearchParams,
  body: URLSearchParams | undefined,
): { params: Record<string, string>; ordered: Array<[string, string]> } {
  const params: Record<string, string> = {};
  const ordered: Array<[string, string]> = [];
  const add = (source: URLSearchParams): void => {
    for (const [k, v] of source) {
      if (!(k in params)) ordered.push([k, v]);
      else {
        const index = ordered.findIndex(([name]) => name === k);
        if (index >= 0) ordered[index] = [k, v];
      }
      params[k] = v;
    }
  };
  add(query);
  if (body !== undefined) add(body);
  return { params, ordered };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  });
  res.end(text);
}
