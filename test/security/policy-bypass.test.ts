// Attempts to get around the policy: other spellings of tool names, allow/deny patterns, project and topic scopes,
// and JSON-RPC batches over HTTP and stdio. Every refusal must leave the upstream system untouched.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CorefluxBroker } from '../doubles/coreflux.js';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import { CLI, call, redmineEnv, runCli, startBastion, type Bastion } from '../helpers/bastion.js';
import { mosquittoObserver, runId, startBastionOnCoreflux, startBastionOnMosquitto, startCoreflux, waitConnected, type Observer } from '../helpers/coreflux.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { startHttpBastion, type HttpBastion } from '../helpers/http-server.js';
import { ensureMosquitto, type MosquittoEnv } from '../helpers/mosquitto.js';
import { issueIdBySubject } from '../helpers/redmine.js';
import { startBastionOnYouTrack, startYouTrack, writes, youtrackEnv } from '../helpers/youtrack.js';

const dir = mkdtempSync(join(tmpdir(), 'bastion-bypass-'));
let proxy: FaultProxy;
let youtrack: YouTrackDouble;
const stoppers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  proxy = await startFaultProxy(redmineEnv().REDMINE_URL!);
  youtrack = await startYouTrack();
});
afterAll(async () => {
  await Promise.all(stoppers.map((stop) => stop().catch(() => undefined)));
  await proxy?.close();
  await youtrack?.close();
});

/** A Bastion on the real Redmine behind the recording proxy, stopped after the file. */
async function redmineBastion(extra: Record<string, string>): Promise<Bastion> {
  const bastion = await startBastion({ env: redmineEnv({ REDMINE_URL: proxy.url, BASTION_KEYRING: 'false', ...extra }) });
  stoppers.push(() => bastion.close());
  return bastion;
}

/** Requests the proxy forwarded to Redmine since `mark` (an index into proxy.seen). */
const seenSince = (mark: number) => proxy.seen.slice(mark);
const changesSince = (mark: number) => seenSince(mark).filter((request) => request.method !== 'GET');

const FULLWIDTH = (text: string) => text.replace(/[a-z_]/g, (c) => String.fromCodePoint(c === '_' ? 0xff3f : 0xff41 + c.charCodeAt(0) - 97));

/** Other ways to write a tool name: case, separators, whitespace, invisible characters, look-alikes, Unicode forms, aliases. */
function spellings(name: string): string[] {
  const [prefix, ...rest] = name.split('_');
  const tail = rest.join('_');
  return [
    name.toUpperCase(),
    name[0]!.toUpperCase() + name.slice(1),
    name.replaceAll('_', '-'),
    `${prefix}.${tail}`,
    `${prefix}/${tail}`,
    `${prefix}:${tail}`,
    name.replaceAll('_', ' '),
    ` ${name}`,
    `${name} `,
    `${name}\n`,
    `\t${name}`,
    `${name}\u0000`,
    `${prefix}\u0000_${tail}`,
    `${prefix}_\u200b${tail}`,
    `${prefix}\u200d_${tail}`,
    `\ufeff${name}`,
    name.replace('e', '\u00ade'),
    name.replaceAll('e', '\u0435'), // Cyrillic е
    name.replace('i', '\u0456'), // Cyrillic і
    FULLWIDTH(name),
    `\u{1d42b}${name.slice(1)}`, // mathematical bold r: NFKC turns it into "r"
    name.replace('e', 'e\u0301'),
    name.normalize('NFKD') === name ? `${name}\u0301` : name.normalize('NFKD'),
    tail,
    `${name}s`,
    `${name}/`,
    `bastion/${name}`,
    `bastion.${name}`,
    `mcp__bastion__${name}`,
  ];
}

