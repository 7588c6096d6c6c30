import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { clearRegisteredSecrets, redact, redactDeep, registerSecret } from '../../src/core/redact.js';

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
