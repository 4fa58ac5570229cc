import { randomBytes } from "node:crypto";

/** A random, URL-safe id with a readable prefix, e.g. `kio_3f9a…`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString("hex")}`;
}
