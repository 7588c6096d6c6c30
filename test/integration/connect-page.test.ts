// The connect page end to end, with the test playing the browser (GET the form, keep its cookie, POST it back)
// against two built Bastion instances over HTTP that share one real Redis, on the real Redmine and the YouTrack
// double. Links are made as the tool pipeline makes them (createConnectLink on the shared cache). Also the operator's
// `bastion identities list|revoke`, and canaries: no key in Redis, the audit logs or the servers' output.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCache } from '../../src/core/cache.js';
import { Secret } from '../../src/core/secrets.js';
import { openVault, VAULT_REDIS_KEY, type Vault } from '../../src/core/vault.js';
import { ConnectLinks, createConnectLink } from '../../src/server/connect-page.js';
import { startYouTrackDouble, YOUTRACK_TEST_TOKEN, YOUTRACK_USER_TOKEN, type YouTrackDouble } from '../doubles/youtrack.js';
import { redmineEnv, runCli } from '../helpers/bastion.js';
import { secretForms } from '../helpers/canary.js';
import { open, submit } from '../helpers/connect-browser.js';
import { startHttpBastion, writeTokensFile, type HttpBastion } from '../helpers/http-server.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { ADMIN_KEY, USER_KEY } from '../helpers/redmine.js';

const REDIS_PASSWORD = 'canary-redis-password-connect-7Wd';
const WRONG_KEY = '0123456789abcdef0123456789abcdef01234567';

let dir: string;
let redis: TestRedis;
let youtrack: YouTrackDouble;
let a: HttpBastion;
let b: HttpBastion;
let cache: RedisCache;
let links: ConnectLinks;
let vault: Vault;
let vaultKeyText: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bastion-connect-'));
  redis = await startRedis(REDIS_PASSWORD);
  youtrack = await startYouTrackDouble({ tokens: [YOUTRACK_TEST_TOKEN, YOUTRACK_USER_TOKEN] });
  vaultKeyText = randomBytes(32).toString('hex');
  writeFileSync(join(dir, 'vault.key'), vaultKeyText, { mode: 0o600 });
  env = redmineEnv({
    BASTION_KEYRING: 'false',
    REDIS_URL: redis.url,
    REDIS_PASSWORD,
    BASTION_VAULT_KEY_FILE: join(dir, 'vault.key'),
    BASTION_HTTP_TOKENS_FILE: writeTokensFile(join(dir, 'tokens.json'), [{ name: 'alice', token: 'alice-bearer-token-000000000000', scopes: ['bastion:write'] }]),
    YOUTRACK_URL: youtrack.url,
    YOUTRACK_API_TOKEN: YOUTRACK_TEST_TOKEN,
  });
  [a, b] = await Promise.all([
    startHttpBastion({ env: { ...env, BASTION_AUDIT_LOG: join(dir, 'audit-a.jsonl') } }),
    startHttpBastion({ env: { ...env, BASTION_AUDIT_LOG: join(dir, 'audit-b.jsonl') } }),
  ]);
  cache = await RedisCache.connect({ url: redis.url, password: new Secret(REDIS_PASSWORD, 'env', 'REDIS_PASSWORD') });
  await cache.ready(5_000);
  links = new ConnectLinks({ cache, baseUrl: () => a.baseUrl, ttlSeconds: 600 });
  vault = await openVault({ keyFile: join(dir, 'vault.key'), redis: { url: redis.url, password: new Secret(REDIS_PASSWORD, 'env', 'REDIS_PASSWORD') } });
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await vault?.close();
  await cache?.close();
  await youtrack?.close();
  await redis?.stop();
});

/** A link made for `caller` as the pipeline makes it, pointing at instance `on`. */
async function linkFor(connector: string, caller: string, on: HttpBastion = a, maker: ConnectLinks = links): Promise<string> {
  const url = await createConnectLink(maker, connector, caller);
  return `${on.baseUrl}${url.pathname}${url.search}`;
}

