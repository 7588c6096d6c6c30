// Who may call over HTTP and what they may do: static tokens from a file, JWTs from an issuer's keys, and the
// scopes that narrow a caller to reading or to some connectors. Every refusal says why, as the client will see it.
import { createHash } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { clearRegisteredSecrets, redact } from '../../src/core/redact.js';
import { AuthenticationError, callerRefusal, JwtAuthenticator, StaticTokens } from '../../src/server/http-auth.js';
import { configErrorOf } from './helpers/errors.js';
import { blockNonLoopback, type EgressBlock } from './helpers/no-egress.js';
import { makeTempDir, removeTempDirs } from './helpers/tmp.js';

afterEach(() => clearRegisteredSecrets());
afterAll(() => removeTempDirs());

/** The refusal authenticate() ends with, as [code, message]. */
async function refusal(promise: Promise<unknown>): Promise<[string, string]> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AuthenticationError);
    return [(error as AuthenticationError).code, (error as Error).message];
  }
  throw new Error('expected the token to be refused');
}

const tool = (name: string, readOnly: boolean) => ({ name, annotations: { readOnlyHint: readOnly, destructiveHint: !readOnly } }) as never;

describe('callerRefusal: what a caller may do with its scopes', () => {
  const read = tool('redmine_get_issue', true);
  const write = tool('redmine_update_issue', false);

  it.each([
    [['bastion:read'], read, 'redmine'],
    [['bastion:write'], read, 'redmine'],
    [['bastion:read', 'bastion:write'], write, 'redmine'],
    [['bastion:write'], write, 'redmine'],
    [['bastion:read', 'bastion:connector:redmine'], read, 'redmine'],
    [['bastion:write', 'bastion:connector:youtrack', 'bastion:connector:redmine'], write, 'redmine'],
  ])('lets a caller with %j use a tool it was given', (scopes, chosen, connector) => {
    expect(callerRefusal(scopes, chosen, connector)).toBeUndefined();
  });

  it('keeps a read-only caller away from tools that change data, naming the missing scope', () => {
    expect(callerRefusal(['bastion:read'], write, 'redmine')).toBe('redmine_update_issue changes data and this caller may only read (bastion:write missing).');
    expect(callerRefusal(['bastion:read', 'bastion:connector:redmine'], write, 'redmine')).toMatch(/may only read/);
  });

  it('keeps a caller limited to some connectors away from the others, read or write', () => {
    expect(callerRefusal(['bastion:read', 'bastion:connector:youtrack'], read, 'redmine')).toBe('redmine_get_issue belongs to redmine, which this caller may not use.');
    expect(callerRefusal(['bastion:write', 'bastion:connector:youtrack', 'bastion:connector:etim'], write, 'redmine')).toMatch(/belongs to redmine/);
    // A scope that only starts like a connector's name is a different connector.
    expect(callerRefusal(['bastion:read', 'bastion:connector:redmine2'], read, 'redmine')).toMatch(/belongs to redmine/);
    expect(callerRefusal(['bastion:read', 'bastion:connector:'], read, 'redmine')).toMatch(/belongs to redmine/);
  });

  it('does not read other scopes as connector limits', () => {
    expect(callerRefusal(['bastion:read', 'other:connector:youtrack', 'connector:youtrack'], read, 'redmine')).toBeUndefined();
  });
});

