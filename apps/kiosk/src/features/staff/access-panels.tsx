"use client";
/**
 * Access alerts and revocation on the Users page: accounts in the login back-off (wrong
 * passwords in a row, the last 24 hours) for supervisors; for admins, setting a forgotten
 * password and booking-system API keys with a revoke button.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../lib/trpc.tsx";
import { formatDateTime } from "./format.ts";
import { Badge, ErrorText, Field, inputClass, ReasonAction, Section, Table } from "./ui.tsx";

export function LoginAlerts() {
  const trpc = useTRPC();
  const alerts = useQuery(trpc.staff.loginAlerts.queryOptions());
  if (!alerts.error && (alerts.data?.length ?? 0) === 0) return null;
  return (
    <Section title="Sign-in alerts">
      <ErrorText error={alerts.error} />
      <div role="alert" className="rounded border border-red-300 bg-red-50 p-3 text-sm">
        <p className="mb-2">
          These accounts had many wrong passwords in a row in the last 24 hours. Their sign-in is slowed down for
          unknown browsers; the owner still signs in from a browser used before. If the owner did not cause this, have
          them change the password.
        </p>
        <ul>
          {alerts.data?.map((a) => (
            <li key={a.userId}>
              <strong>{a.email}</strong> · {a.failedLogins} wrong in a row · since {formatDateTime(a.at)}
              {a.loginDelayUntil ? <> · slowed until {formatDateTime(a.loginDelayUntil)}</> : null}
            </li>
          ))}
        </ul>
      </div>
    </Section>
  );
}

export function ApiClients() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const clients = useQuery(trpc.staff.listApiClients.queryOptions());
  const revoke = useMutation(
    trpc.staff.revokeApiKey.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.staff.listApiClients.queryKey() }),
    }),
  );
  return (
    <Section title="Booking-system API keys">
      <ErrorText error={clients.error ?? revoke.error} />
      <Table caption="Booking-system API keys">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Key prefix</th>
            <th scope="col">Scopes</th>
            <th scope="col">Last used</th>
            <th scope="col">Status</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {clients.data?.map((c) => (
            <tr key={c.id}>
              <td>
                {c.name}
                <div className="text-xs text-slate-600">{c.attractionId}</div>
              </td>
              <td className="font-mono text-xs">kak_{c.keyPrefix}_…</td>
              <td className="text-xs">{c.scopes.join(" ")}</td>
              <td>{c.lastUsedAt ? formatDateTime(c.lastUsedAt) : "—"}</td>
              <td>{c.isActive ? <Badge tone="ok">active</Badge> : <Badge tone="info">revoked</Badge>}</td>
              <td>
                {c.isActive ? (
                  <ReasonAction
                    label="Revoke"
                    tone="danger"
                    pending={revoke.isPending}
                    onConfirm={(reason) => revoke.mutate({ apiClientId: c.id, reason })}
                  />
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
    </Section>
  );
}

/** An admin sets another account's password (forgotten password): all its sessions end. */
export function SetPassword({ userId }: { userId: string }) {
  const trpc = useTRPC();
  const [password, setPassword] = useState("");
  const set = useMutation(trpc.staff.setPassword.mutationOptions({ onSuccess: () => setPassword("") }));
  return (
    <>
      <ReasonAction
        label="Set password"
        pending={set.isPending}
        onConfirm={(reason) => set.mutate({ userId, newPassword: password, reason })}
      >
        <Field label="New password" hint="At least 12 characters">
          {(id) => (
            <input
              id={id}
              type="password"
              autoComplete="new-password"
              required
              minLength={12}
              className={inputClass}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          )}
        </Field>
      </ReasonAction>
      {set.data ? (
        <p role="status" className="text-xs">
          Password set; {set.data.sessionsRevoked} session(s) ended.
        </p>
      ) : null}
      <ErrorText error={set.error} />
    </>
  );
}
