// The issuer's keys are fetched through the same after-DNS egress check as every upstream: a JWKS host name that
// resolves to a link-local or metadata address is never connected to. Names resolve from a table here (the system
// resolver is replaced for this file), and connections beyond loopback are refused inside the process.
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { configureEgress } from '../../src/core/egress.js';
import { AuthenticationError, JwtAuthenticator } from '../../src/server/http-auth.js';
import { blockNonLoopback, type EgressBlock } from './helpers/no-egress.js';

const TABLE: Record<string, string> = { 'keys.loopback.test': '127.0.0.1', 'keys.metadata.test': '169.254.169.254', 'keys.linklocal.test': 'fe80::1' };

vi.mock('node:dns', async (importOriginal) => {
  const dns = await importOriginal<typeof import('node:dns')>();
  const lookup = (hostname: string, options: unknown, callback: (...args: unknown[]) => void) => {
    const address = TABLE[hostname];
    if (!address) return dns.lookup(hostname, options as never, callback as never);
    const family = address.includes(':') ? 6 : 4;
    if ((options as { all?: boolean } | undefined)?.all) return process.nextTick(callback, null, [{ address, family }]);
    process.nextTick(callback, null, address, family);
  };
  return { ...dns, default: { ...dns, lookup }, lookup };
});

describe('JWKS fetch through the egress check', () => {
  const audience = 'https://bastion.example.test/mcp';
  let server: Server;
  let port: number;
  let key: CryptoKey;
  let block: EgressBlock;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    key = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' };
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    block = blockNonLoopback();
  });
  afterAll(async () => {
    block.restore();
    configureEgress({ allowLinkLocal: false });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const sign = (issuer: string) =>
    new SignJWT({ scope: 'bastion:read', sub: 'alice' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(issuer).setAudience(audience).setExpirationTime('5m').sign(key);

  it('reaches a key server whose name resolves to an allowed address', async () => {
    const issuer = `http://keys.loopback.test:${port}`;
    const caller = await new JwtAuthenticator(issuer, audience, `${issuer}/jwks`).authenticate(await sign(issuer));
    expect(caller.name).toBe('alice');
  });

  it.each(['keys.metadata.test', 'keys.linklocal.test'])('never connects to %s, which resolves to a forbidden address, and refuses the token', async (host) => {
    const issuer = `http://${host}:${port}`;
    const error = await new JwtAuthenticator(issuer, audience, `${issuer}/jwks`).authenticate(await sign(issuer)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).message).toBe('the token could not be verified');
    // Bastion refused it itself: no connection to the forbidden address was even attempted.
    expect(block.attempts).toEqual([]);
  });
});
