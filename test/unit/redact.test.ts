import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { clearRegisteredSecrets, minimumPrefix, redact, redactBytes, redactDeep, registeredSecretCount, registerSecret } from '../../src/core/redact.js';

const SECRET = 'canary-secret-value-1234567890';

afterEach(() => clearRegisteredSecrets());

describe('redact: registered secrets', () => {
  it('removes a registered secret in plain text', () => {
    registerSecret(SECRET);
    expect(redact(`key is ${SECRET} here`)).toBe('key is [REDACTED] here');
  });

  it('removes the JSON-escaped form of a secret holding quotes and backslashes', () => {
    const secret = 'canary"quoted\\slash-secret';
    registerSecret(secret);
    const json = JSON.stringify({ value: secret });
    expect(json).toContain('canary\\"quoted\\\\slash-secret');
    expect(redact(json)).toBe('{"value":"[REDACTED]"}');
  });

  it('removes the URL-encoded form', () => {
    const secret = 'canary secret&value=1/2';
    registerSecret(secret);
    const out = redact(`https://host/x?q=${encodeURIComponent(secret)}`);
    expect(out).toBe('https://host/x?q=[REDACTED]');
  });

  it('removes the base64 and base64url forms', () => {
    const secret = 'canary-secret?>>value~~1234';
    registerSecret(secret);
    const b64 = Buffer.from(secret).toString('base64');
    const b64url = Buffer.from(secret).toString('base64url');
    expect(b64).not.toBe(b64url);
    expect(redact(`a ${b64} b`)).toBe('a [REDACTED] b');
    expect(redact(`a ${b64url} b`)).toBe('a [REDACTED] b');
  });

  it('treats regular-expression characters in a secret literally', () => {
    const secret = 'canary.*+?^${}()|[]\\-secret';
    registerSecret(secret);
    expect(redact(`x ${secret} y`)).toBe('x [REDACTED] y');
    // Text that the secret would match if it were read as a pattern is left alone.
    registerSecret('canary.value');
    expect(redact('canaryXvalue')).toBe('canaryXvalue');
  });

  it('removes a secret that contains another one whole (longest first)', () => {
    registerSecret('canary-short-1234');
    registerSecret('canary-short-1234-and-longer-5678');
    expect(redact('token canary-short-1234-and-longer-5678 end')).toBe('token [REDACTED] end');
    expect(redact('token canary-short-1234 end')).toBe('token [REDACTED] end');
  });

  it('removes every occurrence', () => {
    registerSecret(SECRET);
    expect(redact(`${SECRET}${SECRET} and ${SECRET}`)).toBe('[REDACTED][REDACTED] and [REDACTED]');
  });

  it('does not scrub values shorter than four characters by value', () => {
    registerSecret('abc');
    expect(redact('abc abcdef')).toBe('abc abcdef');
  });

  it('forgets secrets after clearRegisteredSecrets', () => {
    registerSecret(SECRET);
    clearRegisteredSecrets();
    expect(redact(SECRET)).toBe(SECRET);
  });

  it('never leaves a registered secret in the output (property)', () => {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
    const safeString = (minLength: number, maxLength: number) =>
      fc.array(fc.constantFrom(...alphabet), { minLength, maxLength }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(safeString(8, 40), fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (secret, prefix, suffix) => {
        clearRegisteredSecrets();
        registerSecret(secret);
        expect(redact(prefix + secret + suffix)).not.toContain(secret);
      }),
      { numRuns: 300 },
    );
  });
});

