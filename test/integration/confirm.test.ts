// Destructive tools ask the person at the client first, where the client can ask (form elicitation), on both
// protocol eras, against the real Redmine: a "yes" runs the tool, a "no" or a dismissed question changes nothing.
import { Client, StreamableHTTPClientTransport, type Transport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, redmineEnv } from '../helpers/bastion.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { startHttpBastion, writeTokensFile, type HttpBastion } from '../helpers/http-server.js';
import { redmine, REDMINE_URL } from '../helpers/redmine.js';
import { V1Client, V1ElicitRequestSchema, V1StreamableHTTPClientTransport } from '../helpers/sdk-v1.js';

type Answer = { action: 'accept'; content: { confirm: boolean } } | { action: 'decline' } | { action: 'cancel' };

/** What the tests need of a client, so the v1 SDK's client fits too. */
interface Caller {
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
}

interface AskingClient {
  client: Caller;
  /** The questions the server asked, in order. */
  questions: string[];
  /** What the person answers next. */
  answer: Answer;
  close(): Promise<void>;
}

const dir = mkdtempSync(join(tmpdir(), 'bastion-confirm-'));

/** Bastion over stdio, started by the client as an MCP host does. */
function stdio(env: Record<string, string> = {}): Transport {
  return new StdioClientTransport({ command: process.execPath, args: [CLI, 'serve'], env: redmineEnv(env), stderr: 'pipe', cwd: resolve(import.meta.dirname, '../..') });
}

