/**
 * The report as one self-contained HTML page (inline styles, no scripts, no external
 * resources), readable offline and attachable to a go-live ticket: a summary, then per step
 * its checks and every exchange with request, response and signature verdict.
 */
import type { ConformanceReport, Exchange, StepResult } from "./report.ts";

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1a1a1a;max-width:1100px}
h1{font-size:1.4rem}table{border-collapse:collapse}td,th{padding:.2rem .6rem;text-align:left;vertical-align:top}
.passed{color:#0a6b2d}.failed{color:#b00020}.skipped{color:#6b6b6b}
.badge{display:inline-block;min-width:5.5em;font-weight:600;text-transform:uppercase;font-size:.8rem}
section.step{border:1px solid #ddd;border-radius:6px;margin:.8rem 0;padding:.4rem .8rem}
pre{white-space:pre-wrap;word-break:break-all;background:#f6f6f6;padding:.5rem;font-size:12px;max-height:24rem;overflow:auto}
summary{cursor:pointer}.sig-failed{color:#b00020;font-weight:600}.sig-verified{color:#0a6b2d}
`;

function exchangeHtml(e: Exchange): string {
  const sigClass = e.signature === "failed" ? "sig-failed" : e.signature === "verified" ? "sig-verified" : "";
  const outcome = `${e.outcome}${e.reason ? ` (${e.reason})` : ""}${e.errorName ? ` ${e.errorName}` : ""}`;
  const response = e.response
    ? `<p>Response: HTTP ${e.response.status} ${esc(e.response.contentType)}${e.response.isTruncated ? " (truncated)" : ""}</p><pre>${esc(e.response.body)}</pre>`
    : `<p>No response${e.transportError ? `: ${esc(e.transportError)}` : ""}</p>`;
  return `<details class="exchange"><summary>#${e.seq} ${esc(e.operation)} <code>${esc(e.apiName)}</code> → ${esc(outcome)} · signature <span class="${sigClass}">${e.signature}</span> · ${e.durationMs} ms</summary>
<p>${esc(e.at)} · ${esc(e.request.method)} ${esc(e.request.url)}${e.partnerTransId ? ` · partner_trans_id ${esc(e.partnerTransId)}` : ""}${e.repeatOf !== undefined ? ` · repeats #${e.repeatOf} exactly` : ""}</p>
<p>Request:</p><pre>${esc(e.request.body)}</pre>${response}</details>`;
}

function stepHtml(step: StepResult): string {
  const checks = step.checks
    .map(
      (c) =>
        `<tr><td class="${c.ok ? "passed" : "failed"}">${c.ok ? "✓" : "✗"}</td><td>${esc(c.name)}</td><td>${esc(c.detail)}</td></tr>`,
    )
    .join("");
  const payments = step.payments.map((p) => `${esc(p.partnerTransId)} → ${esc(p.state)}`).join(", ");
  return `<section class="step" id="step-${step.id}" data-step="${step.id}" data-status="${step.status}">
<h2><span class="badge ${step.status}">${step.status}</span> ${esc(step.title)} <small><code>${step.id}</code></small></h2>
${step.reason ? `<p class="${step.status}">${esc(step.reason)}</p>` : ""}
${checks ? `<table>${checks}</table>` : ""}
${payments ? `<p>Payments: ${payments}</p>` : ""}
<details><summary>${step.exchanges.length} exchange(s) with the gateway</summary>${step.exchanges.map(exchangeHtml).join("\n")}</details>
</section>`;
}

export function renderReportHtml(report: ConformanceReport): string {
  const s = report.summary;
  const t = report.target;
  const rows = report.steps
    .map(
      (step) =>
        `<tr><td><span class="badge ${step.status}">${step.status}</span></td><td><a href="#step-${step.id}">${esc(step.title)}</a></td><td>${esc(step.reason ?? "")}</td></tr>`,
    )
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Alipay conformance ${esc(report.runId)}: ${s.isPassing ? "passing" : "failing"}</title><style>${STYLE}</style></head>
<body>
<h1>Alipay conformance report <span class="${s.isPassing ? "passed" : "failed"}">${s.isPassing ? "PASSING" : "FAILING"}</span></h1>
<p>Run <code>${esc(report.runId)}</code>, ${esc(report.startedAt)} to ${esc(report.finishedAt)}.<br>
Target: ${t.kind === "own_sandbox" ? "sandbox started by the run" : "configured gateway"} (${t.env}), ${t.protocol.toUpperCase()} ${t.signType}, ${esc(t.gatewayUrl)}, merchant ${esc(t.merchantId)}.<br>
${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped of ${s.total}. Payment codes are masked and signatures abbreviated.</p>
<table>${rows}</table>
${report.steps.map(stepHtml).join("\n")}
</body></html>
`;
}