describe('redact: credential-shaped text', () => {
  it('removes a bearer token from an Authorization header', () => {
    const out = redact('Authorization: Bearer canaryToken.abc-DEF_123456');
    expect(out).not.toContain('canaryToken');
    expect(out).toMatch(/^Authorization: /);
    expect(out).toContain('[REDACTED]');
  });

  it('removes a basic credential', () => {
    const credential = Buffer.from('user:canary-password').toString('base64');
    expect(redact(`Basic ${credential}`)).toBe('Basic [REDACTED]');
  });

  it.each([
    ['api_key=canary123456', 'api_key=[REDACTED]'],
    ['api-key=canary123456&limit=5', 'api-key=[REDACTED]&limit=5'],
    ['apikey canary0123456789abcdef', 'apikey [REDACTED]'],
    ['password=canary-pw&next=1', 'password=[REDACTED]&next=1'],
    ['X-Redmine-API-Key: canary0123456789abcdef', 'X-Redmine-API-Key: [REDACTED]'],
    ['client_secret=canary-client-secret', 'client_secret=[REDACTED]'],
  ])('redacts %s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it('redacts a JSON password field', () => {
    expect(redact('{"login":"jdoe","password":"canary-pw-123"}')).toBe('{"login":"jdoe","password":"[REDACTED]"}');
  });

  it('redacts the whole of a JSON password that contains spaces or commas', () => {
    const out = redact('{"login":"jdoe","password":"canary horse, battery staple"}');
    expect(out).not.toContain('horse');
    expect(out).not.toContain('staple');
    expect(out).toContain('"login":"jdoe"');
  });

  it('redacts "api key: value" written with a space', () => {
    const out = redact('api key: canary-secret-value-1234567890');
    expect(out).not.toContain('canary-secret-value');
    expect(out).toContain('api key');
  });

  it('redacts "API key <value>" with a space when the value looks like a key', () => {
    expect(redact('API key canary0123456789abcdef0')).toBe('API key [REDACTED]');
  });

  it('leaves "api key was rejected" intact', () => {
    expect(redact('The api key was rejected by the server')).toBe('The api key was rejected by the server');
  });

  it('removes a multi-line PEM private key block', () => {
    const pem = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEcanaryKEYline1', 'canaryKEYline2==', '-----END RSA PRIVATE KEY-----'].join('\n');
    const out = redact(`before\n${pem}\nafter`);
    expect(out).toBe('before\n[REDACTED]\nafter');
  });

  it('removes the body of a PEM private key block that has no end line', () => {
    const out = redact('key: -----BEGIN PRIVATE KEY-----\nMIIEcanaryKEY');
    expect(out).not.toContain('canaryKEY');
  });

  it('removes user and password from a URL', () => {
    expect(redact('see https://jdoe:canary-pass@redmine.example/x')).toBe('see https://[REDACTED]@redmine.example/x');
  });

  it('leaves ordinary text unchanged', () => {
    const texts = [
      'Redmine answered 404 to GET /issues/42.json: not found (or not visible to this credential).',
      'The token count is 5 and the password policy needs 12 characters.',
      'Visit https://redmine.example/projects/demo?page=2 for details.',
      'Contact jdoe@example.com about issue #1234.',
      'Café crème, naïve façade, 日本語のテキスト 🎉',
      '',
    ];
    for (const text of texts) expect(redact(text)).toBe(text);
  });

  it('leaves prose using the words "basic" and "bearer" intact', () => {
    expect(redact('The basic workflow is broken since the update')).toBe('The basic workflow is broken since the update');
    expect(redact('Cheques payable to bearer instruments only')).toBe('Cheques payable to bearer instruments only');
  });

  it('does not merge a URL with a port and a later e-mail address in compact JSON', () => {
    const json = '{"homepage":"http://127.0.0.1:3000","mail":"jdoe@example.com"}';
    expect(redact(json)).toBe(json);
  });
});

describe('redactDeep', () => {
  it('drops credential-named fields to [REDACTED]', () => {
    const out = redactDeep({
      api_key: 'canary-1',
      password: 'canary-2',
      token: 'canary-3',
      secret: 'canary-4',
      authorization: 'canary-5',
      client_secret: 'canary-6',
      'API-KEY': 'canary-7',
    });
    expect(out).toEqual({
      api_key: '[REDACTED]',
      password: '[REDACTED]',
      token: '[REDACTED]',
      secret: '[REDACTED]',
      authorization: '[REDACTED]',
      client_secret: '[REDACTED]',
      'API-KEY': '[REDACTED]',
    });
  });

  it('keeps fields whose names only contain a credential word', () => {
    const out = redactDeep({ upload_token: 'u-7167.ed1ccd', token_count: 3, password_policy: 'strong' });
    expect(out).toEqual({ upload_token: 'u-7167.ed1ccd', token_count: 3, password_policy: 'strong' });
  });

  it('scrubs strings in nested objects and arrays', () => {
    registerSecret(SECRET);
    const out = redactDeep({
      issue: { subject: `leaked ${SECRET}`, notes: ['ok', 'Authorization: Bearer canaryTokenABCDEF'] },
      count: 2,
      flag: true,
      nothing: null,
    });
    expect(out).toEqual({
      issue: { subject: 'leaked [REDACTED]', notes: ['ok', expect.stringMatching(/^Authorization: /)] },
      count: 2,
      flag: true,
      nothing: null,
    });
    expect(JSON.stringify(out)).not.toContain('canaryToken');
  });

  it('drops credential fields at any depth', () => {
    const out = redactDeep({ connection: { auth: { password: 'canary-pw' } }, list: [{ token: 'canary-t' }] });
    expect(out).toEqual({ connection: { auth: { password: '[REDACTED]' } }, list: [{ token: '[REDACTED]' }] });
  });

  it('does not change the input', () => {
    const input = { password: 'canary-pw', nested: { text: 'plain' } };
    redactDeep(input);
    expect(input).toEqual({ password: 'canary-pw', nested: { text: 'plain' } });
  });
});

