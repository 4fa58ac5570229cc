/**
 * What the kiosk app's own build hands its pages (everything else is read by @kiosk/api/env.ts):
 * the URL of the kiosk page's script, set by next.config.ts after bundling it
 * (scripts/build-kiosk-client.mjs) and inlined into the server build by Next's `env` option.
 */
export function kioskClientEntryUrl(): string {
  const url = process.env.KIOSK_CLIENT_ENTRY;
  if (!url)
    throw new Error(
      "KIOSK_CLIENT_ENTRY is not set: build the app with `next build` (next.config.ts bundles the kiosk script)",
    );
  return url;
}