describe('StaticTokens: named tokens from a file', () => {
  const sha = (token: string) => createHash('sha256').update(token).digest('hex');
  const READER = 'reader-token-7f3a9c1e5b2d4f60';
  const WRITER = 'writer-token-1b8e6d2c9a0f3e57';
  const LIMITED = 'limited-token-5c2e8a1f7d3b9064';

  function tokensFile(content: unknown, mode = 0o600): string {
    const path = join(makeTempDir(), 'tokens.json');
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    chmodSync(path, mode);
    return path;
  }
  const good = () =>
    tokensFile({
      tokens: [
        { name: 'reader', sha256: sha(READER), scopes: ['bastion:read'] },
        { name: 'writer', sha256: sha(WRITER), scopes: ['bastion:read', 'bastion:write', 'bastion:connector:redmine'] },
        { name: 'limited', sha256: sha(LIMITED), scopes: ['bastion:connector:redmine'] },
      ],
    });

  it('knows each token by its name, with its scopes, valid for an hour', async () => {
    const tokens = new StaticTokens(good());
    const before = Math.floor(Date.now() / 1000);
    const reader = await tokens.authenticate(READER);
    expect(reader).toMatchObject({ name: 'reader', scopes: ['bastion:read'] });
    expect(reader.expiresAt).toBeGreaterThanOrEqual(before + 3600);
    expect(reader.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 3600);
    expect(await tokens.authenticate(WRITER)).toMatchObject({ name: 'writer', scopes: ['bastion:read', 'bastion:write', 'bastion:connector:redmine'] });
    expect(tokens.describe()).toMatch(/^3 named tokens from .*tokens\.json$/);
  });

  it('refuses an unknown token (401, invalid_token) and does not take it for a secret', async () => {
    const tokens = new StaticTokens(good());
    expect(await refusal(tokens.authenticate('not-a-known-token-3e1f'))).toEqual(['invalid_token', 'unknown token']);
    expect(await refusal(tokens.authenticate(''))).toEqual(['invalid_token', 'unknown token']);
    expect(await refusal(tokens.authenticate(`${READER}x`))).toEqual(['invalid_token', 'unknown token']);
    expect(redact('the client sent not-a-known-token-3e1f')).toBe('the client sent not-a-known-token-3e1f');
  });

  it('refuses a known token without bastion:read or bastion:write (403, insufficient_scope)', async () => {
    expect(await refusal(new StaticTokens(good()).authenticate(LIMITED))).toEqual(['insufficient_scope', 'the token needs the scope bastion:read or bastion:write']);
  });

  it('hides a known token wherever it shows up later (logs, errors, audit)', async () => {
    await new StaticTokens(good()).authenticate(READER);
    expect(redact(`Authorization was ${READER} here`)).toBe('Authorization was [REDACTED] here');
  });

  it('refuses to start with a file others can read, giving the chmod fix', () => {
    for (const mode of [0o640, 0o604, 0o644]) {
      const path = good();
      chmodSync(path, mode);
      const error = configErrorOf(() => new StaticTokens(path));
      expect(error.message).toBe(`The tokens file ${path} is readable by group or others. Fix it with: chmod 600 ${path}`);
      expect(error.fix).toBe(`chmod 600 ${path}`);
    }
    expect(() => new StaticTokens(tokensFile({ tokens: [{ name: 'a', sha256: sha('a'), scopes: ['bastion:read'] }] }, 0o400))).not.toThrow();
  });

  it('lists every problem of the file, separated', () => {
    const path = tokensFile({ tokens: [{ name: '', sha256: 'nope', scopes: ['bastion:read'] }] });
    expect(configErrorOf(() => new StaticTokens(path)).message).toMatch(/: tokens\.0\.name: [^;]+; tokens\.0\.sha256: must be the hex SHA-256/);
  });

  it('names the setting when the file does not exist', () => {
    const missing = join(makeTempDir(), 'absent.json');
    expect(configErrorOf(() => new StaticTokens(missing)).message).toBe(`The tokens file ${missing} (BASTION_HTTP_TOKENS_FILE) does not exist.`);
  });

  it('says what shape the file must have when it is not JSON', () => {
    const path = tokensFile('{"tokens": [');
    expect(configErrorOf(() => new StaticTokens(path)).message).toBe(`The tokens file ${path} is not valid JSON ({"tokens": [{"name", "sha256", "scopes"}]}).`);
  });

  it.each([
    ['no tokens', { tokens: [] }, 'tokens: '],
    ['a token that is not a SHA-256 hash', { tokens: [{ name: 'a', sha256: 'plaintext-token', scopes: ['bastion:read'] }] }, 'tokens.0.sha256: must be the hex SHA-256 of the token (printf %s "$TOKEN" | sha256sum)'],
    ['an upper-case hash', { tokens: [{ name: 'a', sha256: sha('a').toUpperCase(), scopes: ['bastion:read'] }] }, 'tokens.0.sha256: must be the hex SHA-256'],
    ['a token without scopes', { tokens: [{ name: 'a', sha256: sha('a'), scopes: [] }] }, 'tokens.0.scopes: '],
    ['a token without a name', { tokens: [{ name: '', sha256: sha('a'), scopes: ['bastion:read'] }] }, 'tokens.0.name: '],
  ])('names the field when the file has %s', (_what, content, expected) => {
    const path = tokensFile(content);
    expect(configErrorOf(() => new StaticTokens(path)).message).toContain(`The tokens file ${path}: ${expected}`);
  });
});

