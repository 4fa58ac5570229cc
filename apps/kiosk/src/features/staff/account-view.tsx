"use client";
/** The signed-in staff member's own account: change the password (every other session of the account ends). */
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../lib/trpc.tsx";
import { Guard } from "./guard.tsx";
import { Button, ErrorText, Field, inputClass, Section } from "./ui.tsx";

export function AccountView() {
  return (
    <Guard capability="changeOwnPassword">
      <ChangePassword />
    </Guard>
  );
}

function ChangePassword() {
  const trpc = useTRPC();
  const [form, setForm] = useState({ currentPassword: "", newPassword: "", repeat: "" });
  const change = useMutation(
    trpc.auth.changePassword.mutationOptions({
      onSuccess: () => setForm({ currentPassword: "", newPassword: "", repeat: "" }),
    }),
  );
  const isMismatch = form.repeat !== "" && form.repeat !== form.newPassword;
  return (
    <Section title="Change your password">
      <form
        className="flex flex-wrap items-end gap-3 rounded border border-slate-300 bg-white p-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (isMismatch) return;
          change.mutate({ currentPassword: form.currentPassword, newPassword: form.newPassword });
        }}
      >
        <Field label="Current password">
          {(id) => (
            <input
              id={id}
              type="password"
              autoComplete="current-password"
              required
              className={inputClass}
              value={form.currentPassword}
              onChange={(e) => setForm({ ...form, currentPassword: e.target.value })}
            />
          )}
        </Field>
        <Field label="New password" hint="At least 12 characters">
          {(id) => (
            <input
              id={id}
              type="password"
              autoComplete="new-password"
              required
              minLength={12}
              className={inputClass}
              value={form.newPassword}
              onChange={(e) => setForm({ ...form, newPassword: e.target.value })}
            />
          )}
        </Field>
        <Field label="New password again">
          {(id) => (
            <input
              id={id}
              type="password"
              autoComplete="new-password"
              required
              minLength={12}
              className={inputClass}
              value={form.repeat}
              onChange={(e) => setForm({ ...form, repeat: e.target.value })}
            />
          )}
        </Field>
        <Button type="submit" tone="primary" disabled={change.isPending || isMismatch}>
          Change password
        </Button>
      </form>
      {isMismatch ? <p className="mt-1 text-sm text-red-800">The two new passwords differ.</p> : null}
      {change.data ? (
        <p role="status" className="mt-1 text-sm">
          Password changed; {change.data.sessionsRevoked} other session(s) signed out.
        </p>
      ) : null}
      <ErrorText error={change.error} />
    </Section>
  );
}