async function connect(options: { era: 'legacy' | 'modern'; canAsk: boolean; env?: Record<string, string>; transport?: Transport }): Promise<AskingClient> {
  const client = new Client(
    { name: 'bastion-tests', version: '1.0.0' },
    {
      capabilities: options.canAsk ? { elicitation: { form: {} } } : {},
      ...(options.era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' as const } } } : {}),
    },
  );
  const asking: AskingClient = { client, questions: [], answer: { action: 'cancel' }, close: () => client.close() };
  if (options.canAsk) {
    client.setRequestHandler('elicitation/create', async (request) => {
      asking.questions.push(String((request.params as { message?: string }).message));
      return asking.answer;
    });
  }
  await client.connect(options.transport ?? stdio(options.env));
  return asking;
}

/** The v1 SDK's client (what desktop hosts embed), over Streamable HTTP: always the 2025 era. */
async function connectV1(url: string, token: string, canAsk: boolean): Promise<AskingClient> {
  const client = new V1Client({ name: 'bastion-tests-v1', version: '1.0.0' }, { capabilities: canAsk ? { elicitation: { form: {} } } : {} });
  const asking: AskingClient = { client, questions: [], answer: { action: 'cancel' }, close: () => client.close() };
  if (canAsk) {
    client.setRequestHandler(V1ElicitRequestSchema, async (request) => {
      asking.questions.push(String((request.params as { message?: string }).message));
      return asking.answer;
    });
  }
  await client.connect(new V1StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return asking;
}

async function newIssue(subject: string): Promise<number> {
  const created = await redmine<{ issue: { id: number } }>('POST', '/issues.json', { issue: { project_id: 'alpha', subject } });
  return created.body.issue.id;
}

async function exists(id: number): Promise<boolean> {
  return (await redmine('GET', `/issues/${id}.json`)).status === 200;
}

async function deleteIssue(asking: AskingClient, id: number): Promise<{ isError?: boolean; text: string }> {
  const result = (await asking.client.callTool({ name: 'redmine_delete_issue', arguments: { issue_id: id } })) as { isError?: boolean; content: Array<{ text?: string }> };
  return { isError: result.isError, text: result.content.map((block) => block.text ?? '').join('\n') };
}

describe.each(['legacy', 'modern'] as const)('confirmation of destructive tools (%s protocol era)', (era) => {
  const audit = join(dir, `audit-${era}.jsonl`);
  let asking: AskingClient;

  beforeAll(async () => {
    asking = await connect({ era, canAsk: true, env: { BASTION_AUDIT_LOG: audit } });
  });

  afterAll(async () => {
    await asking?.close();
  });

  it('asks with the tool and its arguments, and runs it on "yes"', async () => {
    const id = await newIssue(`Confirm yes ${era} ${Date.now()}`);
    asking.answer = { action: 'accept', content: { confirm: true } };
    const result = await deleteIssue(asking, id);
    expect(result.isError, result.text).toBeFalsy();
    expect(asking.questions.at(-1)).toContain('redmine_delete_issue');
    expect(asking.questions.at(-1)).toContain(`- issue_id: ${id}`);
    expect(await exists(id)).toBe(false);
  });

  it.each([
    ['an unticked box', { action: 'accept', content: { confirm: false } }],
    ['"decline"', { action: 'decline' }],
    ['a dismissed question', { action: 'cancel' }],
  ] as const)('changes nothing on %s, and says so', async (_what, answer) => {
    const id = await newIssue(`Confirm no ${era} ${Date.now()}`);
    const asked = asking.questions.length;
    asking.answer = answer;
    const result = await deleteIssue(asking, id);
    expect(asking.questions.length).toBe(asked + 1);
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/not confirmed.*nothing changed/);
    expect(await exists(id)).toBe(true);
    await redmine('DELETE', `/issues/${id}.json`);
  });

  it('asks nothing for tools that only read or add', async () => {
    const asked = asking.questions.length;
    const read = (await asking.client.callTool({ name: 'redmine_get_current_user', arguments: {} })) as { isError?: boolean };
    expect(read.isError).toBeFalsy();
    expect(asking.questions.length).toBe(asked);
  });

  it('asks nothing before adding a comment with redmine_add_note, and adds it', async () => {
    const id = await newIssue(`Comment without question ${era} ${Date.now()}`);
    const asked = asking.questions.length;
    // Were a question asked, this answer would refuse the call.
    asking.answer = { action: 'cancel' };
    const result = (await asking.client.callTool({ name: 'redmine_add_note', arguments: { issue_id: id, notes: `A plain comment ${era}` } })) as { isError?: boolean; content: Array<{ text?: string }> };
    expect(result.isError, result.content[0]?.text).toBeFalsy();
    expect(asking.questions.length).toBe(asked);
    const { body } = await redmine<{ issue: { journals: Array<{ notes: string }> } }>('GET', `/issues/${id}.json?include=journals`);
    expect(body.issue.journals.map((journal) => journal.notes)).toEqual([`A plain comment ${era}`]);
    await redmine('DELETE', `/issues/${id}.json`);
  });

  it('audits a refused call as denied and a confirmed one as ok, once each', () => {
    const records = readFileSync(audit, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string; tool: string; outcome: string });
    const deletes = records.filter((record) => record.type === 'tool_call' && record.tool === 'redmine_delete_issue').map((record) => record.outcome);
    expect(deletes).toEqual(['ok', 'denied', 'denied', 'denied']);
  });

  it('shows every argument, what moves or closes first, long text marked with its length and hidden credentials counted', async () => {
    const id = await newIssue(`Confirm question ${era} ${Date.now()}`);
    const description = `Lorem ipsum ${'dolor sit amet '.repeat(900)}`.slice(0, 12_431);
    const fakeKey = `-----BEGIN PRIVATE KEY-----\n${'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'.repeat(12)}\n-----END PRIVATE KEY-----`;
    asking.answer = { action: 'decline' };
    const result = (await asking.client.callTool({
      name: 'redmine_update_issue',
      arguments: { issue_id: id, description, subject: 'Renamed', status: 'Closed', is_private: true, project: 'beta', notes: `Rotated the key:\n${fakeKey}` },
    })) as { isError?: boolean };
    expect(result.isError).toBe(true);
    const question = asking.questions.at(-1)!;
    const names = [...question.matchAll(/^- (\w+): /gm)].map((match) => match[1]);
    // The target, then what moves, closes or hides it, then short values, then long text.
    expect(names).toEqual(['issue_id', 'status', 'is_private', 'project', 'subject', 'description', 'notes']);
    expect(question).toContain(`- issue_id: ${id}\n- status: "Closed"\n- is_private: true\n- project: "beta"\n- subject: "Renamed"`);
    expect(question).toMatch(/^- description: "Lorem ipsum dolor sit amet [^"\n]*…" \(shortened, 12,431 characters\)$/m);
    expect(question).toContain(`\n- notes: "Rotated the key:\\n[REDACTED]" (${fakeKey.length} characters hidden)\n`);
    expect(question).toContain(`1 value (notes) partly or wholly hidden because it looks like a credential (${fakeKey.length} characters).`);
    expect(question).not.toContain('MIIEvQ');
    expect(question.length).toBeLessThan(2_000);
    // Declined: nothing changed.
    const issue = (await redmine<{ issue: { project: { identifier?: string; name: string }; is_private: boolean; description: string } }>('GET', `/issues/${id}.json`)).body.issue;
    expect(issue.is_private).toBe(false);
    expect(issue.description ?? '').toBe('');
    await redmine('DELETE', `/issues/${id}.json`);
  });
});

