/**
 * Where to hold the phone: the kiosk's scanner window under the screen, the phone's
 * payment barcode facing it, about 10 cm above. Inline SVG, themed by CSS variables.
 */
export function PhoneScanIllustration({ label, className = "" }: { label: string; className?: string }) {
  return (
    <svg viewBox="0 0 390 420" role="img" aria-label={label} className={className}>
      <title>{label}</title>
      <defs>
        <linearGradient id="k-beam" x1="0" y1="1" x2="0" y2="0">
          <stop offset="0" stopColor="var(--k-scan-beam)" stopOpacity="0.75" />
          <stop offset="1" stopColor="var(--k-scan-beam)" stopOpacity="0" />
        </linearGradient>
      </defs>
      {/* kiosk body below the screen */}
      <rect
        x="30"
        y="300"
        width="300"
        height="110"
        rx="18"
        fill="var(--k-illus-body)"
        stroke="var(--k-illus-line)"
        strokeWidth="4"
      />
      <rect x="50" y="300" width="260" height="14" fill="var(--k-illus-line)" opacity="0.25" />
      {/* scanner window */}
      <rect
        x="120"
        y="330"
        width="120"
        height="44"
        rx="10"
        fill="#0b1220"
        stroke="var(--k-scan-beam)"
        strokeWidth="4"
      />
      <rect x="134" y="347" width="92" height="8" rx="4" fill="var(--k-scan-beam)" className="k-pulse" />
      {/* beam */}
      <path d="M130 330 L150 200 L210 200 L230 330 Z" fill="url(#k-beam)" />
      {/* phone, barcode side facing down to the scanner (drawn in front view, tilted) */}
      <g className="k-bob">
        <g transform="translate(180 120) rotate(-8)">
          <rect
            x="-62"
            y="-110"
            width="124"
            height="220"
            rx="18"
            fill="var(--k-illus-phone)"
            stroke="var(--k-illus-line)"
            strokeWidth="5"
          />
          <rect x="-50" y="-92" width="100" height="184" rx="8" fill="#ffffff" />
          <rect x="-40" y="-80" width="80" height="10" rx="3" fill="#1677ff" />
          {/* 1D barcode */}
          <g fill="#000000">
            {[0, 4, 7, 12, 15, 18, 23, 26, 31, 34, 36, 41, 44, 49, 52, 56, 61, 64, 68, 71, 76].map((x, i) => (
              <rect key={x} x={-40 + x} y={-58} width={i % 3 === 0 ? 3 : 2} height={46} />
            ))}
          </g>
          {/* QR-ish block */}
          <g fill="#000000">
            <rect x="-24" y="0" width="48" height="48" fill="none" stroke="#000" strokeWidth="4" />
            <rect x="-16" y="8" width="12" height="12" />
            <rect x="4" y="8" width="12" height="12" />
            <rect x="-16" y="28" width="12" height="12" />
            <rect x="6" y="30" width="6" height="6" />
          </g>
          <rect x="-40" y="64" width="80" height="8" rx="3" fill="#cbd5e1" />
        </g>
      </g>
      {/* distance marker */}
      <g stroke="var(--k-illus-line)" strokeWidth="3" fill="none">
        <path d="M300 232 L300 322" strokeDasharray="6 6" />
        <path d="M292 240 L300 230 L308 240" />
        <path d="M292 314 L300 324 L308 314" />
      </g>
      <text x="310" y="283" fontSize="22" fontWeight="700" fill="var(--k-illus-line)">
        10 cm
      </text>
    </svg>
  );
}
