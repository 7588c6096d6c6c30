// The built CLI as an operator first runs it, following README: paths with ~, an audit log in a folder that does
// not exist yet, doctor on a machine without an OS keyring, and audit verify with a head hash kept elsewhere.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { call, CLI, startBastion } from '../helpers/bastion.js';
import { REDMINE_URL, USER_KEY } from '../helpers/redmine.js';

/** A fresh home folder per test: nothing from this machine's ~/.config/bastion is read. */
function home(): string {
  return mkdtempSync(join(tmpdir(), 'bastion-ops-home-'));
}

/** README's minimal configuration: the Redmine URL and key, nothing else. No D-Bus session, so no OS keyring. */
function minimalEnv(homeDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: homeDir, REDMINE_URL, REDMINE_API_KEY: USER_KEY, ...extra };
}

function run(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [CLI, ...args], { env, cwd: env.HOME, encoding: 'utf8', timeout: 60_000 });
}

describe('audit log in a folder that does not exist yet', () => {
  it('serve creates the folder (mode 700) and records the calls; doctor says the same log is fine', async () => {
    const dir = home();
    const log = join(dir, '.local', 'state', 'bastion', 'audit.jsonl');
    const doctor = run(['doctor'], minimalEnv(dir, { BASTION_AUDIT_LOG: log }));
    expect(doctor.stdout).toContain(`[ok  ] audit log: ${log}`);
    const bastion = await startBastion({ env: minimalEnv(dir, { BASTION_AUDIT_LOG: log, BASTION_LOG_LEVEL: 'warn' }), cwd: dir });
    try {
      expect((await call(bastion, 'redmine_get_current_user')).isError).toBeFalsy();
    } finally {
      await bastion.close();
    }
    for (const folder of ['.local', '.local/state', '.local/state/bastion']) expect(statSync(join(dir, folder)).mode & 0o777, folder).toBe(0o700);
    expect(readFileSync(log, 'utf8')).toContain('"tool":"redmine_get_current_user"');
  });

  it('stops serve naming the variable, the folder and the fix when the folder cannot be made, and doctor fails with the same words', () => {
    const dir = home();
    writeFileSync(join(dir, 'state'), 'a file where the folder should be\n');
    const log = join(dir, 'state', 'audit.jsonl');
    const reason = `BASTION_AUDIT_LOG: cannot create the folder ${join(dir, 'state')} for the audit log ${log} (a file of that name is in the way).`;
    const serve = run(['serve'], minimalEnv(dir, { BASTION_AUDIT_LOG: log }));
    expect(serve.status).toBe(2);
    expect(serve.stderr).toContain(reason);
    expect(serve.stderr).toContain('Fix: set BASTION_AUDIT_LOG to a file in a folder this user may write');
    const doctor = run(['doctor'], minimalEnv(dir, { BASTION_AUDIT_LOG: log }));
    expect(doctor.status).toBe(1);
    expect(doctor.stdout).toContain(`[FAIL] audit log: ${reason.replace(/\.$/, '')}. Fix: set BASTION_AUDIT_LOG`);
    expect(doctor.stdout).not.toContain('[ok  ] audit log');
  });
});

describe('~ in path settings', () => {
  it('expands ~/ in a key file named in a .env and in an --audit-log flag that no shell expanded, as README writes them', () => {
    const dir = home();
    writeFileSync(join(dir, 'redmine.key'), `${USER_KEY}\n`);
    chmodSync(join(dir, 'redmine.key'), 0o600);
    mkdirSync(join(dir, '.config', 'bastion'), { recursive: true });
    const dotenv = join(dir, '.config', 'bastion', '.env');
    writeFileSync(dotenv, `REDMINE_URL=${REDMINE_URL}\nREDMINE_API_KEY_FILE=~/redmine.key\n`);
    chmodSync(dotenv, 0o600);
    const env = { PATH: process.env.PATH ?? '', HOME: dir };
    // spawn passes '~/audit/audit.jsonl' as it is, like an MCP client's "args" would.
    const doctor = run(['doctor', '--audit-log', '~/audit/audit.jsonl'], env);
    expect(doctor.stdout).toContain(`[ok  ] credential: REDMINE_API_KEY from the file ${join(dir, 'redmine.key')} (REDMINE_API_KEY_FILE)`);
    expect(doctor.stdout).toContain(`[ok  ] audit log: ${join(dir, 'audit', 'audit.jsonl')}`);
    expect(doctor.stdout).toContain('All checks passed.');
    expect(doctor.status).toBe(0);
  });
});

