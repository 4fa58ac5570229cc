"use client";
/**
 * Partner terminals (issue 18): POS, cash registers and vendor apps that take Alipay through
 * the partner payment API. Everyone with console access sees them and each terminal's till
 * today (sales, refunds, cancellations, declines, net); admins register one (its API key and
 * webhook secret are shown once), rotate its key in place (the new key shown once, the old
 * one valid for 24 h or until revoked), and disable or enable it.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@kiosk/api/trpc/root.ts";
import { useTRPC } from "../../lib/trpc.tsx";
import { formatDateTime, formatMoney } from "./format.ts";
import { Guard } from "./guard.tsx";
import { useStaffSession } from "./session.tsx";
import { Badge, Button, ErrorText, Field, inputClass, Section, Table } from "./ui.tsx";

export function TerminalsView() {
  return (
    <Guard capability="viewTerminals">
      <Terminals />
    </Guard>
  );
}

function Terminals() {
  const trpc = useTRPC();
  const session = useStaffSession();
  const queryClient = useQueryClient();
  const terminals = useQuery(trpc.terminal.list.queryOptions());
  const today = useQuery(trpc.console.today.queryOptions());
  const day = today.data?.day ?? "";
  const sales = useQuery(trpc.terminal.till.queryOptions({ fromDay: day, toDay: day }, { enabled: day !== "" }));
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.terminal.list.queryKey() });
  const setActive = useMutation(trpc.terminal.setActive.mutationOptions({ onSuccess: refresh }));
  const rotate = useMutation(trpc.terminal.rotateKey.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.terminal.revokePreviousKey.mutationOptions({ onSuccess: refresh }));
  const isAdmin = session.can("manageTerminals");
  const salesOf = new Map((sales.data ?? []).map((s) => [s.terminalId, s]));
  return (
    <>
      <Section title="Partner terminals">
        <ErrorText error={terminals.error ?? setActive.error ?? rotate.error ?? revoke.error ?? sales.error} />
        <Table caption={`Partner terminals and their till today (${day})`}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Store / terminal</th>
              <th scope="col">Key</th>
              <th scope="col">Webhook</th>
              <th scope="col">Status</th>
              <th scope="col">Last used</th>
              <th scope="col">Till today</th>
              {isAdmin ? <th scope="col">Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {terminals.data?.map((t) => {
              const s = salesOf.get(t.id);
              return (
                <tr key={t.id}>
                  <td>
                    {t.name}
                    <div className="text-xs text-slate-600">{t.attractionId}</div>
                  </td>
                  <td>
                    {t.storeId} / {t.terminalCode}
                  </td>
                  <td>
                    <code>ktm_{t.keyPrefix}_…</code>
                    {t.previousKeyPrefix && t.previousKeyExpiresAt ? (
                      <div className="text-xs text-slate-600">
                        also <code>ktm_{t.previousKeyPrefix}_…</code> until {formatDateTime(t.previousKeyExpiresAt)}
                      </div>
                    ) : null}
                  </td>
                  <td className="max-w-48 truncate">{t.webhookUrl ?? "—"}</td>
                  <td>{t.isActive ? <Badge tone="ok">enabled</Badge> : <Badge tone="info">disabled</Badge>}</td>
                  <td>{t.lastUsedAt ? formatDateTime(t.lastUsedAt) : "never"}</td>
                  <td className="text-xs tabular-nums" data-testid={`till-${t.id}`}>
                    {s?.currency ? <TillCell totals={s.totals} currency={s.currency} /> : "—"}
                  </td>
                  {isAdmin ? (
                    <td>
                      <Button
                        tone={t.isActive ? "danger" : "primary"}
                        disabled={setActive.isPending}
                        onClick={() => setActive.mutate({ terminalId: t.id, isActive: !t.isActive })}
                      >
                        {t.isActive ? "Disable" : "Enable"}
                      </Button>{" "}
                      {t.previousKeyPrefix ? (
                        <Button
                          tone="danger"
                          disabled={revoke.isPending}
                          onClick={() => revoke.mutate({ terminalId: t.id, reason: "rotation finished" })}
                        >
                          Revoke old key
                        </Button>
                      ) : (
                        <Button
                          disabled={rotate.isPending}
                          onClick={() => rotate.mutate({ terminalId: t.id, overlapHours: 24 })}
                        >
                          Rotate key
                        </Button>
                      )}
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </Table>
        {rotate.data ? (
          <div role="status" className="mt-2 rounded border border-amber-400 bg-amber-50 p-3 text-sm">
            <p>
              New key for {rotate.data.terminal.name}. Copy it now: it is not shown again. The old key works until{" "}
              {rotate.data.terminal.previousKeyExpiresAt
                ? formatDateTime(rotate.data.terminal.previousKeyExpiresAt)
                : "—"}{" "}
              or until you revoke it.
            </p>
            <p>
              API key: <code className="break-all">{rotate.data.key}</code>
            </p>
          </div>
        ) : null}
      </Section>
      {isAdmin ? <CreateTerminal onCreated={refresh} /> : null}
    </>
  );
}

type TillRow = inferRouterOutputs<AppRouter>["terminal"]["till"][number];

function TillCell({ totals: t, currency }: { totals: TillRow["totals"]; currency: string }) {
  const money = (m: number) => formatMoney(m, currency);
  return (
    <>
      <div>
        {t.salesCount} sales · {money(t.salesTotalMinor)}
      </div>
      <div>
        {t.refundsCount} refunds · {money(t.refundsTotalMinor)}
      </div>
      <div>
        {t.cancellationsCount} cancelled · {t.failedCount} declined
      </div>
      <div className="font-medium">net {money(t.netTotalMinor)}</div>
    </>
  );
}

function CreateTerminal({ onCreated }: { onCreated: () => void }) {
  const trpc = useTRPC();
  const attractions = useQuery(trpc.console.attractions.queryOptions());
  const empty = { attractionId: "", storeId: "", terminalCode: "", name: "", webhookUrl: "" };
  const [form, setForm] = useState(empty);
  const create = useMutation(
    trpc.terminal.create.mutationOptions({
      onSuccess: () => {
        setForm(empty);
        onCreated();
      },
    }),
  );
  const attractionId = form.attractionId || attractions.data?.[0]?.id || "";
  const text = (key: "storeId" | "terminalCode" | "name" | "webhookUrl", label: string, hint?: string) => (
    <Field label={label} {...(hint ? { hint } : {})}>
      {(id) => (
        <input
          id={id}
          required={key !== "webhookUrl"}
          type={key === "webhookUrl" ? "url" : "text"}
          className={inputClass}
          value={form[key]}
          onChange={(e) => setForm({ ...form, [key]: e.target.value })}
        />
      )}
    </Field>
  );
  return (
    <Section title="Register a terminal">
      <form
        className="flex flex-wrap items-end gap-3 rounded border border-slate-300 bg-white p-3"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({
            attractionId,
            storeId: form.storeId.trim(),
            terminalCode: form.terminalCode.trim(),
            name: form.name.trim(),
            webhookUrl: form.webhookUrl.trim() || null,
          });
        }}
      >
        <Field label="Attraction">
          {(id) => (
            <select
              id={id}
              className={inputClass}
              value={attractionId}
              onChange={(e) => setForm({ ...form, attractionId: e.target.value })}
            >
              {attractions.data?.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        {text("name", "Name")}
        {text("storeId", "Store id", "Letters, digits, _ or -")}
        {text("terminalCode", "Terminal id", "The vendor's own id")}
        {text("webhookUrl", "Webhook URL", "Optional")}
        <Button type="submit" tone="primary" disabled={create.isPending}>
          Register
        </Button>
      </form>
      {create.data ? (
        <div role="status" className="mt-2 rounded border border-amber-400 bg-amber-50 p-3 text-sm">
          <p>Registered {create.data.terminal.name}. Copy these now: they are not shown again.</p>
          <p>
            API key: <code className="break-all">{create.data.key}</code>
          </p>
          <p>
            Webhook secret: <code className="break-all">{create.data.webhookSecret}</code>
          </p>
        </div>
      ) : null}
      <ErrorText error={create.error} />
    </Section>
  );
}
