/**
 * Next.js start-up hook: in the Node.js runtime, build the process's services at
 * boot (so a bad configuration fails fast, and the payment worker runs with
 * WORKER=inline even before the first request). `EdgeRuntime` is a global only
 * the edge runtime defines.
 */
export async function register(): Promise<void> {
  if (typeof (globalThis as { EdgeRuntime?: unknown }).EdgeRuntime === "string") return;
  const { getRuntime } = await import("./server/app-services.ts");
  await getRuntime();
}
