// Per-user mode with personal credentials (BASTION_IDENTITY=per-user, BASTION_VAULT_KEY_FILE), through the SDK's
// Streamable HTTP client against the built CLI, the real Redmine, the YouTrack double and a real Redis: a caller who
// has not linked an account gets a connect link and nothing else; once the person has linked their own key on the
// page (the test plays the browser), the same call runs as that person; a linked key upstream refuses later is
// removed, and the person is asked to link again.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startYouTrackDouble, YOUTRACK_TEST_TOKEN, YOUTRACK_USER_TOKEN, type YouTrackDouble } from '../doubles/youtrack.js';
import { redmineEnv } from '../helpers/bastion.js';
import { secretForms } from '../helpers/canary.js';
import { open, submit } from '../helpers/connect-browser.js';
import { startHttpBastion, writeTokensFile, type HttpBastion } from '../helpers/http-server.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { ADMIN_KEY, redmine, USER_KEY } from '../helpers/redmine.js';

const REDIS_PASSWORD = 'canary-redis-password-linked-4Qx';
const CAROL = 'canary-linked-carol-bearer-token-01';
const ERIN = 'canary-linked-erin-bearer-token-02';

let dir: string;
let redis: TestRedis;
let youtrack: YouTrackDouble;
let bastion: HttpBastion;
const seen: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bastion-linked-'));
  redis = await startRedis(REDIS_PASSWORD);
  youtrack = await startYouTrackDouble({ tokens: [YOUTRACK_TEST_TOKEN, YOUTRACK_USER_TOKEN] });
  writeFileSync(join(dir, 'vault.key'), randomBytes(32).toString('hex'), { mode: 0o600 });
  bastion = await startHttpBastion({
    env: redmineEnv({
      // The shared credentials are administrators': a call that fell back to them would answer as admin.
      REDMINE_API_KEY: ADMIN_KEY,
      YOUTRACK_URL: youtrack.url,
      YOUTRACK_API_TOKEN: YOUTRACK_TEST_TOKEN,
      BASTION_IDENTITY: 'per-user',
      BASTION_KEYRING: 'false',
      REDIS_URL: redis.url,
      REDIS_PASSWORD,
      BASTION_VAULT_KEY_FILE: join(dir, 'vault.key'),
      BASTION_AUDIT_LOG: join(dir, 'audit.jsonl'),
      BASTION_HTTP_TOKENS_FILE: writeTokensFile(join(dir, 'tokens.json'), [
        { name: 'carol', token: CAROL, scopes: ['bastion:write'] },
        { name: 'erin', token: ERIN, scopes: ['bastion:write'] },
      ]),
    }),
  });
}, 120_000);

afterAll(async () => {
  await bastion?.stop();
  await youtrack?.close();
  await redis?.stop();
});

async function callAsCarol(name: string, args: Record<string, unknown> = {}, token = CAROL): Promise<{ isError: boolean; text: string }> {
  const client = new Client({ name: 'bastion-linked-tests', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(bastion.url), { authProvider: { token: async () => token } }));
  try {
    const result = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: Array<{ text?: string }> };
    const text = result.content.map((c) => c.text ?? '').join('\n');
    seen.push(text);
    return { isError: result.isError === true, text };
  } finally {
    await client.close();
  }
}

/** The connect link in a tool error, as a person would copy it into the browser. */
function linkIn(text: string, connector: string): string {
  const link = new RegExp(`https?://\\S+/connect/${connector}\\S*`).exec(text)?.[0];
  expect(link, text).toBeDefined();
  return link!;
}

async function linkOnPage(link: string, key: string): Promise<string> {
  const form = await open(link);
  expect(form.status, form.html).toBe(200);
  const done = await submit(link, form, { key });
  expect(done.status, done.html).toBe(200);
  return done.html;
}

