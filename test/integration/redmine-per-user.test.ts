// Per-user mode with Redmine impersonation (BASTION_IDENTITY=per-user, REDMINE_IMPERSONATE=true), through the SDK's
// Streamable HTTP client against the built CLI and the real Redmine: every call runs as the calling person, with
// the login from a mapping file or from a JWT claim; a caller without a usable login gets a clear refusal and
// nothing else, never an answer as the service account.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtimDouble } from '../doubles/etim.js';
import { startYouTrackDouble } from '../doubles/youtrack.js';
import { youtrackEnv } from '../helpers/youtrack.js';
import { redmineEnv, runCli } from '../helpers/bastion.js';
import { etimEnv } from '../helpers/etim.js';
import { startHttpBastion, writeTokensFile, type HttpBastion } from '../helpers/http-server.js';
import { ADMIN_KEY, redmine, USER_KEY } from '../helpers/redmine.js';

const dir = mkdtempSync(join(tmpdir(), 'bastion-per-user-'));
// Unique per run: the test Redmine keeps its data between runs, and other tests rely on the seeded data.
const run = randomBytes(3).toString('hex');
const login = { alice: `alice_${run}`, bob: `bob_${run}`, carol: `carol_${run}`, locked: `locked_${run}`, dave: `Dave_${run}` };
const project = { a: `pu-a-${run}`, b: `pu-b-${run}` };
const TOKENS = {
  alice: 'canary-per-user-alice-token-1a',
  bob: 'canary-per-user-bob-token-2b',
  carol: 'canary-per-user-carol-token-3c',
  ghost: 'canary-per-user-ghost-token-4d',
  locked: 'canary-per-user-locked-token-5e',
  dave: 'canary-per-user-dave-token-6f',
};
const audience = 'https://bastion.example/mcp';

const running: HttpBastion[] = [];
let jwks: Server | undefined;
let issuer = '';
let sign: (claims: Record<string, unknown>) => Promise<string>;
let issueInA = 0;
let daveId = 0;

async function createUser(name: string, status = 1): Promise<number> {
  const created = await redmine<{ user: { id: number } }>('POST', '/users.json', {
    user: { login: name, firstname: name, lastname: 'Test', mail: `${name}@example.test`, password: `pw-${run}-${name}-Aa1!`, status },
  });
  if (created.status !== 201) throw new Error(`creating user ${name}: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.user.id;
}

async function createProject(identifier: string, member: number, role: number): Promise<void> {
  const created = await redmine('POST', '/projects.json', { project: { name: `Per-user ${identifier}`, identifier, is_public: false, enabled_module_names: ['issue_tracking'] } });
  if (created.status !== 201) throw new Error(`creating project ${identifier}: ${created.status} ${JSON.stringify(created.body)}`);
  const membership = await redmine('POST', `/projects/${identifier}/memberships.json`, { membership: { user_id: member, role_ids: [role] } });
  if (membership.status !== 201) throw new Error(`adding a member to ${identifier}: ${membership.status} ${JSON.stringify(membership.body)}`);
}

beforeAll(async () => {
  const ids = { alice: await createUser(login.alice), bob: await createUser(login.bob), carol: await createUser(login.carol) };
  await createUser(login.locked, 3);
  daveId = await createUser(login.dave);
  const { body: roles } = await redmine<{ roles: Array<{ id: number; name: string }> }>('GET', '/roles.json');
  const role = (roles.roles.find((r) => r.name === 'Developer') ?? roles.roles[0]!).id;
  await createProject(project.a, ids.alice, role);
  await createProject(project.b, ids.bob, role);
  const { body: trackers } = await redmine<{ trackers: Array<{ id: number }> }>('GET', '/trackers.json');
  const issue = await redmine<{ issue: { id: number } }>('POST', '/issues.json', { issue: { project_id: project.a, tracker_id: trackers.trackers[0]!.id, subject: `Per-user issue ${run}` } });
  if (issue.status !== 201) throw new Error(`creating an issue: ${issue.status} ${JSON.stringify(issue.body)}`);
  issueInA = issue.body.issue.id;

  // An identity provider on loopback: its JWKS, and tokens signed with its key.
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'per-user-key', alg: 'RS256', use: 'sig' };
  jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((resolve) => jwks!.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(jwks.address() as { port: number }).port}`;
  sign = (claims) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'per-user-key' }).setIssuer(issuer).setAudience(audience).setIssuedAt().setExpirationTime('10m').sign(privateKey);
}, 120_000);