describe('redact: a registered secret in other encodings, spaced out and truncated', () => {
  // A Redmine-style key and a token with symbols, as an attacker would reflect them back through upstream text.
  const KEY = 'b7c1e0f4a9d2386e5f10c4b8a7d9e2f3c6a1b0d4';
  const TOKEN = 'perm:YWRtaW4=.X7kQ2mVb9RtL4pWz8NcJ';
  const hex = (s: string) => Buffer.from(s).toString('hex');
  const entityHex = (s: string) => [...s].map((c) => `&#x${c.charCodeAt(0).toString(16)};`).join('');
  const entityDec = (s: string) => [...s].map((c) => `&#${c.charCodeAt(0)};`).join('');
  const uEscape = (s: string) => [...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const forms: Array<[string, (s: string) => string]> = [
    ['hex, lower case', hex],
    ['hex, upper case', (s) => hex(s).toUpperCase()],
    ['hex bytes split by spaces', (s) => hex(s).match(/../g)!.join(' ')],
    ['\\x escapes', (s) => hex(s).match(/../g)!.map((h) => `\\x${h}`).join('')],
    ['percent-encoding of every byte', (s) => hex(s).match(/../g)!.map((h) => `%${h.toUpperCase()}`).join('')],
    ['HTML hex references (&#x61;)', entityHex],
    ['HTML decimal references (&#97;)', entityDec],
    ['HTML references mixed with plain characters', (s) => [...s].map((c, i) => (i % 3 === 0 ? `&#${c.charCodeAt(0)};` : i % 3 === 1 ? `&#X${c.charCodeAt(0).toString(16).toUpperCase()};` : c)).join('')],
    ['\\u escapes', uEscape],
    ['HTTP Basic with the secret as password', (s) => b64(`admin:${s}`)],
    ['HTTP Basic with the secret as user name', (s) => b64(`${s}:x`)],
    ['base64 with the secret at offset 1', (s) => b64(`a${s}`)],
    ['base64 with the secret at offset 2', (s) => b64(`ab${s}`)],
    ['base64url with the secret at offset 1', (s) => Buffer.from(`a${s}`).toString('base64url')],
    ['spaced out (c a f e)', (s) => [...s].join(' ')],
    ['split by dashes in groups of four', (s) => s.match(/.{1,4}/g)!.join('-')],
    ['split by a single space in the middle', (s) => `${s.slice(0, 20)} ${s.slice(20)}`],
    ['truncated: all but the last three characters', (s) => s.slice(0, -3)],
    ['truncated to two thirds', (s) => s.slice(0, Math.ceil((s.length * 2) / 3))],
    ['truncated hex', (s) => hex(s).slice(0, -6)],
  ];

  it.each(forms)('removes the key as %s', (_name, encode) => {
    registerSecret(KEY);
    const out = redact(`before ${encode(KEY)} after`);
    expect(out).toMatch(/^before .{0,12}\[REDACTED\].{0,12} after$/);
  });

  it.each(forms)('removes a token with symbols as %s', (_name, encode) => {
    registerSecret(TOKEN);
    const out = redact(`before ${encode(TOKEN)} after`);
    expect(out).toMatch(/^before .{0,12}\[REDACTED\].{0,12} after$/);
  });

  it('finds a prefix of 16 characters or two thirds of the secret, whichever is longer, and not less', () => {
    expect(minimumPrefix(40)).toBe(27);
    expect(minimumPrefix(20)).toBe(16);
    expect(minimumPrefix(12)).toBe(12);
    registerSecret(KEY);
    expect(redact(`x ${KEY.slice(0, 27)} y`)).toBe('x [REDACTED] y');
    expect(redact(`x ${KEY.slice(0, 26)} y`)).toBe(`x ${KEY.slice(0, 26)} y`);
  });

  it('leaves ordinary text, hex hashes and base64 that do not hold the secret alone', () => {
    registerSecret(KEY);
    registerSecret(TOKEN);
    const text = `sha ${'f'.repeat(64)} b64 ${b64('hello world, this is fine')} a b c d e f g h i j k l m n o p q r &#x61;&#98; 1-2-3-4-5-6-7-8`;
    expect(redact(text)).toBe(text);
  });

  it('removes a JWT whether or not it was registered', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2lnbmF0dXJlLXBhcnQ';
    expect(redact(`token ${jwt} used`)).toBe('token [REDACTED] used');
  });

  it('keeps one copy of a secret registered many times, and counts what it holds', () => {
    for (let i = 0; i < 1000; i++) registerSecret(KEY);
    expect(registeredSecretCount()).toBe(1);
  });
});

describe('redactBytes', () => {
  const KEY = 'b7c1e0f4a9d2386e5f10c4b8a7d9e2f3c6a1b0d4';

  it.each([0, 1, 2])('removes the secret from binary data at offset %i, so its base64 holds no form of it', (offset) => {
    registerSecret(KEY);
    const data = Buffer.concat([Buffer.from([0, 1, 2].slice(0, offset)), Buffer.from(KEY), Buffer.from([0, 255, 254])]);
    // Without scrubbing the bytes first, the base64 rendering at offsets 1 and 2 would not contain the secret's base64.
    const scrubbed = redactBytes(data);
    expect(scrubbed.includes(Buffer.from(KEY.slice(0, 10)))).toBe(false);
    expect(scrubbed.includes(Buffer.from('[REDACTED]'))).toBe(true);
    expect(scrubbed.subarray(-3)).toEqual(Buffer.from([0, 255, 254]));
    expect(redact(scrubbed.toString('base64'))).toBe(scrubbed.toString('base64'));
  });

  it('returns the same buffer when there is nothing to remove', () => {
    registerSecret(KEY);
    const data = Buffer.from([0, 1, 2, 255]);
    expect(redactBytes(data)).toBe(data);
  });
});
