// Upstream faults through the real MCP client against the real Redmine behind a fault-injecting proxy:
// a change is never written twice, and a change whose fate is unknown says so.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditLog } from '../../src/core/audit.js';
import { call, redmineEnv, startBastion, useBastionOnDouble, type Bastion } from '../helpers/bastion.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { REDMINE_URL, redmine } from '../helpers/redmine.js';

async function newIssue(subject: string): Promise<number> {
  const { status, body } = await redmine('POST', '/issues.json', { issue: { project_id: 'alpha', subject } });
  expect(status).toBe(201);
  return body.issue.id;
}

async function journalNotes(id: number): Promise<string[]> {
  const { body } = await redmine('GET', `/issues/${id}.json?include=journals`);
  return (body.issue.journals as Array<{ notes: string | null }>).map((j) => j.notes ?? '').filter(Boolean);
}

describe('a change answered by a failing gateway after Redmine applied it', () => {
  let proxy: FaultProxy;
  let bastion: Bastion;
  useBastionOnDouble(
    () => startFaultProxy(REDMINE_URL),
    (started) => startBastion({ env: redmineEnv({ REDMINE_URL: started.url }) }),
    (running) => ({ double: proxy, bastion } = running),
  );

  it.each([
    ['redmine_add_note', {}],
    ['redmine_update_issue', { done_ratio: 30 }],
  ] as const)('%s leaves its note once and says it may or may not have been applied', async (tool, extra) => {
    const id = await newIssue(`note under a 503 gateway (${tool})`);
    proxy.forwardThenFail({ method: 'PUT', pathPrefix: `/issues/${id}.json`, count: 4, status: 503 });
    const start = proxy.seen.length;

    const result = await call(bastion, tool, { issue_id: id, notes: 'written exactly once', ...extra });

    expect(await journalNotes(id)).toEqual(['written exactly once']);
    expect(proxy.seen.slice(start).filter((r) => r.method === 'PUT')).toHaveLength(1);
    expect(result.isError).toBe(true);
    expect(result.text).toContain('503');
    expect(result.text).toContain('was not repeated automatically; it may or may not have been applied');
    expect(result.text).toContain(`look at the history of issue #${id}`);
  });

  it('still repeats a PUT that only sets fields, which Redmine applies once however often it arrives', async () => {
    const id = await newIssue('fields under a 503 gateway');
    proxy.forwardThenFail({ method: 'PUT', pathPrefix: `/issues/${id}.json`, count: 1, status: 503 });
    const start = proxy.seen.length;

    const result = await call(bastion, 'redmine_update_issue', { issue_id: id, done_ratio: 40 });

    expect(result.isError).toBeFalsy();
    expect(proxy.seen.slice(start).filter((r) => r.method === 'PUT').map((r) => r.outcome)).toEqual(['forwarded, answered 503', 'forwarded']);
    const { body } = await redmine('GET', `/issues/${id}.json?include=journals`);
    expect(body.issue.done_ratio).toBe(40);
    expect(body.issue.journals).toHaveLength(1);
  });
});

describe('a change cut after it reached the upstream', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-faults-'));
  let proxy: FaultProxy;

  const records = (path: string): Array<Record<string, any>> =>
    readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>);

  beforeAll(async () => {
    proxy = await startFaultProxy(REDMINE_URL);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('a timeout after sending is audited as unknown after its attempt, and says the note may or may not have been added', async () => {
    const audit = join(dir, 'timeout.jsonl');
    const bastion = await startBastion({ env: redmineEnv({ REDMINE_URL: proxy.url, REDMINE_TIMEOUT: '1', BASTION_AUDIT_LOG: audit }) });
    try {
      const id = await newIssue('note to a Redmine that does not answer');
      proxy.holdNext({ method: 'PUT', pathPrefix: `/issues/${id}.json`, count: 1 });

      const result = await call(bastion, 'redmine_add_note', { issue_id: id, notes: 'sent, never answered' });

      expect(result.isError).toBe(true);
      expect(result.text).toContain('did not answer PUT');
      expect(result.text).toContain('may or may not have been applied');
      const [attempt, outcome] = records(audit).filter((r) => r.tool === 'redmine_add_note');
      expect(attempt).toMatchObject({ type: 'tool_attempt', caller: 'stdio', args: { issue_id: id, notes: 'sent, never answered' } });
      expect(outcome).toMatchObject({ type: 'tool_call', outcome: 'unknown', call_id: attempt!.call_id });
      expect(outcome!.error).toContain('may or may not have been applied');
      expect(verifyAuditLog(audit).ok).toBe(true);
    } finally {
      await bastion.close();
    }
  });

  it('a process killed while the change is in flight leaves its attempt in the audit log', async () => {
    const audit = join(dir, 'killed.jsonl');
    const bastion = await startBastion({ env: redmineEnv({ REDMINE_URL: proxy.url, BASTION_AUDIT_LOG: audit }) });
    const id = await newIssue('note in flight when Bastion is killed');
    proxy.holdNext({ method: 'PUT', pathPrefix: `/issues/${id}.json`, count: 1 });
    const start = proxy.seen.length;

    const pending = call(bastion, 'redmine_add_note', { issue_id: id, notes: 'in flight' }).catch((error: unknown) => error);
    await expect.poll(() => proxy.seen.slice(start).some((r) => r.method === 'PUT' && r.outcome === 'held'), { timeout: 10_000 }).toBe(true);
    process.kill(bastion.pid!, 'SIGKILL');
    await pending;
    await bastion.close().catch(() => undefined);

    const written = records(audit).filter((r) => r.tool === 'redmine_add_note');
    expect(written).toEqual([expect.objectContaining({ type: 'tool_attempt', caller: 'stdio', args: { issue_id: id, notes: 'in flight', private_notes: false } })]);
    expect(written[0]!.call_id).toMatch(/^[0-9a-f]{16}$/);
    expect(verifyAuditLog(audit).ok).toBe(true);
  });
});