/** Calls a tool by a raw name and returns the protocol error's message ('' if the call was answered). */
async function refusal(bastion: Bastion, name: string, args: Record<string, unknown> = {}): Promise<string> {
  try {
    await bastion.client.callTool({ name, arguments: args });
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('tool names', () => {
  let readOnly: Bastion;
  let listed: Bastion;
  beforeAll(async () => {
    [readOnly, listed] = await Promise.all([
      redmineBastion({ BASTION_READ_ONLY: 'true' }),
      redmineBastion({ BASTION_TOOLS: 'redmine_get_*,redmine_search_issues', BASTION_EXCLUDE_TOOLS: 'redmine_get_issue' }),
    ]);
  });

  it('refuses every other spelling of a hidden tool as an unknown tool, reaching nothing upstream', async () => {
    const targets: Array<[Bastion, string, Record<string, unknown>]> = [
      [readOnly, 'redmine_delete_issue', { issue_id: 1 }], // read-only refuses it
      [readOnly, 'redmine_create_issue', { project: 'alpha', subject: 'bypass' }],
      [listed, 'redmine_get_issue', { issue_id: 1 }], // denied
      [listed, 'redmine_delete_issue', { issue_id: 1 }], // not in the allow list
    ];
    const mark = proxy.seen.length;
    let attempts = 0;
    for (const [bastion, name, args] of targets) {
      const listedNames = (await bastion.client.listTools()).tools.map((tool) => tool.name);
      expect(listedNames).not.toContain(name);
      // The exact name is answered with why it is hidden; every other spelling as an unknown tool.
      const exact = await refusal(bastion, name, args);
      expect(exact).toMatch(new RegExp(`Tool ${name} is (hidden by read-only mode|disabled by policy)`));
      for (const spelling of spellings(name)) {
        attempts += 1;
        const message = await refusal(bastion, spelling, args);
        expect(message, JSON.stringify(spelling)).toContain(`Tool ${spelling} not found`);
      }
    }
    expect(attempts).toBeGreaterThan(100);
    expect(seenSince(mark)).toEqual([]);
    // The proxy path works: an enabled tool reaches Redmine through it.
    const me = await call(readOnly, 'redmine_get_current_user');
    expect(me.isError).toBeFalsy();
    expect(seenSince(mark).map((request) => `${request.method} ${request.path.split('?')[0]}`)).toEqual(['GET /users/current.json']);
  });

  it('does not resolve names inherited by plain objects (constructor, __proto__, toString, ...)', async () => {
    const mark = proxy.seen.length;
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'prototype']) {
      const message = await refusal(readOnly, name);
      expect(message, name).toMatch(new RegExp(`Tool ${name} (not found|disabled)`));
    }
    expect(seenSince(mark)).toEqual([]);
    // The server is still healthy afterwards.
    expect((await call(readOnly, 'redmine_get_current_user')).isError).toBeFalsy();
  });

  it('still serves the exact name of an enabled tool, and only that', async () => {
    expect((await call(listed, 'redmine_get_current_user')).isError).toBeFalsy();
    expect(await refusal(listed, 'REDMINE_GET_CURRENT_USER')).toContain('not found');
  });
});

