// Who the credential is: a credential that upstream refuses, or serves as its anonymous or guest user, is an error
// naming the variable (at start, in doctor, and when it stops working during a run), never answers as nobody.
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, redmineEnv, runCli, startBastion } from '../helpers/bastion.js';
import { secretForms } from '../helpers/canary.js';
import { REDMINE_URL, USER_KEY } from '../helpers/redmine.js';
import { startBastionOnYouTrack, startYouTrack, youtrackEnv, YOUTRACK_USER_TOKEN } from '../helpers/youtrack.js';
import { etimEnv, startEtim } from '../helpers/etim.js';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import type { EtimDouble } from '../doubles/etim.js';

const WRONG_KEY = 'canary-identity-wrong-key-5f3a9c';
const dir = mkdtempSync(join(tmpdir(), 'bastion-identity-'));

function expectNoCanary(text: string, secret: string): void {
  for (const form of secretForms(secret)) expect(text.includes(form), 'output contains a form of the credential').toBe(false);
}

/** A loopback proxy in front of the real Redmine that, once told, drops the API key: Redmine then serves as anonymous. */
async function startKeyStrippingProxy(): Promise<{ url: string; stripKey(): void; close(): Promise<void> }> {
  const upstream = new URL(REDMINE_URL);
  let strip = false;
  const server: Server = createServer((req, res) => {
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: upstream.host };
    if (strip) delete headers['x-redmine-api-key'];
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stripKey: () => (strip = true),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function auditRecords(path: string): Array<Record<string, any>> {
  return readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
}

describe('Redmine: a wrong REDMINE_API_KEY', () => {
  it('stops serve with a message naming REDMINE_API_KEY and the fix, never the key', async () => {
    // The real Redmine serves public projects to an unknown key as anonymous; Bastion must not.
    const result = await runCli(['serve'], redmineEnv({ REDMINE_API_KEY: WRONG_KEY, BASTION_KEYRING: 'false' }));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('bastion: Redmine does not accept the credential in REDMINE_API_KEY: it is wrong, expired or revoked');
    expect(result.stderr).toContain('Fix: set REDMINE_API_KEY to the key shown in Redmine under My account > API access key, then restart Bastion.');
    expectNoCanary(result.stdout + result.stderr, WRONG_KEY);
  });

  it('fails doctor\'s identity check, naming REDMINE_API_KEY', async () => {
    const result = await runCli(['doctor'], redmineEnv({ REDMINE_API_KEY: WRONG_KEY, BASTION_KEYRING: 'false' }));
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/\[FAIL\] identity: Redmine does not accept the credential in REDMINE_API_KEY: .*Fix: set REDMINE_API_KEY to the key shown/);
    expectNoCanary(result.stdout + result.stderr, WRONG_KEY);
  });

  it('logs who a valid key belongs to at start, never the key', async () => {
    const bastion = await startBastion({ env: redmineEnv({ REDMINE_API_KEY: USER_KEY, BASTION_KEYRING: 'false' }) });
    try {
      expect(bastion.stderr()).toContain('REDMINE_API_KEY belongs to dev (id ');
      expectNoCanary(bastion.stderr(), USER_KEY);
    } finally {
      await bastion.close();
    }
  });
});

describe('Redmine: a key that stops working during a run (served as anonymous from then on)', () => {
  let proxy: Awaited<ReturnType<typeof startKeyStrippingProxy>>;
  const audit = join(dir, 'anonymous.jsonl');

  beforeAll(async () => {
    proxy = await startKeyStrippingProxy();
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('stops serve when the key reaches Redmine as anonymous', async () => {
    const stripping = await startKeyStrippingProxy();
    stripping.stripKey();
    try {
      const result = await runCli(['serve'], redmineEnv({ REDMINE_URL: stripping.url, REDMINE_API_KEY: USER_KEY, BASTION_KEYRING: 'false' }));
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('Redmine does not accept the credential in REDMINE_API_KEY');
    } finally {
      await stripping.close();
    }
  });

  it('fails each call naming REDMINE_API_KEY instead of answering with public data, and audits it as an error', async () => {
    const bastion = await startBastion({ env: redmineEnv({ REDMINE_URL: proxy.url, REDMINE_API_KEY: USER_KEY, BASTION_KEYRING: 'false', BASTION_AUDIT_LOG: audit }) });
    try {
      expect((await call(bastion, 'redmine_list_projects', {})).isError).toBeFalsy();
      proxy.stripKey();
      const me = await call(bastion, 'redmine_get_current_user', {});
      expect(me.isError).toBe(true);
      expect(me.text).toContain('REDMINE_API_KEY');
      // Anonymous may list the public projects: after the refusal, Bastion checks who the key is first.
      const projects = await call(bastion, 'redmine_list_projects', {});
      expect(projects.isError).toBe(true);
      expect(projects.text).toContain('Redmine does not accept the credential in REDMINE_API_KEY');
      expect(projects.text).toContain('Fix: set REDMINE_API_KEY');
      const calls = auditRecords(audit).filter((record) => record.type === 'tool_call');
      expect(calls.map((record) => [record.tool, record.outcome])).toEqual([
        ['redmine_list_projects', 'ok'],
        ['redmine_get_current_user', 'error'],
        ['redmine_list_projects', 'error'],
      ]);
      expectNoCanary(bastion.stderr() + readFileSync(audit, 'utf8') + me.text + projects.text, USER_KEY);
    } finally {
      await bastion.close();
    }
  });
});

describe('YouTrack: a token that is wrong or only a guest', () => {
  let double: YouTrackDouble;
  beforeAll(async () => {
    double = await startYouTrack();
  });
  afterAll(async () => {
    await double?.close();
  });

  it('stops serve for a token YouTrack does not know, naming YOUTRACK_API_TOKEN', async () => {
    // Well-formed (it passes the format check) but not one the double accepts.
    const unknown = YOUTRACK_USER_TOKEN.replace(/.{4}$/, 'AAAA');
    const result = await runCli(['serve'], youtrackEnv(double, { YOUTRACK_API_TOKEN: unknown }));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('bastion: YouTrack does not accept the credential in YOUTRACK_API_TOKEN: it is wrong, expired or revoked');
    expect(result.stderr).toContain('Fix: set YOUTRACK_API_TOKEN to a permanent token');
    expectNoCanary(result.stdout + result.stderr, unknown);
  });

  it('stops serve and fails doctor for a token of the guest user', async () => {
    const jane = double.state.users.find((user) => user.login === 'jane')!;
    jane.guest = true;
    try {
      const serve = await runCli(['serve'], youtrackEnv(double, { YOUTRACK_API_TOKEN: YOUTRACK_USER_TOKEN }));
      expect(serve.status).toBe(2);
      expect(serve.stderr).toContain('YouTrack accepts the credential in YOUTRACK_API_TOKEN only as its anonymous or guest user');
      const doctor = await runCli(['doctor'], youtrackEnv(double, { YOUTRACK_API_TOKEN: YOUTRACK_USER_TOKEN }));
      expect(doctor.stdout).toMatch(/\[FAIL\] identity: YouTrack accepts the credential in YOUTRACK_API_TOKEN only as its anonymous or guest user/);
    } finally {
      jane.guest = false;
    }
  });

  it('serves with a valid token', async () => {
    const bastion = await startBastionOnYouTrack(double, { YOUTRACK_API_TOKEN: YOUTRACK_USER_TOKEN });
    try {
      expect(bastion.stderr()).toContain('YOUTRACK_API_TOKEN belongs to jane (Jane Doe)');
      expect((await call(bastion, 'youtrack_get_current_user')).structured.login).toBe('jane');
    } finally {
      await bastion.close();
    }
  });
});

describe('ETIM: client credentials the token service refuses', () => {
  let double: EtimDouble;
  beforeAll(async () => {
    double = await startEtim();
  });
  afterAll(async () => {
    await double?.close();
  });

  // No anonymous fallback (every call fails with invalid_client), so serve still fetches the token on first use.
  it('fails doctor\'s identity check naming ETIM_CLIENT_ID and ETIM_CLIENT_SECRET, never the secret', async () => {
    const wrong = 'canary-identity-wrong-etim-secret-7Qd';
    const result = await runCli(['doctor'], etimEnv(double, { ETIM_CLIENT_SECRET: wrong }));
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/\[FAIL\] identity: The ETIM token service does not accept the credential in ETIM_CLIENT_ID and ETIM_CLIENT_SECRET: .*invalid_client.*Fix: set ETIM_CLIENT_ID and ETIM_CLIENT_SECRET/);
    expectNoCanary(result.stdout + result.stderr, wrong);
  });
});