describe('JwtAuthenticator: tokens signed by the issuer', () => {
  const audience = 'https://bastion.example.test/mcp';
  let server: Server;
  let issuer: string;
  let key: CryptoKey;
  let otherKey: CryptoKey;
  let served: { keys: JWK[] };
  let requests = 0;
  let block: EgressBlock;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    key = pair.privateKey;
    otherKey = (await generateKeyPair('ES256')).privateKey;
    served = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] };
    server = createServer((_req, res) => {
      requests += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    block = blockNonLoopback();
  });
  afterAll(async () => {
    block.restore();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  afterEach(() => expect(block.attempts).toEqual([]));

  interface Claims {
    [claim: string]: unknown;
  }
  function sign(claims: Claims = { scope: 'bastion:read' }, options: { iss?: string; aud?: string; exp?: number | string | null; kid?: string; signer?: CryptoKey } = {}) {
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'k1' })
      .setIssuer(options.iss ?? issuer)
      .setAudience(options.aud ?? audience)
      .setIssuedAt();
    if (options.exp !== null) jwt.setExpirationTime(options.exp ?? '5m');
    return jwt.sign(options.signer ?? key);
  }
  const auth = () => new JwtAuthenticator(issuer, audience, `${issuer}/jwks`);

  it('accepts a valid token, naming the caller by client_id, then azp, then sub', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const caller = await auth().authenticate(await sign({ scope: 'bastion:read bastion:write', client_id: 'ci-bot', azp: 'x', sub: 'y' }, { exp }));
    expect(caller).toEqual({ name: 'ci-bot', scopes: ['bastion:read', 'bastion:write'], expiresAt: exp });
    expect((await auth().authenticate(await sign({ scope: 'bastion:read', azp: 'azp-app', sub: 'y' }))).name).toBe('azp-app');
    expect((await auth().authenticate(await sign({ scope: 'bastion:read', sub: 'alice' }))).name).toBe('alice');
    expect((await auth().authenticate(await sign({ scope: 'bastion:read' }))).name).toBe('jwt');
  });

  it('reads scopes from a space-separated scope claim or an scp list', async () => {
    expect((await auth().authenticate(await sign({ scope: '  bastion:read   bastion:connector:redmine ' }))).scopes).toEqual(['bastion:read', 'bastion:connector:redmine']);
    expect((await auth().authenticate(await sign({ scp: ['bastion:write', 'bastion:connector:etim'] }))).scopes).toEqual(['bastion:write', 'bastion:connector:etim']);
  });

  it('refuses a token without bastion:read or bastion:write (403, insufficient_scope)', async () => {
    const expected = ['insufficient_scope', 'the token needs the scope bastion:read or bastion:write'];
    expect(await refusal(auth().authenticate(await sign({})))).toEqual(expected);
    expect(await refusal(auth().authenticate(await sign({ scope: 'bastion:connector:redmine' })))).toEqual(expected);
    expect(await refusal(auth().authenticate(await sign({ scp: 'bastion:read' })))).toEqual(expected);
    expect(await refusal(auth().authenticate(await sign({ scope: ['bastion:read'] })))).toEqual(expected);
  });

  it('refuses a token from another issuer or for another audience, naming the claim', async () => {
    expect(await refusal(auth().authenticate(await sign(undefined, { iss: 'http://127.0.0.1:1/other' })))).toEqual(['invalid_token', "the token's iss claim is not accepted"]);
    expect(await refusal(auth().authenticate(await sign(undefined, { aud: 'https://elsewhere.example.test/mcp' })))).toEqual(['invalid_token', "the token's aud claim is not accepted"]);
  });

  it('refuses an expired token, allowing 30 seconds of clock difference', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await refusal(auth().authenticate(await sign(undefined, { exp: now - 120 })))).toEqual(['invalid_token', 'the token has expired']);
    expect((await auth().authenticate(await sign(undefined, { exp: now - 10 }))).expiresAt).toBe(now - 10);
  });

  it('refuses a token not signed by the issuer: another key, an unknown key id, no signature, a shared-secret algorithm', async () => {
    const expected = ['invalid_token', 'the token could not be verified'];
    expect(await refusal(auth().authenticate(await sign(undefined, { signer: otherKey })))).toEqual(expected);
    expect(await refusal(auth().authenticate(await sign(undefined, { kid: 'unknown-key' })))).toEqual(expected);
    const valid = await sign();
    const [, body] = valid.split('.');
    const header = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    expect(await refusal(auth().authenticate(`${header({ alg: 'none' })}.${body}.`))).toEqual(expected);
    const hs256 = await new SignJWT({ scope: 'bastion:read' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('a-shared-secret-of-enough-length-0123456789'));
    expect(await refusal(auth().authenticate(hs256))).toEqual(expected);
    expect(await refusal(auth().authenticate('not.a.jwt'))).toEqual(expected);
  });

  it('fetches the keys once and keeps them for later tokens', async () => {
    const authenticator = auth();
    const before = requests;
    await authenticator.authenticate(await sign());
    await authenticator.authenticate(await sign({ scope: 'bastion:write' }));
    expect(requests - before).toBe(1);
  });

  it('refuses an unreachable key server as an unverifiable token, not a crash', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const authenticator = new JwtAuthenticator(issuer, audience, `http://127.0.0.1:${port}/jwks`);
    expect(await refusal(authenticator.authenticate(await sign()))).toEqual(['invalid_token', 'the token could not be verified']);
  });

  it('keeps a caller whose token has no expiry for five minutes', async () => {
    const before = Math.floor(Date.now() / 1000);
    const caller = await auth().authenticate(await sign(undefined, { exp: null }));
    expect(caller.expiresAt).toBeGreaterThanOrEqual(before + 300);
    expect(caller.expiresAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 300);
  });

  it('says which issuer, audience and key URL it trusts', () => {
    expect(auth().describe()).toBe(`JWTs from ${issuer} (audience ${audience}, keys ${issuer}/jwks)`);
  });

  it('refuses at start a key URL on a link-local or metadata address, naming the settings', () => {
    const error = configErrorOf(() => new JwtAuthenticator(issuer, audience, 'http://[fe80::1]/jwks'));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/^The JWKS URL \(BASTION_OAUTH_JWKS_URL, or BASTION_OAUTH_ISSUER\/\.well-known\/jwks\.json\) points at fe80::1, a link-local address/);
  });
});
