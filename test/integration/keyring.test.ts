// The OS keyring end to end, through a real Secret Service (gnome-keyring in the D-Bus session scripts/test.sh starts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, call, redmineEnv, startBastion } from '../helpers/bastion.js';
import { ADMIN_KEY, USER_KEY } from '../helpers/redmine.js';

const dir = mkdtempSync(join(tmpdir(), 'bastion-keyring-'));
const USERNAME = `keyring-test-${process.pid}`;

function dbusEnv(extra: Record<string, string> = {}): Record<string, string> {
  const bus = process.env.DBUS_SESSION_BUS_ADDRESS;
  if (!bus) throw new Error('No D-Bus session: run the tests with "npm test" (scripts/test.sh starts one with gnome-keyring).');
  return redmineEnv({ DBUS_SESSION_BUS_ADDRESS: bus, ...extra });
}

function cli(args: string[], env: Record<string, string>, input?: string) {
  return spawnSync(process.execPath, [CLI, ...args], { env, input, encoding: 'utf8', timeout: 30_000 });
}

/** The Redmine settings without a key in the environment: the key must come from the keyring. */
function keyringOnlyEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env = dbusEnv({ REDMINE_KEYRING_USERNAME: USERNAME, ...extra });
  delete (env as Record<string, string | undefined>).REDMINE_API_KEY;
  return env;
}

describe('bastion secret and the keyring source', () => {
  beforeAll(() => {
    const stored = cli(['secret', 'set', 'redmine', '--username', USERNAME], dbusEnv(), `${USER_KEY}\n`);
    expect(stored.stderr).toBe('');
    expect(stored.status).toBe(0);
  });
  afterAll(() => {
    cli(['secret', 'delete', 'redmine', '--username', USERNAME], dbusEnv());
  });

  it('stores from stdin and answers with the masked value only', () => {
    const again = cli(['secret', 'set', 'redmine', '--username', USERNAME], dbusEnv(), USER_KEY);
    expect(again.stdout).toContain(`bastion/redmine:${USERNAME}`);
    expect(again.stdout).toContain(`***${USER_KEY.slice(-4)}`);
    expect(again.stdout).not.toContain(USER_KEY);
  });

  it('lists accounts, never values', () => {
    const list = cli(['secret', 'list'], dbusEnv());
    expect(list.status).toBe(0);
    expect(list.stdout).toContain(`redmine:${USERNAME}`);
    expect(list.stdout).not.toContain(USER_KEY);
  });

  it('serves with the key from the keyring, ahead of a key in the environment, and audits its source', async () => {
    const auditPath = join(dir, 'audit.jsonl');
    const bastion = await startBastion({ env: dbusEnv({ REDMINE_KEYRING_USERNAME: USERNAME, REDMINE_API_KEY: ADMIN_KEY, BASTION_AUDIT_LOG: auditPath }) });
    try {
      const me = await call(bastion, 'redmine_get_current_user');
      expect(me.structured.login).toBe('dev');
    } finally {
      await bastion.close();
    }
    const events = readFileSync(auditPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(events[0]).toMatchObject({ type: 'credential', event: 'token_access', connector: 'redmine', source: 'keyring' });
    expect(readFileSync(auditPath, 'utf8')).not.toContain(USER_KEY);
  });

  it('shows the keyring as the source in doctor', () => {
    const doctor = cli(['doctor'], keyringOnlyEnv());
    expect(doctor.stdout).toContain(`REDMINE_API_KEY from the OS keyring (bastion/redmine:${USERNAME})`);
    expect(doctor.stdout).toMatch(/\[ok {2}\] keyring: Secret Service/);
    expect(doctor.stdout).not.toContain(USER_KEY);
  });

  it('refuses an empty value and an unknown connector, storing nothing', () => {
    const empty = cli(['secret', 'set', 'redmine', '--username', `${USERNAME}-empty`], dbusEnv(), '\n');
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('No value given');
    const unknown = cli(['secret', 'set', 'jira'], dbusEnv(), 'x');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('Unknown connector "jira"');
    expect(cli(['secret', 'list'], dbusEnv()).stdout).not.toContain(`${USERNAME}-empty`);
  });

  it('falls through to the environment when no D-Bus session is reachable, without crashing', () => {
    const env = redmineEnv({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-such-bus')}`, REDMINE_KEYRING_USERNAME: USERNAME });
    const doctor = cli(['doctor'], env);
    expect(doctor.stdout).toContain('REDMINE_API_KEY from the environment');
    expect(doctor.stdout).toMatch(/keyring: .*(kernel keyring|no OS keyring available)/);
  });

  it('deletes the stored key; serving then needs another source', () => {
    const deleted = cli(['secret', 'delete', 'redmine', '--username', USERNAME], dbusEnv());
    expect(deleted.stdout).toContain(`Deleted bastion/redmine:${USERNAME}`);
    const serve = cli(['serve'], keyringOnlyEnv());
    expect(serve.status).toBe(2);
    expect(serve.stderr).toContain('no API key');
    cli(['secret', 'set', 'redmine', '--username', USERNAME], dbusEnv(), USER_KEY);
  });
});

describe('YouTrack token in the keyring', () => {
  const username = `yt-${process.pid}`;

  it('refuses to store a malformed token, and serves with a stored one', async () => {
    const { startYouTrack, youtrackEnv, YOUTRACK_TEST_TOKEN } = await import('../helpers/youtrack.js');
    const bad = cli(['secret', 'set', 'youtrack', '--username', username], dbusEnv(), 'not-a-token-canary-1234');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('Not stored: the value (***1234) is invalid');
    expect(bad.stderr).not.toContain('not-a-token');
    expect(cli(['secret', 'list'], dbusEnv()).stdout).not.toContain(`youtrack:${username}`);

    expect(cli(['secret', 'set', 'youtrack', '--username', username], dbusEnv(), YOUTRACK_TEST_TOKEN).status).toBe(0);
    const double = await startYouTrack();
    try {
      const env = youtrackEnv(double, { BASTION_KEYRING: 'true', YOUTRACK_KEYRING_USERNAME: username, DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS ?? '' });
      delete (env as Record<string, string | undefined>).YOUTRACK_API_TOKEN;
      const bastion = await startBastion({ env });
      try {
        expect((await call(bastion, 'youtrack_get_current_user')).structured.login).toBe('admin');
      } finally {
        await bastion.close();
      }
    } finally {
      await double.close();
      cli(['secret', 'delete', 'youtrack', '--username', username], dbusEnv());
    }
  });
});