describe('allow and deny patterns', () => {
  const serve = (extra: Record<string, string>) => runCli(['serve'], redmineEnv({ REDMINE_URL: proxy.url, BASTION_KEYRING: 'false', ...extra }));

  it('refuses to start when a pattern only matches by case, look-alike or Unicode form, instead of silently matching nothing', async () => {
    const patterns: Array<[string, string]> = [
      ['BASTION_EXCLUDE_TOOLS', 'REDMINE_DELETE_ISSUE'],
      ['BASTION_EXCLUDE_TOOLS', 'Redmine_delete_*'],
      ['BASTION_EXCLUDE_TOOLS', 'redmine_d\u0435lete_issue'],
      ['BASTION_EXCLUDE_TOOLS', FULLWIDTH('redmine_delete_issue')],
      ['BASTION_EXCLUDE_TOOLS', 'redmine_delete_issue\u200b'],
      ['BASTION_EXCLUDE_TOOLS', 'redmine-delete-issue'],
      ['BASTION_TOOLS', 'REDMINE_GET_*'],
      ['BASTION_TOOLS', 'redmine_g\u0435t_*'],
    ];
    const results = await Promise.all(patterns.map(([variable, pattern]) => serve({ [variable]: pattern })));
    results.forEach((result, index) => {
      const [variable, pattern] = patterns[index]!;
      expect(result.status, `${variable}=${pattern}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(`(${variable}): "${pattern}" matches no tool`);
    });
  });

  it('treats regular-expression characters in patterns literally: only * and ? are wildcards', async () => {
    const patterns = ['.*', 'redmine_.*', '^redmine_get_issue$', 'redmine_(get|search)_issues', '[r]edmine_get_issue', 'redmine_get_issue|redmine_delete_issue', 'redmine_get_issue\\'];
    const results = await Promise.all(patterns.map((pattern) => serve({ BASTION_TOOLS: pattern })));
    results.forEach((result, index) => {
      expect(result.status, `${patterns[index]}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(`"${patterns[index]}" matches no tool`);
    });
  });

  it('lets * span underscores and ? stand for exactly one character, as documented', async () => {
    const bastion = await redmineBastion({ BASTION_EXCLUDE_TOOLS: 'redmine_*_issue,redmine_get_projec?' });
    const names = (await bastion.client.listTools()).tools.map((tool) => tool.name);
    for (const gone of ['redmine_get_issue', 'redmine_create_issue', 'redmine_update_issue', 'redmine_delete_issue', 'redmine_get_project']) expect(names).not.toContain(gone);
    for (const kept of ['redmine_search_issues', 'redmine_list_projects', 'redmine_get_current_user']) expect(names).toContain(kept);
    await bastion.close();
  });
});

describe('Redmine project scope (REDMINE_PROJECTS=beta)', () => {
  let bastion: Bastion;
  let alphaIssue: number;
  let betaIssue: number;
  beforeAll(async () => {
    bastion = await redmineBastion({ REDMINE_PROJECTS: 'beta' });
    alphaIssue = await issueIdBySubject('Alpha issue 2');
    betaIssue = await issueIdBySubject('Beta issue 2');
  });

  it('refuses other spellings of a project name before asking Redmine', async () => {
    const mark = proxy.seen.length;
    for (const project of ['ALPHA', 'Alpha', '\u0430lpha', FULLWIDTH('alpha'), ' alpha', 'alpha ', 'alpha\u200b', 'alpha/../beta', 'beta,alpha', '%61lpha', '1.0', '-1']) {
      for (const [tool, args] of [
        ['redmine_search_issues', { project }],
        ['redmine_create_issue', { project, subject: 'bypass' }],
      ] as const) {
        const result = await call(bastion, tool, args);
        expect(result.isError, `${tool} ${JSON.stringify(project)}`).toBe(true);
        expect(result.text).toContain('project');
      }
    }
    expect(seenSince(mark)).toEqual([]);
  });

  it('refuses another project named by numeric id, with or without leading zeros', async () => {
    const mark = proxy.seen.length;
    for (const project of ['1', '01', '0001']) {
      const search = await call(bastion, 'redmine_search_issues', { project });
      expect(search.text).toContain(`Project "${project}" is outside the allowed projects (REDMINE_PROJECTS=beta)`);
      const create = await call(bastion, 'redmine_create_issue', { project, subject: 'bypass' });
      expect(create.text).toContain('outside the allowed projects');
      const move = await call(bastion, 'redmine_update_issue', { issue_id: betaIssue, project });
      expect(move.text).toContain('outside the allowed projects');
    }
    // The allowed project by its id is accepted.
    const beta = await call(bastion, 'redmine_search_issues', { project: '2', limit: 1 });
    expect(beta.isError, beta.text).toBeFalsy();
    expect(changesSince(mark)).toEqual([]);
  });

  it('refuses a parent issue in another project, on create and on update', async () => {
    const mark = proxy.seen.length;
    const create = await call(bastion, 'redmine_create_issue', { project: 'beta', subject: 'child of alpha', parent_issue_id: alphaIssue });
    expect(create.isError).toBe(true);
    expect(create.text).toBe(`Issue #${alphaIssue} is outside the allowed projects (REDMINE_PROJECTS=beta).`);
    const update = await call(bastion, 'redmine_update_issue', { issue_id: betaIssue, parent_issue_id: alphaIssue });
    expect(update.isError).toBe(true);
    expect(update.text).toBe(`Issue #${alphaIssue} is outside the allowed projects (REDMINE_PROJECTS=beta).`);
    expect(changesSince(mark)).toEqual([]);
  });
});

describe('YouTrack project scope (YOUTRACK_PROJECTS=OPS)', () => {
  let bastion: Bastion;
  const idOf = (key: string) => youtrack.state.issues.find((issue) => issue.idReadable === key)!.id;
  beforeAll(async () => {
    bastion = await startBastionOnYouTrack(youtrack, { YOUTRACK_PROJECTS: 'OPS' });
    stoppers.push(() => bastion.close());
  });

  it('refuses look-alike and fullwidth issue keys and project names before asking YouTrack', async () => {
    const before = youtrack.requests.length;
    for (const issue_id of ['D\u0415MO-1', '\u041ePS-1', FULLWIDTH('demo').toUpperCase() + '-1', 'DEMO-1 ', 'DEMO\u200b-1', 'DEMO-1/../OPS-1']) {
      const result = await call(bastion, 'youtrack_get_issue', { issue_id });
      expect(result.isError, issue_id).toBe(true);
      expect(result.text).toContain('issue_id');
    }
    for (const project of ['D\u0415MO', 'DEMO ', 'OPS/../DEMO']) {
      const result = await call(bastion, 'youtrack_create_issue', { project, summary: 'bypass' });
      expect(result.isError, project).toBe(true);
    }
    expect(youtrack.requests.length).toBe(before);
  });

  it('refuses another project by case, by entity id and by database issue id', async () => {
    const before = writes(youtrack);
    expect((await call(bastion, 'youtrack_get_issue', { issue_id: 'demo-1' })).text).toContain('Issue DEMO-1 is outside the allowed projects');
    expect((await call(bastion, 'youtrack_get_issue', { issue_id: idOf('DEMO-1') })).text).toContain('Issue DEMO-1 is outside the allowed projects');
    for (const project of ['demo', '0-1']) {
      const result = await call(bastion, 'youtrack_create_issue', { project, summary: 'bypass' });
      expect(result.text, project).toContain('Project DEMO is outside the allowed projects (YOUTRACK_PROJECTS=OPS)');
    }
    expect(writes(youtrack)).toBe(before);
  });

  it('keeps a search inside the scope even when the query tries to close the scope\'s parentheses', async () => {
    const opsTotal = (await call(bastion, 'youtrack_search_issues', { query: '' })).structured.total;
    expect(opsTotal).toBeGreaterThan(0);
    const before = youtrack.requests.length;
    for (const query of ['#Unresolved) or (project: DEMO', 'x) or (project: DEMO) and (x', ')(', '{DEMO) or (project: DEMO']) {
      const result = await call(bastion, 'youtrack_search_issues', { query });
      expect(result.isError, query).toBe(true);
      expect(result.text).toContain('do not balance');
    }
    expect(youtrack.requests.length).toBe(before);
    // Balanced parentheses and braces or quotes holding them are fine, and stay in scope.
    const fine = await call(bastion, 'youtrack_search_issues', { query: '(#Unresolved or #Resolved) and summary: "a (b"' });
    expect(fine.isError, fine.text).toBeFalsy();
    expect(fine.structured.total).toBeLessThanOrEqual(opsTotal);
  });

  it('refuses commands that link to issues of other projects or move issues, sending nothing', async () => {
    const before = writes(youtrack);
    const linksBefore = youtrack.state.links.length;
    const commands = [
      'relates to DEMO-1',
      'subtask of demo-2',
      `depends on ${idOf('DEMO-3')}`,
      `State {In Progress} relates to ${FULLWIDTH('demo').toUpperCase()}-1`,
      'Project DEMO',
      'project: DEMO',
      'move to DEMO',
      'State Fixed PROJECT {DEMO}',
      `${FULLWIDTH('project')} DEMO`,
    ];
    for (const command of commands) {
      const result = await call(bastion, 'youtrack_apply_command', { issue_ids: ['OPS-1'], command });
      expect(result.isError, command).toBe(true);
      expect(result.text, command).toMatch(/outside the allowed projects \(YOUTRACK_PROJECTS=OPS\)|cannot move issues between projects while YOUTRACK_PROJECTS is set/);
    }
    expect(writes(youtrack)).toBe(before);
    expect(youtrack.state.links.length).toBe(linksBefore);
    // A link inside the scope still works.
    const inside = await call(bastion, 'youtrack_apply_command', { issue_ids: ['OPS-1'], command: 'relates to OPS-2' });
    expect(inside.isError, inside.text).toBeFalsy();
    expect(youtrack.state.links.length).toBe(linksBefore + 1);
  });
});

describe('MQTT topic scope (MQTT_TOPICS)', () => {
  let broker: MosquittoEnv;
  let bastion: Bastion;
  let observer: Observer;
  const RUN = runId();
  const root = `bastion-bypass/${RUN}`;
  const allowed = `${root}/allowed`;
  beforeAll(async () => {
    broker = await ensureMosquitto();
    observer = await mosquittoObserver(broker);
    stoppers.push(() => observer.close());
    await observer.client.subscribeAsync([`${root}/#`, `/${root}/#`], { qos: 1 });
    // Values a refused read must not reveal.
    await observer.client.publishAsync(`${root}/other/x`, 'secret-other', { qos: 1, retain: true });
    await observer.client.publishAsync(`${root}/ALLOWED/x`, 'secret-case', { qos: 1, retain: true });
    bastion = await startBastionOnMosquitto(broker, { MQTT_TOPICS: `${allowed}/#` });
    stoppers.push(() => bastion.close());
    await waitConnected(bastion);
  });
  afterAll(async () => {
    for (const topic of [`${root}/other/x`, `${root}/ALLOWED/x`]) await observer?.client.publishAsync(topic, '', { qos: 1, retain: true });
  });

  it('refuses publishing to topics that only look like the allowed ones', async () => {
    const refused = [
      `${root}/other/x`,
      `${root}/ALLOWED/x`,
      `${root}/\u0430llowed/x`, // Cyrillic а
      `${root}/${FULLWIDTH('allowed')}/x`,
      `${root}//allowed/x`,
      `/${allowed}/x`,
      `${root}/allowed%2Fx`,
      `${root}/allowed\u2215x`, // division slash
      `${root}/allowed /x`,
      `${root}/allowed\u200b/x`,
      '$SYS/broker/x',
      `$share/g/${allowed}/x`,
    ];
    for (const topic of refused) {
      const result = await call(bastion, 'mqtt_publish', { topic, payload: 'bypass' });
      expect(result.isError, topic).toBe(true);
      // Invisible characters are stripped from what the model reads, so the message may show the topic without them.
      expect(result.text).toMatch(/^Topic ".+" is outside the allowed topics/);
      expect(result.text).toContain(`(MQTT_TOPICS=${allowed}/#).`);
    }
    for (const topic of [`${allowed}/+`, `${allowed}/#`, `${allowed}/x\u0000`]) {
      const result = await call(bastion, 'mqtt_publish', { topic, payload: 'bypass' });
      expect(result.isError, topic).toBe(true);
      expect(result.text).toMatch(/^topic: /);
    }
    // The level itself and a trailing empty level lie inside "allowed/#", as MQTT defines it.
    for (const topic of [allowed, `${allowed}/`, `${allowed}/done`]) {
      const result = await call(bastion, 'mqtt_publish', { topic, payload: 'ok' });
      expect(result.isError, `${topic}: ${result.text}`).toBeFalsy();
    }
    // Messages from one client arrive in order: once the last one is here, any refused one would be too.
    await expect.poll(() => observer.on(`${allowed}/done`).length, { timeout: 10_000 }).toBe(1);
    expect(observer.inbox.filter((message) => message.payload === 'bypass')).toEqual([]);
    expect(observer.inbox.filter((message) => message.payload === 'ok').map((message) => message.topic)).toEqual([allowed, `${allowed}/`, `${allowed}/done`]);
  });

  it('refuses filters that reach outside by wildcards, $SYS, shared subscriptions, case or look-alikes, revealing nothing', async () => {
    const refused = [
      '#',
      '+/#',
      `${root}/#`,
      `${root}/+/x`,
      `${root}/+`,
      `+/${RUN}/allowed/#`,
      `${root}/ALLOWED/#`,
      `${root}/\u0430llowed/#`,
      `/${allowed}/#`,
      `${root}//allowed/#`,
      '$SYS/#',
      '$SYS/broker/version',
      `$share/g/${allowed}/#`,
    ];
    for (const topic of refused) {
      for (const tool of ['mqtt_read_retained', 'mqtt_read_topic'] as const) {
        const result = await call(bastion, tool, { topic, ...(tool === 'mqtt_read_topic' ? { timeout_seconds: 0.1 } : { wait_ms: 50 }) });
        expect(result.isError, `${tool} ${topic}`).toBe(true);
        expect(result.text).toBe(`Topic filter "${topic}" is outside the allowed topics (MQTT_TOPICS=${allowed}/#).`);
        expect(result.text).not.toContain('secret-');
      }
    }
  });

  it('refuses a filter with NUL before it reaches the broker, and stays connected', async () => {
    for (const topic of [`${allowed}/\u0000`, `${allowed}/#\u0000`]) {
      const result = await call(bastion, 'mqtt_read_retained', { topic, wait_ms: 50 });
      expect(result.isError).toBe(true);
      expect(result.text).toBe('topic: a topic filter cannot contain NUL.');
    }
    const status = await call(bastion, 'mqtt_broker_status');
    expect(status.structured.state).toBe('connected');
  });
});

describe('topics in LoT definitions (MQTT_TOPICS=plant/#)', () => {
  let broker: CorefluxBroker;
  let bastion: Bastion;
  beforeAll(async () => {
    broker = await startCoreflux();
    stoppers.push(() => broker.close());
    bastion = await startBastionOnCoreflux(broker, { MQTT_TOPICS: 'plant/#' });
    stoppers.push(() => bastion.close());
    await waitConnected(bastion);
  });

  it('refuses topics that are computed, escaped or extended past a level, sending nothing to the broker', async () => {
    const before = broker.commands.length;
    const actions = [
      'PUBLISH TOPIC "plant" + "s/x" WITH "1"', // "plants/x"
      'PUBLISH TOPIC "" + "$SYS/Coreflux/Command" WITH "-removeAllModels"',
      'PUBLISH TOPIC "\\$SYS/Coreflux/Command" WITH "-removeAllModels"',
      'PUBLISH TOPIC target WITH "1"',
      'PUBLISH TOPIC ("office/" + "x") WITH "1"',
      'PUBLISH TOPIC \'office/x\' WITH "1"',
      'PUBLISH TOPIC "off" "ice/x" WITH "1"',
      'PUBLISH topic "office/x" WITH "1"',
      'PUBLISH TOPIC "office/x" WITH "1"',
    ];
    for (const [index, statement] of actions.entries()) {
      const definition = `DEFINE ACTION Sneaky${index}\nDO\n    ${statement}`;
      for (const [tool, args] of [
        ['coreflux_add_action', { definition }],
        ['coreflux_broker_command', { verb: 'addAction', args: definition }],
      ] as const) {
        const result = await call(bastion, tool, args);
        expect(result.isError, `${tool}: ${statement}`).toBe(true);
        expect(result.text).toMatch(/MQTT_TOPICS/);
      }
    }
    expect(broker.commands.slice(before)).toEqual([]);
    expect([...broker.state.actions.keys()].filter((name) => name.startsWith('Sneaky'))).toEqual([]);
  });

  it('accepts a topic extended below a checked level, and topic positions of the trigger', async () => {
    const before = broker.commands.length;
    const definition = 'DEFINE ACTION Echo\nON TOPIC "plant/+/in"\nDO\n    PUBLISH TOPIC "plant/out/" + TOPIC POSITION 2 WITH PAYLOAD';
    const result = await call(bastion, 'coreflux_add_action', { definition });
    expect(result.isError, result.text).toBeFalsy();
    // The connection's first command is preceded by the -requestId probe (an unknown verb that changes nothing).
    expect(broker.commands.slice(before).map((command) => command.verb).filter((verb) => verb !== 'bastionRequestIdProbe')).toEqual(['addAction']);
  });
});

// ---------------------------------------------------------------- batches

const READ_TOKEN = 'canary-bypass-read-token';
const WRITE_TOKEN = 'canary-bypass-write-token';
const YOUTRACK_ONLY_TOKEN = 'canary-bypass-youtrack-token';

interface RpcAnswer {
  status: number;
  messages: Array<{ id?: unknown; result?: any; error?: { code: number; message: string } }>;
}

/** POSTs a raw JSON-RPC body and collects the answers, whether sent as JSON or as an SSE stream. */
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18' };
const sessions = new Map<string, string>();

/** A 2025-era session of this caller (the server serves 2025-era requests only in one). */
async function sessionOf(url: string, token: string): Promise<string> {
  // One session per server and token: a session id means nothing to another server.
  const key = `${url} ${token}`;
  const known = sessions.get(key);
  if (known) return known;
  const initialize = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'batch', version: '1' } } };
  const response = await fetch(url, { method: 'POST', headers: { ...HEADERS, authorization: `Bearer ${token}` }, body: JSON.stringify(initialize) });
  await response.text();
  const session = response.headers.get('mcp-session-id')!;
  await (await fetch(url, { method: 'POST', headers: { ...HEADERS, authorization: `Bearer ${token}`, 'mcp-session-id': session }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
  sessions.set(key, session);
  return session;
}

async function rpc(url: string, token: string, body: unknown): Promise<RpcAnswer> {
  const opening = Array.isArray(body) && body.some((message: { method?: string }) => message.method === 'initialize');
  const session: Record<string, string> = opening ? {} : { 'mcp-session-id': await sessionOf(url, token) };
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...HEADERS, authorization: `Bearer ${token}`, ...session },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = (response.headers.get('content-type') ?? '').includes('text/event-stream')
    ? text.split('\n').filter((line) => line.startsWith('data:')).map((line) => JSON.parse(line.slice(5)))
    : [JSON.parse(text)].flat();
  return { status: response.status, messages: parsed };
}

const toolCall = (id: number | string, name: string, args: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
const byId = (answer: RpcAnswer) => new Map(answer.messages.map((message) => [message.id, message]));

describe('JSON-RPC batches over HTTP', () => {
  let server: HttpBastion;
  let betaIssue: number;
  beforeAll(async () => {
    const tokens = join(dir, 'tokens.json');
    const entry = (name: string, token: string, scopes: string[]) => ({ name, sha256: createHash('sha256').update(token).digest('hex'), scopes });
    writeFileSync(
      tokens,
      JSON.stringify({
        tokens: [entry('reader', READ_TOKEN, ['bastion:read']), entry('writer', WRITE_TOKEN, ['bastion:write']), entry('youtrack-writer', YOUTRACK_ONLY_TOKEN, ['bastion:write', 'bastion:connector:youtrack'])],
      }),
    );
    chmodSync(tokens, 0o600);
    server = await startHttpBastion({
      env: youtrackEnv(youtrack, { ...redmineEnv({ REDMINE_URL: proxy.url }), BASTION_HTTP_TOKENS_FILE: tokens, BASTION_RATE_LIMIT: '1000/min', BASTION_KEYRING: 'false' }),
    });
    stoppers.push(() => server.stop(2_000));
    betaIssue = await issueIdBySubject('Beta issue 1');
  });

  const BATCH_REFUSED = {
    jsonrpc: '2.0',
    id: null,
    error: { code: -32600, message: 'Invalid Request: JSON-RPC batches are not supported (MCP has none since protocol revision 2025-06-18); send each request in its own HTTP POST.' },
  };

  it('refuses every batch as a whole, whoever sends it and whatever it holds, running none of its elements', async () => {
    const mark = proxy.seen.length;
    const ytBefore = youtrack.requests.length;
    const initialize = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'batch', version: '1' } } };
    const batches = [
      [toolCall(1, 'redmine_get_current_user'), toolCall(2, 'redmine_delete_issue', { issue_id: betaIssue }), toolCall(3, 'REDMINE_DELETE_ISSUE', { issue_id: betaIssue })],
      [toolCall('a', 'youtrack_get_issue', { issue_id: 'DEMO-1', comments: 0 }), toolCall('b', 'youtrack_update_issue', { issue_id: 'DEMO-3', summary: 'bypass' })],
      [initialize, toolCall(1, 'redmine_get_current_user')],
      [toolCall(1, 'redmine_get_current_user')],
    ];
    for (const token of [READ_TOKEN, WRITE_TOKEN, YOUTRACK_ONLY_TOKEN]) {
      for (const batch of batches) {
        const answer = await rpc(server.url, token, batch);
        expect(answer.status).toBe(400);
        expect(answer.messages).toEqual([BATCH_REFUSED]);
      }
    }
    expect(seenSince(mark)).toEqual([]);
    expect(youtrack.requests.length).toBe(ytBefore);
  });

  it('recognises a batch behind leading whitespace, as a JSON parser would', async () => {
    const mark = proxy.seen.length;
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18', authorization: `Bearer ${WRITE_TOKEN}` },
      body: ` \r\n\t${JSON.stringify([toolCall(1, 'redmine_delete_issue', { issue_id: betaIssue })])}`,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual(BATCH_REFUSED);
    expect(seenSince(mark)).toEqual([]);
  });

  it('still runs single requests, each within the caller\'s limits', async () => {
    const written = await rpc(server.url, WRITE_TOKEN, toolCall(1, 'youtrack_update_issue', { issue_id: 'DEMO-3', summary: 'Changed alone' }));
    expect(byId(written).get(1)!.result.isError).toBeFalsy();
    expect(youtrack.state.issues.find((issue) => issue.idReadable === 'DEMO-3')!.summary).toBe('Changed alone');
    const mark = proxy.seen.length;
    const refused = await rpc(server.url, READ_TOKEN, toolCall(2, 'redmine_delete_issue', { issue_id: betaIssue }));
    expect(byId(refused).get(2)!.error?.message).toBe('Tool redmine_delete_issue not found');
    expect(changesSince(mark)).toEqual([]);
  });
});

