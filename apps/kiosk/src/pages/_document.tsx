import { Head, Html, Main, NextScript } from "next/document";

/** The kiosk page's document: English until the kiosk app sets the visitor's language. */
export default function KioskDocument() {
  return (
    <Html lang="en">
      <Head />
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased">
        <Main />
        <NextScript />
      </body>
    </Html>
  );
}
