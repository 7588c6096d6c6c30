// The audit log's disk fills up under a running Bastion (a 64 KiB tmpfs, filled to the last byte): no record is torn,
// changes are refused before they run, reads go on, the failure is logged once, and all recovers when space is freed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditLog } from '../../src/core/audit.js';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { call, redmineEnv, startBastion, type Bastion } from '../helpers/bastion.js';
import { startHttpBastion, type HttpBastion } from '../helpers/http-server.js';
import { issueIdBySubject, redmine } from '../helpers/redmine.js';

const dir = mkdtempSync(join(tmpdir(), 'bastion-fulldisk-'));
const auditPath = join(dir, 'audit.jsonl');
const filler = join(dir, 'filler');

/** Fills the file system of `dir` until it refuses another byte. */
function fillDisk(): void {
  const fd = openSync(filler, 'w');
  const block = Buffer.alloc(4096, 120);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    // The last partial page too.
    try {
      for (;;) writeSync(fd, block, 0, 1);
    } catch {
      // Full to the byte.
    }
  } finally {
    closeSync(fd);
  }
}

async function notes(id: number): Promise<string[]> {
  const { body } = await redmine('GET', `/issues/${id}.json?include=journals`);
  return (body.issue.journals as Array<{ notes: string | null }>).map((j) => j.notes ?? '').filter(Boolean);
}

describe('a full audit disk', () => {
  let bastion: Bastion;
  /** A second instance, over HTTP, on the same log: its /readyz says when it cannot record. */
  let http: HttpBastion;
  let readIssue: number;
  let noteIssue: number;

  beforeAll(async () => {
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', dir]);
    if (mounted.status !== 0) throw new Error(`this test needs to mount a small tmpfs (run as root): ${mounted.stderr.toString()}`);
    readIssue = await issueIdBySubject('Alpha issue 1');
    const created = await redmine('POST', '/issues.json', { issue: { project_id: 'alpha', subject: 'notes while the audit disk is full' } });
    noteIssue = created.body.issue.id;
    bastion = await startBastion({ env: redmineEnv({ BASTION_AUDIT_LOG: auditPath, BASTION_LOG_LEVEL: 'info' }) });
    http = await startHttpBastion({ env: redmineEnv({ BASTION_AUDIT_LOG: auditPath, BASTION_LOG_LEVEL: 'info', BASTION_HTTP_AUTH: 'false', BASTION_KEYRING: 'false' }) });
    expect((await call(bastion, 'redmine_get_issue', { issue_id: readIssue, journals: false })).isError).toBeFalsy();
    fillDisk();
  });

  afterAll(async () => {
    await bastion?.close();
    await http?.stop(2_000);
    spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
    try {
      rmdirSync(dir);
    } catch {
      // Already removed.
    }
  });

  it('answers reads, refuses changes before they run, keeps the chain whole and logs the failure once', async () => {
    // The log's last page still has room for a few records; a record that needs more is cut by the full disk.
    const sizes: number[] = [];
    for (let i = 0; i < 30; i += 1) {
      const read = await call(bastion, 'redmine_get_issue', { issue_id: readIssue, journals: false });
      expect(read.isError).toBeFalsy();
      sizes.push(readFileSync(auditPath).length);
    }
    expect(sizes.at(-1)).toBe(sizes.at(-10));
    for (let i = 0; i < 2; i += 1) {
      const note = await call(bastion, 'redmine_add_note', { issue_id: noteIssue, notes: 'must not be written unrecorded' });
      expect(note.isError).toBe(true);
      expect(note.text).toContain('did not run, and nothing changed');
      expect(note.text).toContain('audit log cannot be written (ENOSPC)');
    }
    expect(await notes(noteIssue)).toEqual([]);

    const lines = readFileSync(auditPath, 'utf8');
    expect(lines.endsWith('\n')).toBe(true);
    expect(verifyAuditLog(auditPath).ok).toBe(true);
    const logged = bastion.stderr().split('\n').filter((line) => line.includes('the audit log cannot be written'));
    expect(logged).toHaveLength(1);
  });

  it('reports an instance not ready over HTTP once it cannot record, while its upstream is fine', async () => {
    expect((await fetch(`${http.baseUrl}/readyz`)).status).toBe(200);
    const client = new Client({ name: 'bastion-tests', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(http.url)));
    try {
      const read = (await client.callTool({ name: 'redmine_get_current_user', arguments: {} })) as { isError?: boolean };
      expect(read.isError).toBeFalsy();
    } finally {
      await client.close();
    }
    const ready = await fetch(`${http.baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not ready', connectors: { redmine: 'ok' }, audit_log: 'unwritable' });
  });

  it('records and changes again once space is freed, continuing the chain', async () => {
    rmSync(filler);
    const note = await call(bastion, 'redmine_add_note', { issue_id: noteIssue, notes: 'written once space is back' });
    expect(note.isError).toBeFalsy();
    expect(await notes(noteIssue)).toEqual(['written once space is back']);
    const verified = verifyAuditLog(auditPath);
    expect(verified.ok).toBe(true);
    const records = readFileSync(auditPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(records.at(-1)).toMatchObject({ type: 'tool_call', tool: 'redmine_add_note', outcome: 'ok' });
    expect(bastion.stderr()).toContain('audit log can be written again');
  });
});
