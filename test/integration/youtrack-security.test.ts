// YouTrack credentials end to end: token formats, token files, audit events, URL forms, scope, and no leaks.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startYouTrackDouble, type YouTrackDouble } from '../doubles/youtrack.js';
import { CLI, call, runCli } from '../helpers/bastion.js';
import { startBastionOnYouTrack, startYouTrack, writes, youtrackEnv, YOUTRACK_TEST_TOKEN, YOUTRACK_USER_TOKEN } from '../helpers/youtrack.js';

const dir = mkdtempSync(join(tmpdir(), 'bastion-youtrack-'));

function withoutToken(env: Record<string, string>): Record<string, string> {
  const copy: Record<string, string | undefined> = { ...env };
  delete copy.YOUTRACK_API_TOKEN;
  return copy as Record<string, string>;
}

function tokenFile(name: string, content: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

function serve(env: Record<string, string>) {
  return spawnSync(process.execPath, [CLI, 'serve'], { env, encoding: 'utf8', input: '', timeout: 30_000 });
}

let double: YouTrackDouble;
beforeAll(async () => {
  double = await startYouTrack();
});
afterAll(async () => {
  await double?.close();
});

describe('token validation at start', () => {
  it('refuses a malformed token with a masked message, before contacting YouTrack', () => {
    const before = double.requests.length;
    const bad = 'perm:not a token canary-9XyZ';
    const result = serve(youtrackEnv(double, { YOUTRACK_API_TOKEN: bad }));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('YOUTRACK_API_TOKEN from YOUTRACK_API_TOKEN (***9XyZ) is invalid');
    expect(result.stderr).not.toContain('not a token');
    expect(double.requests.length).toBe(before);
  });

  it('accepts real-format tokens with "=" padding (the double\'s tokens are such)', async () => {
    expect(YOUTRACK_TEST_TOKEN).toMatch(/^perm:[A-Za-z0-9+/]+=*\.[A-Za-z0-9+/]+=+\./);
    const bastion = await startBastionOnYouTrack(double);
    try {
      expect((await call(bastion, 'youtrack_get_current_user')).structured.login).toBe('admin');
    } finally {
      await bastion.close();
    }
  });
});

describe('token files', () => {
  it('reads YOUTRACK_TOKEN_FILE with mode 600', async () => {
    const path = tokenFile('ok.token', `${YOUTRACK_USER_TOKEN}\n`, 0o600);
    const bastion = await startBastionOnYouTrack(double, withoutToken(youtrackEnv(double, { YOUTRACK_TOKEN_FILE: path })));
    try {
      expect((await call(bastion, 'youtrack_get_current_user')).structured.login).toBe('jane');
    } finally {
      await bastion.close();
    }
  });

  it('refuses a world-readable token file with the chmod fix, without its content', () => {
    const path = tokenFile('open.token', YOUTRACK_TEST_TOKEN, 0o644);
    const result = serve(withoutToken(youtrackEnv(double, { YOUTRACK_TOKEN_FILE: path })));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`chmod 600 ${path}`);
    expect(result.stderr).not.toContain(YOUTRACK_TEST_TOKEN);
  });

  it('names the variable of a missing token file, not its value', () => {
    const path = join(dir, 'missing.token');
    const result = serve(withoutToken(youtrackEnv(double, { YOUTRACK_API_TOKEN_FILE: path })));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('YOUTRACK_API_TOKEN_FILE does not name a readable file (ENOENT)');
    expect(result.stderr).not.toContain(path);
  });
});

describe('URL forms', () => {
  it('works with a self-hosted path prefix, with or without /api', async () => {
    const prefixed = await startYouTrackDouble({ prefix: '/youtrack', tokens: [YOUTRACK_TEST_TOKEN] });
    try {
      for (const url of [prefixed.url, `${prefixed.url}/api`, `${prefixed.url}/api/`]) {
        const bastion = await startBastionOnYouTrack(prefixed, { YOUTRACK_URL: url });
        try {
          const result = await call(bastion, 'youtrack_get_issue', { issue_id: 'DEMO-2', comments: 0 });
          expect(result.isError, url).toBeFalsy();
          expect(result.structured.url).toBe(`${prefixed.url}/issue/DEMO-2`);
        } finally {
          await bastion.close();
        }
      }
      expect(prefixed.requests.every((r) => r.path.startsWith('/youtrack/api/'))).toBe(true);
    } finally {
      await prefixed.close();
    }
  });
});

