// Secrets never leak, every call is audited in a verifiable chain, and only safe calls are retried.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, call, redmineEnv, runCli, startBastion, type Bastion, type ToolResult } from '../helpers/bastion.js';
import { secretForms } from '../helpers/canary.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { ADMIN_KEY, REDMINE_URL, issueIdBySubject, redmine } from '../helpers/redmine.js';

const WRONG_KEY = 'canary-wrong-key-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'bastion-security-'));

function expectNoCanary(where: string, text: string): void {
  for (const form of [...secretForms(ADMIN_KEY), ...secretForms(WRONG_KEY)]) {
    expect(text.includes(form), `${where} contains a form of a canary credential`).toBe(false);
  }
}

describe('canary credentials never appear in logs, audit records, results or doctor output', () => {
  const auditPath = join(dir, 'canary-audit.jsonl');
  const results: ToolResult[] = [];
  let bastion: Bastion;
  let scoped: Bastion;
  /** A wrong key stops serve at start (Redmine would serve it as anonymous): its output is checked too. */
  let wrongKey: { status: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    bastion = await startBastion({ env: redmineEnv({ BASTION_AUDIT_LOG: auditPath }) });
    scoped = await startBastion({ env: redmineEnv({ BASTION_AUDIT_LOG: auditPath.replace('.jsonl', '-scoped.jsonl'), REDMINE_PROJECTS: 'beta' }) });
    wrongKey = await runCli(['serve'], redmineEnv({ REDMINE_API_KEY: WRONG_KEY, BASTION_AUDIT_LOG: auditPath.replace('.jsonl', '-wrong.jsonl') }));
    const issue = await issueIdBySubject('Alpha issue 1');
    const calls: Array<[Bastion, string, Record<string, unknown>]> = [
      [bastion, 'redmine_get_current_user', {}],
      [bastion, 'redmine_search_issues', { project: 'alpha' }],
      [bastion, 'redmine_get_issue', { issue_id: issue }],
      [bastion, 'redmine_get_issue', { issue_id: 99_999_999 }], // 404
      [bastion, 'redmine_create_issue', { project: 'alpha', subject: 'canary run', parent_issue_id: 99_999_999 }], // 422
      [bastion, 'redmine_get_issue', { issue_id: 'x' }], // bad input
      [bastion, 'redmine_list_users', {}],
      [bastion, 'redmine_lookup', { kind: 'statuses' }],
      [bastion, 'redmine_upload_attachment', { filename: 'canary.txt', content: `api_key=${ADMIN_KEY}` }],
      [scoped, 'redmine_get_issue', { issue_id: issue }], // policy refusal
    ];
    for (const [target, name, args] of calls) results.push(await call(target, name, args));
  });

  afterAll(async () => {
    await Promise.all([bastion?.close(), scoped?.close()]);
  });

  it('covers success and error paths', () => {
    // Four failing calls here, and the refused start with a wrong key below.
    expect(results.filter((r) => r.isError).length).toBeGreaterThanOrEqual(4);
    expect(results.filter((r) => !r.isError).length).toBeGreaterThanOrEqual(5);
    expect(wrongKey.status).toBe(2);
    expect(wrongKey.stderr).toContain('Redmine does not accept the credential in REDMINE_API_KEY');
    expect(wrongKey.stderr).toContain('401');
  });

  it('finds no canary in results', () => {
    for (const result of results) expectNoCanary('a tool result', JSON.stringify(result));
  });

  it('finds no canary in stderr logs (debug level)', () => {
    for (const stderr of [bastion.stderr(), scoped.stderr(), wrongKey.stderr]) {
      expect(stderr).toContain('"level":"debug"');
      expectNoCanary('stderr', stderr);
    }
    expectNoCanary('stdout', wrongKey.stdout);
  });

  it('finds no canary in audit records', () => {
    for (const suffix of ['', '-scoped', '-wrong']) {
      const text = readFileSync(auditPath.replace('.jsonl', `${suffix}.jsonl`), 'utf8');
      expect(text.length).toBeGreaterThan(0);
      expectNoCanary('the audit log', text);
    }
  });

  it('finds no canary in doctor output, including a failing check', () => {
    for (const key of [ADMIN_KEY, WRONG_KEY]) {
      const doctor = spawnSync(process.execPath, [CLI, 'doctor', '--log-level', 'debug'], { env: redmineEnv({ REDMINE_API_KEY: key }), encoding: 'utf8' });
      expect(doctor.stdout).toContain('redmine');
      expectNoCanary('doctor output', doctor.stdout + doctor.stderr);
    }
  });
});

