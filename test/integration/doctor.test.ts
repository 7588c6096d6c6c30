// `bastion doctor --json` against the real Redmine, the YouTrack and ETIM doubles, Mosquitto and Redis: credential
// sources and file modes, TLS, identity, least privilege (Redmine and YouTrack administrators, an MQTT user that
// reads "#"), Redis, the HTTP listener's exposure; every warning names its fix and no credential is printed.
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EtimDouble } from '../doubles/etim.js';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import { redmineEnv, runCli } from '../helpers/bastion.js';
import { describeLeaks, findLeaks } from '../helpers/canary.js';
import { mosquittoEnv, mosquittoTlsEnv } from '../helpers/coreflux.js';
import { ETIM_TEST_CLIENT_ID, ETIM_TEST_CLIENT_SECRET, etimEnv, startEtim } from '../helpers/etim.js';
import { ensureMosquitto, type MosquittoEnv } from '../helpers/mosquitto.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { ADMIN_KEY, REDMINE_PORT, USER_KEY } from '../helpers/redmine.js';
import { startYouTrack, youtrackEnv, YOUTRACK_TEST_TOKEN, YOUTRACK_USER_TOKEN } from '../helpers/youtrack.js';

interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

interface Run {
  status: number | null;
  sections: Array<{ connector: string; checks: Check[] }>;
  summary: { failed: number; warnings: number };
  output: string;
}

const REDIS_PASSWORD = 'canary-doctor-redis-password-5Rb';
const HTTP_TOKEN = 'canary-doctor-http-token-2Jd';
const dir = mkdtempSync(join(tmpdir(), 'bastion-doctor-'));
const audit = join(dir, 'audit.jsonl');

let mosquitto: MosquittoEnv;
let youtrack: YouTrackDouble;
let etim: EtimDouble;
let redis: TestRedis;
const runs: Record<string, Run> = {};

function file(name: string, content: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

function without(env: Record<string, string>, ...names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !names.includes(name)));
}

/** The local Redmine with the non-admin key, an audit log and no keyring: everything passes unless a test adds a problem. */
function redmine(extra: Record<string, string> = {}): Record<string, string> {
  return redmineEnv({ REDMINE_API_KEY: USER_KEY, BASTION_AUDIT_LOG: audit, BASTION_KEYRING: 'false', ...extra });
}

