import type { PrintMessage } from "@kiosk/bridge-protocol";
import { Emitter } from "../util/emitter.ts";
import type { Logger } from "../util/logger.ts";
import type { PrintOutcome } from "./escpos-printer.ts";
import type { JobRecord, JobStore, JobSummary } from "./job-store.ts";

export type PrintServiceEvents = {
  /** A job reached "printed" or "failed". */
  result: { id: string; status: "printed" | "failed"; reason?: string };
  queue: { queued: number };
};

export interface PrintSink {
  print(bytes: Buffer): Promise<PrintOutcome>;
}

export interface PrintServiceOptions {
  store: JobStore;
  printer: PrintSink;
  render: (message: PrintMessage) => Buffer;
  logger: Logger;
}

export type SubmitResult =
  | { kind: "accepted"; job: JobRecord }
  /** The id was seen before: nothing is printed again. */
  | { kind: "duplicate"; job: JobSummary };

/**
 * The durable print queue: one job at a time, in order, each recorded on
 * disk before and after it is sent.
 */
export class PrintService {
  readonly events = new Emitter<PrintServiceEvents>();
  readonly #options: PrintServiceOptions;
  readonly #queue: JobRecord[] = [];
  #running: Promise<void> | null = null;
  #stopped = false;
  #submitChain: Promise<unknown> = Promise.resolve();

  constructor(options: PrintServiceOptions) {
    this.#options = options;
  }

  get queuedCount(): number {
    return this.#options.store.queuedCount;
  }

  /** Recovers jobs from disk: interrupted ones are reported failed, queued ones resume. */
  async start(): Promise<JobRecord[]> {
    this.#stopped = false;
    const { queued, interrupted } = await this.#options.store.load();
    for (const job of interrupted) {
      this.#options.logger.warn("print job was interrupted by a restart; not reprinting", { jobId: job.id });
    }
    this.#queue.push(...queued);
    this.#kick();
    return interrupted;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }

  getJob(id: string): JobSummary | undefined {
    return this.#options.store.get(id);
  }

  /** Validates by rendering, then writes the job to disk before accepting it. */
  submit(message: PrintMessage): Promise<SubmitResult> {
    // Serialised, so two copies of one job id arriving together cannot both be created.
    const run = this.#submitChain.then(() => this.#submit(message));
    this.#submitChain = run.catch(() => undefined);
    return run;
  }

  async #submit(message: PrintMessage): Promise<SubmitResult> {
    const existing = this.#options.store.get(message.id);
    if (existing) return { kind: "duplicate", job: existing };
    this.#options.render(message);
    const job = await this.#options.store.create(message);
    this.#queue.push(job);
    this.events.emit("queue", { queued: this.queuedCount });
    this.#kick();
    return { kind: "accepted", job };
  }

  /** Resolves when the queue is empty (for tests and the bench). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #kick(): void {
    if (this.#running || this.#stopped) return;
    this.#running = this.#drain().finally(() => {
      this.#running = null;
      if (this.#queue.length > 0 && !this.#stopped) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    const { store, printer, render, logger } = this.#options;
    while (!this.#stopped) {
      const next = this.#queue.shift();
      if (!next) return;
      let bytes: Buffer;
      try {
        bytes = render(next.message);
      } catch (error) {
        await this.#finish(next, { state: "failed", reason: "render_failed" });
        logger.error("print job could not be rendered", { jobId: next.id, error });
        continue;
      }
      // Write-ahead: from here on a crash leaves "printing" on disk.
      const printing = await store.update(next, { state: "printing", attempts: next.attempts + 1 });
      const outcome = await printer.print(bytes);
      if (outcome.ok) {
        await this.#finish(printing, { state: "printed" });
        logger.info("print job printed", { jobId: next.id, bytes: bytes.length });
      } else {
        await this.#finish(printing, { state: "failed", reason: outcome.reason });
        logger.warn("print job failed", { jobId: next.id, reason: outcome.reason, sentAny: outcome.sentAny });
      }
    }
  }

  async #finish(job: JobRecord, change: { state: "printed" | "failed"; reason?: string }): Promise<void> {
    await this.#options.store.update(job, change);
    this.events.emit(
      "result",
      change.reason === undefined
        ? { id: job.id, status: change.state }
        : { id: job.id, status: change.state, reason: change.reason },
    );
    this.events.emit("queue", { queued: this.queuedCount });
  }
}
