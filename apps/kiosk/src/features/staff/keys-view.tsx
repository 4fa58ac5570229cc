"use client";
/**
 * Alipay merchant keys, for admins: which key signs now (fingerprints only), a key check
 * with a plain-words diagnosis for the current or the next key, and the switch to the
 * next key (audited). Generating and installing keys is done on the server host with the
 * CLI, so private keys never pass through a browser.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../lib/trpc.tsx";
import { Guard } from "./guard.tsx";
import { MerchantFields } from "./merchant-fields-view.tsx";
import { Badge, Button, ErrorText, ReasonAction, Section, Table } from "./ui.tsx";

export function KeysView() {
  return (
    <Guard capability="manageAlipayKeys">
      <Keys />
      <MerchantFields />
    </Guard>
  );
}

function Keys() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.alipayKeys.status.queryOptions());
  const check = useMutation(trpc.alipayKeys.check.mutationOptions());
  const switchToNext = useMutation(
    trpc.alipayKeys.switchToNext.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.alipayKeys.status.queryKey() }),
    }),
  );
  const s = status.data;
  return (
    <Section title="Alipay keys">
      <ErrorText error={status.error ?? switchToNext.error ?? check.error} />
      {s ? (
        <Table caption="Merchant signing keys in this server process">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Fingerprint</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <td>Current</td>
              <td className="font-mono text-xs">{s.currentFingerprint ?? "MD5 key (no fingerprint)"}</td>
              <td>{s.active === "current" ? <Badge tone="ok">signing</Badge> : <Badge tone="info">standby</Badge>}</td>
            </tr>
            <tr>
              <td>Next</td>
              <td className="font-mono text-xs">{s.nextFingerprint ?? "not configured"}</td>
              <td>
                {s.active === "next" ? (
                  <Badge tone="ok">signing</Badge>
                ) : s.nextFingerprint ? (
                  <Badge tone="info">ready</Badge>
                ) : null}
              </td>
            </tr>
          </tbody>
        </Table>
      ) : null}
      <div className="mt-4 flex flex-wrap gap-3">
        <Button onClick={() => check.mutate({ slot: "current" })} disabled={check.isPending}>
          Check the current key
        </Button>
        <Button onClick={() => check.mutate({ slot: "next" })} disabled={check.isPending || !s?.nextFingerprint}>
          Check the next key
        </Button>
        <ReasonAction
          label="Switch to the next key"
          tone="danger"
          disabled={!s?.canSwitch}
          disabledReason="No next key is configured, or it is already signing."
          pending={switchToNext.isPending}
          onConfirm={(reason) => switchToNext.mutate({ reason })}
        />
      </div>
      {check.data ? (
        <div role="status" className="mt-4 rounded border border-slate-300 bg-white p-4">
          <p className="text-lg font-semibold">
            {check.data.ok ? "✔ " : "✘ "}
            {check.data.diagnosis.title}
          </p>
          <p className="mt-1">{check.data.diagnosis.explanation}</p>
          {check.data.ok ? null : <p className="mt-1 font-medium">What to do: {check.data.diagnosis.action}</p>}
          <ul className="mt-3 text-sm">
            {check.data.steps.map((step) => (
              <li key={step.name}>
                <Badge tone={step.status === "pass" ? "ok" : step.status === "fail" ? "bad" : "info"}>
                  {step.status}
                </Badge>{" "}
                {step.name}: {step.detail}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <h3 className="mt-6 font-semibold">Prepare, install and rotate (on the server host)</h3>
      <pre className="mt-2 overflow-x-auto rounded bg-slate-900 p-3 text-sm text-slate-50">{`npm run alipay-keys -- generate --out /etc/kiosk           # prints the public key for Alipay's portal
npm run alipay-keys -- install --private /etc/kiosk/alipay-private-<id>.pem --env /etc/kiosk/kiosk.env --next
# restart the servers, upload the public key to Alipay, then "Check the next key" and "Switch" here
npm run alipay-keys -- rotate --env-file /etc/kiosk/kiosk.env  # make the switch permanent`}</pre>
    </Section>
  );
}