async function doctor(env: Record<string, string>, args: string[] = []): Promise<Run> {
  const result = await runCli(['doctor', '--json', ...args], env);
  let parsed: Pick<Run, 'sections' | 'summary'>;
  try {
    parsed = JSON.parse(result.stdout) as Pick<Run, 'sections' | 'summary'>;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return { status: result.status, ...parsed, output: result.stdout + result.stderr };
}

function check(run: Run, connector: string, name: string): Check {
  const found = run.sections.find((section) => section.connector === connector)?.checks.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no check ${connector}/${name} in ${JSON.stringify(run.sections, null, 2)}`);
  return found;
}

beforeAll(async () => {
  [mosquitto, youtrack, etim, redis] = await Promise.all([ensureMosquitto(), startYouTrack(), startEtim(), startRedis(REDIS_PASSWORD)]);
  const tokens = JSON.stringify({ tokens: [{ name: 'ops', sha256: createHash('sha256').update(HTTP_TOKEN).digest('hex'), scopes: ['bastion:read'] }] });
  const privateTokens = file('tokens.json', tokens, 0o600);
  // Doctor checks where the certificate and key are and the key's mode; serve would parse them.
  const cert = file('server.crt', 'fake test certificate\n', 0o644);
  const key = file('server.key', 'fake test key\n', 0o600);
  const http = ['--transport', 'http'];
  const exposed = [...http, '--host', '0.0.0.0'];
  const scenarios: Record<string, [env: Record<string, string>, args?: string[]]> = {
    redmineAdmin: [redmine({ REDMINE_API_KEY: ADMIN_KEY })],
    allGood: [redmine()],
    confirmRequired: [redmine({ BASTION_CONFIRM_DESTRUCTIVE: 'require' })],
    confirmOff: [redmine({ BASTION_CONFIRM_DESTRUCTIVE: 'false' })],
    dotenvOpen: [without(redmine({ BASTION_ENV_FILE: file('open.env', `REDMINE_API_KEY=${USER_KEY}\n`, 0o644) }), 'REDMINE_API_KEY')],
    dotenvPrivate: [without(redmine({ BASTION_ENV_FILE: file('private.env', `REDMINE_API_KEY=${USER_KEY}\n`, 0o600) }), 'REDMINE_API_KEY')],
    configOpen: [without(redmine({ BASTION_CONFIG: file('bastion.json', JSON.stringify({ REDMINE_API_KEY: USER_KEY }), 0o644) }), 'REDMINE_API_KEY')],
    keyFileOpen: [without(redmine({ REDMINE_API_KEY_FILE: file('open.key', USER_KEY, 0o644) }), 'REDMINE_API_KEY')],
    keyFileOpenAccepted: [without(redmine({ REDMINE_API_KEY_FILE: join(dir, 'open.key'), BASTION_ALLOW_INSECURE_SECRET_FILES: 'true' }), 'REDMINE_API_KEY')],
    youtrackAdmin: [youtrackEnv(youtrack, { BASTION_AUDIT_LOG: audit })],
    // Jane's YouTrack token from a token file and the ETIM secret from a _FILE, in one run.
    tokenFiles: [
      without(
        {
          ...youtrackEnv(youtrack, { YOUTRACK_TOKEN_FILE: file('youtrack.token', YOUTRACK_USER_TOKEN, 0o600) }),
          ...etimEnv(etim, { BASTION_AUDIT_LOG: audit, ETIM_CLIENT_SECRET_FILE: file('etim.secret', ETIM_TEST_CLIENT_SECRET, 0o600) }),
        },
        'YOUTRACK_API_TOKEN',
        'ETIM_CLIENT_SECRET',
      ),
    ],
    mqttBastion: [mosquittoEnv(mosquitto, { BASTION_AUDIT_LOG: audit })],
    mqttReaderTls: [mosquittoTlsEnv(mosquitto, { BASTION_AUDIT_LOG: audit, MQTT_USER: mosquitto.readerUser, MQTT_PASSWORD: mosquitto.readerPassword, MQTT_TOPICS: 'sensors/#' })],
    // Redmine speaks plain http: these TLS settings are judged, and the handshake then fails.
    verifyOff: [redmine({ REDMINE_URL: `https://127.0.0.1:${REDMINE_PORT}`, REDMINE_VERIFY_SSL: 'false' })],
    privateCa: [redmine({ REDMINE_URL: `https://127.0.0.1:${REDMINE_PORT}`, REDMINE_CA_CERT: mosquitto.ca })],
    redis: [redmine({ REDIS_URL: redis.url, REDIS_PASSWORD_FILE: file('redis.password', REDIS_PASSWORD, 0o600) })],
    redisWithoutPassword: [redmine({ REDIS_URL: redis.url })],
    // Linux connects 0.0.0.0 to this machine, so these reach the local services while their names are not loopback.
    remote: [
      {
        ...mosquittoEnv(mosquitto, { MQTT_BROKER: '0.0.0.0' }),
        ...redmine({ REDMINE_URL: `http://0.0.0.0:${REDMINE_PORT}`, REDIS_URL: `redis://0.0.0.0:${redis.port}`, REDIS_PASSWORD, BASTION_HTTP_TOKENS_FILE: privateTokens }),
      },
      exposed,
    ],
    exposedForced: [redmine({ BASTION_HTTP_TOKENS_FILE: privateTokens, BASTION_HTTP_FORCE: 'true' }), exposed],
    // Also the Redmine key from a private _FILE: nothing to warn about.
    exposedSecured: [
      without(redmine({ BASTION_HTTP_TOKENS_FILE: privateTokens, REDMINE_API_KEY_FILE: file('private.key', USER_KEY, 0o600) }), 'REDMINE_API_KEY'),
      [...exposed, '--tls-cert', cert, '--tls-key', key],
    ],
    loopbackWithoutAuth: [redmine({ BASTION_HTTP_AUTH: 'false' }), [...http, '--tls-cert', cert, '--tls-key', file('open.key.pem', 'fake test key\n', 0o644)]],
    loopbackOpenTokens: [redmine({ BASTION_HTTP_TOKENS_FILE: file('open-tokens.json', tokens, 0o644) }), http],
  };
  const done = await Promise.all(Object.entries(scenarios).map(async ([name, [env, args]]) => [name, await doctor(env, args)] as const));
  for (const [name, run] of done) runs[name] = run;
}, 120_000);