describe('doctor with README\'s minimal configuration on a machine without an OS keyring', () => {
  it('passes when no credential is expected from the keyring, and prints only its checks', () => {
    const dir = home();
    const doctor = run(['doctor', '--audit-log', join(dir, 'audit.jsonl')], minimalEnv(dir));
    expect(doctor.stdout).toContain('[ok  ] keyring: no OS keyring on this machine; not needed, no credential is expected from it');
    expect(doctor.stdout).toContain('[ok  ] credential: REDMINE_API_KEY from the environment, fingerprint');
    expect(doctor.stdout).toContain('All checks passed.');
    expect(doctor.status).toBe(0);
    // Human output only: no JSON log lines on either stream.
    expect(`${doctor.stdout}${doctor.stderr}`).not.toMatch(/^\{"level"/m);
  });

  it('warns about the missing keyring when a *_KEYRING_USERNAME names an account in it', () => {
    const dir = home();
    const doctor = run(['doctor', '--audit-log', join(dir, 'audit.jsonl')], minimalEnv(dir, { REDMINE_KEYRING_USERNAME: 'me' }));
    expect(doctor.stdout).toMatch(/\[WARN\] keyring: .*, but REDMINE_KEYRING_USERNAME names an account in it/);
    expect(doctor.stdout).toContain('\n0 failed, 1 warning.\n');
    expect(doctor.status).toBe(1);
  });

  it('says a refused key is a credential problem on a reachable server, with the fix once', () => {
    const dir = home();
    const doctor = run(['doctor', '--audit-log', join(dir, 'audit.jsonl')], minimalEnv(dir, { REDMINE_API_KEY: 'f'.repeat(40) }));
    const line = doctor.stdout.split('\n').find((text) => text.includes('[FAIL]')) ?? '';
    expect(line).toMatch(/^ {2}\[FAIL\] identity: Redmine does not accept the credential in REDMINE_API_KEY: .*Redmine answered 401.*\. Fix: set REDMINE_API_KEY to the key shown in Redmine/);
    expect(line.match(/Fix:/g)).toHaveLength(1);
    expect(doctor.stdout).not.toMatch(/\[FAIL\] reachability/);
    expect(doctor.status).toBe(1);
  });

  it('tells a remedy the message already gives only once', () => {
    const dir = home();
    const key = join(dir, 'redmine.key');
    writeFileSync(key, USER_KEY);
    chmodSync(key, 0o644);
    const env = minimalEnv(dir, { REDMINE_API_KEY_FILE: key });
    delete env.REDMINE_API_KEY;
    const doctor = run(['doctor', '--audit-log', join(dir, 'audit.jsonl')], env);
    const line = doctor.stdout.split('\n').find((text) => text.includes('[FAIL] configuration'));
    expect(line).toContain(`chmod 600 ${key}`);
    expect(line!.split(`chmod 600 ${key}`)).toHaveLength(2);
  });

  it('does not call "no tool of a connector enabled" ok when the only connector cannot be set up', () => {
    const dir = home();
    const doctor = run(['doctor', '--audit-log', join(dir, 'audit.jsonl')], minimalEnv(dir, { REDMINE_URL: 'not a url' }));
    expect(doctor.stdout).toMatch(/\[FAIL\] policy: no tool of a connector enabled; redmine could not be set up \(see below\)/);
    expect(doctor.stdout).not.toContain('[ok  ] policy');
    expect(doctor.status).toBe(1);
  });
});

describe('audit verify and the head hash', () => {
  it('prints the head hash and record count, and with --expect-head detects records cut from the end', async () => {
    const dir = home();
    const log = join(dir, 'audit.jsonl');
    const bastion = await startBastion({ env: minimalEnv(dir, { BASTION_AUDIT_LOG: log, BASTION_LOG_LEVEL: 'warn' }), cwd: dir });
    try {
      for (let i = 0; i < 3; i += 1) expect((await call(bastion, 'redmine_get_current_user')).isError).toBeFalsy();
    } finally {
      await bastion.close();
    }
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    const last = JSON.parse(lines.at(-1)!) as { hash: string };
    const verified = run(['audit', 'verify', log], { PATH: process.env.PATH ?? '' });
    expect(verified.stdout).toBe(`${log}: ${lines.length} records, chain intact.\nhead ${last.hash}\n`);
    expect(verified.status).toBe(0);

    // The operator keeps the head; the last record is then removed, which leaves an intact chain.
    writeFileSync(log, `${lines.slice(0, -1).join('\n')}\n`);
    expect(run(['audit', 'verify', log], { PATH: process.env.PATH ?? '' }).status).toBe(0);
    const cut = run(['audit', 'verify', log, '--expect-head', last.hash], { PATH: process.env.PATH ?? '' });
    expect(cut.stdout).toContain(`the expected head ${last.hash} is not in the log: records were removed from its end`);
    expect(cut.status).toBe(1);

    // An earlier head is still in the log: records added since are normal growth.
    const earlier = (JSON.parse(lines.at(-3)!) as { hash: string }).hash;
    const grown = run(['audit', 'verify', log, '--expect-head', earlier], { PATH: process.env.PATH ?? '' });
    expect(grown.stdout).toContain(`expected head found at line ${lines.length - 2}; 1 record added since.`);
    expect(grown.status).toBe(0);
  });

  it('refuses an --expect-head that is not a hash, naming the option', () => {
    const dir = home();
    const log = join(dir, 'audit.jsonl');
    writeFileSync(log, '');
    const result = run(['audit', 'verify', log, '--expect-head', 'abc'], { PATH: process.env.PATH ?? '' });
    expect(result.stderr).toContain('--expect-head must be the 64-hex-digit head hash that audit verify printed, got "abc"');
    expect(result.status).toBe(2);
  });
});
