/**
 * `KEY=value` env files (systemd `EnvironmentFile`, docker `env_file`, dotenv): parse, and edit
 * a few variables in place while keeping every other line (comments, order) as it was.
 * Writes are atomic (temp file in the same directory, fsync, rename) and keep the file's mode.
 */
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";

const LINE_RE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/;

function unquote(raw: string): string {
  const v = raw.trim();
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) {
    return v.slice(1, -1).replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
  }
  if (v.length >= 2 && v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1);
  return v;
}

/** Parses env file text. Later assignments win; comments and blank lines are ignored. */
export function parseEnvText(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*(#|$)/.test(line)) continue;
    const m = LINE_RE.exec(line);
    if (m) out[m[1] as string] = unquote(m[2] ?? "");
  }
  return out;
}

/** Reads and parses an env file. @throws if unreadable (the error carries the path, not the content). */
export function readEnvFile(path: string): Record<string, string> {
  return parseEnvText(readFileSync(path, "utf8"));
}

function quoteIfNeeded(value: string): string {
  if (/^[A-Za-z0-9_./:@%+,-]*$/.test(value)) return value;
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** An edit: `set` a value (replacing the first assignment, dropping any later ones), or `delete` every assignment. */
export type EnvEdit = { name: string; value: string } | { name: string; delete: true; comment?: string };

/**
 * Applies edits to env file text. Set variables keep their line position (or are appended);
 * deleted ones are removed, optionally leaving a `# comment` in their place.
 */
export function editEnvText(text: string, edits: readonly EnvEdit[]): string {
  const lines = text === "" ? [] : text.replace(/\r?\n$/, "").split(/\r?\n/);
  const byName = new Map(edits.map((e) => [e.name, e]));
  const done = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    const m = /^\s*#/.test(line) ? null : LINE_RE.exec(line);
    const edit = m ? byName.get(m[1] as string) : undefined;
    if (!edit) {
      out.push(line);
      continue;
    }
    if ("delete" in edit) {
      if (edit.comment !== undefined && !done.has(edit.name)) out.push(`# ${edit.comment}`);
      done.add(edit.name);
      continue;
    }
    if (done.has(edit.name)) continue;
    out.push(`${edit.name}=${quoteIfNeeded(edit.value)}`);
    done.add(edit.name);
  }
  for (const edit of edits) {
    if (!done.has(edit.name) && !("delete" in edit)) out.push(`${edit.name}=${quoteIfNeeded(edit.value)}`);
  }
  return `${out.join("\n")}\n`;
}

/**
 * Writes `content` to `path` atomically: a temp file in the same directory, created with
 * `mode` (exclusive, never following a symlink), fsynced, then renamed over the target.
 * `owner` chowns the temp file first (needs root).
 */
export function writeFileAtomic(
  path: string,
  content: string,
  options: {
    mode: number;
    owner?: { uid: number; gid: number } | undefined;
    chown?: (path: string, uid: number, gid: number) => void;
  },
): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
    options.mode,
  );
  try {
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // The umask may have narrowed the mode; it can never have widened it. Set it exactly.
    chmodExact(tmp, options.mode);
    if (options.owner && options.chown) options.chown(tmp, options.owner.uid, options.owner.gid);
    renameSync(tmp, path);
  } catch (error) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw error;
  }
}

function chmodExact(path: string, mode: number): void {
  if ((statSync(path).mode & 0o777) !== mode) chmodSync(path, mode);
}

/** Updates variables in an env file atomically (created with mode 0600, in a 0700 directory, if missing; otherwise its mode is kept). */
export function updateEnvFile(path: string, edits: readonly EnvEdit[]): void {
  let text = "";
  let mode = 0o600;
  try {
    text = readFileSync(path, "utf8");
    mode = statSync(path).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  // A new env file may hold secrets: its directory is created private.
  if (!existsSync(dirname(path))) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomic(path, editEnvText(text, edits), { mode });
}
