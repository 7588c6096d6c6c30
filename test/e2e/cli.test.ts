// The built CLI as a user runs it: help, start-up errors, doctor, and both config sources.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { call, CLI, redmineEnv, startBastion, type Bastion } from '../helpers/bastion.js';
import { ADMIN_KEY, REDMINE_URL, USER_KEY } from '../helpers/redmine.js';

const dir = mkdtempSync(join(tmpdir(), 'bastion-cli-'));

function run(args: string[], env: Record<string, string> = redmineEnv(), cwd = dir) {
  return spawnSync(process.execPath, [CLI, ...args], { env, cwd, encoding: 'utf8', timeout: 30_000 });
}

describe('help', () => {
  it('lists the commands and the connectors', () => {
    const help = run(['--help'], { PATH: process.env.PATH ?? '' });
    expect(help.status).toBe(0);
    for (const word of ['serve', 'doctor', 'audit', 'REDMINE_URL']) expect(help.stdout).toContain(word);
  });

  it('documents every serve flag with its BASTION_* variable', () => {
    const help = run(['serve', '--help'], { PATH: process.env.PATH ?? '' });
    expect(help.status).toBe(0);
    for (const [flag, variable] of [
      ['--connectors', 'BASTION_CONNECTORS'],
      ['--read-only', 'BASTION_READ_ONLY'],
      ['--tools', 'BASTION_TOOLS'],
      ['--exclude-tools', 'BASTION_EXCLUDE_TOOLS'],
      ['--env-file', 'BASTION_ENV_FILE'],
      ['--config', 'BASTION_CONFIG'],
      ['--log-level', 'BASTION_LOG_LEVEL'],
      ['--audit-log', 'BASTION_AUDIT_LOG'],
    ]) {
      expect(help.stdout).toContain(flag);
      expect(help.stdout).toContain(variable);
    }
  });
});

