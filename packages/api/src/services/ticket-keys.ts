/** Ed25519 ticket signing keys: PKCS#8 PEM files `<dir>/<attractionId>.pem`, loaded once each. */
import { createPrivateKey, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

export interface TicketKeyStore {
  privateKeyFor(attractionId: string): Promise<KeyObject>;
}

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function fileTicketKeys(dir: string): TicketKeyStore {
  const cache = new Map<string, Promise<KeyObject>>();
  return {
    privateKeyFor(attractionId) {
      if (!SAFE_ID.test(attractionId))
        return Promise.reject(new Error(`Invalid attraction id for a key file: ${attractionId}`));
      let key = cache.get(attractionId);
      if (!key) {
        key = readFile(join(dir, `${attractionId}.pem`), "utf8").then((pem) => createPrivateKey(pem));
        key.catch(() => cache.delete(attractionId));
        cache.set(attractionId, key);
      }
      return key;
    },
  };
}

export function memoryTicketKeys(pems: Readonly<Record<string, string>>): TicketKeyStore {
  const keys = new Map(Object.entries(pems).map(([id, pem]) => [id, createPrivateKey(pem)]));
  return {
    privateKeyFor(attractionId) {
      const key = keys.get(attractionId);
      return key ? Promise.resolve(key) : Promise.reject(new Error(`No ticket key for attraction ${attractionId}`));
    },
  };
}