afterAll(async () => {
  await Promise.all([youtrack?.close(), etim?.close(), redis?.stop()]);
});

describe('doctor --json', () => {
  it('passes with exit 0 when nothing needs fixing, and keeps the JSON shape', () => {
    const run = runs.allGood!;
    expect(run.status).toBe(0);
    expect(run.summary).toEqual({ failed: 0, warnings: 0 });
    expect(run.sections.map((section) => section.connector)).toEqual(['bastion', 'redmine']);
    expect(check(run, 'bastion', 'http')).toMatchObject({ status: 'ok', detail: expect.stringContaining('stdio') });
    expect(check(run, 'redmine', 'credential').detail).toBe(`REDMINE_API_KEY from the environment, fingerprint ${createHash('sha256').update(USER_KEY).digest('hex').slice(0, 8)}`);
    expect(run.sections.flatMap((section) => section.checks).every((c) => c.status === 'ok' && c.fix === undefined)).toBe(true);
  });

  it('reports the confirmation mode of destructive tools, and warns when confirmation is off', () => {
    expect(check(runs.allGood!, 'bastion', 'confirmation')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/ask the person at the client first.*run unasked in clients that do not/) });
    expect(check(runs.confirmRequired!, 'bastion', 'confirmation')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/clients that cannot ask .* are refused them/) });
    expect(runs.confirmRequired!.summary).toEqual({ failed: 0, warnings: 0 });
    const off = check(runs.confirmOff!, 'bastion', 'confirmation');
    expect(off).toMatchObject({ status: 'warn', detail: expect.stringContaining('without asking anyone'), fix: expect.stringContaining('BASTION_CONFIRM_DESTRUCTIVE=true') });
    expect(runs.confirmOff!.status).toBe(1);
  });

  it('gives every warning and failure its fix once, in detail and in the fix field', () => {
    const problems = Object.values(runs).flatMap((run) => run.sections.flatMap((section) => section.checks)).filter((c) => c.status !== 'ok');
    expect(problems.length).toBeGreaterThan(15);
    for (const problem of problems) {
      expect(problem.fix, `${problem.name}: ${problem.detail}`).toMatch(/\w{3,}/);
      // Appended as ". Fix: ...", unless the message itself already says it.
      expect(problem.detail.split(problem.fix!).length, problem.detail).toBe(2);
      if (!problem.detail.endsWith(`. Fix: ${problem.fix}`)) expect(problem.detail, problem.detail).not.toContain('Fix:');
    }
  });

  it('exits 1 whenever a check warns or fails', () => {
    for (const [name, run] of Object.entries(runs)) {
      const problems = run.summary.failed + run.summary.warnings;
      expect(run.status, name).toBe(problems ? 1 : 0);
      expect(problems, name).toBe(run.sections.flatMap((section) => section.checks).filter((c) => c.status !== 'ok').length);
    }
  });

  it('prints no credential in any output', () => {
    const canaries = {
      ADMIN_KEY,
      USER_KEY,
      YOUTRACK_TEST_TOKEN,
      YOUTRACK_USER_TOKEN,
      ETIM_TEST_CLIENT_SECRET,
      MQTT_PASSWORD: mosquitto.password,
      MQTT_READER_PASSWORD: mosquitto.readerPassword,
      REDIS_PASSWORD,
      HTTP_TOKEN,
    };
    const captured = Object.entries(runs).map(([name, run]) => ({ source: name, text: run.output }));
    expect(describeLeaks(findLeaks(captured, canaries))).toEqual([]);
  });
});