afterAll(async () => {
  await Promise.all(running.map((server) => server.stop(2_000)));
  await new Promise<void>((resolve) => (jwks ? jwks.close(() => resolve()) : resolve()));
});

function mappingFile(): string {
  const file = join(dir, 'logins.json');
  // carol's token is not in the mapping; ghost maps to a login Redmine does not know; locked to a locked user.
  writeFileSync(file, JSON.stringify({ alice: login.alice, bob: login.bob, ghost: `ghost_${run}`, locked: login.locked, dave: login.dave.toLowerCase() }));
  chmodSync(file, 0o600);
  return file;
}

function tokensFile(): string {
  return writeTokensFile(
    join(dir, 'tokens.json'),
    Object.entries(TOKENS).map(([name, token]) => ({ name, token, scopes: ['bastion:write'] })),
  );
}

async function serve(env: Record<string, string>): Promise<HttpBastion> {
  const server = await startHttpBastion({
    env: redmineEnv({ BASTION_KEYRING: 'false', BASTION_IDENTITY: 'per-user', REDMINE_IMPERSONATE: 'true', BASTION_LOG_LEVEL: 'info', ...env }),
  });
  running.push(server);
  return server;
}

async function connect(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'bastion-per-user-tests', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: { token: async () => token } }));
  return client;
}

interface Answer {
  isError: boolean;
  text: string;
  structured?: Record<string, unknown>;
}
const answers: string[] = [];

async function callAs(server: HttpBastion, token: string, name: string, args: Record<string, unknown> = {}): Promise<Answer> {
  const client = await connect(server.url, token);
  try {
    const result = (await client.callTool({ name, arguments: args })) as { isError?: boolean; content: Array<{ text?: string }>; structuredContent?: Record<string, unknown> };
    const text = result.content.map((c) => c.text ?? '').join('\n');
    answers.push(text, JSON.stringify(result.structuredContent ?? {}));
    return { isError: result.isError === true, text, structured: result.structuredContent };
  } finally {
    await client.close();
  }
}

function identifiers(answer: Answer): string[] {
  expect(answer.isError, answer.text).toBe(false);
  return (answer.structured?.projects as Array<{ identifier: string }>).map((p) => p.identifier);
}

