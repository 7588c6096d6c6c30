// A registered secret in the less common forms it can take in text, and how deep redactDeep looks.
import { afterEach, describe, expect, it } from 'vitest';
import { clearRegisteredSecrets, redact, redactBytes, redactDeep, registerSecret } from '../../src/core/redact.js';

const SECRET = 'canaryQ7x9Zk2mWp';
const escapedUnicode = (text: string) => [...text].map((c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`).join('');

afterEach(() => clearRegisteredSecrets());

describe('a registered secret written in escapes only', () => {
  it.each([
    ['\\u escapes', escapedUnicode(SECRET)],
    ['% escapes', [...Buffer.from(SECRET)].map((b) => `%${b.toString(16)}`).join('')],
    ['\\x escapes', [...Buffer.from(SECRET)].map((b) => `\\x${b.toString(16)}`).join('')],
    ['HTML character references', [...SECRET].map((c) => `&#${c.codePointAt(0)};`).join('')],
  ])('is removed when written as %s', (_name, form) => {
    registerSecret(SECRET);
    expect(redact(`value: ${form} end`)).toBe('value: [REDACTED] end');
  });
});

describe('a registered secret in other alphabets', () => {
  it.each([
    ['hex', Buffer.from(SECRET).toString('hex')],
    ['base64', Buffer.from(SECRET).toString('base64')],
    ['spaced out from its first character', [...SECRET].join(' ')],
  ])('is removed when written as %s', (_name, form) => {
    registerSecret(SECRET);
    expect(redact(`value: ${form} end`)).not.toContain(form.slice(0, 12));
  });
});

describe('a registered secret with characters outside ASCII', () => {
  const secret = 'pässwörd-geheim-123';

  it('is removed from text', () => {
    registerSecret(secret);
    expect(redact(`login with ${secret} please`)).toBe('login with [REDACTED] please');
  });

  it('is removed from binary data, where it is UTF-8 bytes', () => {
    registerSecret(secret);
    const out = redactBytes(Buffer.from(`login with ${secret} please`, 'utf8'));
    expect(out.toString('utf8')).toBe('login with [REDACTED] please');
  });
});

describe('redactDeep and depth', () => {
  const nestObjects = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : { child: nestObjects(depth - 1, leaf) });
  const nestArrays = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : [nestArrays(depth - 1, leaf)]);
  const leafOf = (value: unknown): unknown => {
    let at = value;
    while (at && typeof at === 'object') at = Array.isArray(at) ? at[0] : (at as { child: unknown }).child;
    return at;
  };

  it('keeps values down to 64 levels and replaces anything deeper, so no nesting can exhaust the stack', () => {
    expect(leafOf(redactDeep(nestObjects(64, 'kept')))).toBe('kept');
    expect(leafOf(redactDeep(nestObjects(65, 'too deep')))).toBe('[REDACTED]');
    expect(leafOf(redactDeep(nestArrays(64, 'kept')))).toBe('kept');
    expect(leafOf(redactDeep(nestArrays(65, 'too deep')))).toBe('[REDACTED]');
  });

  it('leaves a credential-named field that holds nothing as it is', () => {
    expect(redactDeep({ password: undefined, token: null, secret: '' })).toEqual({ password: undefined, token: null, secret: '' });
    expect(redactDeep({ password: 'x' })).toEqual({ password: '[REDACTED]' });
  });
});

describe('a short registered secret inside JSON text', () => {
  it('is removed where JSON escaped one of its characters, in the middle of a string', () => {
    registerSecret('pw"1x');
    const json = JSON.stringify({ note: 'the key is pw"1x for now' });
    expect(redact(json)).toBe('{"note":"the key is [REDACTED] for now"}');
  });
});
