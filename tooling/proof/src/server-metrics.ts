/**
 * The servers' own view of a load run (tooling/proof/src/load.ts): their `/metrics` read before
 * and after the measured traffic, and the time per procedure between the two reads.
 */

const r1 = (x: number): number => Math.round(x * 10) / 10;

/** Each server's histograms of procedure time, summed over the servers, and each one's event-loop delay line. */
export interface ServerScrape {
  byPath: Map<string, { count: number; sum: number; buckets: Map<number, number> }>;
  lag: string[];
}

/**
 * Reads every server's /metrics: `kiosk_trpc_duration_seconds` (tRPC middleware to answer,
 * successful calls) and `kiosk_gateway_request_duration_seconds` (the Alipay exchanges), summed
 * over the servers; event-loop delay as each server reports it (since its start).
 */
export async function scrapeServers(
  servers: readonly string[],
  token: string | undefined,
  fetchImpl: (url: string, init: RequestInit) => Promise<Response>,
): Promise<ServerScrape> {
  const byPath: ServerScrape["byPath"] = new Map();
  const lag: string[] = [];
  if (!token) return { byPath, lag };
  for (const server of servers) {
    const res = await fetchImpl(`${server}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`${server}/metrics answered HTTP ${res.status}`);
    const text = await res.text();
    const lagOf = (q: string) =>
      Number(new RegExp(`^nodejs_eventloop_lag_${q}_seconds (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
    lag.push(
      `${server}: event-loop delay since start p50 ${r1(lagOf("p50") * 1000)} ms, p99 ${r1(lagOf("p99") * 1000)} ms, max ${r1(lagOf("max") * 1000)} ms`,
    );
    for (const line of text.split("\n")) {
      // Procedures that answered OK, and the Alipay exchanges the servers made (pay, query, …).
      const m = /^kiosk_(trpc_duration|gateway_request_duration)_seconds_(sum|count|bucket)\{([^}]*)\} (\S+)$/.exec(
        line,
      );
      if (!m) continue;
      const labels = Object.fromEntries([...m[3]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]));
      const key =
        m[1] === "trpc_duration"
          ? labels.code === "OK" && labels.path
          : labels.outcome === "ok" && labels.operation && `alipay ${labels.operation}`;
      if (!key) continue;
      const entry = byPath.get(key) ?? { count: 0, sum: 0, buckets: new Map<number, number>() };
      const value = Number(m[4]);
      if (m[2] === "sum") entry.sum += value;
      else if (m[2] === "count") entry.count += value;
      else if (labels.le !== "+Inf") {
        const le = Number(labels.le);
        entry.buckets.set(le, (entry.buckets.get(le) ?? 0) + value);
      }
      byPath.set(key, entry);
    }
  }
  return { byPath, lag };
}

/**
 * The servers' own time per procedure between two scrapes (the measured traffic, without the
 * warm-up): the mean exactly, the p99 as the upper bound of its histogram bucket.
 */
export function serverTimesOf(
  after: ServerScrape,
  before: ServerScrape,
): Map<string, { count: number; meanMs: number; p99AtMostMs: number }> {
  return new Map(
    [...after.byPath]
      // Procedures called only before the measured traffic (sign-in, pairing, the catalog) drop out.
      .filter(([path, a]) => a.count > (before.byPath.get(path)?.count ?? 0))
      .map(([path, a]) => {
        const b = before.byPath.get(path);
        const count = a.count - (b?.count ?? 0);
        const sum = a.sum - (b?.sum ?? 0);
        const bound = [...a.buckets]
          .map(([le, n]) => [le, n - (b?.buckets.get(le) ?? 0)] as const)
          .sort(([x], [y]) => x - y)
          .find(([, n]) => n >= 0.99 * count)?.[0];
        return [
          path,
          {
            count,
            meanMs: count > 0 ? (sum / count) * 1000 : 0,
            p99AtMostMs: bound === undefined ? Number.POSITIVE_INFINITY : bound * 1000,
          },
        ];
      }),
  );
}
