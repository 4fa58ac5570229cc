/**
 * Print jobs on disk, one JSON file per job id, written atomically
 * (temporary file, fsync, rename). The state is written *before* each step:
 * "printing" is on disk before the first byte goes out, so after a crash
 * such a job is known to be possibly half-printed and is failed, never
 * re-sent — a visitor never gets two tickets from one job.
 *
 * A bridge runs for months: a finished job keeps only its summary in memory (the
 * document is dropped), and finished jobs older than the retention (7 days by default)
 * leave memory and disk, so neither grows with the number of jobs printed. Within the
 * retention a job id seen again is still a duplicate (answered, never printed twice).
 */
import { mkdir, open, readdir, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { PrintMessageSchema } from "@kiosk/bridge-protocol";

export const JobStateSchema = z.enum(["queued", "printing", "printed", "failed"]);
export type JobState = z.infer<typeof JobStateSchema>;

export const JobRecordSchema = z.object({
  id: z.string(),
  state: JobStateSchema,
  reason: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  attempts: z.number().int().min(0),
  message: PrintMessageSchema,
});
export type JobRecord = z.infer<typeof JobRecordSchema>;

export const INTERRUPTED_REASON = "interrupted: reprint needed";

/** What the store keeps of a job: a finished job's summary has no document. */
export type JobSummary = Omit<JobRecord, "message">;

export const DEFAULT_JOB_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** Finished jobs between two retention sweeps. */
const SWEEP_EVERY = 100;

const isFinished = (state: JobState): boolean => state === "printed" || state === "failed";
const summaryOf = ({ message: _message, ...summary }: JobRecord): JobSummary => summary;

export class JobStore {
  readonly #dir: string;
  readonly #now: () => Date;
  readonly #retentionMs: number;
  readonly #jobs = new Map<string, JobRecord | JobSummary>();
  #finishedSinceSweep = 0;

  constructor(dir: string, now: () => Date = () => new Date(), retentionMs = DEFAULT_JOB_RETENTION_MS) {
    this.#dir = dir;
    this.#now = now;
    this.#retentionMs = retentionMs;
  }

  /** Loads every job; a job found in "printing" is failed as interrupted. Returns the queued ones, oldest first. */
  async load(): Promise<{ queued: JobRecord[]; interrupted: JobRecord[] }> {
    await mkdir(this.#dir, { recursive: true });
    const interrupted: JobRecord[] = [];
    for (const name of await readdir(this.#dir)) {
      if (name.endsWith(".tmp")) {
        await unlink(join(this.#dir, name)).catch(() => undefined);
        continue;
      }
      if (!name.endsWith(".json")) continue;
      const parsed = JobRecordSchema.safeParse(JSON.parse(await readFile(join(this.#dir, name), "utf-8")));
      if (!parsed.success) continue;
      let record = parsed.data;
      if (record.state === "printing") {
        record = await this.update(record, { state: "failed", reason: INTERRUPTED_REASON });
        interrupted.push(record);
      }
      this.#remember(record);
    }
    const queued = [...this.#jobs.values()]
      .filter((job): job is JobRecord => job.state === "queued" && "message" in job)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    await this.sweep();
    return { queued, interrupted };
  }

  get(id: string): JobSummary | undefined {
    const job = this.#jobs.get(id);
    return job && ("message" in job ? summaryOf(job) : job);
  }

  /** Jobs the store holds in memory (finished ones as summaries). */
  get size(): number {
    return this.#jobs.size;
  }

  /** Drops finished jobs older than the retention from memory and disk. */
  async sweep(): Promise<number> {
    this.#finishedSinceSweep = 0;
    const cutoff = this.#now().getTime() - this.#retentionMs;
    let removed = 0;
    for (const job of [...this.#jobs.values()]) {
      if (!isFinished(job.state) || Date.parse(job.updatedAt) > cutoff) continue;
      this.#jobs.delete(job.id);
      await unlink(join(this.#dir, `${job.id}.json`)).catch(() => undefined);
      removed += 1;
    }
    return removed;
  }

  get queuedCount(): number {
    let count = 0;
    for (const job of this.#jobs.values()) if (job.state === "queued" || job.state === "printing") count += 1;
    return count;
  }

  async create(message: JobRecord["message"]): Promise<JobRecord> {
    const at = this.#now().toISOString();
    const record: JobRecord = { id: message.id, state: "queued", createdAt: at, updatedAt: at, attempts: 0, message };
    await this.#write(record);
    return record;
  }

  async update(
    record: JobRecord,
    change: Partial<Pick<JobRecord, "state" | "reason" | "attempts">>,
  ): Promise<JobRecord> {
    const next: JobRecord = { ...record, ...change, updatedAt: this.#now().toISOString() };
    await this.#write(next);
    return next;
  }

  async #write(record: JobRecord): Promise<void> {
    const path = join(this.#dir, `${record.id}.json`);
    const temporary = `${path}.tmp`;
    const handle = await open(temporary, "w");
    try {
      await handle.writeFile(JSON.stringify(record));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    this.#remember(record);
    if (isFinished(record.state) && ++this.#finishedSinceSweep >= SWEEP_EVERY) await this.sweep();
  }

  #remember(record: JobRecord): void {
    this.#jobs.set(record.id, isFinished(record.state) ? summaryOf(record) : record);
  }
}
