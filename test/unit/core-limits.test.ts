// Edges of the security core a user relies on: an audit log cut off mid-line, tool-call markup in any spelling,
// text cut between the halves of a character, a secret pasted into a *_FILE setting, and rate-limit spellings.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog, verifyAuditLog } from '../../src/core/audit.js';
import { parseRateLimit } from '../../src/core/ratelimit.js';
import { readSecretFile } from '../../src/core/secrets.js';
import { head, neutralise, safeSlice } from '../../src/core/untrusted.js';
import { configErrorOf } from './helpers/errors.js';
import { makeTempDir, removeTempDirs } from './helpers/tmp.js';

afterAll(() => removeTempDirs());

describe('audit verify and the last line', () => {
  function log(records: number): string {
    const path = join(makeTempDir('bastion-audit-'), 'audit.jsonl');
    const audit = new AuditLog(path);
    for (let n = 1; n <= records; n += 1) audit.record({ type: 'tool_call', tool: 'redmine_get_issue', connector: 'redmine', caller: 'stdio', outcome: 'ok', duration_ms: n, args: { id: n } });
    return path;
  }

  it('reports a last record cut off before its end (no line break) as broken', () => {
    const path = log(3);
    const text = readFileSync(path, 'utf8');
    const second = JSON.parse(text.split('\n')[1]!) as { hash: string };
    writeFileSync(path, text.slice(0, text.length - 20));
    expect(verifyAuditLog(path)).toMatchObject({ ok: false, records: 2, head: second.hash, brokenLine: 3, reason: 'not valid JSON' });
  });

  it('counts a complete last record that lacks only its line break', () => {
    const path = log(3);
    const text = readFileSync(path, 'utf8');
    const third = JSON.parse(text.split('\n')[2]!) as { hash: string };
    writeFileSync(path, text.replace(/\n$/, ''));
    const result = verifyAuditLog(path);
    expect(result).toMatchObject({ ok: true, records: 3, head: third.hash });
    expect(result.brokenLine).toBeUndefined();
  });
});

describe('tool-call markup in upstream text', () => {
  it.each(['<tool_call>', '<tool_calls>', '</ invoke>', '< /invoke>', '<invoke name="x">', '<function_calls>', '</function_results>', '<tool_use>', '<tool_result>', '<tool_response>', '<parameter name="a">', '<|im_start|>'])(
    'defuses %s',
    (markup) => {
      expect(neutralise(`before ${markup} after`)).toBe(`before &lt;${markup.slice(1)} after`);
    },
  );

  it('leaves ordinary angle brackets alone', () => {
    expect(neutralise('a < b and <b>bold</b> and <invoker>')).toBe('a < b and <b>bold</b> and <invoker>');
  });
});

describe('cutting text between the halves of a character', () => {
  it('never splits a surrogate pair, and cuts nothing it does not have to', () => {
    expect(safeSlice('a😀b', 2)).toBe('a');
    expect(safeSlice('a😀b', 3)).toBe('a😀');
    expect(safeSlice('ab😀', 2)).toBe('ab');
    expect(safeSlice('abc', 3)).toBe('abc');
    expect(safeSlice('abcd', 3)).toBe('abc');
    expect(safeSlice('a\uD7FFb', 2)).toBe('a\uD7FF');
    expect(safeSlice('a\uDC00b', 2)).toBe('a\uDC00');
    expect(head('x😀y', 2)).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});

describe('a secret pasted into a *_FILE setting', () => {
  it.each(['/abc123def456secretvalue', 'ghp/0123456789abcdefSECRET', 'a/b'])('is never shown, whatever it looks like: %s', (value) => {
    const error = configErrorOf(() => readSecretFile(value, { variable: 'REDMINE_API_KEY_FILE' }));
    expect(error.message).toBe(
      'REDMINE_API_KEY_FILE does not name a readable file (ENOENT); it must hold the path of a file containing the secret, not the secret itself.',
    );
    expect(`${error.message} ${error.fix}`).not.toContain(value);
  });

  it('gives the fix on its own, and a generic name when the setting is not known', () => {
    expect(configErrorOf(() => readSecretFile('/no/such/file', { variable: 'X_FILE' })).fix).toBe('set X_FILE to the path of a file that holds the secret (mode 600, owned by this user)');
    expect(configErrorOf(() => readSecretFile('/no/such/file')).message).toMatch(/^The secret file setting does not name a readable file \(ENOENT\)/);
  });

  it('says a device is not a file', () => {
    expect(configErrorOf(() => readSecretFile('/dev/null', { variable: 'X_FILE' })).message).toMatch(/^X_FILE does not name a readable file \(ENOTFILE\)/);
  });

  it('refuses a file others can read, with its mode and the chmod fix', () => {
    const path = join(makeTempDir(), 'token');
    writeFileSync(path, 'value-1234567890');
    chmodSync(path, 0o644);
    const error = configErrorOf(() => readSecretFile(path, { variable: 'X_FILE' }));
    expect(error.message).toBe(`Secret file ${path} is readable by group or others (mode 644). Fix it with: chmod 600 ${path}  (or set BASTION_ALLOW_INSECURE_SECRET_FILES=true to accept it).`);
    expect(error.fix).toBe(`chmod 600 ${path}`);
    expect(readSecretFile(path, { allowInsecureMode: true })).toEqual({ value: 'value-1234567890', insecureMode: true });
  });

  it('says a folder is not a file, without naming it', () => {
    const dir = makeTempDir();
    expect(configErrorOf(() => readSecretFile(dir, { variable: 'X_FILE' })).message).toBe(
      'X_FILE does not name a readable file (EISDIR); it must hold the path of a file containing the secret, not the secret itself.',
    );
  });
});

describe('rate-limit spellings', () => {
  it.each([
    ['1/min', 1, 60],
    ['1/s', 1, 1],
    ['10/sec', 10, 1],
    ['10/secs', 10, 1],
    ['10/second', 10, 1],
    ['10/seconds', 10, 1],
    ['60/m', 60, 60],
    ['60/mins', 60, 60],
    ['60/minute', 60, 60],
    ['60/minutes', 60, 60],
    ['100/h', 100, 3600],
    ['100/hr', 100, 3600],
    ['100/hrs', 100, 3600],
    ['100/hour', 100, 3600],
    ['100/hours', 100, 3600],
    ['500/d', 500, 86_400],
    ['500/day', 500, 86_400],
    ['500/days', 500, 86_400],
    [' 5 / MIN ', 5, 60],
  ])('reads %s as %i calls per %i seconds', (text, capacity, seconds) => {
    expect(parseRateLimit(text)).toEqual({ capacity, refillPerSecond: capacity / seconds });
  });

  it.each(['0/min', '00/s'])('refuses %s, which allows no calls', (text) => {
    expect(configErrorOf(() => parseRateLimit(text)).message).toBe(`BASTION_RATE_LIMIT "${text}" allows no calls at all: use at least 1 per period.`);
  });

  it.each(['60/ms', '60/constructor', '60/__proto__', '60', '/min', '-1/min', '1.5/min', '60/min/h', '99999999999999999999/s'])('refuses %s, naming the expected form', (text) => {
    expect(configErrorOf(() => parseRateLimit(text)).message).toMatch(/is not a rate limit: expected <calls>\/<period>, e\.g\. 60\/min, 10\/s or 1000\/hour \(periods: s, min, hour, day\)\.$/);
  });

  it('shortens a long setting in the message', () => {
    expect(configErrorOf(() => parseRateLimit(`${'9'.repeat(50)}/fortnight`)).message).toContain(`"${'9'.repeat(40)}..."`);
  });
});
