/**
 * Wall-clock formatting in a named time zone with its numeric offset (seed 000/001 want IST,
 * `2026-11-21T22:47:00.123+05:30`). Intl does the zone arithmetic, so DST zones work too; it runs
 * once per zone and minute (every log line and /health answer formats a time, and formatToParts
 * was the largest single cost of a /health request).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The exact formatting, one Intl call per use: the reference formatIsoInZone caches. */
export function formatIsoInZoneWithIntl(epochMs: number, timeZone: string): string {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(epochMs))) parts[part.type] = part.value;
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  const offsetMinutes = Math.round((wall - Math.floor(epochMs / 1000) * 1000) / 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  const millis = String(Math.floor(epochMs) % 1000).padStart(3, '0');
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}.${millis}${offset}`;
}

/**
 * `epochMs → 2026-11-21T22:47:00.123+05:30` in `timeZone`, with Intl called once per minute of time
 * (zone offsets are whole minutes, so a minute shares its date, hour and offset); the seconds and
 * milliseconds are arithmetic.
 */
export function zoneClock(timeZone: string): (epochMs: number) => string {
  let minuteStart = Number.NaN;
  let prefix = '';
  let suffix = '';
  return (epochMs: number) => {
    const ms = Math.floor(epochMs);
    const within = ((ms % 60_000) + 60_000) % 60_000;
    const minute = ms - within;
    if (minute !== minuteStart) {
      const full = formatIsoInZoneWithIntl(minute, timeZone);
      // `YYYY-MM-DDTHH:MM:` and the offset after `SS.mmm`.
      prefix = full.slice(0, 17);
      suffix = full.slice(23);
      minuteStart = minute;
    }
    const seconds = Math.floor(within / 1000);
    const millis = within % 1000;
    return `${prefix}${seconds < 10 ? '0' : ''}${seconds}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}${suffix}`;
  };
}

const clocks = new Map<string, (epochMs: number) => string>();

export function formatIsoInZone(epochMs: number, timeZone: string): string {
  let clock = clocks.get(timeZone);
  if (!clock) {
    clock = zoneClock(timeZone);
    clocks.set(timeZone, clock);
  }
  return clock(epochMs);
}