describe('credential audit events and canary', () => {
  const auditPath = join(dir, 'youtrack-audit.jsonl');
  const outputs: string[] = [];

  beforeAll(async () => {
    // Jane's token is well-formed but this double accepts only the admin token: serve stops at its identity check.
    const strict = await startYouTrackDouble({ tokens: [YOUTRACK_TEST_TOKEN] });
    try {
      const refused = await runCli(['serve'], youtrackEnv(strict, { YOUTRACK_API_TOKEN: YOUTRACK_USER_TOKEN, YOUTRACK_SECURITY_AUDIT_LOG: auditPath }));
      outputs.push(refused.stdout, refused.stderr);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain('401');
      expect(refused.stderr).toContain('YOUTRACK_API_TOKEN');
    } finally {
      await strict.close();
    }
    const good = await startBastionOnYouTrack(double, { YOUTRACK_SECURITY_AUDIT_LOG: auditPath });
    try {
      for (const [name, args] of [
        ['youtrack_get_issue', { issue_id: 'DEMO-1' }],
        ['youtrack_get_issue', { issue_id: 'DEMO-404' }],
        ['youtrack_create_issue', { project: 'DEMO', summary: 'x', custom_fields: { Priority: 'nope' } }],
        ['youtrack_search_issues', { query: 'project: {' }],
      ] as const) {
        outputs.push(JSON.stringify(await call(good, name, args as Record<string, unknown>)));
      }
    } finally {
      await good.close();
      outputs.push(good.stderr());
    }
    outputs.push(readFileSync(auditPath, 'utf8'));
  });

  it('writes token_access, token_validation, client_initialization and authentication_failure (YOUTRACK_SECURITY_AUDIT_LOG)', () => {
    const records = readFileSync(auditPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    const events = records.filter((r) => r.type === 'credential').map((r) => [r.event, r.source, r.outcome]);
    expect(events.slice(0, 4)).toEqual([
      ['token_access', 'env', 'ok'],
      ['token_validation', 'env', 'ok'],
      ['client_initialization', 'env', 'ok'],
      ['authentication_failure', 'env', 'error'],
    ]);
    for (const record of records.filter((r) => r.type === 'credential')) expect(record.credential).toMatch(/^[0-9a-f]{8}$/);
    const check = spawnSync(process.execPath, [CLI, 'audit', 'verify', auditPath], { encoding: 'utf8' });
    expect(check.status).toBe(0);
  });

  it('never shows either token in results, logs or audit records, in any encoding', () => {
    const all = outputs.join('\n');
    expect(all).toContain('"level":"debug"');
    for (const token of [YOUTRACK_TEST_TOKEN, YOUTRACK_USER_TOKEN]) {
      for (const form of [token, encodeURIComponent(token), Buffer.from(token).toString('base64'), token.split('.')[2]!]) {
        expect(all.includes(form), form.slice(0, 12)).toBe(false);
      }
    }
  });
});

describe('project scope (YOUTRACK_PROJECTS)', () => {
  it('limits searches and refuses issues and projects outside it, writing nothing', async () => {
    const bastion = await startBastionOnYouTrack(double, { YOUTRACK_PROJECTS: 'OPS' });
    try {
      const search = await call(bastion, 'youtrack_search_issues', { query: '' });
      expect(search.isError).toBeFalsy();
      expect(search.structured.issues.length).toBeGreaterThan(0);
      expect(search.structured.issues.every((i: { id: string }) => i.id.startsWith('OPS-'))).toBe(true);
      const sneaky = await call(bastion, 'youtrack_search_issues', { query: 'project: DEMO or #Unresolved' });
      expect(sneaky.structured.issues.every((i: { id: string }) => i.id.startsWith('OPS-'))).toBe(true);

      const before = writes(double);
      const get = await call(bastion, 'youtrack_get_issue', { issue_id: 'DEMO-1' });
      expect(get.isError).toBe(true);
      expect(get.text).toContain('Issue DEMO-1 is outside the allowed projects (YOUTRACK_PROJECTS=OPS)');
      const create = await call(bastion, 'youtrack_create_issue', { project: 'DEMO', summary: 'out of scope' });
      expect(create.isError).toBe(true);
      const update = await call(bastion, 'youtrack_update_issue', { issue_id: 'DEMO-2', summary: 'out of scope' });
      expect(update.isError).toBe(true);
      expect(writes(double)).toBe(before);
    } finally {
      await bastion.close();
    }
  });

  it('matches short names regardless of case, as YouTrack does', async () => {
    const bastion = await startBastionOnYouTrack(double, { YOUTRACK_PROJECTS: 'ops' });
    try {
      expect((await call(bastion, 'youtrack_get_issue', { issue_id: 'OPS-1', comments: 0 })).isError).toBeFalsy();
      expect((await call(bastion, 'youtrack_get_issue', { issue_id: 'DEMO-1', comments: 0 })).isError).toBe(true);
    } finally {
      await bastion.close();
    }
  });
});