function auditRecords(): Array<Record<string, unknown>> {
  return readFileSync(join(dir, 'audit.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('per-user mode with personal credentials', () => {
  it('asks a caller without a linked Redmine account to connect it, then runs as the person whose key was linked', async () => {
    const first = await callAsCarol('redmine_get_current_user');
    expect(first.isError).toBe(true);
    expect(first.text).toContain('caller "carol" has not connected a Redmine account yet');
    expect(first.text).not.toMatch(/\badmin\b/);
    await linkOnPage(linkIn(first.text, 'redmine'), USER_KEY);
    const second = await callAsCarol('redmine_get_current_user');
    expect(second.isError, second.text).toBe(false);
    expect(second.text).toContain('dev');
    expect(second.text).not.toMatch(/"login":"admin"|\badmin\b/);
    const call = auditRecords().filter((r) => r.type === 'tool_call' && r.tool === 'redmine_get_current_user');
    expect(call.map((r) => r.outcome)).toEqual(['denied', 'ok']);
    expect(call[1]).toMatchObject({ caller: 'carol', upstream: 'dev', upstream_kind: 'linked' });
  });

  it('runs YouTrack calls with the token the person linked, and asks again once YouTrack refuses it', async () => {
    const first = await callAsCarol('youtrack_get_current_user');
    expect(first.isError).toBe(true);
    await linkOnPage(linkIn(first.text, 'youtrack'), YOUTRACK_USER_TOKEN);
    const second = await callAsCarol('youtrack_get_current_user');
    expect(second.isError, second.text).toBe(false);
    expect(second.text).toContain('jane');
    // The token is revoked in YouTrack: its next use is refused (401), the link is removed, and a new link is offered.
    youtrack.failNext({ method: 'GET', pathPrefix: '/api/users/me', count: 1, status: 401, body: { error: 'Unauthorized', error_description: 'Token is revoked' } });
    const refused = await callAsCarol('youtrack_get_current_user');
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain('YouTrack no longer accepts the permanent token that caller "carol" connected');
    linkIn(refused.text, 'youtrack');
    const again = await callAsCarol('youtrack_get_current_user');
    expect(again.isError).toBe(true);
    expect(again.text).toContain('has not connected a YouTrack account yet');
    expect(auditRecords().some((r) => r.event === 'identity_key_refused' && r.caller === 'carol' && r.connector === 'youtrack')).toBe(true);
  });

  it('asks again instead of answering as anonymous once Redmine no longer knows a linked key (the user locked)', async () => {
    // A user of this run only: the seeded users stay as other tests expect them.
    const login = `linked_${randomBytes(3).toString('hex')}`;
    const created = await redmine<{ user: { id: number } }>('POST', '/users.json', {
      user: { login, firstname: login, lastname: 'Test', mail: `${login}@example.test`, password: `pw-${login}-Aa1!` },
    });
    expect(created.status).toBe(201);
    const shown = await redmine<{ user: { api_key: string } }>('GET', `/users/${created.body.user.id}.json`);
    const key = shown.body.user.api_key;
    const first = await callAsCarol('redmine_get_current_user', {}, ERIN);
    await linkOnPage(linkIn(first.text, 'redmine'), key);
    // Locked in Redmine after linking: Redmine then serves the key as its anonymous user (public data), not a 401.
    expect((await redmine('PUT', `/users/${created.body.user.id}.json`, { user: { status: 3 } })).status).toBe(204);
    const refused = await callAsCarol('redmine_list_projects', {}, ERIN);
    expect(refused.isError, refused.text).toBe(true);
    expect(refused.text).toContain('Redmine no longer accepts the API key that caller "erin" connected');
    linkIn(refused.text, 'redmine');
    expect(auditRecords().some((r) => r.event === 'identity_key_refused' && r.caller === 'erin' && r.connector === 'redmine')).toBe(true);
    seen.push(key);
  });

  it('shows no linked key, shared credential or bearer token in any answer or audit record', () => {
    const text = [...seen, readFileSync(join(dir, 'audit.jsonl'), 'utf8'), bastion.stderr()].join('\n');
    for (const [name, canary] of Object.entries({ USER_KEY, ADMIN_KEY, YOUTRACK_USER_TOKEN, YOUTRACK_TEST_TOKEN, CAROL })) {
      for (const form of secretForms(canary)) expect(text.includes(form), name).toBe(false);
    }
  });
});
