"use client";
import QRCode from "qrcode";
import { useEffect, useState } from "react";

/** A ticket's QR code as inline SVG (dark on white with a quiet zone, whatever the theme). */
export function QrCode({ value, label, size = 280 }: { value: string; label: string; size?: number }) {
  const [svg, setSvg] = useState<string | null>(null);
  useEffect(() => {
    let isCurrent = true;
    QRCode.toString(value, {
      type: "svg",
      errorCorrectionLevel: "M",
      margin: 4,
      color: { dark: "#000000", light: "#ffffff" },
    })
      .then((s) => {
        if (isCurrent) setSvg(s);
      })
      .catch(() => setSvg(null));
    return () => {
      isCurrent = false;
    };
  }, [value]);
  return (
    <div role="img" aria-label={label} className="rounded-xl bg-white p-2" style={{ width: size, height: size }}>
      {svg ? (
        <div
          aria-hidden="true"
          className="h-full w-full [&>svg]:h-full [&>svg]:w-full"
          dangerouslySetInnerHTML={{ __html: svg }}
        />
      ) : null}
    </div>
  );
}