describe('audit log', () => {
  const auditPath = join(dir, 'audit.jsonl');
  let lines: Array<Record<string, any>>;

  beforeAll(async () => {
    const bastion = await startBastion({ env: redmineEnv({ BASTION_AUDIT_LOG: auditPath }) });
    try {
      await call(bastion, 'redmine_get_current_user');
      await call(bastion, 'redmine_get_issue', { issue_id: 99_999_999 });
      await call(bastion, 'redmine_search_issues', { project: 'alpha', limit: 1 });
    } finally {
      await bastion.close();
    }
    lines = readFileSync(auditPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  });

  it('records the credential event and one record per tool call, with a fingerprint and never the key', () => {
    const fingerprint = createHash('sha256').update(ADMIN_KEY).digest('hex').slice(0, 8);
    expect(lines.slice(0, 2)).toEqual([
      expect.objectContaining({ type: 'credential', event: 'token_access', connector: 'redmine', source: 'env', credential: fingerprint }),
      expect.objectContaining({ type: 'credential', event: 'client_initialization', connector: 'redmine', credential: fingerprint }),
    ]);
    const calls = lines.filter((line) => line.type === 'tool_call');
    expect(calls.map((c) => [c.tool, c.outcome])).toEqual([
      ['redmine_get_current_user', 'ok'],
      ['redmine_get_issue', 'error'],
      ['redmine_search_issues', 'ok'],
    ]);
    for (const record of calls) {
      expect(record).toMatchObject({ connector: 'redmine', caller: 'stdio', credential: fingerprint });
      expect(typeof record.duration_ms).toBe('number');
      expect(Date.parse(record.time)).not.toBeNaN();
    }
    expect(calls[1]!.args).toEqual({ issue_id: 99_999_999, journals: true, journal_offset: 0, journal_limit: 10, max_chars: 2000 });
    expect(calls[1]!.error).toContain('404');
  });

  it('verifies an intact chain and reports the first tampered record', () => {
    const ok = spawnSync(process.execPath, [CLI, 'audit', 'verify', auditPath], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`${lines.length} records, chain intact`);

    const tampered = join(dir, 'tampered.jsonl');
    const text = readFileSync(auditPath, 'utf8').split('\n');
    const failed = text.findIndex((line) => line.includes('"outcome":"error"'));
    text[failed] = text[failed]!.replace('"outcome":"error"', '"outcome":"ok"');
    writeFileSync(tampered, text.join('\n'));
    const bad = spawnSync(process.execPath, [CLI, 'audit', 'verify', tampered], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain(`BROKEN at line ${failed + 1}`);

    const removed = join(dir, 'removed.jsonl');
    writeFileSync(removed, readFileSync(auditPath, 'utf8').split('\n').filter((_, i) => i !== 1).join('\n'));
    const gap = spawnSync(process.execPath, [CLI, 'audit', 'verify', removed], { encoding: 'utf8' });
    expect(gap.status).toBe(1);
    expect(gap.stdout).toContain('BROKEN at line 2');
  });
});

describe('retries', () => {
  let proxy: FaultProxy;
  let bastion: Bastion;

  beforeAll(async () => {
    proxy = await startFaultProxy(REDMINE_URL);
    bastion = await startBastion({ env: redmineEnv({ REDMINE_URL: proxy.url }) });
  });
  afterAll(async () => {
    await bastion?.close();
    await proxy?.close();
  });

  it('retries a GET on 503 and succeeds', async () => {
    proxy.failNext({ method: 'GET', pathPrefix: '/issues.json', count: 2, status: 503 });
    const start = proxy.seen.length;
    const result = await call(bastion, 'redmine_search_issues', { project: 'alpha', limit: 1 });
    expect(result.isError).toBeFalsy();
    const seen = proxy.seen.slice(start).filter((r) => r.path.startsWith('/issues.json'));
    expect(seen.map((r) => r.outcome)).toEqual([503, 503, 'forwarded']);
  });

  it('honours Retry-After on 429', async () => {
    proxy.failNext({ method: 'GET', pathPrefix: '/users/current.json', count: 1, status: 429, headers: { 'Retry-After': '1' } });
    const start = proxy.seen.length;
    const result = await call(bastion, 'redmine_get_current_user');
    expect(result.isError).toBeFalsy();
    expect(proxy.seen.slice(start).map((r) => r.outcome)).toEqual([429, 'forwarded']);
  });

  it('gives up after the retry budget with a readable error', async () => {
    proxy.failNext({ method: 'GET', pathPrefix: '/issues.json', count: 10, status: 502 });
    const result = await call(bastion, 'redmine_search_issues', { project: 'alpha', limit: 1 });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('502');
    proxy.failNext({ method: 'GET', pathPrefix: '/issues.json', count: 0, status: 502 });
  });

  it('never repeats a POST that creates something', async () => {
    // Clear leftover faults from the previous test by consuming them.
    const before = (await redmine('GET', '/issues.json?project_id=alpha&status_id=*&limit=1')).body.total_count;
    proxy.failNext({ method: 'POST', pathPrefix: '/issues.json', count: 1, status: 503 });
    const start = proxy.seen.length;
    const result = await call(bastion, 'redmine_create_issue', { project: 'alpha', subject: 'must not be created twice' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('503');
    const posts = proxy.seen.slice(start).filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
    expect((await redmine('GET', '/issues.json?project_id=alpha&status_id=*&limit=1')).body.total_count).toBe(before);
  });
});

describe('cancellation', () => {
  it('closes the upstream request when the MCP client cancels the call', async () => {
    // An upstream that accepts the request and never answers: only cancellation can end it.
    const { createServer } = await import('node:http');
    let closed!: () => void;
    const upstreamClosed = new Promise<void>((resolve) => (closed = resolve));
    let received!: () => void;
    const requestReceived = new Promise<void>((resolve) => (received = resolve));
    const hanging = createServer((req) => {
      received();
      req.socket.on('close', () => closed());
    });
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const port = (hanging.address() as { port: number }).port;
    const bastion = await startBastion({ env: redmineEnv({ REDMINE_URL: `http://127.0.0.1:${port}`, REDMINE_TIMEOUT: '600' }) });
    try {
      const controller = new AbortController();
      const pending = bastion.client.callTool({ name: 'redmine_get_current_user', arguments: {} }, { signal: controller.signal });
      await requestReceived;
      controller.abort();
      await expect(pending).rejects.toThrow();
      await upstreamClosed;
      expect(bastion.stderr()).not.toContain('tool failed unexpectedly');
    } finally {
      await bastion.close();
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    }
  });
});

describe('a credential inside upstream data, in compact and full results', () => {
  let issueId: number;
  let compact: Bastion;
  let full: Bastion;

  beforeAll(async () => {
    // The key as a user might paste it: plainly, after a credential name, and split by invisible characters.
    const hidden = ADMIN_KEY.split('').join('\u200B');
    const created = await redmine<{ issue: { id: number } }>('POST', '/issues.json', {
      issue: { project_id: 'alpha', subject: `Canary in data ${Date.now()}`, description: `pasted ${ADMIN_KEY}\napi_key: ${ADMIN_KEY}\nhidden ${hidden}` },
    });
    issueId = created.body.issue.id;
    await redmine('PUT', `/issues/${issueId}.json`, { issue: { notes: `token=${ADMIN_KEY}` } });
    compact = await startBastion({ env: redmineEnv({ BASTION_TOOL_SCHEMAS: 'compact' }) });
    full = await startBastion({ env: redmineEnv({ BASTION_TOOL_SCHEMAS: 'full' }) });
  });

  afterAll(async () => {
    await Promise.all([compact?.close(), full?.close()]);
    await redmine('DELETE', `/issues/${issueId}.json`);
  });

  it('is scrubbed from the text and the structured content, whichever way it was written', async () => {
    const fromCompact = await call(compact, 'redmine_get_issue', { issue_id: issueId });
    const fromFull = await call(full, 'redmine_get_issue', { issue_id: issueId });
    for (const result of [fromCompact, fromFull]) {
      expect(result.isError).toBeFalsy();
      expect(result.text).toContain('pasted [REDACTED]');
      expectNoCanary('a tool result', JSON.stringify(result));
    }
    expect(fromCompact.structured).toBeUndefined();
    expect(JSON.stringify(fromFull.structured)).toContain('[REDACTED]');
  });
});