describe('JSON-RPC batches and the HTTP rate limit', () => {
  it('cannot run 50 calls on one token: the batch is refused and nothing reaches Redmine', async () => {
    const tokens = join(dir, 'limited-tokens.json');
    writeFileSync(tokens, JSON.stringify({ tokens: [{ name: 'limited', sha256: createHash('sha256').update(WRITE_TOKEN).digest('hex'), scopes: ['bastion:write'] }] }));
    chmodSync(tokens, 0o600);
    const limited = await startHttpBastion({ env: redmineEnv({ REDMINE_URL: proxy.url, BASTION_HTTP_TOKENS_FILE: tokens, BASTION_RATE_LIMIT: '5/min', BASTION_KEYRING: 'false' }) });
    stoppers.push(() => limited.stop(2_000));
    // Of the 5 requests a minute, opening the session takes two (initialize, initialized) and the batch one.
    const mark = proxy.seen.length;
    const answer = await rpc(limited.url, WRITE_TOKEN, Array.from({ length: 50 }, (_, index) => toolCall(index + 1, 'redmine_get_current_user')));
    expect(answer.status).toBe(400);
    expect(answer.messages[0]!.error?.message).toMatch(/batches are not supported/);
    expect(seenSince(mark)).toEqual([]);
    // The limit still holds one call per request: two more calls fit in the 5/min, the next is refused.
    const statuses: number[] = [];
    for (let id = 1; id <= 3; id += 1) statuses.push((await rpc(limited.url, WRITE_TOKEN, toolCall(id, 'redmine_get_current_user'))).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect(seenSince(mark).length).toBe(2);
  });
});

/** The CLI over stdio, spoken to with raw JSON-RPC lines. */
interface RawStdio {
  child: ChildProcessWithoutNullStreams;
  messages: Array<{ id?: unknown; result?: any; error?: { message: string } }>;
  stderr(): string;
  send(message: unknown): void;
  answer(id: unknown): Promise<{ result?: any; error?: { message: string } }>;
}

function rawStdio(env: Record<string, string>): RawStdio {
  const child = spawn(process.execPath, [CLI, 'serve'], { env });
  const messages: RawStdio['messages'] = [];
  let buffered = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines.filter(Boolean)) messages.push(JSON.parse(line));
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return {
    child,
    messages,
    stderr: () => stderr,
    send: (message) => child.stdin.write(`${JSON.stringify(message)}\n`),
    answer: async (id) => {
      await expect.poll(() => messages.some((message) => message.id === id), { timeout: 20_000 }).toBe(true);
      return messages.find((message) => message.id === id)!;
    },
  };
}

