// Calendar days and readable times across time zones, for systems that store a day as an instant (midnight or
// noon in some zone): a day must not move for a user west or east of UTC.

/** Whether Intl knows the IANA time zone id. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The calendar day (YYYY-MM-DD) an instant falls on in a time zone. */
export function dayIn(epochMs: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(epochMs));
}

/** Milliseconds a time zone is ahead of UTC at an instant. */
function zoneOffset(epochMs: number, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
      .formatToParts(new Date(epochMs))
      .map((part) => [part.type, Number(part.value)]),
  );
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) - Math.floor(epochMs / 1000) * 1000;
}

/** The instant of a wall-clock time (hour of the day) on a calendar day in a time zone. */
export function instantOn(day: string, hour: number, timeZone: string): number {
  const wall = Date.parse(`${day}T${String(hour).padStart(2, '0')}:00:00Z`);
  // Two passes: the offset at the first guess may differ from the offset at the answer around a DST change.
  const first = wall - zoneOffset(wall, timeZone);
  return wall - zoneOffset(first, timeZone);
}

/** "2026-05-01 09:30 UTC": a date and time that says its time zone. */
export function utcDateTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Whether text is a real calendar day YYYY-MM-DD. */
export function isCalendarDay(text: string): boolean {
  const ms = Date.parse(`${text}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

/**
 * A duration in hours from the ways people write one: "1.5", "1,5", "1h30", "1h 30m", "1:30", "90m", "2h", "45 min".
 * Rounded to the minute's hundredth of an hour; undefined when the text is none of these.
 */
export function parseHours(text: string): number | undefined {
  const value = text.trim().toLowerCase();
  let hours: number | undefined;
  let match: RegExpExecArray | null;
  if ((match = /^(\d+(?:[.,]\d+)?)\s*(?:h|hrs?|hours?)?$/.exec(value))) hours = Number(match[1]!.replace(',', '.'));
  else if ((match = /^(\d+):([0-5]\d)$/.exec(value))) hours = Number(match[1]) + Number(match[2]) / 60;
  else if ((match = /^(\d+)\s*(?:m|mins?|minutes?)$/.exec(value))) hours = Number(match[1]) / 60;
  else if ((match = /^(\d+)\s*(?:h|hrs?|hours?)\s*(\d+)\s*(?:m|mins?|minutes?)?$/.exec(value))) hours = Number(match[1]) + Number(match[2]) / 60;
  return hours === undefined || !Number.isFinite(hours) ? undefined : Math.round(hours * 100) / 100;
}
