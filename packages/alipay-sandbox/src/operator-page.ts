/** The small HTML page at `/sandbox`: a person plays the buyer for waiting PIN payments. */
export const OPERATOR_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Alipay sandbox</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1a1a1a; }
  h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; margin-top: 2rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #ddd; font-variant-numeric: tabular-nums; }
  button { font: inherit; padding: .35rem .9rem; margin-right: .4rem; border-radius: 4px; border: 1px solid #888; cursor: pointer; }
  button.confirm { background: #1677ff; color: #fff; border-color: #1677ff; }
  button.reject { background: #fff; }
  .empty { color: #777; }
  code { font-size: .92em; }
</style>
</head>
<body>
<h1>Alipay sandbox: waiting payments</h1>
<p>Payments started with a PIN-wait code show up here. Confirm to play a buyer who enters the PIN, reject to play one who gives up.</p>
<table id="waiting"><thead><tr><th>Trade</th><th>Order</th><th>Amount</th><th>Since</th><th></th></tr></thead><tbody></tbody></table>
<p id="waiting-empty" class="empty">No payment is waiting for the buyer.</p>
<h2>Recent trades</h2>
<table id="recent"><thead><tr><th>Trade</th><th>Order</th><th>Amount</th><th>Status</th><th>Refunded</th><th>Scenario</th></tr></thead><tbody></tbody></table>
<h2>Scenario payment codes</h2>
<table id="scenarios"><thead><tr><th>Code</th><th>Scenario</th></tr></thead><tbody></tbody></table>
<script>
"use strict";
function cell(row, text) { const td = document.createElement("td"); td.textContent = text; row.appendChild(td); return td; }
async function act(tradeNo, action) {
  const res = await fetch("/sandbox/trades/" + encodeURIComponent(tradeNo) + "/" + action, { method: "POST" });
  if (!res.ok) alert((await res.json()).error || res.statusText);
  await refresh();
}
async function refresh() {
  const { trades } = await (await fetch("/sandbox/trades")).json();
  const waiting = trades.filter((t) => t.status === "WAIT_BUYER_PAY");
  const wbody = document.querySelector("#waiting tbody");
  wbody.replaceChildren();
  for (const t of waiting) {
    const row = document.createElement("tr");
    cell(row, t.tradeNo); cell(row, t.outTradeNo); cell(row, t.amount + " " + t.currency); cell(row, t.createdAtText);
    const td = cell(row, "");
    const ok = document.createElement("button"); ok.className = "confirm"; ok.textContent = "Confirm PIN"; ok.onclick = () => act(t.tradeNo, "confirm");
    const no = document.createElement("button"); no.className = "reject"; no.textContent = "Reject"; no.onclick = () => act(t.tradeNo, "reject");
    td.append(ok, no);
    wbody.appendChild(row);
  }
  document.getElementById("waiting-empty").hidden = waiting.length > 0;
  const rbody = document.querySelector("#recent tbody");
  rbody.replaceChildren();
  for (const t of trades.slice(0, 30)) {
    const row = document.createElement("tr");
    cell(row, t.tradeNo); cell(row, t.outTradeNo); cell(row, t.amount + " " + t.currency); cell(row, t.status); cell(row, t.refunded); cell(row, t.scenario);
    rbody.appendChild(row);
  }
}
async function loadScenarios() {
  const { scenarios } = await (await fetch("/sandbox/scenarios")).json();
  const body = document.querySelector("#scenarios tbody");
  for (const s of scenarios) {
    const row = document.createElement("tr");
    const code = document.createElement("code"); code.textContent = s.exampleCode;
    cell(row, "").appendChild(code); cell(row, s.title);
    body.appendChild(row);
  }
}
loadScenarios();
refresh();
setInterval(refresh, 1500);
</script>
</body>
</html>
`;