describe('credential sources and file modes', () => {
  it('names the .env file as the source and warns while group or others can read it', () => {
    const open = runs.dotenvOpen!;
    const path = join(dir, 'open.env');
    expect(check(open, 'redmine', 'credential').detail).toBe(`REDMINE_API_KEY from the .env file ${join(dir, 'open.env')}, fingerprint ${createHash('sha256').update(USER_KEY).digest('hex').slice(0, 8)}`);
    expect(check(open, 'redmine', 'credential file')).toMatchObject({ status: 'warn', fix: `chmod 600 ${path}` });
    expect(check(open, 'redmine', 'credential file').detail).toContain(`${path} is readable by group or others (mode 644)`);
    expect(check(runs.dotenvPrivate!, 'redmine', 'credential file')).toMatchObject({ status: 'ok', detail: `REDMINE_API_KEY is read from a file: ${join(dir, 'private.env')} (mode 600)` });
    expect(runs.dotenvPrivate!.status).toBe(0);
  });

  it('checks the config file a credential comes from', () => {
    expect(check(runs.configOpen!, 'redmine', 'credential').detail).toContain(`from the config file ${join(dir, 'bastion.json')},`);
    expect(check(runs.configOpen!, 'redmine', 'credential file')).toMatchObject({ status: 'warn', fix: `chmod 600 ${join(dir, 'bastion.json')}` });
  });

  it('reports a refused _FILE as the connector failing, with chmod as the fix, and still prints the other checks', () => {
    const run = runs.keyFileOpen!;
    const path = join(dir, 'open.key');
    expect(check(run, 'redmine', 'configuration')).toMatchObject({ status: 'fail', fix: `chmod 600 ${path}` });
    expect(check(run, 'redmine', 'configuration').detail).toContain(`Secret file ${path} is readable by group or others (mode 644)`);
    // Its only connector failed, so serve would offer nothing: not an ok.
    expect(check(run, 'bastion', 'policy')).toMatchObject({ status: 'fail', detail: expect.stringContaining('redmine could not be set up') });
  });

  it('warns about an accepted insecure _FILE and passes a private one', () => {
    const accepted = runs.keyFileOpenAccepted!;
    expect(check(accepted, 'redmine', 'credential').detail).toMatch(/^REDMINE_API_KEY from the file \S+open\.key \(REDMINE_API_KEY_FILE\)/);
    expect(check(accepted, 'redmine', 'credential file')).toMatchObject({ status: 'warn', fix: `chmod 600 ${join(dir, 'open.key')}` });
    expect(check(runs.exposedSecured!, 'redmine', 'credential').detail).toMatch(/^REDMINE_API_KEY from the file \S+private\.key \(REDMINE_API_KEY_FILE\)/);
    expect(check(runs.exposedSecured!, 'redmine', 'credential file').status).toBe('ok');
    expect(runs.exposedSecured!.status).toBe(0);
  });

  it('names the token file and the _FILE of YouTrack and ETIM credentials', () => {
    expect(check(runs.tokenFiles!, 'youtrack', 'credential').detail).toMatch(/from the file \S+youtrack\.token \(YOUTRACK_TOKEN_FILE\)/);
    expect(check(runs.tokenFiles!, 'youtrack', 'credential file').status).toBe('ok');
    expect(check(runs.tokenFiles!, 'etim', 'credential').detail).toMatch(/ETIM_CLIENT_SECRET from the file \S+etim\.secret \(ETIM_CLIENT_SECRET_FILE\)/);
    expect(check(runs.tokenFiles!, 'etim', 'credential file').status).toBe('ok');
  });
});