function auditRecords(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('impersonation with logins from a mapping file (named tokens)', () => {
  let server: HttpBastion;
  const audit = join(dir, 'audit-mapping.jsonl');

  beforeAll(async () => {
    server = await serve({ BASTION_HTTP_TOKENS_FILE: tokensFile(), BASTION_IDENTITY_MAP_FILE: mappingFile(), BASTION_AUDIT_LOG: audit });
  });

  it('shows alice her project and not bob\'s, and bob the reverse', async () => {
    const alice = identifiers(await callAs(server, TOKENS.alice, 'redmine_list_projects', { limit: 100 }));
    expect(alice).toContain(project.a);
    expect(alice).not.toContain(project.b);
    const bob = identifiers(await callAs(server, TOKENS.bob, 'redmine_list_projects', { limit: 100 }));
    expect(bob).toContain(project.b);
    expect(bob).not.toContain(project.a);
    const me = await callAs(server, TOKENS.bob, 'redmine_get_current_user');
    expect(me.structured).toMatchObject({ login: login.bob, admin: false });
  });

  it('refuses a caller the mapping does not name, with a clear error and nothing else', async () => {
    const carol = await callAs(server, TOKENS.carol, 'redmine_list_projects', { limit: 100 });
    expect(carol.isError).toBe(true);
    expect(carol.text).toBe(
      'Caller carol has no Redmine login (the token name carol is not in BASTION_IDENTITY_MAP_FILE), so the call did not run: ' +
        'Bastion never falls back to its shared account in per-user mode. Ask the operator to add your login.',
    );
  });

  it('refuses an unknown and a locked login, naming the caller and the login, as credential events', async () => {
    const ghost = await callAs(server, TOKENS.ghost, 'redmine_get_current_user');
    expect(ghost.isError).toBe(true);
    expect(ghost.text).toMatch(new RegExp(`^Caller ghost cannot act in Redmine as "ghost_${run}": Redmine has no active user with that login \\(unknown or locked\\) and refused the switch \\(412\\)\\. Nothing ran, not even as the shared account`));
    const locked = await callAs(server, TOKENS.locked, 'redmine_list_projects', { limit: 100 });
    expect(locked.isError).toBe(true);
    expect(locked.text).toContain(`Caller locked cannot act in Redmine as "${login.locked}": Redmine has no active user with that login (unknown or locked)`);
    expect(locked.text).not.toContain(project.a);

    const records = auditRecords(audit);
    const refusals = records.filter((r) => r.type === 'credential' && r.event === 'impersonation_refused');
    expect(refusals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ connector: 'redmine', caller: 'ghost', upstream: `ghost_${run}`, outcome: 'denied' }),
        expect.objectContaining({ connector: 'redmine', caller: 'locked', upstream: login.locked, outcome: 'denied' }),
        expect.objectContaining({ connector: 'redmine', caller: 'carol', outcome: 'denied' }),
      ]),
    );
    expect(records.filter((r) => r.type === 'tool_call' && r.caller === 'locked')).toEqual([expect.objectContaining({ outcome: 'denied', tool: 'redmine_list_projects' })]);
  });

  it('refuses a user locked after the login was confirmed, then checks the login again', async () => {
    // dave is mapped in lower case; Redmine spells the login "Dave_…".
    expect((await callAs(server, TOKENS.dave, 'redmine_get_current_user')).structured).toMatchObject({ login: login.dave });
    expect((await redmine('PUT', `/users/${daveId}.json`, { user: { status: 3 } })).status).toBe(204);
    try {
      const locked = await callAs(server, TOKENS.dave, 'redmine_get_current_user');
      expect(locked.isError).toBe(true);
      expect(locked.text).toBe(
        `Caller dave cannot act in Redmine as "${login.dave}": Redmine no longer accepts that user (unknown or locked). Nothing ran, not even as the shared account. Ask the operator to check the user.`,
      );
      const again = await callAs(server, TOKENS.dave, 'redmine_get_current_user');
      expect(again.text).toMatch(/^Caller dave cannot act in Redmine as "dave_[0-9a-f]+": Redmine has no active user with that login \(unknown or locked\) and refused the switch \(412\)/);
    } finally {
      await redmine('PUT', `/users/${daveId}.json`, { user: { status: 1 } });
    }
    expect((await callAs(server, TOKENS.dave, 'redmine_get_current_user')).structured).toMatchObject({ login: login.dave });
  });

  it('writes a note that Redmine records under alice, and audits the call with both identities', async () => {
    const text = `Note by alice through Bastion ${run}`;
    const added = await callAs(server, TOKENS.alice, 'redmine_add_note', { issue_id: issueInA, notes: text });
    expect(added.isError, added.text).toBe(false);
    const { body } = await redmine<{ issue: { journals: Array<{ notes: string; user: { id: number; name: string } }> } }>('GET', `/issues/${issueInA}.json?include=journals`);
    const journal = body.issue.journals.find((j) => j.notes === text);
    expect(journal?.user.name).toBe(`${login.alice} Test`);
    // bob may not write in alice's project: Redmine refuses him, as it would refuse bob himself.
    const bob = await callAs(server, TOKENS.bob, 'redmine_add_note', { issue_id: issueInA, notes: `Note by bob ${run}` });
    expect(bob.isError).toBe(true);
    const calls = auditRecords(audit).filter((r) => r.type === 'tool_call' && r.tool === 'redmine_add_note');
    expect(calls[0]).toMatchObject({ caller: 'alice', upstream: login.alice, upstream_kind: 'impersonated', outcome: 'ok' });
    expect(calls[1]).toMatchObject({ caller: 'bob', upstream: login.bob, upstream_kind: 'impersonated' });
  });
});

