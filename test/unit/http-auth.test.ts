// Inbound JWTs: verifying many distinct tokens leaves the scrubber no bigger (and so no slower) than before,
// and a token still never shows up in scrubbed text.
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearRegisteredSecrets, redact, registeredSecretCount, registerSecret } from '../../src/core/redact.js';
import { JwtAuthenticator } from '../../src/server/http-auth.js';

describe('JwtAuthenticator and the scrubber', () => {
  let jwks: Server;
  let issuer: string;
  let sign: (n: number) => Promise<string>;
  const audience = 'https://bastion.example.test/mcp';

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(jwks.address() as { port: number }).port}`;
    sign = (n) =>
      new SignJWT({ scope: 'bastion:read', client_id: `client-${n}`, jti: `token-${n}` })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
  });
  afterAll(async () => {
    clearRegisteredSecrets();
    await new Promise<void>((resolve) => jwks?.close(() => resolve()));
  });

  it('keeps the scrubber the same size after thousands of distinct verified tokens, and still removes each token', async () => {
    clearRegisteredSecrets();
    registerSecret('b7c1e0f4a9d2386e5f10c4b8a7d9e2f3c6a1b0d4');
    const before = registeredSecretCount();
    const auth = new JwtAuthenticator(issuer, audience, `${issuer}/jwks`);
    let last = '';
    for (let n = 0; n < 3000; n++) {
      last = await sign(n);
      const caller = await auth.authenticate(last);
      expect(caller.name).toBe(`client-${n}`);
    }
    expect(registeredSecretCount()).toBe(before);
    expect(redact(`the client sent ${last} to us`)).toBe('the client sent [REDACTED] to us');
    expect(redact(`authorization: Bearer ${last}`)).not.toContain(last.slice(0, 20));
  }, 120_000);
});