describe('identity and least privilege', () => {
  it('warns about a Redmine administrator key and passes the non-admin one', () => {
    expect(check(runs.redmineAdmin!, 'redmine', 'identity').detail).toBe('the key belongs to admin (id 1)');
    const privileges = check(runs.redmineAdmin!, 'redmine', 'privileges');
    expect(privileges.status).toBe('warn');
    expect(privileges.fix).toMatch(/dedicated user without the administrator flag.*member of the projects/);
    expect(check(runs.allGood!, 'redmine', 'identity').detail).toMatch(/^the key belongs to dev /);
    expect(check(runs.allGood!, 'redmine', 'privileges')).toMatchObject({ status: 'ok', detail: 'not an administrator' });
  });

  it('warns about the token of a YouTrack administrator, read from the permission cache', () => {
    expect(check(runs.youtrackAdmin!, 'youtrack', 'identity').detail).toBe('the token belongs to admin (Admin)');
    const privileges = check(runs.youtrackAdmin!, 'youtrack', 'privileges');
    expect(privileges.status).toBe('warn');
    expect(privileges.detail).toContain('admin is a YouTrack administrator (global Low-level Admin Write)');
    expect(privileges.fix).toMatch(/without the System Admin role/);
    expect(check(runs.tokenFiles!, 'youtrack', 'identity').detail).toBe('the token belongs to jane (Jane Doe)');
    expect(check(runs.tokenFiles!, 'youtrack', 'privileges')).toMatchObject({ status: 'ok', detail: 'not an administrator' });
    const asked = youtrack.requests.filter((request) => request.path === '/api/permissions/cache');
    expect(asked).toHaveLength(2);
    for (const request of asked) expect(request.query).toMatchObject({ fields: 'global,permission(key)', $top: '-1' });
  });

  it('has a YouTrack double whose permission cache tells a System Admin from a project member', async () => {
    const read = async (token: string) => {
      const response = await fetch(`${youtrack.url}/api/permissions/cache?fields=global,permission(key),projects(shortName)&$top=-1`, { headers: { Authorization: `Bearer ${token}` } });
      return (await response.json()) as Array<{ global: boolean; permission: { key: string }; projects: Array<{ shortName: string }> }>;
    };
    const [admin, jane] = await Promise.all([read(YOUTRACK_TEST_TOKEN), read(YOUTRACK_USER_TOKEN)]);
    expect(admin.find((entry) => entry.permission.key === 'jetbrains.jetpass.low-level')).toMatchObject({ global: true, projects: [] });
    expect(jane.some((entry) => entry.global || entry.permission.key.startsWith('jetbrains.jetpass.low-level'))).toBe(false);
    expect(jane.find((entry) => entry.permission.key === 'JetBrains.YouTrack.READ_ISSUE')?.projects.map((project) => project.shortName)).toEqual(['DEMO', 'OPS']);
  });

  it('gets an ETIM access token as the configured client', () => {
    expect(check(runs.tokenFiles!, 'etim', 'token service')).toMatchObject({ status: 'ok', detail: `issued an access token to client ${ETIM_TEST_CLIENT_ID} (scope EtimApi)` });
    expect(runs.tokenFiles!.status).toBe(0);
  });

  it('warns about an MQTT user that receives every topic through "#", and passes the ACL-limited reader', () => {
    const bastion = runs.mqttBastion!;
    expect(check(bastion, 'coreflux', 'connection').detail).toBe('connected (MQTT 5.0) as bastion');
    const wide = check(bastion, 'coreflux', 'privileges');
    expect(wide.status).toBe('warn');
    expect(wide.detail).toMatch(/^bastion may subscribe to # and receives messages on any topic \(a probe on bastion-probe-[0-9a-f]+\/doctor came back\)/);
    expect(wide.fix).toBe("limit the broker's ACL for bastion to the topics in MQTT_TOPICS (and set MQTT_TOPICS to the topics the tools need)");
    // Mosquitto grants the reader's SUBSCRIBE to "#" too; only its deliveries are filtered by the ACL.
    const reader = runs.mqttReaderTls!;
    expect(check(reader, 'coreflux', 'connection').detail).toBe('connected (MQTT 5.0) as reader');
    expect(check(reader, 'coreflux', 'privileges')).toMatchObject({ status: 'ok', detail: expect.stringContaining('accepts a subscription to # from reader but delivered neither') });
    expect(reader.status).toBe(0);
  });
});

describe('TLS and plain connections', () => {
  it('names the CA in use and passes plain connections to this machine', () => {
    expect(check(runs.privateCa!, 'redmine', 'tls')).toMatchObject({ status: 'ok', detail: `certificate verification on (CA ${mosquitto.ca}, minimum TLSv1.2)` });
    expect(check(runs.mqttReaderTls!, 'coreflux', 'tls')).toMatchObject({ status: 'ok', detail: `TLS with CA ${mosquitto.ca}` });
    expect(check(runs.allGood!, 'redmine', 'tls')).toMatchObject({ status: 'ok', detail: 'plain http on loopback' });
    expect(check(runs.tokenFiles!, 'etim', 'tls').status).toBe('ok');
    expect(check(runs.mqttBastion!, 'coreflux', 'tls')).toMatchObject({ status: 'ok', detail: 'plain MQTT to a broker on this machine' });
  });

  it('warns loudly when certificate verification is off', () => {
    const tls = check(runs.verifyOff!, 'redmine', 'tls');
    expect(tls.status).toBe('warn');
    expect(tls.detail).toMatch(/^certificate verification is OFF/);
    expect(tls.fix).toBe('set REDMINE_VERIFY_SSL=true, and REDMINE_CA_CERT to the CA file if the certificate is self-signed or from a private CA');
    expect(check(runs.verifyOff!, 'redmine', 'reachability').status).toBe('fail');
  });

  it('warns about plain http, MQTT and Redis to another host, each with its fix', () => {
    const run = runs.remote!;
    expect(check(run, 'redmine', 'tls')).toMatchObject({ status: 'warn', fix: 'set REDMINE_URL to an https:// URL' });
    expect(check(run, 'redmine', 'reachability').status).toBe('ok');
    expect(check(run, 'coreflux', 'tls')).toMatchObject({ status: 'warn', detail: expect.stringContaining('plain MQTT to 0.0.0.0') });
    expect(check(run, 'coreflux', 'tls').fix).toMatch(/^set MQTT_USE_TLS=true/);
    expect(check(run, 'bastion', 'redis tls')).toMatchObject({ status: 'warn', fix: expect.stringContaining('rediss://') });
  });
});

describe('Redis', () => {
  it('reports a reachable Redis, its password source and file mode', () => {
    const run = runs.redis!;
    expect(check(run, 'bastion', 'shared cache')).toMatchObject({ status: 'ok', detail: `Redis at ${redis.url}` });
    expect(check(run, 'bastion', 'redis credential').detail).toMatch(/^REDIS_PASSWORD from the file \S+redis\.password \(REDIS_PASSWORD_FILE\)/);
    expect(check(run, 'bastion', 'redis password file').status).toBe('ok');
    expect(check(run, 'bastion', 'redis tls')).toMatchObject({ status: 'ok', detail: 'plain connection to a Redis on this machine' });
    expect(run.status).toBe(0);
  });

  it('warns about a Redis without a password', () => {
    const run = runs.redisWithoutPassword!;
    expect(check(run, 'bastion', 'redis credential')).toMatchObject({ status: 'warn', fix: expect.stringContaining('REDIS_PASSWORD') });
    expect(check(run, 'bastion', 'shared cache')).toMatchObject({ status: 'warn', detail: expect.stringContaining('serving from memory') });
  });
});

describe('HTTP exposure', () => {
  it('fails a network bind without TLS, as serve would refuse it', () => {
    const http = check(runs.remote!, 'bastion', 'http');
    expect(http.status).toBe('fail');
    expect(http.detail).toMatch(/^http:\/\/0\.0\.0\.0:3000 without TLS \(--tls-cert\/--tls-key\) exposes every enabled tool to the network; serve refuses to start/);
    expect(http.fix).toMatch(/^add TLS .*bind to 127\.0\.0\.1.*BASTION_HTTP_FORCE=true accepts the risk/);
  });

  it('only warns when BASTION_HTTP_FORCE=true, and says so', () => {
    const http = check(runs.exposedForced!, 'bastion', 'http');
    expect(http.status).toBe('warn');
    expect(http.detail).toContain('serve accepts this only because BASTION_HTTP_FORCE=true');
    expect(http.fix).toMatch(/remove BASTION_HTTP_FORCE$/);
  });

  it('passes a network bind with TLS and authentication, and checks the token and key files', () => {
    const run = runs.exposedSecured!;
    expect(check(run, 'bastion', 'http')).toMatchObject({ status: 'ok', detail: `https://0.0.0.0:3000, 1 named tokens from ${join(dir, 'tokens.json')}` });
    expect(check(run, 'bastion', 'http tokens file').status).toBe('ok');
    expect(check(run, 'bastion', 'http tls key').status).toBe('ok');
    expect(run.status).toBe(0);
  });

  it('warns about authentication turned off on loopback', () => {
    expect(check(runs.loopbackWithoutAuth!, 'bastion', 'http')).toMatchObject({ status: 'warn', detail: expect.stringContaining('authentication OFF') });
  });

  it('fails a tokens file others can read and warns about a readable TLS key, both with chmod', () => {
    const tokens = join(dir, 'open-tokens.json');
    expect(check(runs.loopbackOpenTokens!, 'bastion', 'http')).toMatchObject({ status: 'fail', fix: `chmod 600 ${tokens}` });
    const key = join(dir, 'open.key.pem');
    expect(check(runs.loopbackWithoutAuth!, 'bastion', 'http tls key')).toMatchObject({ status: 'warn', fix: `chmod 600 ${key}` });
  });
});
