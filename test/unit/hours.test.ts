// Hours as people and models write them, for the time-logging tools.
import { describe, expect, it } from 'vitest';
import { parseHours } from '../../src/core/time.js';

describe('parseHours', () => {
  it('reads decimals, h/m forms and h:mm', () => {
    const cases: Array<[string, number]> = [
      ['1.5', 1.5], ['1,5', 1.5], ['2', 2], ['2h', 2], ['1h30', 1.5], ['1h 30m', 1.5], ['1 h 15 min', 1.25],
      ['1:30', 1.5], ['0:45', 0.75], ['90m', 1.5], ['45 min', 0.75], ['20m', 0.33], [' 3 hours ', 3],
    ];
    for (const [text, hours] of cases) expect(parseHours(text), text).toBe(hours);
  });

  it('leaves anything else to validation', () => {
    for (const text of ['', 'abc', '1:75', '-1', '1h30x', 'h', '1..5', '1.5.2']) expect(parseHours(text), text).toBeUndefined();
  });
});
