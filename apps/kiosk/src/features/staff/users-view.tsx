"use client";
/** Staff accounts: supervisors see them and the sign-in alerts, admins create and deactivate them and revoke API keys. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../lib/trpc.tsx";
import { ApiClients, LoginAlerts, SetPassword } from "./access-panels.tsx";
import { formatDateTime } from "./format.ts";
import { Guard } from "./guard.tsx";
import { STAFF_ROLE_ORDER, type ConsoleRole } from "./permissions.ts";
import { useStaffSession } from "./session.tsx";
import { Badge, Button, ErrorText, Field, inputClass, ReasonAction, Section, Table } from "./ui.tsx";

export function UsersView() {
  return (
    <Guard capability="viewUsers">
      <Users />
    </Guard>
  );
}

function Users() {
  const trpc = useTRPC();
  const session = useStaffSession();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.staff.listUsers.queryOptions());
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.staff.listUsers.queryKey() });
  const deactivate = useMutation(trpc.staff.deactivateUser.mutationOptions({ onSuccess: refresh }));
  const isAdmin = session.can("manageUsers");
  return (
    <>
      <LoginAlerts />
      <Section title="Staff accounts">
        <ErrorText error={users.error ?? deactivate.error} />
        <Table caption="Staff accounts">
          <thead>
            <tr>
              <th scope="col">E-mail</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              {isAdmin ? <th scope="col">Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {users.data?.map((u) => (
              <tr key={u.id}>
                <td>{u.email}</td>
                <td>{u.name}</td>
                <td>{u.role}</td>
                <td>{u.isActive ? <Badge tone="ok">active</Badge> : <Badge tone="info">deactivated</Badge>}</td>
                <td>{formatDateTime(u.createdAt)}</td>
                {isAdmin ? (
                  <td>
                    {u.isActive && u.id !== session.staff.id ? (
                      <div className="flex flex-col items-start gap-1">
                        <ReasonAction
                          label="Deactivate"
                          tone="danger"
                          pending={deactivate.isPending}
                          onConfirm={(reason) => deactivate.mutate({ userId: u.id, reason })}
                        />
                        <SetPassword userId={u.id} />
                      </div>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </Table>
      </Section>
      {isAdmin ? <CreateUser onCreated={refresh} /> : null}
      {isAdmin ? <ApiClients /> : null}
    </>
  );
}

function CreateUser({ onCreated }: { onCreated: () => void }) {
  const trpc = useTRPC();
  const [form, setForm] = useState({ email: "", name: "", password: "", role: "viewer" as ConsoleRole });
  const create = useMutation(
    trpc.staff.createUser.mutationOptions({
      onSuccess: () => {
        setForm({ email: "", name: "", password: "", role: "viewer" });
        onCreated();
      },
    }),
  );
  return (
    <Section title="Add a staff account">
      <form
        className="flex flex-wrap items-end gap-3 rounded border border-slate-300 bg-white p-3"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ email: form.email.trim(), name: form.name.trim(), password: form.password, role: form.role });
        }}
      >
        <Field label="E-mail">
          {(id) => (
            <input
              id={id}
              type="email"
              required
              className={inputClass}
              value={form.email}
              onChange={(e) => setForm({ ...form, email: e.target.value })}
            />
          )}
        </Field>
        <Field label="Name">
          {(id) => (
            <input
              id={id}
              required
              className={inputClass}
              value={form.name}
              onChange={(e) => setForm({ ...form, name: e.target.value })}
            />
          )}
        </Field>
        <Field label="Password" hint="At least 12 characters">
          {(id) => (
            <input
              id={id}
              type="password"
              autoComplete="new-password"
              required
              minLength={12}
              className={inputClass}
              value={form.password}
              onChange={(e) => setForm({ ...form, password: e.target.value })}
            />
          )}
        </Field>
        <Field label="Role">
          {(id) => (
            <select
              id={id}
              className={inputClass}
              value={form.role}
              onChange={(e) => setForm({ ...form, role: e.target.value as ConsoleRole })}
            >
              {STAFF_ROLE_ORDER.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Button type="submit" tone="primary" disabled={create.isPending}>
          Create account
        </Button>
      </form>
      {create.data ? (
        <p role="status" className="mt-1 text-sm">
          Created {create.data.email} ({create.data.role}).
        </p>
      ) : null}
      <ErrorText error={create.error} />
    </Section>
  );
}
