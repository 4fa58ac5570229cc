/** Conformance reports on disk: `<dir>/<runId>.json` and `.html`, plus `latest.*` copies. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderReportHtml } from "./render-html.ts";
import { ConformanceReportSchema, type ConformanceReport } from "./report.ts";

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function writeReportFiles(report: ConformanceReport, dir: string): { jsonPath: string; htmlPath: string } {
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const html = renderReportHtml(report);
  const jsonPath = join(dir, `${report.runId}.json`);
  const htmlPath = join(dir, `${report.runId}.html`);
  writeFileSync(jsonPath, json);
  writeFileSync(htmlPath, html);
  writeFileSync(join(dir, "latest.json"), json);
  writeFileSync(join(dir, "latest.html"), html);
  return { jsonPath, htmlPath };
}

/** Reads a report back, validated against the schema. @throws on an unknown id or a file that is not a report. */
export function readReportFile(dir: string, runId: string): ConformanceReport {
  if (!RUN_ID.test(runId)) throw new RangeError(`"${runId}" is not a conformance run id`);
  return ConformanceReportSchema.parse(JSON.parse(readFileSync(join(dir, `${runId}.json`), "utf8")));
}
