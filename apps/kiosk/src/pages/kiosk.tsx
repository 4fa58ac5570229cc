/**
 * The kiosk page (issue 20: light enough to load cold on a kiosk PC). Rendered per request on
 * the server (the bridge URL comes from the server configuration; the bridge token is never in
 * the page, the app fetches it after authenticating) as the boot screen, with none of Next's
 * client runtime (`unstable_runtimeJS: false`): the only script is the kiosk app's own bundle
 * (src/features/kiosk/client-entry.tsx, built by scripts/build-kiosk-client.mjs), which takes
 * over the root element. A Pages Router page, because an App Router page always ships React's
 * flight client and Next's router (≈ 138 KB gzip with React DOM, above the 130 KB budget).
 */
import type { GetServerSideProps } from "next";
import Head from "next/head";
import { getBridgeUrl } from "@kiosk/api/env.ts";
import { kioskClientEntryUrl } from "../env.ts";
import { KIOSK_ROOT_ID } from "../features/kiosk/page-shell.ts";
import { BootScreen } from "../features/kiosk/screens/boot-screen.tsx";

export const config = { unstable_runtimeJS: false };

interface KioskPageProps {
  bridgeUrl: string;
  scriptUrl: string;
}

export const getServerSideProps: GetServerSideProps<KioskPageProps> = async () => ({
  props: { bridgeUrl: getBridgeUrl(), scriptUrl: kioskClientEntryUrl() },
});

export default function KioskPage({ bridgeUrl, scriptUrl }: KioskPageProps) {
  return (
    <>
      <Head>
        <title>Ticket kiosk</title>
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="theme-color" content="#0b3d91" />
        <link rel="manifest" href="/manifest.webmanifest" />
        <link rel="icon" href="/icons/icon.svg" />
        <link rel="apple-touch-icon" href="/icons/icon-192.png" />
        <link rel="modulepreload" href={scriptUrl} />
      </Head>
      <div id={KIOSK_ROOT_ID} data-bridge-url={bridgeUrl}>
        <BootScreen />
      </div>
      <script type="module" src={scriptUrl} />
    </>
  );
}
