import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import { KioskTrpcProvider } from "../../lib/trpc.tsx";
import { ServiceWorkerRegistration } from "../../features/kiosk/service-worker-registration.tsx";
import "./kiosk.css";

export const metadata: Metadata = {
  title: "Ticket kiosk",
  manifest: "/manifest.webmanifest",
  icons: { icon: "/icons/icon.svg", apple: "/icons/icon-192.png" },
};

export const viewport: Viewport = { width: "device-width", initialScale: 1, themeColor: "#0b3d91" };

export default function KioskLayout({ children }: { children: ReactNode }) {
  return (
    <KioskTrpcProvider>
      <ServiceWorkerRegistration />
      {children}
    </KioskTrpcProvider>
  );
}
