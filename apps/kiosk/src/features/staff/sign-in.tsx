"use client";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../lib/trpc.tsx";
import { Button, ErrorText, inputClass } from "./ui.tsx";

export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: () => void }) {
  const trpc = useTRPC();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const login = useMutation(trpc.auth.login.mutationOptions({ onSuccess: onSignedIn }));
  return (
    <main className="mx-auto mt-16 max-w-sm rounded border border-slate-300 bg-white p-6 shadow-sm">
      <h1 className="mb-4 text-xl font-semibold">Staff console sign-in</h1>
      {notice ? (
        <p role="status" className="mb-3 rounded bg-amber-50 p-2 text-sm text-amber-900">
          {notice}
        </p>
      ) : null}
      <form
        className="flex flex-col gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          login.mutate({ email: email.trim(), password });
        }}
      >
        <div className="flex flex-col gap-1 text-sm">
          <label htmlFor="staff-email" className="font-medium">
            E-mail
          </label>
          <input
            id="staff-email"
            type="email"
            autoComplete="username"
            required
            className={inputClass}
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </div>
        <div className="flex flex-col gap-1 text-sm">
          <label htmlFor="staff-password" className="font-medium">
            Password
          </label>
          <input
            id="staff-password"
            type="password"
            autoComplete="current-password"
            required
            className={inputClass}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </div>
        <Button type="submit" tone="primary" disabled={login.isPending}>
          {login.isPending ? "Signing in…" : "Sign in"}
        </Button>
        <ErrorText error={login.error} />
      </form>
    </main>
  );
}