describe('JSON-RPC batches over stdio', () => {
  it('ignores a batch line as a whole (logged, nothing run) and keeps serving single requests', async () => {
    const stdio = rawStdio(redmineEnv({ REDMINE_URL: proxy.url, BASTION_READ_ONLY: 'true', BASTION_KEYRING: 'false' }));
    stoppers.push(async () => stdio.child.kill());
    stdio.send({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    expect((await stdio.answer('init')).result.serverInfo.name).toBe('bastion');
    stdio.send({ jsonrpc: '2.0', method: 'notifications/initialized' });

    const mark = proxy.seen.length;
    const betaIssue = await issueIdBySubject('Beta issue 1');
    stdio.send([
      { jsonrpc: '2.0', id: 'b-ping', method: 'ping' },
      toolCall('b-delete', 'redmine_delete_issue', { issue_id: betaIssue }),
      toolCall('b-read', 'redmine_get_current_user'),
    ]);
    // Lines are handled in order: once this ping is answered, the batch's own ping would have been too.
    stdio.send({ jsonrpc: '2.0', id: 'after', method: 'ping' });
    expect((await stdio.answer('after')).result).toEqual({});
    expect(stdio.messages.map((message) => message.id)).toEqual(['init', 'after']);
    expect(seenSince(mark)).toEqual([]);
    expect(stdio.stderr()).toContain('stdio transport error');

    stdio.send(toolCall('single-delete', 'redmine_delete_issue', { issue_id: betaIssue }));
    expect((await stdio.answer('single-delete')).error?.message).toMatch(/^Tool redmine_delete_issue is hidden by read-only mode/);
    stdio.send(toolCall('single-read', 'redmine_get_current_user'));
    expect((await stdio.answer('single-read')).result.content[0].text).toContain('(admin, id 1)');
    expect(changesSince(mark)).toEqual([]);
    stdio.child.kill();
  });
});
