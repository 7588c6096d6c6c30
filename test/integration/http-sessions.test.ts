// 2025-era clients over Streamable HTTP are served in sessions: bound to the caller that opened them, ended by
// DELETE or by idleness, shared by instances on one Redis. Cancellation reaches the upstream request on both protocol
// eras, over stdio and HTTP, and across instances; so does the answer to a confirmation question.
import { Client, StreamableHTTPClientTransport, type Transport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, redmineEnv } from '../helpers/bastion.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { startHttpBastion, writeTokensFile, type HttpBastion } from '../helpers/http-server.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { redmine, REDMINE_URL } from '../helpers/redmine.js';
import { startRoundRobin, type RoundRobin } from '../helpers/round-robin.js';

const dir = mkdtempSync(join(tmpdir(), 'bastion-sessions-'));
const ALICE = 'canary-session-alice-token-0123456789';
const BOB = 'canary-session-bob-token-0123456789';
const READER = 'canary-session-reader-token-0123456789';
const tokens = writeTokensFile(join(dir, 'tokens.json'), [
  { name: 'alice', token: ALICE, scopes: ['bastion:write'] },
  { name: 'bob', token: BOB, scopes: ['bastion:write'] },
  { name: 'reader', token: READER, scopes: ['bastion:read'] },
]);

const HEADERS = { accept: 'application/json, text/event-stream', 'content-type': 'application/json' };

/** One raw JSON-RPC POST, as a 2025-era client sends it. */
async function post(url: string, token: string, body: object, session?: string): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { ...HEADERS, authorization: `Bearer ${token}`, ...(session ? { 'mcp-session-id': session } : {}) }, body: JSON.stringify(body) });
}

async function initialize(url: string, token: string): Promise<string> {
  const response = await post(url, token, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  expect(response.status).toBe(200);
  await response.text();
  const session = response.headers.get('mcp-session-id');
  expect(session).toMatch(/^[0-9a-f-]{36}$/);
  await (await post(url, token, { jsonrpc: '2.0', method: 'notifications/initialized' }, session!)).text();
  return session!;
}

/** The tool names a tools/list answer (JSON or one SSE event) carries. */
async function listedTools(response: Response): Promise<string[]> {
  const text = await response.text();
  const json = text.startsWith('{') ? text : (/^data: (.*)$/m.exec(text)?.[1] ?? '{}');
  return ((JSON.parse(json) as { result?: { tools?: Array<{ name: string }> } }).result?.tools ?? []).map((tool) => tool.name);
}

describe('2025-era sessions on one instance', () => {
  let http: HttpBastion;
  beforeAll(async () => {
    http = await startHttpBastion({ env: redmineEnv({ BASTION_KEYRING: 'false', BASTION_HTTP_TOKENS_FILE: tokens }) });
  });
  afterAll(async () => {
    await http?.stop();
  });

  it('answer only the caller that opened them: another token gets "session not found"', async () => {
    const session = await initialize(http.url, ALICE);
    const stolen = await post(http.url, BOB, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, session);
    expect(stolen.status).toBe(404);
    expect(await stolen.text()).toMatch(/Session not found.*send initialize/);
    const own = await post(http.url, ALICE, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, session);
    expect(own.status).toBe(200);
    expect(await listedTools(own)).toContain('redmine_delete_issue');
  });

  it('keep the caller\'s scopes: a read-only caller\'s session lists and runs no write tool', async () => {
    const session = await initialize(http.url, READER);
    const tools = await listedTools(await post(http.url, READER, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, session));
    expect(tools).toContain('redmine_get_issue');
    expect(tools).not.toContain('redmine_delete_issue');
    const call = await post(http.url, READER, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'redmine_delete_issue', arguments: { issue_id: 1 } } }, session);
    expect(await call.text()).toMatch(/not (found|available|allowed)|bastion:write|unknown tool/i);
  });

  it('end on DELETE', async () => {
    const session = await initialize(http.url, ALICE);
    const ended = await fetch(http.url, { method: 'DELETE', headers: { authorization: `Bearer ${ALICE}`, 'mcp-session-id': session } });
    expect(ended.status).toBe(200);
    expect((await post(http.url, ALICE, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, session)).status).toBe(404);
  });

  it('refuse a request without a session that is not initialize, saying what to do', async () => {
    const response = await post(http.url, ALICE, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/Mcp-Session-Id header is required; send initialize first/);
  });
});

