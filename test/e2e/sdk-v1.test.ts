// The v1 TypeScript SDK client (@modelcontextprotocol/sdk 1.x, what desktop hosts and many third-party clients embed)
// as a third, independent client of the built CLI, over stdio and over Streamable HTTP, in the 2025 protocol era:
// confirmation of a destructive tool (checked in the real Redmine), cancellation reaching the upstream request,
// progress notifications, and bearer authentication.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, redmineEnv, withToolSchemas } from '../helpers/bastion.js';
import { mosquittoEnv } from '../helpers/coreflux.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { startHttpBastion, type HttpBastion } from '../helpers/http-server.js';
import { ensureMosquitto } from '../helpers/mosquitto.js';
import { redmine, REDMINE_URL } from '../helpers/redmine.js';
import { V1Client, V1ElicitRequestSchema, V1StdioClientTransport, V1StreamableHTTPClientTransport } from '../helpers/sdk-v1.js';

const ROOT = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'bastion-sdk-v1-'));
const TOKEN = `canary-sdk-v1-${randomBytes(12).toString('hex')}`;

type Answer = { action: 'accept'; content: { confirm: boolean } } | { action: 'decline' };
interface ToolResult {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
}

let proxy: FaultProxy;
let env: Record<string, string>;
let http: HttpBastion;

beforeAll(async () => {
  // Redmine behind a proxy that can hold a request unanswered: a slow upstream for the cancellation tests.
  proxy = await startFaultProxy(REDMINE_URL);
  const broker = await ensureMosquitto();
  const tokensFile = join(work, 'tokens.json');
  writeFileSync(tokensFile, JSON.stringify({ tokens: [{ name: 'v1-client', sha256: createHash('sha256').update(TOKEN).digest('hex'), scopes: ['bastion:write'] }] }), { mode: 0o600 });
  env = {
    ...mosquittoEnv(broker),
    ...redmineEnv({ REDMINE_URL: proxy.url, BASTION_KEYRING: 'false', REDMINE_TIMEOUT: '600' }),
    BASTION_HTTP_TOKENS_FILE: tokensFile,
  };
  http = await startHttpBastion({ env: { ...env, BASTION_AUDIT_LOG: join(work, 'audit-http.jsonl') } });
});

afterAll(async () => {
  await http?.stop();
  await proxy?.close();
});

/** A v1 client that answers confirmation questions with `answer`, and the questions it was asked. */
async function connect(transport: 'stdio' | 'http', token = TOKEN): Promise<{ client: V1Client; questions: string[]; answer: { next: Answer } }> {
  const client = new V1Client({ name: 'bastion-e2e-v1', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
  const questions: string[] = [];
  const answer: { next: Answer } = { next: { action: 'decline' } };
  client.setRequestHandler(V1ElicitRequestSchema, async (request) => {
    questions.push(String((request.params as { message?: string }).message));
    return answer.next;
  });
  await client.connect(
    transport === 'stdio'
      ? new V1StdioClientTransport({ command: process.execPath, args: [CLI, 'serve'], env: withToolSchemas({ ...env, BASTION_AUDIT_LOG: join(work, 'audit-stdio.jsonl') }), stderr: 'pipe', cwd: ROOT })
      : new V1StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
  );
  return { client, questions, answer };
}

const textOf = (result: ToolResult): string => result.content.map((block) => block.text ?? '').join('\n');

async function newIssue(subject: string): Promise<number> {
  return (await redmine<{ issue: { id: number } }>('POST', '/issues.json', { issue: { project_id: 'alpha', subject } })).body.issue.id;
}
const exists = async (id: number): Promise<boolean> => (await redmine('GET', `/issues/${id}.json`)).status === 200;

describe.each(['stdio', 'http'] as const)('the v1 SDK client over %s', (transport) => {
  let session: Awaited<ReturnType<typeof connect>>;
  beforeAll(async () => {
    session = await connect(transport);
  });
  afterAll(async () => {
    await session?.client.close();
  });

  it('is asked before redmine_delete_issue runs: "yes" deletes the issue', async () => {
    const id = await newIssue(`v1 ${transport} confirm yes ${Date.now()}`);
    session.answer.next = { action: 'accept', content: { confirm: true } };
    const asked = session.questions.length;
    const result = (await session.client.callTool({ name: 'redmine_delete_issue', arguments: { issue_id: id } })) as ToolResult;
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(session.questions.length).toBe(asked + 1);
    expect(session.questions.at(-1)).toContain(`- issue_id: ${id}`);
    expect(await exists(id)).toBe(false);
  });

  it('is asked before redmine_delete_issue runs: "decline" leaves the issue in Redmine', async () => {
    const id = await newIssue(`v1 ${transport} confirm no ${Date.now()}`);
    session.answer.next = { action: 'decline' };
    const asked = session.questions.length;
    const result = (await session.client.callTool({ name: 'redmine_delete_issue', arguments: { issue_id: id } })) as ToolResult;
    expect(session.questions.length).toBe(asked + 1);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/not confirmed.*nothing changed/);
    expect(await exists(id)).toBe(true);
    await redmine('DELETE', `/issues/${id}.json`);
  });

  it('cancels the upstream request when the client cancels the call', async () => {
    const before = proxy.seen.length;
    proxy.holdNext({ method: 'GET', pathPrefix: '/users/current', count: 1 });
    const controller = new AbortController();
    const pending = session.client.callTool({ name: 'redmine_get_current_user', arguments: {} }, undefined, { signal: controller.signal, timeout: 600_000 });
    await expect.poll(() => proxy.seen.slice(before).find((request) => request.outcome === 'held'), { timeout: 15_000 }).toBeTruthy();
    controller.abort('the person pressed stop');
    await expect(pending).rejects.toThrow();
    // The held request is closed by Bastion: the upstream call was aborted, not left to run.
    await expect.poll(() => proxy.seen.slice(before).find((request) => request.outcome === 'held')?.closed, { timeout: 15_000 }).toBe(true);
    const audit = join(work, `audit-${transport}.jsonl`);
    await expect
      .poll(() => readFileSync(audit, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { tool: string; outcome: string; error?: string }).filter((r) => r.tool === 'redmine_get_current_user').at(-1))
      .toMatchObject({ outcome: 'error', error: expect.stringMatching(/cancelled/) });
  });

  it('receives progress notifications while mqtt_read_topic waits', async () => {
    const progress: Array<{ progress: number; message?: string }> = [];
    const result = (await session.client.callTool(
      { name: 'mqtt_read_topic', arguments: { topic: `bastion-test/v1-${transport}-${Date.now()}/quiet`, max_messages: 3, timeout_seconds: 2.5 } },
      undefined,
      { onprogress: (notification) => void progress.push(notification) },
    )) as ToolResult;
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0]!.message).toMatch(/^0 of 3 messages after/);
  });
});

describe('bearer authentication with the v1 SDK client over HTTP', () => {
  it('refuses a wrong token and serves the right one', async () => {
    await expect(connect('http', 'canary-not-a-valid-token-000000')).rejects.toThrow(/bearer token missing or wrong/);
    const session = await connect('http');
    try {
      const tools = await session.client.listTools();
      expect(tools.tools.map((tool) => tool.name)).toContain('redmine_delete_issue');
    } finally {
      await session.client.close();
    }
  });
});
