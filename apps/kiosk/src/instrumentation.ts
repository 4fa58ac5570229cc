/**
 * Next.js start-up hook: in the Node.js runtime, make X-Forwarded-For end with the TCP
 * peer (so only TRUSTED_PROXIES can name a client), and build the process's services at
 * boot (so a bad configuration fails fast, and the payment worker runs with
 * WORKER=inline before the first request).
 *
 * NEXT_RUNTIME is not configuration: Next replaces it with a literal at build time,
 * which removes the server import from the edge build. It is the one process.env
 * access outside src/env.ts.
 */
export async function register(): Promise<void> {
  // eslint-disable-next-line no-restricted-properties -- build-time constant inlined by Next (edge/node split), not configuration
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  // Under server.ts the API and its runtime live outside Next (that process stamps the peer itself).
  const { isApiHostedOutsideNext } = await import("@kiosk/api/env.ts");
  if (isApiHostedOutsideNext()) return;
  // The TCP peer is appended to X-Forwarded-For before Next sees a request (server/client-address.ts).
  const { installPeerForwarding } = await import("@kiosk/api/peer-forwarding.ts");
  installPeerForwarding();
  const { getRuntime } = await import("@kiosk/api/app-services.ts");
  await getRuntime();
}
