// The built CLI against the real Redmine through a loopback CONNECT proxy, with a gateway header from
// REDMINE_EXTRA_HEADERS: the calls go through the proxy, the header reaches Redmine, and its value appears in no
// log line, audit record, result or doctor output.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, redmineEnv, runCli, startBastion } from '../helpers/bastion.js';
import { startConnectProxy, type TestProxy } from '../helpers/connect-proxy.js';
import { REDMINE_URL, USER_KEY } from '../helpers/redmine.js';

const GATEWAY_KEY = 'canary-gateway-key-4Fx';
const dir = mkdtempSync(join(tmpdir(), 'bastion-proxy-'));
let proxy: TestProxy;

beforeAll(async () => {
  proxy = await startConnectProxy();
});

afterAll(async () => {
  await proxy.close();
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return redmineEnv({ REDMINE_API_KEY: USER_KEY, BASTION_KEYRING: 'false', HTTP_PROXY: proxy.url, REDMINE_EXTRA_HEADERS: `X-Gateway-Key: ${GATEWAY_KEY}`, ...extra });
}

describe('Redmine through an HTTP proxy, with a gateway header', () => {
  it('tunnels every call through the proxy and sends the header, which no output shows', async () => {
    const audit = join(dir, 'audit.jsonl');
    const before = proxy.tunnels.length;
    const bastion = await startBastion({ env: env({ BASTION_AUDIT_LOG: audit }) });
    let text: string;
    try {
      const result = await call(bastion, 'redmine_get_current_user');
      expect(result.isError).toBeFalsy();
      text = result.text;
    } finally {
      await bastion.close();
    }
    expect(proxy.tunnels.length).toBeGreaterThan(before);
    expect(new Set(proxy.tunnels.slice(before))).toEqual(new Set([new URL(REDMINE_URL).host]));
    // Plain http inside the tunnel: the proxy can see the header arrive on its way to Redmine.
    expect(proxy.sent()).toContain(`X-Gateway-Key: ${GATEWAY_KEY}`);
    for (const output of [text, bastion.stderr(), readFileSync(audit, 'utf8')]) expect(output).not.toContain(GATEWAY_KEY);
    expect(bastion.stderr()).toContain('"level":"debug"');
  });

  it('goes direct when NO_PROXY names the host, and doctor says which way it goes without the header value', async () => {
    const before = proxy.tunnels.length;
    const direct = await runCli(['doctor'], env({ NO_PROXY: 'localhost,127.0.0.1' }));
    expect(direct.stdout).toContain('[ok  ] reachability');
    expect(proxy.tunnels.length).toBe(before);
    const proxied = await runCli(['doctor'], env());
    expect(proxied.stdout).toContain(`[WARN] tls: plain http through the proxy ${proxy.url}: the proxy sees the credentials`);
    expect(proxy.tunnels.length).toBeGreaterThan(before);
    for (const output of [direct.stdout, direct.stderr, proxied.stdout, proxied.stderr]) expect(output).not.toContain(GATEWAY_KEY);
  });

  it('refuses a header that would replace the API key, naming the variable and never showing the value', async () => {
    const result = await runCli(['serve'], env({ REDMINE_EXTRA_HEADERS: 'X-Redmine-API-Key: canary-replacement-key-9Pz' }));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('REDMINE_EXTRA_HEADERS: X-Redmine-API-Key cannot be set here');
    expect(result.stderr).not.toContain('canary-replacement-key-9Pz');
  });
});
