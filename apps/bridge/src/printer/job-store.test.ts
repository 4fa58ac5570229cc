import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JobStore } from "./job-store.ts";
import { ticketJob } from "../../test/test-documents.ts";

const HOUR = 60 * 60 * 1000;

describe("the job store over months", () => {
  let dir: string;
  let now: number;
  const clock = () => new Date(now);
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "jobs-"));
    now = Date.parse("2026-12-01T08:00:00Z");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function printOne(store: JobStore, id: string): Promise<void> {
    const job = await store.create(ticketJob(id));
    const printing = await store.update(job, { state: "printing", attempts: 1 });
    await store.update(printing, { state: "printed" });
  }

  it("keeps finished jobs only for the retention, in memory and on disk", async () => {
    const store = new JobStore(dir, clock, 24 * HOUR);
    await store.load();
    for (let i = 0; i < 600; i += 1) {
      await printOne(store, `job-${i}`);
      now += HOUR;
    }
    // One job an hour for 600 hours, 24 hours kept, swept every 100 finishes.
    expect(store.size).toBeLessThanOrEqual(24 + 100);
    expect((await readdir(dir)).length).toBeLessThanOrEqual(24 + 100);
    expect(store.get("job-0")).toBeUndefined();
    // Within the retention a job id is still known: a resend is a duplicate, not a second print.
    expect(store.get("job-599")).toMatchObject({ id: "job-599", state: "printed" });
  });

  it("never sweeps a queued job, however old, and a restart reloads what is kept", async () => {
    const store = new JobStore(dir, clock, 24 * HOUR);
    await store.load();
    await store.create(ticketJob("waiting"));
    await printOne(store, "old");
    now += 48 * HOUR;
    await printOne(store, "recent");
    expect(await store.sweep()).toBe(1);
    const restarted = new JobStore(dir, clock, 24 * HOUR);
    const { queued } = await restarted.load();
    expect(queued.map((j) => j.id)).toEqual(["waiting"]);
    expect(restarted.get("recent")?.state).toBe("printed");
    expect(restarted.get("old")).toBeUndefined();
    expect((await readdir(dir)).sort()).toEqual(["recent.json", "waiting.json"]);
  });

  it("holds a finished job's summary without its document", async () => {
    const store = new JobStore(dir, clock);
    await store.load();
    await printOne(store, "done");
    expect(store.get("done")).not.toHaveProperty("message");
  });
});