describe('start-up errors', () => {
  it('exits non-zero naming the variables to set when no connector is configured', () => {
    const result = run(['serve'], { PATH: process.env.PATH ?? '', HOME: dir });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('No connector is configured');
    expect(result.stderr).toContain('REDMINE_URL and REDMINE_API_KEY');
  });

  it('stops on an unknown tool name in the allow list', () => {
    const result = run(['serve', '--tools', 'redmine_get_isue']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('"redmine_get_isue" matches no tool');
  });

  it('refuses a key file readable by others, with the chmod fix, without echoing the key', () => {
    const keyFile = join(dir, 'redmine.key');
    writeFileSync(keyFile, `${ADMIN_KEY}\n`);
    chmodSync(keyFile, 0o644);
    const env = redmineEnv({ REDMINE_API_KEY_FILE: keyFile });
    delete (env as Record<string, string | undefined>).REDMINE_API_KEY;
    const result = run(['serve'], env);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`chmod 600 ${keyFile}`);
    expect(result.stderr).not.toContain(ADMIN_KEY);
  });

  it.each([
    ['a value with a leading slash', `/${ADMIN_KEY}`],
    ['a value with a slash inside', `${ADMIN_KEY.slice(0, 20)}/${ADMIN_KEY.slice(20)}`],
  ])('never shows a *_FILE value that names no readable file (%s): not in errors, doctor or debug logs', (_case, value) => {
    const env = redmineEnv({ REDMINE_API_KEY_FILE: value, BASTION_LOG_LEVEL: 'debug' });
    delete (env as Record<string, string | undefined>).REDMINE_API_KEY;
    const serve = run(['serve'], env);
    expect(serve.status).toBe(2);
    expect(serve.stderr).toContain('REDMINE_API_KEY_FILE does not name a readable file (ENOENT); it must hold the path of a file containing the secret');
    const doctor = run(['doctor', '--log-level', 'debug'], env);
    expect(doctor.stdout).toContain('REDMINE_API_KEY_FILE does not name a readable file');
    const json = run(['doctor', '--json', '--log-level', 'debug'], env);
    expect(JSON.parse(json.stdout).summary.failed).toBeGreaterThan(0);
    for (const output of [serve.stdout, serve.stderr, doctor.stdout, doctor.stderr, json.stdout, json.stderr]) {
      for (const part of value.split('/').filter((piece) => piece.length >= 8)) expect(output).not.toContain(part);
    }
  });

  it('names an invalid setting', () => {
    const result = run(['serve'], redmineEnv({ BASTION_READ_ONLY: 'ture', REDMINE_VERIFY_SSL: 'maybe' }));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('BASTION_READ_ONLY');
  });

  it('rejects an unknown connector', () => {
    const result = run(['serve', '--connectors', 'jira']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Unknown connector "jira"');
  });
});

describe('settings sources', () => {
  it('reads a key file with mode 600, a named .env file and a JSON config file', async () => {
    const keyFile = join(dir, 'ok.key');
    writeFileSync(keyFile, USER_KEY);
    chmodSync(keyFile, 0o600);
    const work = mkdtempSync(join(tmpdir(), 'bastion-cwd-'));
    writeFileSync(join(work, '.env'), `REDMINE_API_KEY_FILE=${keyFile}\n`);
    writeFileSync(join(work, 'bastion.json'), JSON.stringify({ REDMINE_URL, BASTION_READ_ONLY: true }));
    const bastion = await startBastion({
      env: { PATH: process.env.PATH ?? '', HOME: work },
      args: ['--env-file', '.env', '--config', join(work, 'bastion.json')],
      cwd: work,
    });
    try {
      const { tools } = await bastion.client.listTools();
      expect(tools.every((tool) => tool.annotations?.readOnlyHint)).toBe(true);
      const me = (await bastion.client.callTool({ name: 'redmine_get_current_user', arguments: {} })) as { structuredContent: { login: string } };
      expect(me.structuredContent.login).toBe('dev');
    } finally {
      await bastion.close();
    }
  });
});

describe('settings files the operator did not name', () => {
  /** A workspace (a cloned repository, say) whose .env tries to change what Bastion does. */
  function plantedWorkspace(): { work: string; home: string; bashrc: string } {
    const work = mkdtempSync(join(tmpdir(), 'bastion-repo-'));
    const home = mkdtempSync(join(tmpdir(), 'bastion-home-'));
    const bashrc = join(home, '.bashrc');
    writeFileSync(bashrc, 'alias ll="ls -l"\n');
    writeFileSync(join(work, '.env'), `BASTION_CONFIRM_DESTRUCTIVE=false\nBASTION_AUDIT_LOG=${bashrc}\nBASTION_TOOLS=redmine_get_issue\n`);
    return { work, home, bashrc };
  }

  it('ignores a .env in the working directory, saying so in one line with how to use it', async () => {
    const { work, home, bashrc } = plantedWorkspace();
    const bastion = await startBastion({ env: redmineEnv({ HOME: home, BASTION_LOG_LEVEL: 'info' }), cwd: work });
    try {
      const { tools } = await bastion.client.listTools();
      expect(tools.length).toBeGreaterThan(1);
      expect((await call(bastion, 'redmine_get_current_user')).isError).toBeFalsy();
    } finally {
      await bastion.close();
    }
    expect(readFileSync(bashrc, 'utf8')).toBe('alias ll="ls -l"\n');
    const notices = bastion.stderr().split('\n').filter((line) => line.includes('.env'));
    expect(notices).toHaveLength(1);
    expect(JSON.parse(notices[0]!)).toMatchObject({
      level: 'info',
      msg: `${join(work, '.env')} was not read: Bastion reads a .env only when named. To use it: --env-file .env (or BASTION_ENV_FILE).`,
    });
    const doctor = run(['doctor'], redmineEnv({ HOME: home, REDMINE_API_KEY: USER_KEY }), work);
    expect(doctor.stdout).toContain(`[ok  ] settings files: none (environment and flags only); ${join(work, '.env')} not read (not named: --env-file .env uses it)`);
  });

  it('warns at start and in doctor when a named file turns a protection off', () => {
    const { work, home } = plantedWorkspace();
    writeFileSync(join(work, 'weak.env'), 'BASTION_CONFIRM_DESTRUCTIVE=false\nREDMINE_VERIFY_SSL=false\n');
    const file = join(work, 'weak.env');
    const env = redmineEnv({ HOME: home, REDMINE_API_KEY: USER_KEY, BASTION_KEYRING: 'false', BASTION_AUDIT_LOG: join(home, 'audit.jsonl') });
    const serve = spawnSync(process.execPath, [CLI, 'serve', '--env-file', 'weak.env'], { env, cwd: work, encoding: 'utf8', input: '', timeout: 30_000 });
    const warnings = serve.stderr.split('\n').filter((line) => line.includes(file)).map((line) => JSON.parse(line) as { level: string; msg: string });
    expect(warnings.map((warning) => warning.level)).toEqual(['warn', 'warn']);
    expect(warnings[0]!.msg).toContain(`BASTION_CONFIRM_DESTRUCTIVE=false from ${file} lets destructive tools run without asking the person at the client`);
    expect(warnings[1]!.msg).toContain(`REDMINE_VERIFY_SSL=false from ${file} turns TLS certificate verification off`);
    const doctor = run(['doctor', '--env-file', 'weak.env'], env, work);
    expect(doctor.stdout).toContain(`[WARN] settings files: BASTION_CONFIRM_DESTRUCTIVE=false from ${file} lets destructive tools run without asking the person at the client. Fix: if you did not mean this, remove BASTION_CONFIRM_DESTRUCTIVE from ${file}`);
    expect(doctor.stdout).toContain(`[WARN] settings files: REDMINE_VERIFY_SSL=false from ${file} turns TLS certificate verification off`);
    expect(doctor.status).toBe(1);
  });
});

describe('doctor', () => {
  it('passes (exit 0) for a non-admin key with an audit log, saying where the key came from', () => {
    const env = redmineEnv({ REDMINE_API_KEY: USER_KEY, BASTION_AUDIT_LOG: join(dir, 'doctor-audit.jsonl'), BASTION_KEYRING: 'false' });
    const result = run(['doctor'], env);
    expect(result.stdout).toContain('keyring: not used (BASTION_KEYRING=false)');
    expect(result.stdout).toContain('the key belongs to dev');
    expect(result.stdout).toContain('REDMINE_API_KEY from the environment, fingerprint');
    expect(result.stdout).toContain('All checks passed.');
    expect(result.status).toBe(0);
  });

  it('warns about an administrator key and exits 1', () => {
    const result = run(['doctor', '--audit-log', join(dir, 'doctor-audit.jsonl')]);
    expect(result.stdout).toMatch(/\[WARN\] privileges: admin is a Redmine administrator/);
    expect(result.status).toBe(1);
  });

  it('fails clearly on a wrong key and an unreachable server', () => {
    const wrong = run(['doctor'], redmineEnv({ REDMINE_API_KEY: 'canary-doctor-wrong-key-1234' }));
    expect(wrong.status).toBe(1);
    expect(wrong.stdout).toMatch(/\[FAIL\] identity: Redmine does not accept the credential in REDMINE_API_KEY: .*Redmine answered 401/);
    const down = run(['doctor'], redmineEnv({ REDMINE_URL: 'http://127.0.0.1:9' }));
    expect(down.status).toBe(1);
    expect(down.stdout).toMatch(/\[FAIL\] reachability: Cannot reach Redmine/);
  });
});

describe('audit log', () => {
  it('stays one intact chain when two Bastion processes append to it at the same time', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'bastion-shared-audit-')), 'audit.jsonl');
    const CALLS = 150;
    // Two MCP hosts of one user, each spawning Bastion with the same audit log; different keys tell their records apart.
    const bastions = await Promise.all(
      [ADMIN_KEY, USER_KEY].map((key) => startBastion({ env: redmineEnv({ REDMINE_API_KEY: key, BASTION_AUDIT_LOG: log, BASTION_LOG_LEVEL: 'warn', BASTION_KEYRING: 'false' }) })),
    );
    const callMany = async (bastion: Bastion): Promise<void> => {
      for (let i = 0; i < CALLS; i += 1) expect((await call(bastion, 'redmine_get_current_user')).isError).toBeFalsy();
    };
    try {
      await Promise.all(bastions.map(callMany));
    } finally {
      await Promise.all(bastions.map((bastion) => bastion.close()));
    }
    const records = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string; credential?: string });
    const calls = records.filter((record) => record.type === 'tool_call');
    expect(calls).toHaveLength(2 * CALLS);
    const switches = calls.filter((record, i) => i > 0 && record.credential !== calls[i - 1]!.credential).length;
    expect(switches).toBeGreaterThan(10);
    const verified = run(['audit', 'verify', log], { PATH: process.env.PATH ?? '' });
    expect(verified.stdout).toBe(`${log}: ${records.length} records, chain intact.\nhead ${(records.at(-1) as { hash?: string }).hash}\n`);
    expect(verified.status).toBe(0);
  }, 240_000);

  it('refuses to start with an audit log that is another file, such as a shell start-up file, and leaves it alone', () => {
    const home = mkdtempSync(join(tmpdir(), 'bastion-home-'));
    const bashrc = join(home, '.bashrc');
    writeFileSync(bashrc, 'alias ll="ls -l"\n');
    const result = run(['serve'], redmineEnv({ BASTION_AUDIT_LOG: bashrc, HOME: home }));
    expect(result.stderr).toContain(`BASTION_AUDIT_LOG points at ${bashrc}, a file whose first line is not a Bastion audit record`);
    expect(result.status).toBe(2);
    expect(readFileSync(bashrc, 'utf8')).toBe('alias ll="ls -l"\n');
  });

  it.each(['1', '"x"', 'null', '[]'])('audit verify names a line that is valid JSON but no record (%s), without a stack trace', async (line) => {
    const log = join(mkdtempSync(join(tmpdir(), 'bastion-odd-audit-')), 'audit.jsonl');
    const written = startBastion({ env: redmineEnv({ BASTION_AUDIT_LOG: log, BASTION_LOG_LEVEL: 'warn', BASTION_KEYRING: 'false' }) });
    await (await written).close();
    writeFileSync(log, `${readFileSync(log, 'utf8')}${line}\n`);
    const lines = readFileSync(log, 'utf8').trim().split('\n').length;
    const verified = run(['audit', 'verify', log], { PATH: process.env.PATH ?? '' });
    expect(verified.stdout).toContain(`chain BROKEN at line ${lines}: not an audit record`);
    expect(verified.stderr).toBe('');
    expect(verified.status).toBe(1);
  });
});
