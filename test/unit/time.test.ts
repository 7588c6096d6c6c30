// Calendar days across time zones: a day must not move for a user west or east of UTC.
import { describe, expect, it } from 'vitest';
import { dayIn, instantOn, isCalendarDay, isTimeZone, utcDateTime } from '../../src/core/time.js';

describe('core/time', () => {
  it('places noon of a day in a zone on that day there, on both sides of UTC and across a DST change', () => {
    for (const zone of ['Pacific/Kiritimati', 'Asia/Tokyo', 'UTC', 'America/Los_Angeles', 'Pacific/Pago_Pago']) {
      for (const day of ['2025-03-08', '2025-03-09', '2025-11-02', '2025-12-31']) expect(dayIn(instantOn(day, 12, zone), zone)).toBe(day);
    }
    expect(instantOn('2025-03-04', 0, 'America/Los_Angeles')).toBe(Date.UTC(2025, 2, 4, 8));
    expect(instantOn('2025-07-04', 0, 'America/Los_Angeles')).toBe(Date.UTC(2025, 6, 4, 7));
    expect(instantOn('2025-03-04', 0, 'Asia/Tokyo')).toBe(Date.UTC(2025, 2, 3, 15));
  });

  it('tells real days and zones from others, and writes a date-time with its zone', () => {
    expect(isCalendarDay('2024-02-29')).toBe(true);
    expect(isCalendarDay('2025-02-29')).toBe(false);
    expect(isCalendarDay('2025-2-1')).toBe(false);
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(utcDateTime(Date.UTC(2026, 4, 1, 7, 30))).toBe('2026-05-01 07:30 UTC');
  });
});