function audit(name: 'a' | 'b'): Array<Record<string, unknown>> {
  return readFileSync(join(dir, `audit-${name}.jsonl`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function rawRedis(): Promise<string> {
  const client = createClient({ url: redis.url, password: REDIS_PASSWORD });
  await client.connect();
  try {
    const parts: string[] = [];
    for (const key of await client.keys('*')) {
      const type = await client.type(key);
      parts.push(key, type === 'hash' ? JSON.stringify(await client.hGetAll(key)) : type === 'string' ? String(await client.get(key)) : type);
    }
    return parts.join('\n');
  } finally {
    await client.close();
  }
}

describe('the connect page', () => {
  it('links a Redmine key checked upstream, for the caller the link was made for, seen by the other instance', async () => {
    const link = await linkFor('redmine', 'alice');
    const form = await open(link);
    expect(form.status).toBe(200);
    expect(form.html).toContain('Bastion caller &#34;alice&#34;');
    expect(form.csrf).toBeDefined();
    expect(form.cookie).toMatch(/^bastion_connect=/);
    const done = await submit(link, form, { key: USER_KEY });
    expect(done.status, done.html).toBe(200);
    expect(done.html).toContain('now acts in Redmine as dev');
    const linked = await vault.get('redmine', 'alice');
    expect(linked?.login).toBe('dev');
    expect(linked?.secret.reveal()).toBe(USER_KEY);
    // Instance B, sharing Redis, shows the link made through A.
    const onB = await open(await linkFor('redmine', 'alice', b));
    expect(onB.html).toContain('Currently connected as Redmine user dev');
    const record = audit('a').find((entry) => entry.event === 'identity_linked');
    expect(record).toMatchObject({ type: 'credential', connector: 'redmine', caller: 'alice', upstream_login: 'dev', outcome: 'ok', source: 'connect-page' });
  });

  it('refuses a wrong key as refused upstream and stores nothing', async () => {
    const link = await linkFor('redmine', 'wrong-key-caller');
    const form = await open(link);
    const refused = await submit(link, form, { key: WRONG_KEY });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('Redmine did not accept this API access key');
    expect(refused.html).toContain('nothing was stored');
    expect(await vault.get('redmine', 'wrong-key-caller')).toBeUndefined();
    expect(audit('a').find((entry) => entry.event === 'identity_validation_failed' && entry.caller === 'wrong-key-caller')).toMatchObject({ outcome: 'denied', connector: 'redmine' });
  });

  it("refuses another caller's link: the caller is the link's, never the browser's", async () => {
    const link = await linkFor('redmine', 'carol');
    const form = await open(link);
    const refused = await submit(link, form, { key: USER_KEY, caller: 'mallory' });
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('made for another Bastion caller');
    expect(await vault.get('redmine', 'mallory')).toBeUndefined();
    expect(await vault.get('redmine', 'carol')).toBeUndefined();
    // A link made for one connector does not open another connector's page.
    const redmineLink = await linkFor('redmine', 'carol');
    const other = await open(redmineLink.replace('/connect/redmine', '/connect/youtrack'));
    expect(other.status).toBe(403);
    expect(other.html).toContain('made to connect a redmine account, not youtrack');
  });

  it('refuses an expired link', async () => {
    // A link made 20 minutes ago with a 10-minute life.
    const past = new ConnectLinks({ cache, baseUrl: () => a.baseUrl, ttlSeconds: 600, now: () => Date.now() - 20 * 60_000 });
    const link = await linkFor('redmine', 'late', a, past);
    const form = await open(link);
    expect(form.status).toBe(410);
    expect(form.html).toContain('This link expired');
    expect(form.csrf).toBeUndefined();
    const refused = await submit(link, { ...form, csrf: 'x'.repeat(43) }, { key: USER_KEY });
    expect(refused.status).toBe(410);
    expect(await vault.get('redmine', 'late')).toBeUndefined();
  });

  it('refuses a reused link, on either instance', async () => {
    const link = await linkFor('redmine', 'reuser');
    const form = await open(link);
    expect((await submit(link, form, { key: USER_KEY })).status).toBe(200);
    await vault.unlink('redmine', 'reuser');
    const again = await submit(link, form, { key: USER_KEY });
    expect(again.status).toBe(410);
    expect(again.html).toContain('already used');
    expect((await open(link)).status).toBe(410);
    expect((await open(link.replace(a.baseUrl, b.baseUrl))).status).toBe(410);
    expect(await vault.get('redmine', 'reuser')).toBeUndefined();
  });

  it('refuses forged requests: no or wrong anti-forgery token, no cookie, foreign or missing Origin', async () => {
    const link = await linkFor('redmine', 'forged');
    const form = await open(link);
    const attempts: Array<[string, () => Promise<{ status: number; html: string }>]> = [
      ['no token', () => submit(link, { ...form, csrf: undefined }, { key: USER_KEY })],
      ['wrong token', () => submit(link, { ...form, csrf: randomBytes(32).toString('base64url') }, { key: USER_KEY })],
      ['token without its cookie', () => submit(link, { ...form, cookie: undefined }, { key: USER_KEY })],
      ['foreign Origin', () => submit(link, form, { key: USER_KEY }, { origin: 'https://evil.example' })],
      ['no Origin', () => submit(link, form, { key: USER_KEY }, { origin: undefined })],
    ];
    for (const [name, attempt] of attempts) {
      const refused = await attempt();
      expect(refused.status, name).toBe(403);
      expect(refused.html, name).toContain('nothing was stored');
    }
    expect(await vault.get('redmine', 'forged')).toBeUndefined();
    // The genuine form still works afterwards: the forgeries did not spend the link.
    expect((await submit(link, form, { key: USER_KEY })).status).toBe(200);
  });

  it('links a YouTrack token of the person it belongs to, and refuses an unknown one', async () => {
    const link = await linkFor('youtrack', 'jane-caller');
    const wrong = await submit(link, await open(link), { key: `perm:${Buffer.from('jane').toString('base64')}.d3Jvbmc=.notAcceptedToken123` });
    expect(wrong.status).toBe(400);
    expect(wrong.html).toContain('YouTrack did not accept this permanent token');
    const done = await submit(link, await open(link), { key: YOUTRACK_USER_TOKEN });
    expect(done.status, done.html).toBe(200);
    expect(done.html).toContain('now acts in YouTrack as jane');
    expect((await vault.get('youtrack', 'jane-caller'))?.login).toBe('jane');
  });

  it('lets the person disconnect their own account', async () => {
    const first = await linkFor('youtrack', 'leaver');
    expect((await submit(first, await open(first), { key: YOUTRACK_USER_TOKEN })).status).toBe(200);
    const link = await linkFor('youtrack', 'leaver', b);
    const form = await open(link);
    expect(form.html).toContain('Disconnect my YouTrack account');
    const done = await submit(link, form, { action: 'disconnect' });
    expect(done.status).toBe(200);
    expect(done.html).toContain('no longer acts in YouTrack as jane');
    expect(await vault.get('youtrack', 'leaver')).toBeUndefined();
    expect(audit('b').find((entry) => entry.event === 'identity_unlinked')).toMatchObject({ connector: 'youtrack', caller: 'leaver', upstream_login: 'jane' });
  });
});

describe('bastion identities', () => {
  const cliEnv = (): Record<string, string> => ({ ...env, BASTION_AUDIT_LOG: join(dir, 'audit-cli.jsonl') });

  it('lists linked identities without keys, and revokes one on every instance sharing the vault', async () => {
    const link = await linkFor('redmine', 'bob');
    expect((await submit(link, await open(link), { key: USER_KEY })).status).toBe(200);
    const listed = await runCli(['identities', 'list'], cliEnv());
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/redmine\s+bob\s+dev\s+20\d\d-/);
    expect(listed.stdout).toMatch(/youtrack\s+jane-caller\s+jane\s+/);
    const json = await runCli(['identities', 'list', '--json'], cliEnv());
    expect(JSON.parse(json.stdout)).toMatchObject({ store: 'redis', unreadable: 0 });

    const revoked = await runCli(['identities', 'revoke', 'redmine', 'bob'], cliEnv());
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain('Revoked the redmine identity of bob');
    // Both instances see it gone at once.
    for (const on of [a, b]) expect((await open(await linkFor('redmine', 'bob', on))).html).not.toContain('Currently connected');
    expect((await runCli(['identities', 'list'], cliEnv())).stdout).not.toMatch(/redmine\s+bob\s/);
    const records = readFileSync(join(dir, 'audit-cli.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.find((entry) => entry.event === 'identity_revoked')).toMatchObject({ type: 'credential', event: 'identity_revoked', connector: 'redmine', caller: 'bob', upstream_login: 'dev', source: 'cli' });

    const again = await runCli(['identities', 'revoke', 'redmine', 'bob'], cliEnv());
    expect(again.stdout).toContain('nothing revoked');
    const unknown = await runCli(['identities', 'revoke', 'etim', 'bob'], cliEnv());
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('personal credentials exist for redmine and youtrack only');
    const unset = await runCli(['identities', 'list'], { ...cliEnv(), BASTION_VAULT_KEY_FILE: '' });
    expect(unset.status).toBe(2);
    expect(unset.stderr).toContain('BASTION_VAULT_KEY_FILE is not set');
  });

  it('are reported by doctor: the key file, the store and how many are linked per connector, without names', async () => {
    const run = await runCli(['doctor', '--json', '--transport', 'http'], cliEnv());
    const checks = (JSON.parse(run.stdout) as { sections: Array<{ connector: string; checks: Array<{ name: string; status: string; detail: string }> }> }).sections.find((section) => section.connector === 'bastion')!.checks;
    const named = (name: string) => checks.find((check) => check.name === name);
    expect(named('vault key file')).toMatchObject({ status: 'ok', detail: `BASTION_VAULT_KEY_FILE: ${join(dir, 'vault.key')} (mode 600)` });
    expect(named('vault store')).toMatchObject({ status: 'ok', detail: `Redis at ${redis.url}, shared by every instance using it` });
    const linked = await vault.list();
    const count = (connector: string) => linked.filter((entry) => entry.connector === connector).length;
    expect(named('linked identities')).toMatchObject({ status: 'ok', detail: `redmine ${count('redmine')}, youtrack ${count('youtrack')} (ETIM and Coreflux/MQTT always use their shared credentials)` });
    expect(count('youtrack')).toBeGreaterThan(0);
    for (const entry of linked) expect(run.stdout).not.toContain(`"${entry.caller}`);

    // A key file others can read: the vault is refused, with the fix.
    writeFileSync(join(dir, 'open.key'), randomBytes(32).toString('hex'), { mode: 0o644 });
    const open = await runCli(['doctor', '--json'], { ...cliEnv(), BASTION_VAULT_KEY_FILE: join(dir, 'open.key') });
    const refused = (JSON.parse(open.stdout) as { sections: Array<{ connector: string; checks: Array<{ name: string; status: string; detail: string }> }> }).sections[0]!.checks.find((check) => check.name === 'vault');
    expect(refused).toMatchObject({ status: 'fail', detail: expect.stringContaining(`chmod 600 ${join(dir, 'open.key')}`) });
  });

  it('keeps every key and the vault key out of Redis, the audit logs, the CLI and the servers’ output', async () => {
    const raw = await rawRedis();
    expect(raw).toContain(VAULT_REDIS_KEY);
    const outputs: Array<[string, string]> = [
      ['redis', raw],
      ['audit a', readFileSync(join(dir, 'audit-a.jsonl'), 'utf8')],
      ['audit b', readFileSync(join(dir, 'audit-b.jsonl'), 'utf8')],
      ['audit cli', readFileSync(join(dir, 'audit-cli.jsonl'), 'utf8')],
      ['stderr a', a.stderr()],
      ['stderr b', b.stderr()],
      ['cli list', (await runCli(['identities', 'list', '--json'], cliEnv())).stdout],
    ];
    const canaries: Array<[string, string]> = [
      ['redmine user key', USER_KEY],
      ['redmine admin key', ADMIN_KEY],
      ['youtrack user token', YOUTRACK_USER_TOKEN],
      ['wrong key', WRONG_KEY],
      ['vault key', vaultKeyText],
    ];
    for (const [where, text] of outputs) {
      for (const [name, canary] of canaries) for (const form of secretForms(canary)) expect(text.includes(form), `${name} in ${where}`).toBe(false);
    }
    // Callers and logins are sealed too: Redis shows neither.
    for (const name of ['alice', 'jane-caller', 'dev']) expect(raw.includes(`"${name}"`), name).toBe(false);
  });
});