describe('impersonation with logins from a JWT claim', () => {
  let server: HttpBastion;

  beforeAll(async () => {
    server = await serve({
      BASTION_OAUTH_ISSUER: issuer,
      BASTION_OAUTH_JWKS_URL: `${issuer}/jwks`,
      BASTION_OAUTH_AUDIENCE: audience,
      BASTION_IDENTITY_CLAIM: 'preferred_username',
    });
  });

  it('runs as the person the token names, even when everyone\'s tokens come from the same client', async () => {
    // One client id for everyone, as an organisation's single sign-on app issues them.
    const alice = await sign({ scope: 'bastion:write', client_id: 'team-app', preferred_username: login.alice });
    const bob = await sign({ scope: 'bastion:write', client_id: 'team-app', preferred_username: login.bob });
    const seenByAlice = identifiers(await callAs(server, alice, 'redmine_list_projects', { limit: 100 }));
    expect(seenByAlice).toContain(project.a);
    expect(seenByAlice).not.toContain(project.b);
    const seenByBob = identifiers(await callAs(server, bob, 'redmine_list_projects', { limit: 100 }));
    expect(seenByBob).toContain(project.b);
    expect(seenByBob).not.toContain(project.a);
  });

  it('refuses a token without the claim, naming the caller and the claim', async () => {
    const carol = await sign({ scope: 'bastion:write', client_id: 'team-app', email: `${login.carol}@example.test` });
    const answer = await callAs(server, carol, 'redmine_list_projects', { limit: 100 });
    expect(answer.isError).toBe(true);
    expect(answer.text).toMatch(/^Caller team-app has no Redmine login \(its token has no usable preferred_username claim\), so the call did not run/);
  });
});

