import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { HttpClient } from '../../src/core/http.js';
import { captureLogger } from './helpers/capture-logger.js';
import { httpFixtures, upstreamFailure } from './helpers/http-client.js';
import { sendJson } from './helpers/http-server.js';
import { makeTempDir, removeTempDirs } from './helpers/tmp.js';
import { makeSelfSignedCert, opensslAvailable, type SelfSignedCert } from './helpers/tls-cert.js';

const fx = httpFixtures();
let cert: SelfSignedCert;

beforeAll(() => {
  if (!opensslAvailable()) throw new Error('The TLS tests need the openssl command on PATH to make a test certificate.');
  cert = makeSelfSignedCert(makeTempDir('bastion-tls-'));
});
afterAll(() => removeTempDirs());

async function httpsServer() {
  return fx.server((_req, res) => sendJson(res, 200, { ok: true }), { key: cert.key, cert: cert.cert });
}

describe('HttpClient: TLS', () => {
  it('refuses a self-signed certificate by default, suggesting the CA setting', async () => {
    const server = await httpsServer();
    const error = await upstreamFailure(fx.client(server).request({ method: 'GET', path: '/issues.json' }));
    expect(error.kind).toBe('tls');
    expect(error.message).toMatch(/CA certificate setting/);
    expect(error.message).toMatch(/rather than turning verification off/);
    expect(server.requests).toHaveLength(0);
  });

  it('trusts the server when its certificate is given as the CA file', async () => {
    const server = await httpsServer();
    const body = await fx.client(server, { tls: { verify: true, caFile: cert.certFile } }).requestJson({ method: 'GET', path: '/issues.json' });
    expect(body).toEqual({ ok: true });
    expect(server.requests).toHaveLength(1);
  });

  it('connects without verification when told to, and warns loudly', async () => {
    const server = await httpsServer();
    const log = captureLogger('info');
    const client = fx.client(server, { tls: { verify: false }, logger: log.logger });
    expect(await client.requestJson({ method: 'GET', path: '/issues.json' })).toEqual({ ok: true });
    const warnings = log.lines().map((line) => JSON.parse(line) as Record<string, unknown>).filter((r) => r.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/TLS certificate verification is OFF for Redmine/);
    expect(client.describeTransport().status).toBe('warn');
  });

  it('does not warn when verification is on', () => {
    const log = captureLogger('info');
    const client = new HttpClient({ service: 'Redmine', baseUrl: 'https://127.0.0.1:9/', logger: log.logger });
    expect(log.lines()).toEqual([]);
    expect(client.describeTransport()).toEqual({ status: 'ok', detail: 'certificate verification on (system CAs, minimum TLSv1.2)' });
  });

  it('refuses a CA file that cannot be read, naming it', () => {
    const missing = join(makeTempDir('bastion-tls-'), 'missing-ca.pem');
    const build = () => new HttpClient({ service: 'Redmine', baseUrl: 'https://127.0.0.1:9/', tls: { verify: true, caFile: missing } });
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(missing);
  });
});