describe('when the client cannot ask, or confirmation is off', () => {
  it('runs a destructive tool without a question for a client without form elicitation', async () => {
    const asking = await connect({ era: 'legacy', canAsk: false });
    try {
      const id = await newIssue(`No elicitation ${Date.now()}`);
      const result = await deleteIssue(asking, id);
      expect(result.isError, result.text).toBeFalsy();
      expect(await exists(id)).toBe(false);
    } finally {
      await asking.close();
    }
  });

  it('asks nothing with BASTION_CONFIRM_DESTRUCTIVE=false', async () => {
    const asking = await connect({ era: 'modern', canAsk: true, env: { BASTION_CONFIRM_DESTRUCTIVE: 'false' } });
    try {
      const id = await newIssue(`Confirmation off ${Date.now()}`);
      const result = await deleteIssue(asking, id);
      expect(result.isError, result.text).toBeFalsy();
      expect(asking.questions).toEqual([]);
      expect(await exists(id)).toBe(false);
    } finally {
      await asking.close();
    }
  });
});

describe('BASTION_CONFIRM_DESTRUCTIVE=require: clients that cannot ask are refused destructive tools', () => {
  let proxy: FaultProxy;
  const audit = join(dir, 'audit-require.jsonl');
  const requireEnv = () => ({ REDMINE_URL: proxy.url, BASTION_CONFIRM_DESTRUCTIVE: 'require', BASTION_AUDIT_LOG: audit, BASTION_KEYRING: 'false' });

  beforeAll(async () => {
    proxy = await startFaultProxy(REDMINE_URL);
  });

  afterAll(async () => {
    await proxy?.close();
  });

  async function expectRefused(asking: AskingClient): Promise<void> {
    const id = await newIssue(`Require ${Date.now()}`);
    const mark = proxy.seen.length;
    const result = await deleteIssue(asking, id);
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/must be confirmed by the person at the client, but this client cannot show a confirmation question/);
    expect(result.text).toContain('nothing changed');
    expect(result.text).toContain('Use a client that supports MCP form elicitation, or have the operator set BASTION_CONFIRM_DESTRUCTIVE=true');
    // Refused before the connector ran: not one request reached Redmine.
    expect(proxy.seen.slice(mark)).toEqual([]);
    expect(await exists(id)).toBe(true);
    await redmine('DELETE', `/issues/${id}.json`);
    // Tools that do not destroy anything still run for this client.
    const read = await asking.client.callTool({ name: 'redmine_get_current_user', arguments: {} });
    expect((read as { isError?: boolean }).isError).toBeFalsy();
  }

  it('refuses over stdio, says why and what to change, and audits the refusal as denied', async () => {
    const asking = await connect({ era: 'legacy', canAsk: false, env: requireEnv() });
    try {
      await expectRefused(asking);
    } finally {
      await asking.close();
    }
    const records = readFileSync(audit, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { tool: string; outcome: string; error?: string });
    expect(records.filter((record) => record.tool === 'redmine_delete_issue')).toEqual([
      expect.objectContaining({ outcome: 'denied', error: expect.stringContaining('cannot show a confirmation question') }),
    ]);
  });

  it('still asks a client that can, and runs on "yes"', async () => {
    const asking = await connect({ era: 'modern', canAsk: true, env: requireEnv() });
    try {
      const id = await newIssue(`Require yes ${Date.now()}`);
      asking.answer = { action: 'accept', content: { confirm: true } };
      const result = await deleteIssue(asking, id);
      expect(result.isError, result.text).toBeFalsy();
      expect(asking.questions).toHaveLength(1);
      expect(await exists(id)).toBe(false);
    } finally {
      await asking.close();
    }
  });

  it('refuses over Streamable HTTP with a 2026-07-28 client that declares no elicitation', async () => {
    const TOKEN = 'canary-confirm-require-token-0123456789';
    const tokens = writeTokensFile(join(dir, 'require-tokens.json'), [{ name: 'writer', token: TOKEN, scopes: ['bastion:write'] }]);
    const http = await startHttpBastion({ env: redmineEnv({ ...requireEnv(), BASTION_HTTP_TOKENS_FILE: tokens }) });
    try {
      const transport = new StreamableHTTPClientTransport(new URL(http.url), { authProvider: { token: async () => TOKEN } });
      const asking = await connect({ era: 'modern', canAsk: false, transport });
      try {
        await expectRefused(asking);
      } finally {
        await asking.close();
      }
    } finally {
      await http.stop();
    }
  });
});

