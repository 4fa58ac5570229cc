"use client";
/**
 * tRPC + TanStack Query for the kiosk page: queries and mutations over `httpBatchLink`,
 * subscriptions (payment.follow) over Server-Sent Events with `httpSubscriptionLink`,
 * both with superjson. Every call carries the kiosk's device credential in the Authorization
 * header, subscriptions included: the `eventsource` package's EventSource lets us send it
 * (the browser's cannot, and tRPC's `connectionParams` would put it in the URL, so into
 * access logs; the server no longer reads credentials from there).
 */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClientErrorLike,
} from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState, type ReactNode } from "react";
import { EventSource } from "eventsource";
import superjson from "superjson";
import { MAX_TRPC_BATCH_SIZE } from "@kiosk/api/limits.ts";
import type { AppRouter } from "@kiosk/api/trpc/root.ts";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export type KioskTrpcError = TRPCClientErrorLike<AppRouter>;

const CREDENTIAL_KEY = "kiosk.deviceCredential";

/** The device credential from pairing, kept in localStorage (the kiosk profile is dedicated). */
export const deviceCredential = {
  get(): string | null {
    if (typeof window === "undefined") return null;
    try {
      return window.localStorage.getItem(CREDENTIAL_KEY);
    } catch {
      return null;
    }
  },
  set(value: string): void {
    window.localStorage.setItem(CREDENTIAL_KEY, value);
  },
  clear(): void {
    window.localStorage.removeItem(CREDENTIAL_KEY);
  },
};

function authHeaders(): Record<string, string> {
  const credential = deviceCredential.get();
  return credential ? { authorization: `Bearer ${credential}` } : {};
}

function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { staleTime: 5_000, retry: 1, refetchOnWindowFocus: false },
      mutations: { retry: false },
    },
  });
}

export function makeTrpcClient(baseUrl = "") {
  const url = `${baseUrl}/api/trpc`;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url,
          transformer: superjson,
          EventSource,
          // Called on every (re)connect, so a credential set after pairing is used at once.
          eventSourceOptions: () => ({
            fetch: (input, init) =>
              fetch(input, { ...init, headers: { ...init.headers, ...authHeaders() }, credentials: "same-origin" }),
          }),
        }),
        false: httpBatchLink({
          url,
          transformer: superjson,
          headers: authHeaders,
          maxURLLength: 4000,
          maxItems: MAX_TRPC_BATCH_SIZE,
        }),
      }),
    ],
  });
}

export function KioskTrpcProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() => makeTrpcClient());
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

/** The tRPC error code of a failed call (UNAUTHORIZED, PRECONDITION_FAILED, …), or null for network errors. */
export function trpcErrorCode(error: unknown): string | null {
  const data = (error as { data?: { code?: unknown } } | null)?.data;
  return typeof data?.code === "string" ? data.code : null;
}
