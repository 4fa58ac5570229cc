"use client";
/**
 * The signed-in staff member for every console screen. `auth.me` decides: UNAUTHORIZED
 * shows the sign-in form; any later UNAUTHORIZED answer (session expired or ended
 * elsewhere) drops back to it with a note; a timer does the same at `expiresAt`.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { trpcErrorCode, useTRPC } from "../../lib/trpc.tsx";
import { can, type Capability, type ConsoleRole } from "./permissions.ts";
import { SignIn } from "./sign-in.tsx";

export interface StaffSession {
  staff: { id: string; email: string; name: string; role: ConsoleRole };
  expiresAt: Date;
  can(capability: Capability): boolean;
  signOut(): void;
}

const SessionContext = createContext<StaffSession | null>(null);

export function useStaffSession(): StaffSession {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useStaffSession outside <SessionGate>");
  return s;
}

export function SessionGate({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useQuery({
    ...trpc.auth.me.queryOptions(),
    retry: false,
    refetchInterval: 60_000,
    refetchOnWindowFocus: true,
  });
  const [notice, setNotice] = useState<string | null>(null);

  // Any UNAUTHORIZED answer anywhere means the session is gone.
  useEffect(() => {
    const onError = (error: unknown) => {
      if (trpcErrorCode(error) === "UNAUTHORIZED") {
        setNotice("Your session has expired or was ended. Sign in again.");
        queryClient.setQueryData(trpc.auth.me.queryKey(), undefined);
        void queryClient.invalidateQueries({ queryKey: trpc.auth.me.queryKey() });
      }
    };
    const unQ = queryClient.getQueryCache().subscribe((e) => {
      if (e.type === "updated" && e.action.type === "error" && !(e.query.queryKey as unknown[]).flat().includes("me"))
        onError(e.action.error);
    });
    const unM = queryClient.getMutationCache().subscribe((e) => {
      if (e.type === "updated" && e.action.type === "error") onError(e.action.error);
    });
    return () => {
      unQ();
      unM();
    };
  }, [queryClient, trpc]);

  const expiresAt = me.data?.expiresAt;
  useEffect(() => {
    if (!expiresAt) return;
    const ms = expiresAt.getTime() - Date.now();
    const t = setTimeout(() => void me.refetch(), Math.max(1000, Math.min(ms + 500, 2 ** 31 - 1)));
    return () => clearTimeout(t);
  }, [expiresAt, me]);

  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSettled: () => {
        queryClient.clear();
        setNotice("You are signed out.");
      },
    }),
  );

  if (me.isPending) {
    return (
      <p className="p-6 text-sm" role="status">
        Checking your session…
      </p>
    );
  }
  if (!me.data || me.isError) {
    if (me.isError && trpcErrorCode(me.error) !== "UNAUTHORIZED") {
      return (
        <div className="p-6" role="alert">
          <p>The server did not answer ({me.error.message}).</p>
          <button className="mt-2 underline" onClick={() => void me.refetch()}>
            Try again
          </button>
        </div>
      );
    }
    return (
      <SignIn
        notice={notice}
        onSignedIn={() => {
          setNotice(null);
          queryClient.clear();
          void me.refetch();
        }}
      />
    );
  }
  const role = me.data.staff.role as ConsoleRole;
  const session: StaffSession = {
    staff: { ...me.data.staff, role },
    expiresAt: me.data.expiresAt,
    can: (c) => can(role, c),
    signOut: () => logout.mutate(),
  };
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}
