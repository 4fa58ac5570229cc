/** Plain SVG charts with a text alternative; no chart library. */

export interface Bar {
  label: string;
  value: number;
  display: string;
}

export function HorizontalBars({ title, bars }: { title: string; bars: Bar[] }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rowH = 22;
  const labelW = 150;
  const width = 520;
  const height = Math.max(rowH, bars.length * rowH) + 4;
  return (
    <figure className="m-0">
      <svg
        role="img"
        aria-label={`${title}: ${bars.map((b) => `${b.label} ${b.display}`).join("; ") || "no data"}`}
        viewBox={`0 0 ${width} ${height}`}
        className="w-full max-w-xl"
      >
        {bars.map((b, i) => {
          const w = ((width - labelW - 90) * b.value) / max;
          const y = i * rowH + 2;
          return (
            <g key={b.label + i}>
              <text x={labelW - 6} y={y + 14} textAnchor="end" fontSize="11" fill="#0f172a">
                {b.label.length > 22 ? `${b.label.slice(0, 21)}…` : b.label}
              </text>
              <rect x={labelW} y={y + 3} width={Math.max(1, w)} height={rowH - 8} fill="#1e40af" rx="2" />
              <text x={labelW + w + 4} y={y + 14} fontSize="11" fill="#0f172a">
                {b.display}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="sr-only">{title}</figcaption>
    </figure>
  );
}

export function ColumnChart({ title, bars }: { title: string; bars: Bar[] }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const width = 620;
  const height = 180;
  const bottom = 20;
  const colW = width / Math.max(1, bars.length);
  return (
    <figure className="m-0">
      <svg
        role="img"
        aria-label={`${title}: ${
          bars
            .filter((b) => b.value > 0)
            .map((b) => `${b.label} ${b.display}`)
            .join("; ") || "no sales"
        }`}
        viewBox={`0 0 ${width} ${height}`}
        className="w-full max-w-2xl"
      >
        <line x1="0" x2={width} y1={height - bottom} y2={height - bottom} stroke="#94a3b8" />
        {bars.map((b, i) => {
          const h = ((height - bottom - 14) * b.value) / max;
          const x = i * colW;
          return (
            <g key={b.label + i}>
              <title>{`${b.label}: ${b.display}`}</title>
              <rect x={x + 2} y={height - bottom - h} width={Math.max(1, colW - 4)} height={h} fill="#1e40af" rx="1" />
              <text x={x + colW / 2} y={height - 6} textAnchor="middle" fontSize="9" fill="#334155">
                {b.label}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="sr-only">{title}</figcaption>
    </figure>
  );
}
