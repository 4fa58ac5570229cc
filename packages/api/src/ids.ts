import { randomFillSync } from "node:crypto";

/**
 * Random bytes for ids, drawn from the system CSPRNG 4 KiB at a time (as Node's own
 * `randomUUID` caches its randomness): a purchase makes five or six ids, and asking the
 * generator for 12 bytes each time cost more than the rest of making them.
 */
const POOL = Buffer.alloc(4096);
let offset = POOL.length;

function take(size: number): Buffer {
  if (offset + size > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const bytes = POOL.subarray(offset, offset + size);
  offset += size;
  return bytes;
}

/** A random, URL-safe id with a readable prefix, e.g. `kio_3f9a…`. */
export function newId(prefix: string): string {
  return `${prefix}_${take(12).toString("hex")}`;
}
