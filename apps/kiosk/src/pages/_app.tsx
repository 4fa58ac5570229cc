import type { AppProps } from "next/app";
import "../app/globals.css";
import "../app/kiosk/kiosk.css";

/** The Pages Router holds only the kiosk page (src/pages/kiosk.tsx); its global styles are the kiosk's. */
export default function KioskPagesApp({ Component, pageProps }: AppProps) {
  return <Component {...pageProps} />;
}
