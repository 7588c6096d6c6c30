// Credential-shaped text is removed whole: no character of a header value, a quoted password or a credential-named
// field is left for a reader to piece together, whatever the scheme, quoting or capitalisation.
import { afterEach, describe, expect, it } from 'vitest';
import { clearRegisteredSecrets, redact, redactDeep, registerSecret } from '../../src/core/redact.js';

afterEach(() => clearRegisteredSecrets());

describe('Authorization header values', () => {
  it.each([
    ['Authorization: Bearer q7Lk2mZp9Xv4Rt8Ws3Yn', 'Authorization: [REDACTED]'],
    ['authorization: bearer q7Lk2mZp9Xv4Rt8Ws3Yn', 'authorization: [REDACTED]'],
    ['Authorization: Basic YWxpY2U6czNjcjN0LXBhc3M=', 'Authorization: [REDACTED]'],
    ['Authorization: Token 4f1c9e7a2b6d8e0f3a5c', 'Authorization: [REDACTED]'],
    ['AUTHORIZATION=q7Lk2mZp9Xv4Rt8Ws3Yn', 'AUTHORIZATION=[REDACTED]'],
    ['"Authorization": "Bearer q7Lk2mZp9Xv4Rt8Ws3Yn"', '"Authorization": "[REDACTED]"'],
  ])('replaces the whole value of %s', (text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it('removes every parameter of a Digest credential, the response hash included, and keeps what follows', () => {
    const header = 'Authorization: Digest username="bob", realm="tracker", nonce="dcd98b7102dd2f0e", uri="/issues.json", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1"';
    expect(redact(`${header}\nAccept: application/json`)).toBe('Authorization: [REDACTED]\nAccept: application/json');
    expect(redact('authorization=Digest username=bob, response=6629fae49393a05397450978507c4ef1 then more')).toBe('authorization=[REDACTED] then more');
    const json = JSON.stringify({ headers: { Authorization: 'Digest username="bob", response="6629fae49393a05397450978507c4ef1"' }, status: 401 });
    expect(redact(json)).toBe('{"headers":{"Authorization":"[REDACTED]"},"status":401}');
  });

  it('keeps prose about bearer and basic authentication readable', () => {
    expect(redact('use the basic workflow, then a bearer token')).toBe('use the basic workflow, then a bearer token');
  });

  it('removes a lower-case bearer token that looks like a token', () => {
    expect(redact('sent bearer q7Lk2mZp.9Xv4Rt8Ws3Yn to it')).toBe('sent bearer [REDACTED] to it');
  });
});

describe('quoted credential values', () => {
  it('removes every quoted password in a text, whatever its capitalisation', () => {
    expect(redact('{"password":"first secret","user":"a","Password":"second, secret","PASSWORD":"third"}')).toBe(
      '{"password":"[REDACTED]","user":"a","Password":"[REDACTED]","PASSWORD":"[REDACTED]"}',
    );
  });

  it("removes single-quoted values whole, spaces included", () => {
    expect(redact("password='correct horse battery' and token='t0k en'")).toBe("password='[REDACTED]' and token='[REDACTED]'");
  });
});

describe('redactDeep: credential-named fields', () => {
  it.each(['accessToken', 'clientSecret', 'refreshToken', 'apiKey', 'privateKey', 'access_token', 'client-secret', 'API_KEY', 'apikey', 'Authorization', 'passwd', 'secret', 'token', 'password'])(
    'hides the field %s whole',
    (field) => {
      expect(redactDeep({ [field]: 'plain-looking value', other: 'kept' })).toEqual({ [field]: '[REDACTED]', other: 'kept' });
    },
  );

  it('keeps fields that only contain a credential word, and empty credential fields', () => {
    expect(redactDeep({ token_type: 'Bearer', password_hint: 'blue', password: '', secret: null })).toEqual({ token_type: 'Bearer', password_hint: 'blue', password: '', secret: null });
  });
});

describe('registered secrets', () => {
  it('removes a registered secret of 4 characters, and none shorter', () => {
    registerSecret('k9Zq');
    registerSecret('x7y');
    expect(redact('pin k9Zq and x7y')).toBe('pin [REDACTED] and x7y');
  });
});
