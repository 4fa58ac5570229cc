/**
 * Bundles the kiosk page's script (src/features/kiosk/client-entry.tsx) with esbuild into
 * public/kiosk-app/: one entry plus the chunks its dynamic imports need (the sale screens, the
 * message catalogues), every file named by its content hash. The /kiosk page
 * (src/pages/kiosk.tsx) ships none of Next's client runtime, only this (issue 20: the cold load
 * was 190 KB gzip, 138 KB of it React DOM and the Next app-router runtime).
 *
 * Called by next.config.ts before every `next build` (and once when `next dev` starts); returns
 * the entry's URL, which the config hands the page. Files of earlier builds are removed.
 * `KIOSK_CLIENT_REACT=preact` bundles against preact/compat instead of React DOM (an experiment;
 * see apps/kiosk/README.md).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
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
  const entry = Object.entries(outputs).find(([, o]) => o.entryPoint === ENTRY);
  if (!entry) throw new Error("esbuild produced no entry for the kiosk page");
  const entryUrl = `${PUBLIC_PATH}/${relative(KIOSK_CLIENT_DIR, join(APP, entry[0]))}`;
  const files = Object.fromEntries(
    Object.entries(outputs).map(([f, o]) => [`${PUBLIC_PATH}/${relative(KIOSK_CLIENT_DIR, join(APP, f))}`, o.bytes]),
  );
  writeFileSync(join(APP, ".kiosk-client-meta.json"), JSON.stringify(result.metafile));
  return { entryUrl, files };
}

if (process.argv[1] === import.meta.filename) {
  const { entryUrl, files } = buildKioskClient();
  console.log(`kiosk page script: ${entryUrl}`);
  for (const [url, bytes] of Object.entries(files)) console.log(`  ${String(bytes).padStart(8)} B  ${url}`);
}
