/**
 * SQLite WAL checkpoints off the event loop. By default SQLite checkpoints inside the COMMIT that
 * takes the WAL past 1,000 pages: that COMMIT copies every page into the database file and syncs
 * it, on the connection's thread, which for better-sqlite3 is the server's event loop. Measured on
 * the purchases bench (issue 16, tenth session): one commit in ≈ 17 purchases took ≈ 12 ms, 0.7 ms
 * per purchase, 21 % of the loop's time, and every request in flight waited for it.
 *
 * Here a worker thread with a connection of its own runs `PRAGMA wal_checkpoint(PASSIVE)` every
 * `intervalMs` (PASSIVE never waits for or blocks readers and writers; a writer restarts the WAL
 * once everything is copied). The serving connection keeps an automatic checkpoint at
 * {@link FALLBACK_AUTOCHECKPOINT_PAGES} only as a backstop, should the thread fall behind or stop.
 * Durability is unchanged (journal_mode WAL, synchronous NORMAL: a commit is in the WAL; each
 * checkpoint syncs the WAL and then the database file).
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** The serving connection's own checkpoint, a backstop (≈ 40 MB of WAL with 4 KiB pages). */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

/** One checkpoint's outcome (SQLite's wal_checkpoint row). */
export type CheckpointResult = {
  /** 1 if another checkpoint was running (nothing done this time). */
  busy: number;
  /** Frames in the WAL. */
  log: number;
  /** Frames of it now copied into the database file. */
  checkpointed: number;
};

export interface SqliteCheckpoints {
  /** Starts the thread (idempotent). */
  start(): void;
  /** A checkpoint now, on the thread; resolves with its outcome. Starts the thread if needed. */
  runNow(): Promise<CheckpointResult>;
  /** Stops the thread and closes its connection. */
  stop(): Promise<void>;
}

// The worker's code: CommonJS, given the driver's resolved path (no bundler or loader involved).
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma("busy_timeout = 0");
const checkpoint = () => {
  try {
    const [row] = db.pragma("wal_checkpoint(PASSIVE)");
    return { busy: row.busy, log: row.log, checkpointed: row.checkpointed };
  } catch (error) {
    return { error: String(error && error.message ? error.message : error) };
  }
};
let timer;
const loop = () => {
  checkpoint();
  timer = setTimeout(loop, workerData.intervalMs);
};
timer = setTimeout(loop, workerData.intervalMs);
parentPort.on("message", (message) => {
  if (message.type === "now") parentPort.postMessage({ id: message.id, result: checkpoint() });
  if (message.type === "stop") {
    clearTimeout(timer);
    db.close();
    parentPort.close();
  }
});
`;

/**
 * Checkpoints for the SQLite file at `path` (absolute), on a thread started by `start()` (called
 * by `tuneSqlite`). The thread does not keep the process alive.
 */
export function sqliteCheckpoints(path: string, options: { intervalMs?: number } = {}): SqliteCheckpoints {
  let worker: Worker | undefined;
  let nextId = 0;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const failAll = (error: Error) => {
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };
  // The thread is unref'd: it is held only while someone waits for its answer.
  const ask = (w: Worker) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      w.ref();
      w.postMessage({ type: "now", id });
    }).finally(() => {
      if (waiting.size === 0) w.unref();
    });
  const start = () => {
    if (worker) return;
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve("better-sqlite3"),
        path,
        intervalMs: options.intervalMs ?? 100,
      },
    });
    w.unref();
    w.on("message", (m: { id: number; result: unknown }) => {
      const entry = waiting.get(m.id);
      waiting.delete(m.id);
      entry?.resolve(m.result);
    });
    // A thread that dies leaves the serving connection's backstop checkpoint in charge.
    w.on("error", (error) => failAll(error));
    w.on("exit", () => {
      if (worker === w) worker = undefined;
      failAll(new Error("The SQLite checkpoint thread stopped"));
    });
    worker = w;
  };
  return {
    start,
    async runNow() {
      start();
      const result = (await ask(worker!)) as CheckpointResult | { error: string };
      if ("error" in result) throw new Error(`SQLite checkpoint failed: ${result.error}`);
      return result;
    },
    async stop() {
      const w = worker;
      if (!w) return;
      worker = undefined;
      const exited = new Promise((r) => w.once("exit", r));
      w.ref();
      w.postMessage({ type: "stop" });
      await exited;
    },
  };
}
