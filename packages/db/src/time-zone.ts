/**
 * Formatters per zone: building an Intl.DateTimeFormat costs far more than formatting with one
 * (it was 2 % of a server's CPU under load, once per order). A zone Intl does not know still
 * throws RangeError, from the constructor, and is not cached.
 */
const wallClockFormats = new Map<string, Intl.DateTimeFormat>();
const dayFormats = new Map<string, Intl.DateTimeFormat>();

function cached(cache: Map<string, Intl.DateTimeFormat>, tz: string, make: () => Intl.DateTimeFormat) {
  let format = cache.get(tz);
  if (!format) {
    format = make();
    // Zones are few (one per attraction); the bound only guards against a caller passing arbitrary strings.
    if (cache.size >= 256) cache.clear();
    cache.set(tz, format);
  }
  return format;
}

/** Offset of `tz` from UTC at instant `ms`, in milliseconds (positive east of Greenwich). */
export function zoneOffsetMs(ms: number, tz: string): number {
  const parts = cached(
    wallClockFormats,
    tz,
    () =>
      new Intl.DateTimeFormat("en-US", {
        timeZone: tz,
        hourCycle: "h23",
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      }),
  ).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The UTC instant of a wall-clock time (`day` YYYY-MM-DD, `time` HH:MM) in `tz`. */
export function zonedTimeToUtc(day: string, time: string, tz: string): Date {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const [hh, mm] = time.split(":").map(Number) as [number, number];
  const guess = Date.UTC(y, m - 1, d, hh, mm);
  let t = guess - zoneOffsetMs(guess, tz);
  t = guess - zoneOffsetMs(t, tz);
  return new Date(t);
}

/** The calendar day (YYYY-MM-DD) of instant `ms` in `tz`. */
export function dayInZone(ms: number, tz: string): string {
  return cached(
    dayFormats,
    tz,
    () => new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }),
  ).format(new Date(ms));
}

export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}