describe('over Streamable HTTP (2026-07-28: the question travels as an input_required round of a stateless request)', () => {
  const TOKEN = 'canary-confirm-http-token-0123456789';
  let http: HttpBastion;
  let asking: AskingClient;

  beforeAll(async () => {
    const tokens = writeTokensFile(join(dir, 'tokens.json'), [{ name: 'writer', token: TOKEN, scopes: ['bastion:write'] }]);
    http = await startHttpBastion({ env: redmineEnv({ BASTION_KEYRING: 'false', BASTION_HTTP_TOKENS_FILE: tokens }) });
    const transport = new StreamableHTTPClientTransport(new URL(http.url), { authProvider: { token: async () => TOKEN } });
    asking = await connect({ era: 'modern', canAsk: true, transport });
  });

  afterAll(async () => {
    await asking?.close();
    await http?.stop();
  });

  it('asks, runs on "yes" and changes nothing on "no"', async () => {
    const yes = await newIssue(`Confirm http yes ${Date.now()}`);
    asking.answer = { action: 'accept', content: { confirm: true } };
    const done = await deleteIssue(asking, yes);
    expect(done.isError, done.text).toBeFalsy();
    expect(asking.questions).toHaveLength(1);
    expect(await exists(yes)).toBe(false);

    const no = await newIssue(`Confirm http no ${Date.now()}`);
    asking.answer = { action: 'decline' };
    const refused = await deleteIssue(asking, no);
    expect(refused.isError).toBe(true);
    expect(asking.questions).toHaveLength(2);
    expect(await exists(no)).toBe(true);
    await redmine('DELETE', `/issues/${no}.json`);
  });
});

describe.each(['v2 client', 'v1 SDK client'] as const)('over Streamable HTTP with a 2025-era %s (the question travels in the session)', (kind) => {
  const TOKEN = `canary-confirm-session-token-${kind.replace(/\W/g, '')}-0123456789`;
  const audit = join(dir, `audit-session-${kind.replace(/\W/g, '')}.jsonl`);
  let http: HttpBastion;

  const open = async (canAsk: boolean): Promise<AskingClient> => {
    if (kind === 'v1 SDK client') return connectV1(http.url, TOKEN, canAsk);
    const transport = new StreamableHTTPClientTransport(new URL(http.url), { authProvider: { token: async () => TOKEN } });
    return connect({ era: 'legacy', canAsk, transport });
  };

  beforeAll(async () => {
    const tokens = writeTokensFile(join(dir, `tokens-${kind.replace(/\W/g, '')}.json`), [{ name: 'writer', token: TOKEN, scopes: ['bastion:write'] }]);
    http = await startHttpBastion({ env: redmineEnv({ BASTION_KEYRING: 'false', BASTION_HTTP_TOKENS_FILE: tokens, BASTION_AUDIT_LOG: audit }) });
  });

  afterAll(async () => {
    await http?.stop();
  });

  it('asks, and runs on "yes"', async () => {
    const asking = await open(true);
    try {
      const id = await newIssue(`Confirm session yes ${kind} ${Date.now()}`);
      asking.answer = { action: 'accept', content: { confirm: true } };
      const result = await deleteIssue(asking, id);
      expect(result.isError, result.text).toBeFalsy();
      expect(asking.questions).toHaveLength(1);
      expect(asking.questions[0]).toContain(`- issue_id: ${id}`);
      expect(await exists(id)).toBe(false);
    } finally {
      await asking.close();
    }
  });

  it.each([
    ['an unticked box', { action: 'accept', content: { confirm: false } }],
    ['"decline"', { action: 'decline' }],
    ['a dismissed question', { action: 'cancel' }],
  ] as const)('changes nothing on %s', async (_what, answer) => {
    const asking = await open(true);
    const id = await newIssue(`Confirm session no ${kind} ${Date.now()}`);
    try {
      asking.answer = answer;
      const result = await deleteIssue(asking, id);
      expect(asking.questions).toHaveLength(1);
      expect(result.isError).toBe(true);
      expect(result.text).toMatch(/not confirmed.*nothing changed/);
      expect(await exists(id)).toBe(true);
    } finally {
      await asking.close();
      await redmine('DELETE', `/issues/${id}.json`);
    }
  });

  it('runs without a question for a client that declared no elicitation', async () => {
    const asking = await open(false);
    try {
      const id = await newIssue(`Confirm session cannot ask ${kind} ${Date.now()}`);
      const result = await deleteIssue(asking, id);
      expect(result.isError, result.text).toBeFalsy();
      expect(await exists(id)).toBe(false);
    } finally {
      await asking.close();
    }
  });

  it('audits the refusals as denied and the runs as ok, under the token\'s name', () => {
    const records = readFileSync(audit, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string; tool: string; outcome: string; caller: string });
    const deletes = records.filter((record) => record.type === 'tool_call' && record.tool === 'redmine_delete_issue');
    expect(deletes.map((record) => record.outcome)).toEqual(['ok', 'denied', 'denied', 'denied', 'ok']);
    expect(new Set(deletes.map((record) => record.caller))).toEqual(new Set(['writer']));
  });
});