describe('connectors without a per-person identity', () => {
  it('keep ETIM on its shared credential, and say so in tools/list', async () => {
    const etim = await startEtimDouble();
    try {
      const audit = join(dir, 'audit-etim.jsonl');
      const server = await serve({ ...etimEnv(etim), BASTION_HTTP_TOKENS_FILE: tokensFile(), BASTION_IDENTITY_MAP_FILE: mappingFile(), BASTION_AUDIT_LOG: audit });
      const client = await connect(server.url, TOKENS.carol);
      try {
        const { tools } = await client.listTools();
        const describe = (name: string) => tools.find((tool) => tool.name === name)?.description ?? '';
        expect(describe('etim_list_languages')).toMatch(/ Runs with the server's shared account, not as you\.$/);
        expect(describe('redmine_list_projects')).not.toContain('shared account');
      } finally {
        await client.close();
      }
      // carol has no Redmine login, but ETIM answers her: it never acted per person.
      const languages = await callAs(server, TOKENS.carol, 'etim_list_languages');
      expect(languages.isError, languages.text).toBe(false);
      expect(auditRecords(audit).find((r) => r.type === 'tool_call' && r.tool === 'etim_list_languages')).toMatchObject({ caller: 'carol', upstream: 'shared', upstream_kind: 'shared', outcome: 'ok' });
    } finally {
      await etim.close();
    }
  });
});

describe('YouTrack in per-user mode', () => {
  it('refuses a caller without a linked YouTrack account instead of using the shared token', async () => {
    const youtrack = await startYouTrackDouble();
    try {
      const server = await serve({ ...youtrackEnv(youtrack), BASTION_HTTP_TOKENS_FILE: tokensFile(), BASTION_IDENTITY_MAP_FILE: mappingFile() });
      const answer = await callAs(server, TOKENS.alice, 'youtrack_get_current_user');
      expect(answer.isError).toBe(true);
      expect(answer.text).toMatch(/^Caller alice has no linked YouTrack account, and Bastion runs in per-user mode/);
    } finally {
      await youtrack.close();
    }
  });
});

describe('rate limits per person', () => {
  it('keeps a bucket per person when everyone\'s tokens come from the same client', async () => {
    const server = await serve({
      BASTION_OAUTH_ISSUER: issuer,
      BASTION_OAUTH_JWKS_URL: `${issuer}/jwks`,
      BASTION_OAUTH_AUDIENCE: audience,
      BASTION_IDENTITY_CLAIM: 'preferred_username',
      BASTION_RATE_LIMIT: '8/min',
    });
    const alice = await sign({ scope: 'bastion:write', client_id: 'team-app', preferred_username: login.alice });
    const bob = await sign({ scope: 'bastion:write', client_id: 'team-app', preferred_username: login.bob });
    let limited = false;
    for (let i = 0; i < 10 && !limited; i++) {
      limited = await callAs(server, alice, 'redmine_get_current_user').then(
        () => false,
        (error: unknown) => /429|too many requests/i.test(String(error)),
      );
    }
    expect(limited).toBe(true);
    const me = await callAs(server, bob, 'redmine_get_current_user');
    expect(me.structured).toMatchObject({ login: login.bob });
  });
});

describe('answers remembered per identity', () => {
  it('never serves what was resolved for alice to bob', async () => {
    // With REDMINE_PROJECTS, the client remembers the scope's projects as it resolved them. Resolved as alice,
    // project A is visible; bob is no member of it, so his call must fail resolving the scope itself (Redmine
    // answers 403 for a private project to a non-member). Were alice's resolution reused, bob's call would pass the
    // scope and fail later, on the issue list instead.
    const server = await serve({ BASTION_HTTP_TOKENS_FILE: tokensFile(), BASTION_IDENTITY_MAP_FILE: mappingFile(), REDMINE_PROJECTS: project.a });
    const alice = await callAs(server, TOKENS.alice, 'redmine_search_issues', { project: project.a });
    expect(alice.isError, alice.text).toBe(false);
    expect(alice.text).toContain(`Per-user issue ${run}`);
    const bob = await callAs(server, TOKENS.bob, 'redmine_search_issues', { project: project.a });
    expect(bob.isError).toBe(true);
    // Redmine refuses bob the project (403): resolved for bob, not served from what was resolved for alice.
    expect(bob.text).toContain(`REDMINE_PROJECTS names project "${project.a}", which is archived or which the Redmine user this call runs as may not see (Redmine answers 403)`);
    expect(bob.text).not.toContain(`Per-user issue ${run}`);
  });
});

interface DoctorCheck {
  name: string;
  status: string;
  detail: string;
}

async function doctor(env: Record<string, string>): Promise<Map<string, DoctorCheck>> {
  const result = await runCli(['doctor', '--json', '--transport', 'http'], redmineEnv({ BASTION_KEYRING: 'false', BASTION_IDENTITY: 'per-user', REDMINE_IMPERSONATE: 'true', BASTION_HTTP_TOKENS_FILE: tokensFile(), BASTION_IDENTITY_MAP_FILE: mappingFile(), ...env }));
  answers.push(result.stdout, result.stderr);
  const report = JSON.parse(result.stdout) as { sections: Array<{ connector: string; checks: DoctorCheck[] }> };
  return new Map(report.sections.flatMap((section) => section.checks.map((check) => [`${section.connector} ${check.name}`, check] as const)));
}

describe('doctor in per-user mode', () => {
  it('reports the mode, the mapping and that the key can switch users', async () => {
    const checks = await doctor({});
    expect(checks.get('bastion identity')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^per-user: Redmine run as each caller, never as a shared account; logins from .*logins\.json \(5 entries\)$/) });
    expect(checks.get('bastion identity mapping file')).toMatchObject({ status: 'ok', detail: expect.stringContaining('(mode 600)') });
    expect(checks.get('redmine impersonation')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^the key can switch users \(X-Redmine-Switch-User to admin works\)/) });
  });

  it('fails impersonation for a key that is not an administrator\'s', async () => {
    const checks = await doctor({ REDMINE_API_KEY: USER_KEY });
    expect(checks.get('redmine impersonation')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^dev is not an administrator, so Redmine ignores X-Redmine-Switch-User.*Fix: set REDMINE_API_KEY to the key of a Redmine administrator/) });
  });
});

describe('settings', () => {
  it('refuses per-user mode over stdio, naming the setting', async () => {
    const result = await runCli(['serve'], redmineEnv({ BASTION_KEYRING: 'false', BASTION_IDENTITY: 'per-user' }));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('BASTION_IDENTITY=per-user needs the HTTP transport');
  });

  it('leaks the service key nowhere: results, errors, logs, audit', () => {
    const logs = running.map((server) => server.stderr()).join('\n');
    const audit = readFileSync(join(dir, 'audit-mapping.jsonl'), 'utf8');
    expect(answers.length).toBeGreaterThan(10);
    for (const text of [...answers, logs, audit]) expect(text).not.toContain(ADMIN_KEY);
    for (const token of Object.values(TOKENS)) expect(logs + audit + answers.join('\n')).not.toContain(token);
  });
});
