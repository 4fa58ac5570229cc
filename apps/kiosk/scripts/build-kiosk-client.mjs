/**
 * Bundles the kiosk page's script (src/features/kiosk/client-entry.tsx) with esbuild into
 * public/kiosk-app/: one entry plus the chunks its dynamic imports need (the sale screens, the
 * message catalogues), every file named by its content hash. The /kiosk page
 * (src/pages/kiosk.tsx) ships none of Next's client runtime, only this (issue 20: the cold load
 * was 190 KB gzip, 138 KB of it React DOM and the Next app-router runtime).
 *
 * Called by next.config.ts before every `next build` (and once when `next dev` starts); returns
 * the entry's URL, which the config hands the page. Files of earlier builds are removed. The
 * build's metafile is left in apps/kiosk/.kiosk-client-meta.json (what is in each file; esbuild's
 * analyzer reads it). Each file gets a brotli (`.br`) and a gzip (`.gz`) copy beside it, compressed
 * once here at the highest levels: the kiosk server (server.ts) sends the one the browser accepts,
 * so no request spends its CPU on compression, with or without a proxy in front.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { brotliCompressSync, constants as zlib, gzipSync } from "node:zlib";
import { buildSync } from "esbuild";

const APP = join(import.meta.dirname, "..");
export const KIOSK_CLIENT_DIR = join(APP, "public/kiosk-app");
const PUBLIC_PATH = "/kiosk-app";
const ENTRY = "src/features/kiosk/client-entry.tsx";

/** Builds the bundle; returns `{ entryUrl, files }` (files: public URL → bytes). */
export function buildKioskClient({ isProduction = true } = {}) {
  mkdirSync(KIOSK_CLIENT_DIR, { recursive: true });
  const result = buildSync({
    absWorkingDir: APP,
    entryPoints: { kiosk: ENTRY },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: ["chrome100"],
    minify: isProduction,
    sourcemap: false,
    legalComments: "none",
    jsx: "automatic",
    outdir: KIOSK_CLIENT_DIR,
    entryNames: "[name]-[hash]",
    chunkNames: "chunk-[hash]",
    publicPath: PUBLIC_PATH,
    define: { "process.env.NODE_ENV": JSON.stringify(isProduction ? "production" : "development") },
    conditions: ["browser"],
    tsconfig: join(APP, "tsconfig.json"),
    metafile: true,
    logLevel: "error",
  });
  const outputs = result.metafile.outputs;
  const written = new Set(Object.keys(outputs).map((f) => relative(KIOSK_CLIENT_DIR, join(APP, f))));
  for (const name of readdirSync(KIOSK_CLIENT_DIR)) if (!written.has(name)) rmSync(join(KIOSK_CLIENT_DIR, name));
  for (const name of written) writePrecompressed(join(KIOSK_CLIENT_DIR, name));
  const entry = Object.entries(outputs).find(([, o]) => o.entryPoint === ENTRY);
  if (!entry) throw new Error("esbuild produced no entry for the kiosk page");
  const entryUrl = `${PUBLIC_PATH}/${relative(KIOSK_CLIENT_DIR, join(APP, entry[0]))}`;
  const files = Object.fromEntries(
    Object.entries(outputs).map(([f, o]) => [`${PUBLIC_PATH}/${relative(KIOSK_CLIENT_DIR, join(APP, f))}`, o.bytes]),
  );
  writeFileSync(join(APP, ".kiosk-client-meta.json"), JSON.stringify(result.metafile));
  return { entryUrl, files };
}

/** Writes `file.br` and `file.gz` beside `file` (what server.ts serves to browsers that accept them). */
function writePrecompressed(file) {
  const bytes = readFileSync(file);
  writeFileSync(
    `${file}.br`,
    brotliCompressSync(bytes, {
      params: {
        [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY,
        [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
        [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
  );
  writeFileSync(`${file}.gz`, gzipSync(bytes, { level: zlib.Z_BEST_COMPRESSION }));
}

/**
 * What a cold load of the page fetches: the entry and the chunks it imports statically (not the
 * on-demand ones), each with its gzip size, and the gzip bytes per package across them.
 */
export function coldLoadReport(metafile) {
  const outputs = metafile.outputs;
  const entry = Object.keys(outputs).find((f) => outputs[f].entryPoint === ENTRY);
  const cold = new Set();
  const stack = [entry];
  while (stack.length) {
    const f = stack.pop();
    if (!f || cold.has(f)) continue;
    cold.add(f);
    for (const i of outputs[f].imports) if (i.kind === "import-statement") stack.push(i.path);
  }
  const files = [];
  const byPackage = new Map();
  for (const f of cold) {
    const gzip = gzipSync(readFileSync(join(APP, f))).length;
    files.push({ file: relative(KIOSK_CLIENT_DIR, join(APP, f)), gzip });
    const inputs = Object.entries(outputs[f].inputs);
    const raw = inputs.reduce((n, [, v]) => n + v.bytesInOutput, 0) || 1;
    for (const [path, v] of inputs) {
      const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
      const key =
        pkg ??
        path
          .replace(/^(\.\.\/)+/, "")
          .split("/")
          .slice(0, 3)
          .join("/");
      byPackage.set(key, (byPackage.get(key) ?? 0) + (v.bytesInOutput * gzip) / raw);
    }
  }
  return {
    totalGzip: files.reduce((n, f) => n + f.gzip, 0),
    files: files.sort((a, b) => b.gzip - a.gzip),
    byPackage: [...byPackage].sort((a, b) => b[1] - a[1]).map(([name, gzip]) => ({ name, gzip: Math.round(gzip) })),
  };
}

if (process.argv[1] === import.meta.filename) {
  const { entryUrl } = buildKioskClient();
  const report = coldLoadReport(JSON.parse(readFileSync(join(APP, ".kiosk-client-meta.json"), "utf8")));
  const kb = (n) => (n / 1024).toFixed(1).padStart(6);
  console.log(
    `kiosk page script ${entryUrl}; cold load ${kb(report.totalGzip)} KB gzip in ${report.files.length} files:`,
  );
  for (const f of report.files) console.log(`  ${kb(f.gzip)} KB  ${f.file}`);
  console.log("by package (gzip, apportioned by bytes):");
  for (const p of report.byPackage.slice(0, 20)) console.log(`  ${kb(p.gzip)} KB  ${p.name}`);
}