describe('2025-era sessions unused for BASTION_HTTP_SESSION_IDLE', () => {
  it('end, and the client is told to open a new one', async () => {
    const http = await startHttpBastion({ env: redmineEnv({ BASTION_KEYRING: 'false', BASTION_HTTP_TOKENS_FILE: tokens, BASTION_HTTP_SESSION_IDLE: '1' }) });
    try {
      const session = await initialize(http.url, ALICE);
      await expect.poll(async () => (await post(http.url, ALICE, { jsonrpc: '2.0', id: 1, method: 'ping' }, session)).status, { timeout: 10_000, interval: 1_500 }).toBe(404);
      expect(await initialize(http.url, ALICE)).not.toBe(session);
    } finally {
      await http.stop();
    }
  });
});

describe('cancellation reaches the upstream request', () => {
  let proxy: FaultProxy;
  let http: HttpBastion;
  const audit = join(dir, 'audit-cancel.jsonl');
  const auditRecords = () =>
    existsSync(audit) ? readFileSync(audit, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { tool: string; outcome: string; error?: string }) : [];
  beforeAll(async () => {
    proxy = await startFaultProxy(REDMINE_URL);
    http = await startHttpBastion({ env: redmineEnv({ REDMINE_URL: proxy.url, REDMINE_TIMEOUT: '600', BASTION_KEYRING: 'false', BASTION_HTTP_TOKENS_FILE: tokens, BASTION_AUDIT_LOG: audit }) });
  });
  afterAll(async () => {
    await http?.stop();
    await proxy?.close();
  });

  const transports: Record<string, () => Transport> = {
    stdio: () =>
      new StdioClientTransport({ command: process.execPath, args: [CLI, 'serve'], env: redmineEnv({ REDMINE_URL: proxy.url, REDMINE_TIMEOUT: '600', BASTION_KEYRING: 'false' }), stderr: 'pipe', cwd: resolve(import.meta.dirname, '../..') }),
    http: () => new StreamableHTTPClientTransport(new URL(http.url), { authProvider: { token: async () => ALICE } }),
  };

  it.each([
    ['stdio', 'legacy'],
    ['stdio', 'modern'],
    ['http', 'legacy'],
    ['http', 'modern'],
  ] as const)('over %s, %s protocol era', async (transport, era) => {
    const cancelledCalls = () => auditRecords().filter((record) => record.tool === 'redmine_get_current_user');
    const recordsBefore = transport === 'http' ? cancelledCalls().length : 0;
    const client = new Client({ name: 'bastion-tests', version: '1.0.0' }, era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' as const } } } : {});
    await client.connect(transports[transport]!());
    try {
      const before = proxy.seen.length;
      proxy.holdNext({ method: 'GET', pathPrefix: '/users/current', count: 1 });
      const controller = new AbortController();
      const pending = client.callTool({ name: 'redmine_get_current_user', arguments: {} }, { signal: controller.signal, timeout: 600_000 });
      const held = () => proxy.seen.slice(before).find((request) => request.outcome === 'held');
      await expect.poll(held, { timeout: 15_000 }).toBeTruthy();
      controller.abort('stopped by the person');
      await expect(pending).rejects.toThrow();
      await expect.poll(() => held()?.closed, { timeout: 15_000 }).toBe(true);
    } finally {
      await client.close();
    }
    if (transport === 'http') {
      // The record is written when the call unwinds, which may be just after the upstream socket closed.
      await expect.poll(() => cancelledCalls().length, { timeout: 15_000 }).toBe(recordsBefore + 1);
      expect(cancelledCalls().at(-1)).toMatchObject({ outcome: 'error', error: expect.stringMatching(/cancelled/) });
    }
  });
});

describe('two instances on one Redis, behind a balancer without affinity', () => {
  const REDIS_PASSWORD = 'canary-session-redis-password';
  let redis: TestRedis;
  let proxy: FaultProxy;
  let instances: HttpBastion[];
  let balancer: RoundRobin;

  beforeAll(async () => {
    redis = await startRedis(REDIS_PASSWORD);
    proxy = await startFaultProxy(REDMINE_URL);
    const env = redmineEnv({ REDMINE_URL: proxy.url, REDMINE_TIMEOUT: '600', BASTION_KEYRING: 'false', BASTION_HTTP_TOKENS_FILE: tokens, REDIS_URL: redis.url, REDIS_PASSWORD });
    instances = await Promise.all([startHttpBastion({ env }), startHttpBastion({ env })]);
    // Both must use Redis (not their memory fallback) before the balancer starts alternating between them.
    for (let waited = 0; !instances.every((instance) => instance.stderr().includes('Redis is reachable')) && waited < 10_000; waited += 100) {
      await new Promise((done) => setTimeout(done, 100));
    }
    balancer = await startRoundRobin(instances.map((instance) => instance.baseUrl));
  });
  afterAll(async () => {
    await Promise.all((instances ?? []).map((instance) => instance.stop()));
    await balancer?.close();
    await proxy?.close();
    await redis?.stop();
  });

  type Answer = { action: 'accept'; content: { confirm: boolean } } | { action: 'decline' };
  async function askingClient(answer: { next: Answer }, questions: string[]): Promise<Client> {
    const client = new Client({ name: 'bastion-tests', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
    client.setRequestHandler('elicitation/create', async (request) => {
      questions.push(String((request.params as { message?: string }).message));
      return answer.next;
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${balancer.url}/mcp`), { authProvider: { token: async () => ALICE } }));
    return client;
  }

  /** The instance the call went to, and the one its follow-up (the answer or the cancellation) went to. */
  function hops(followUp: string): { call: number; followUp: number } {
    const call = balancer.routed.findLast((route) => route.message === 'tools/call')!;
    const next = balancer.routed.slice(balancer.routed.lastIndexOf(call)).find((route) => route.message === followUp)!;
    return { call: call.target, followUp: next.target };
  }

  it('the answer to the question reaches the call on the other instance: "yes" deletes, "no" keeps', async () => {
    const answer: { next: Answer } = { next: { action: 'accept', content: { confirm: true } } };
    const questions: string[] = [];
    const client = await askingClient(answer, questions);
    try {
      const yes = (await redmine<{ issue: { id: number } }>('POST', '/issues.json', { issue: { project_id: 'alpha', subject: `Two instances yes ${Date.now()}` } })).body.issue.id;
      const done = (await client.callTool({ name: 'redmine_delete_issue', arguments: { issue_id: yes } })) as { isError?: boolean; content: Array<{ text?: string }> };
      expect(done.isError, JSON.stringify(done.content)).toBeFalsy();
      expect(questions).toHaveLength(1);
      const first = hops('response');
      expect(first.followUp).not.toBe(first.call);
      expect((await redmine('GET', `/issues/${yes}.json`)).status).toBe(404);

      const no = (await redmine<{ issue: { id: number } }>('POST', '/issues.json', { issue: { project_id: 'alpha', subject: `Two instances no ${Date.now()}` } })).body.issue.id;
      answer.next = { action: 'decline' };
      const refused = (await client.callTool({ name: 'redmine_delete_issue', arguments: { issue_id: no } })) as { isError?: boolean };
      expect(refused.isError).toBe(true);
      expect(questions).toHaveLength(2);
      const second = hops('response');
      expect(second.followUp).not.toBe(second.call);
      expect((await redmine('GET', `/issues/${no}.json`)).status).toBe(200);
      await redmine('DELETE', `/issues/${no}.json`);
    } finally {
      await client.close();
    }
  });

  it('a cancellation posted to the other instance aborts the upstream request', async () => {
    const client = await askingClient({ next: { action: 'decline' } }, []);
    try {
      const before = proxy.seen.length;
      proxy.holdNext({ method: 'GET', pathPrefix: '/users/current', count: 1 });
      const controller = new AbortController();
      const pending = client.callTool({ name: 'redmine_get_current_user', arguments: {} }, { signal: controller.signal, timeout: 600_000 });
      const held = () => proxy.seen.slice(before).find((request) => request.outcome === 'held');
      await expect.poll(held, { timeout: 15_000 }).toBeTruthy();
      controller.abort('stopped by the person');
      await expect(pending).rejects.toThrow();
      await expect.poll(() => balancer.routed.some((route) => route.message === 'notifications/cancelled')).toBe(true);
      const route = hops('notifications/cancelled');
      expect(route.followUp).not.toBe(route.call);
      await expect.poll(() => held()?.closed, { timeout: 15_000 }).toBe(true);
    } finally {
      await client.close();
    }
  });
});
