/**
 * The short bridge soak (the long one: bench/soak.ts): page connections come and go with
 * scans and print jobs, and the bridge gives back every file descriptor (sockets, job journal
 * files) and does not keep the connections' data.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startTestBridge, type TestBridge } from "../../test/test-bridge.ts";
import { settledUsage, soakRound } from "../../test/test-soak.ts";

const ORIGIN = "http://localhost:3000";
const TOKEN = "soak-pairing-token-0123456789";
let tb: TestBridge | undefined;
afterEach(async () => {
  await tb?.stop();
  tb = undefined;
});

describe("bridge soak (short)", () => {
  it("20 connections, 1,000 scans and 100 print jobs: open file descriptors back to the warm-up count", async () => {
    tb = await startTestBridge({ origin: ORIGIN, token: TOKEN });
    await soakRound(tb, { origin: ORIGIN, token: TOKEN, round: -1, scans: 50, jobs: 5 });
    const before = await settledUsage();
    for (let r = 0; r < 20; r += 1) await soakRound(tb, { origin: ORIGIN, token: TOKEN, round: r, scans: 50, jobs: 5 });
    await expect
      .poll(async () => (await settledUsage()).fds, { message: "open file descriptors" })
      .toBeLessThanOrEqual(before.fds);
  });
});
