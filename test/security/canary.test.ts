// The canary promise for the whole product in one place: every tool of every connector, run with canary credentials
// at debug level, on the success paths and on every error path (401, 403, 5xx, timeouts, TLS failures, bad
// configuration), over stdio and over HTTP, with a shared Redis. Everything Bastion writes is captured — results,
// raw stdout, stderr, audit logs, doctor (text and JSON), HTTP bodies and headers — and searched for each canary in
// every form it could leak in. A new tool must be called here: the suite checks the called set against tools/list.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS as CONNECTOR_ENTRIES } from '../../src/connectors/index.js';
import { COPILOT_TEST_KEY, startCopilotDouble, startVerifierDouble, type CopilotDouble, type VerifierDouble } from '../doubles/copilot.js';
import type { CorefluxBroker } from '../doubles/coreflux.js';
import type { EtimDouble } from '../doubles/etim.js';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import { call, redmineEnv, runCli, startBastion, type Bastion, type ToolResult } from '../helpers/bastion.js';
import { describeLeaks, findLeaks, type Captured } from '../helpers/canary.js';
import { COREFLUX_TEST_PASSWORD, corefluxEnv, mosquittoEnv, mosquittoMtlsEnv, mosquittoTlsEnv, pollUntil, runId, startCoreflux, waitConnected } from '../helpers/coreflux.js';
import { ETIM_TEST_CLIENT_ID, ETIM_TEST_CLIENT_SECRET, etimEnv, presentedTokens, startEtim } from '../helpers/etim.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { startHttpBastion, writeTokensFile, type HttpBastion } from '../helpers/http-server.js';
import { ensureMosquitto, type MosquittoEnv } from '../helpers/mosquitto.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { ADMIN_KEY, REDMINE_PORT, REDMINE_URL, issueIdBySubject, redmine } from '../helpers/redmine.js';
import { startYouTrack, youtrackEnv, YOUTRACK_TEST_TOKEN } from '../helpers/youtrack.js';
import { makeSelfSignedCert } from '../unit/helpers/tls-cert.js';

const RUN = runId();
const dir = mkdtempSync(join(tmpdir(), 'bastion-canary-'));
const b64 = (text: string) => Buffer.from(text).toString('base64');

// Second canaries: wrong credentials, which must not show up either.
const WRONG_REDMINE_KEY = '0badc0de0badc0de0badc0de0badc0de0badc0de'; // canary: a wrong Redmine key (hex, like a real one)
const WRONG_YOUTRACK_TOKEN = `perm:${b64('admin')}.${b64('canary-wrong')}.Zr8Kq2Wm5Tn7Yb3Vc9Xp`; // canary, well-formed but unknown
const WRONG_ETIM_SECRET = 'canary-wrong-etim-secret-R4u9Wd';
const WRONG_MQTT_PASSWORD = 'canary-wrong-mqtt-password-Hs3Lq';
const WRONG_COPILOT_KEY = 'do-agent-canary-wrong-key-7Gv2Nm';
const REDIS_PASSWORD = 'canary-redis-password-Vt6Jx2';
const WRONG_REDIS_PASSWORD = 'canary-wrong-redis-password-Pe5Qa';
const HTTP_TOKEN = 'canary-http-bearer-token-Lw4Rk8Zs';
const NO_SCOPE_HTTP_TOKEN = 'canary-http-noscope-token-Bq2Fy7';
const WRONG_HTTP_TOKEN = 'canary-http-wrong-token-Dn9Tc3';

type Connector = 'redmine' | 'youtrack' | 'etim' | 'coreflux';
const CONNECTORS: Connector[] = ['redmine', 'youtrack', 'etim', 'coreflux'];
const TOOL_COUNTS: Record<Connector, number> = { redmine: 50, youtrack: 45, etim: 20, coreflux: 25 };

/** What a call is meant to exercise; each error kind must really have happened (see ERROR_SIGNS). */
type Kind = 'ok' | 'error' | '401' | '403' | '5xx' | 'timeout' | 'tls';
const ERROR_KINDS = ['401', '403', '5xx', 'timeout', 'tls'] as const;
/** How each kind of failure reads in a result, whichever connector reports it. */
const ERROR_SIGNS: Record<(typeof ERROR_KINDS)[number], RegExp> = {
  '401': /\b401\b|invalid_client|not authorized|refused the credentials/i,
  '403': /\b403\b|not authorized|forbidden/i,
  '5xx': /\b50[0-4]\b/,
  timeout: /within \d+ ?(?:ms|s)\b|timed out|timeout/i,
  tls: /\bTLS\b|certificate/i,
};

interface Outcome {
  config: string;
  tool: string;
  kind: Kind;
  isError: boolean;
  text: string;
}

/** Every text Bastion produced in this file, by source. */
const captured: Captured[] = [];
const outcomes: Outcome[] = [];
/** tools/list of each connector's own Bastion. */
const listed = new Map<Connector, string[]>();
/** Doctor's text output per configuration, and the exit status of each bad-configuration run. */
const doctorText: Record<string, string> = {};
const refusedConfigs: Array<{ name: string; connector: Connector; command: string; status: number | null }> = [];

function capture(source: string, text: string): void {
  captured.push({ source, text });
}

/** Calls a tool, keeps its whole result, and notes what the call was meant to exercise. */
async function tool(config: string, bastion: Bastion, name: string, args: Record<string, unknown> = {}, kind: Kind = 'ok'): Promise<ToolResult> {
  const result = await call(bastion, name, args);
  capture(`${config}: ${name} result`, JSON.stringify(result));
  outcomes.push({ config, tool: name, kind, isError: result.isError === true, text: result.text });
  // The sweep goes on with what a call returned: stop at a failed call with its own message, not at a missing field.
  if (kind === 'ok' && result.isError === true) throw new Error(`${name} was meant to succeed and failed: ${result.text.slice(0, 500)}`);
  return result;
}

/** Runs doctor (text and JSON) at debug level on a configuration and keeps everything it printed. */
async function doctor(config: string, env: Record<string, string>): Promise<void> {
  const [text, json] = await Promise.all([
    runCli(['doctor', '--log-level', 'debug'], { ...env, BASTION_AUDIT_LOG: join(dir, `${config}-doctor.jsonl`) }),
    runCli(['doctor', '--json', '--log-level', 'debug'], { ...env, BASTION_AUDIT_LOG: join(dir, `${config}-doctor-json.jsonl`) }),
  ]);
  doctorText[config] = `${text.stdout}\n(exit ${text.status})\n${text.stderr.slice(-2000)}`;
  capture(`doctor ${config}: stdout`, text.stdout);
  capture(`doctor ${config}: stderr`, text.stderr);
  capture(`doctor --json ${config}: stdout`, json.stdout);
  capture(`doctor --json ${config}: stderr`, json.stderr);
}

/** One Bastion over stdio for a configuration, with its own audit log; closed and captured after `run`, then doctor. */
async function sweep(config: string, env: Record<string, string>, run: (bastion: Bastion) => Promise<void>): Promise<void> {
  const full = { ...env, BASTION_KEYRING: 'false', BASTION_LOG_LEVEL: 'debug', BASTION_AUDIT_LOG: join(dir, `${config}.jsonl`) };
  const bastion = await startBastion({ env: full }).catch(async (error: unknown) => {
    // The client only says the connection closed: run it again to show why it stopped.
    throw new Error(`${config}: Bastion did not start: ${(await runCli(['serve'], full)).stderr}`, { cause: error });
  });
  try {
    await run(bastion);
  } catch (error) {
    throw new Error(`${config}: ${String(error)}\n--- stderr ---\n${bastion.stderr().slice(-3000)}`, { cause: error });
  } finally {
    await bastion.close();
    capture(`${config}: stderr`, bastion.stderr());
    capture(`${config}: stdout`, bastion.stdout());
  }
  await doctor(config, full);
}

/** Waits until mqtt_broker_status's text (structured content is off in compact mode) matches. */
async function waitBroker(bastion: Bastion, pattern: RegExp): Promise<void> {
  await pollUntil(() => call(bastion, 'mqtt_broker_status'), (result) => pattern.test(result.text), `broker status matching ${pattern}`);
}

async function listTools(connector: Connector, bastion: Bastion): Promise<void> {
  const { tools } = await bastion.client.listTools();
  capture(`${connector}: tools/list`, JSON.stringify(tools));
  // Bastion's own tools (bastion_status) are listed beside every connector's; each sweep calls them too.
  listed.set(connector, tools.map((t) => t.name).filter((name) => !name.startsWith('bastion_')));
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}
async function stop(server: Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

let mosquitto: MosquittoEnv;
let proxy: FaultProxy;
let youtrack: YouTrackDouble;
let etim: EtimDouble;
let broker: CorefluxBroker;
let copilot: CopilotDouble;
let verifier: VerifierDouble;
let redis: TestRedis;
let hanging: Server;
let untrusted: Server;
let hangingUrl: string;
let untrustedUrl: string;
let httpServer: HttpBastion | undefined;
/** Redmine objects made here that no tool can remove, removed after the file. */
const cleanups: Array<() => Promise<unknown>> = [];

/** Redmine: all 50 tools through the fault proxy, which also injects 403 and 5xx answers. */
async function redmineSweep(): Promise<void> {
  const issueOne = await issueIdBySubject('Alpha issue 1');
  await sweep('redmine', redmineEnv({ REDMINE_URL: proxy.url }), async (b) => {
    const c = 'redmine';
    await listTools('redmine', b);
    await tool(c, b, 'bastion_status');
    const me = (await tool(c, b, 'redmine_get_current_user')).structured;
    await tool(c, b, 'redmine_list_projects');
    await tool(c, b, 'redmine_get_project', { project: 'alpha', include: ['memberships'] });
    await tool(c, b, 'redmine_list_versions', { project: 'alpha' });
    await tool(c, b, 'redmine_lookup', { kind: 'statuses' });
    await tool(c, b, 'redmine_list_users');
    await tool(c, b, 'redmine_search', { q: 'Alpha' });
    await tool(c, b, 'redmine_search_issues', { project: 'alpha', limit: 2 });
    // An upstream that hands a secret back: the attachment's content holds the key itself.
    const upload = (await tool(c, b, 'redmine_upload_attachment', { filename: 'canary.txt', content: `api_key=${ADMIN_KEY}\nkey ${ADMIN_KEY}\n` })).structured;
    const created = (
      await tool(c, b, 'redmine_create_issue', {
        project: 'alpha',
        subject: `Canary suite ${RUN}`,
        description: `Made by the canary suite; X-Redmine-API-Key: ${ADMIN_KEY}`,
        uploads: [{ upload_token: upload.upload_token, filename: 'canary.txt' }],
      })
    ).structured;
    const issue = created.id as number;
    // A throw-away project for the project tools, and the copy of the issue (deleted with the project at the end).
    const project = `canary-${RUN}`.toLowerCase().replace(/[^a-z0-9_-]/g, '-');
    cleanups.push(() => redmine('DELETE', `/projects/${project}.json`));
    await tool(c, b, 'redmine_create_project', { name: `Canary ${RUN}`, identifier: project, description: `api_key=${ADMIN_KEY}` });
    await tool(c, b, 'redmine_update_project', { project, description: `password=${ADMIN_KEY}` });
    await tool(c, b, 'redmine_copy_issue', { issue_id: issue, project, with_attachments: true });
    await tool(c, b, 'redmine_create_subtasks', { parent_issue_id: issue, subtasks: [{ subject: `Canary subtask ${RUN}`, description: `key ${ADMIN_KEY}` }] });
    await tool(c, b, 'redmine_update_issue', { issue_id: issue, notes: `first note ${RUN}` });
    await tool(c, b, 'redmine_add_note', { issue_id: issue, notes: `second note; api_key=${ADMIN_KEY}` });
    const read = (await tool(c, b, 'redmine_get_issue', { issue_id: issue })).structured;
    await tool(c, b, 'redmine_update_journal', { issue_id: issue, journal_id: read.journals.items[0].id, notes: `edited note ${RUN}` });
    await tool(c, b, 'redmine_get_attachment', { attachment_id: read.attachments[0].id, include_content: true });
    await tool(c, b, 'redmine_download_attachment', { attachment_id: read.attachments[0].id, issue_id: issue });
    await tool(c, b, 'redmine_list_files', { project: 'alpha' });
    await tool(c, b, 'redmine_list_news', {});
    await tool(c, b, 'redmine_add_member', { project: 'beta', principal_id: me.id, roles: ['Reporter'] });
    cleanups.push(async () => {
      const { body } = await redmine('GET', '/projects/beta/memberships.json');
      for (const m of body.memberships as Array<{ id: number; user?: { id: number } }>) if (m.user?.id === me.id) await redmine('DELETE', `/memberships/${m.id}.json`);
    });
    await tool(c, b, 'redmine_update_member', { project: 'beta', principal_id: me.id, roles: ['Developer'] });
    await tool(c, b, 'redmine_remove_member', { project: 'beta', principal_id: me.id });
    const category = (await tool(c, b, 'redmine_create_category', { project: 'beta', name: `Canary ${RUN}` })).structured;
    cleanups.push(() => redmine('DELETE', `/issue_categories/${category.id}.json`));
    await tool(c, b, 'redmine_update_category', { category_id: category.id, name: `Canary ${RUN} renamed` });
    await tool(c, b, 'redmine_delete_category', { category_id: category.id });
    await tool(c, b, 'redmine_delete_attachment', { attachment_id: read.attachments[0].id, issue_id: issue });
    await tool(c, b, 'redmine_add_watcher', { issue_id: issue, user_id: me.id });
    await tool(c, b, 'redmine_remove_watcher', { issue_id: issue, user_id: me.id });
    const relation = (await tool(c, b, 'redmine_create_relation', { issue_id: issue, issue_to_id: issueOne, relation_type: 'relates' })).structured;
    await tool(c, b, 'redmine_delete_relation', { relation_id: relation.id });
    const entry = (await tool(c, b, 'redmine_log_time', { issue_id: issue, hours: 0.25, comments: `canary ${RUN}` })).structured;
    await tool(c, b, 'redmine_list_time_entries', { issue_id: issue });
    await tool(c, b, 'redmine_update_time_entry', { time_entry_id: entry.id, hours: 0.5 });
    await tool(c, b, 'redmine_delete_time_entry', { time_entry_id: entry.id });
    const version = (await tool(c, b, 'redmine_create_version', { project: 'alpha', name: `Canary ${RUN}` })).structured;
    cleanups.push(() => redmine('DELETE', `/versions/${version.id}.json`));
    await tool(c, b, 'redmine_update_version', { version_id: version.id, status: 'closed', description: `token ${ADMIN_KEY}` });
    await tool(c, b, 'redmine_get_version', { version_id: version.id });
    await tool(c, b, 'redmine_delete_version', { version_id: version.id });
    const title = `Canary_${RUN}`;
    cleanups.push(() => redmine('DELETE', `/projects/alpha/wiki/${title}.json`));
    await tool(c, b, 'redmine_put_wiki_page', { project: 'alpha', title, text: `Canary page; password=${ADMIN_KEY}` });
    await tool(c, b, 'redmine_get_wiki_page', { project: 'alpha', title });
    await tool(c, b, 'redmine_list_wiki_pages', { project: 'alpha' });
    await tool(c, b, 'redmine_put_wiki_page', { project: 'alpha', title, text: `Second version`, comments: `api_key=${ADMIN_KEY}` });
    await tool(c, b, 'redmine_list_wiki_versions', { project: 'alpha', title });
    await tool(c, b, 'redmine_delete_wiki_page', { project: 'alpha', title });
    await tool(c, b, 'redmine_delete_issue', { issue_id: issue });
    await tool(c, b, 'redmine_archive_project', { project });
    await tool(c, b, 'redmine_unarchive_project', { project });
    await tool(c, b, 'redmine_delete_project', { project });

    await tool(c, b, 'redmine_get_issue', { issue_id: 99_999_999 }, 'error');
    await tool(c, b, 'redmine_create_issue', { project: 'alpha', subject: `Canary ${RUN}`, parent_issue_id: 99_999_999 }, 'error');
    proxy.failNext({ method: 'GET', pathPrefix: '/users/current.json', count: 1, status: 403 });
    await tool(c, b, 'redmine_get_current_user', {}, '403');
    proxy.failNext({ method: 'GET', pathPrefix: '/issues.json', count: 4, status: 503 });
    await tool(c, b, 'redmine_search_issues', { project: 'alpha', limit: 1 }, '5xx');
    proxy.failNext({ method: 'POST', pathPrefix: '/issues.json', count: 1, status: 500 });
    await tool(c, b, 'redmine_create_issue', { project: 'alpha', subject: `Canary 500 ${RUN}` }, '5xx');
  });
}

/** YouTrack: all 45 tools on the double, plus 403 and 5xx answers whose bodies echo the token. */
async function youtrackSweep(): Promise<void> {
  await sweep('youtrack', youtrackEnv(youtrack), async (b) => {
    const c = 'youtrack';
    await listTools('youtrack', b);
    await tool(c, b, 'bastion_status');
    await tool(c, b, 'youtrack_get_current_user');
    await tool(c, b, 'youtrack_search_issues', { query: 'project: DEMO', top: 3 });
    await tool(c, b, 'youtrack_get_issue', { issue_id: 'DEMO-1' });
    const created = (await tool(c, b, 'youtrack_create_issue', { project: 'DEMO', summary: `Canary ${RUN}`, description: `token ${YOUTRACK_TEST_TOKEN}` })).structured;
    const id = created.id as string;
    await tool(c, b, 'youtrack_update_issue', { issue_id: id, summary: `Canary ${RUN} (updated)` });
    await tool(c, b, 'youtrack_apply_command', { issue_ids: [id], command: 'tag ui' });
    const comment = (await tool(c, b, 'youtrack_add_comment', { issue_id: id, text: `Authorization: Bearer ${YOUTRACK_TEST_TOKEN}` })).structured;
    await tool(c, b, 'youtrack_list_comments', { issue_id: id });
    await tool(c, b, 'youtrack_update_comment', { issue_id: id, comment_id: comment.comment_id ?? comment.id, text: `again ${YOUTRACK_TEST_TOKEN}` });
    await tool(c, b, 'youtrack_delete_comment', { issue_id: id, comment_id: comment.comment_id ?? comment.id });
    // An upstream that hands a secret back: the attachment's content holds the token itself.
    const attachment = (await tool(c, b, 'youtrack_upload_attachment', { issue_id: id, filename: 'canary.log', content: `Authorization: Bearer ${YOUTRACK_TEST_TOKEN}\n` })).structured;
    await tool(c, b, 'youtrack_list_attachments', { issue_id: id });
    await tool(c, b, 'youtrack_download_attachment', { issue_id: id, attachment_id: attachment.id });
    await tool(c, b, 'youtrack_delete_attachment', { issue_id: id, attachment_id: attachment.id });
    await tool(c, b, 'youtrack_link_issues', { issue_id: id, link: 'relates to', target_issue_id: 'DEMO-1' });
    await tool(c, b, 'youtrack_list_links', { issue_id: id });
    await tool(c, b, 'youtrack_list_tags');
    await tool(c, b, 'youtrack_add_tag', { issue_id: id, tag: 'regression' });
    await tool(c, b, 'youtrack_remove_tag', { issue_id: id, tag: 'regression' });
    const work = (await tool(c, b, 'youtrack_log_work', { issue_id: id, minutes: 30, text: 'canary work' })).structured;
    await tool(c, b, 'youtrack_list_work_items', { issue_id: id });
    await tool(c, b, 'youtrack_update_work_item', { issue_id: id, work_item_id: work.id, duration: '45m', text: `token ${YOUTRACK_TEST_TOKEN}` });
    await tool(c, b, 'youtrack_time_report', { start_date: '2025-01-01', end_date: '2030-12-31', project: 'DEMO' });
    await tool(c, b, 'youtrack_delete_work_item', { issue_id: id, work_item_id: work.id });
    await tool(c, b, 'youtrack_list_link_types');
    await tool(c, b, 'youtrack_unlink_issues', { issue_id: id, link: 'relates to', target_issue_id: 'DEMO-1' });
    await tool(c, b, 'youtrack_get_issue_history', { issue_id: id });
    await tool(c, b, 'youtrack_list_project_comments', { project: 'DEMO' });
    await tool(c, b, 'youtrack_find_groups', { query: 'dev' });
    await tool(c, b, 'youtrack_set_issue_visibility', { issue_id: id, visible_to_groups: ['Developers'] });
    await tool(c, b, 'youtrack_list_saved_searches');
    await tool(c, b, 'youtrack_run_saved_search', { search: 'Unresolved in Demo', top: 3 });
    await tool(c, b, 'youtrack_suggest_query', { query: 'State: ', caret: 7 });
    await tool(c, b, 'youtrack_create_project', { short_name: `CAN${RUN.replace(/[^0-9A-Za-z]/g, '').slice(-6).toUpperCase()}`, name: `Canary ${RUN}`, description: `token ${YOUTRACK_TEST_TOKEN}` });
    await tool(c, b, 'youtrack_update_project', { project: 'DEMO', description: `Demo project ${RUN}` });
    const article = (await tool(c, b, 'youtrack_create_article', { project: 'DEMO', summary: `Canary ${RUN}`, content: `Bearer ${YOUTRACK_TEST_TOKEN}` })).structured;
    await tool(c, b, 'youtrack_update_article', { article_id: article.id, content: 'cleaned' });
    await tool(c, b, 'youtrack_delete_issue', { issue_id: id });
    await tool(c, b, 'youtrack_list_projects');
    await tool(c, b, 'youtrack_get_project', { project: 'DEMO' });
    await tool(c, b, 'youtrack_find_users', { query: 'jane' });
    await tool(c, b, 'youtrack_search_articles', { query: '' });
    await tool(c, b, 'youtrack_get_article', { article_id: 'DEMO-A-1' });
    await tool(c, b, 'youtrack_list_agile_boards');
    await tool(c, b, 'youtrack_get_sprint', { board: 'DEMO board' });

    await tool(c, b, 'youtrack_get_issue', { issue_id: 'DEMO-404' }, 'error');
    youtrack.failNext({ method: 'GET', pathPrefix: '/api/issues', count: 1, status: 403, body: { error: 'Forbidden', error_description: `token ${YOUTRACK_TEST_TOKEN} may not read this` } });
    await tool(c, b, 'youtrack_get_issue', { issue_id: 'DEMO-2' }, '403');
    youtrack.failNext({ method: 'GET', pathPrefix: '/api/issues', count: 4, status: 503, body: { error: 'server_error', error_description: `Authorization: Bearer ${YOUTRACK_TEST_TOKEN}` } });
    await tool(c, b, 'youtrack_search_issues', { query: 'project: DEMO' }, '5xx');
    youtrack.failNext({ method: 'POST', pathPrefix: '/api/issues', count: 1, status: 500, body: `internal error for ${YOUTRACK_TEST_TOKEN}` });
    await tool(c, b, 'youtrack_create_issue', { project: 'DEMO', summary: `Canary 500 ${RUN}` }, '5xx');
  });
}

/** ETIM: all 20 tools, both resources and the prompts, caching in Redis, plus 401, 403 and 5xx answers. */
async function etimSweep(): Promise<void> {
  await sweep('etim', etimEnv(etim, { REDIS_URL: redis.url, REDIS_PASSWORD }), async (b) => {
    const c = 'etim';
    await listTools('etim', b);
    await tool(c, b, 'bastion_status');
    await tool(c, b, 'etim_search_classes', { text: 'cable' });
    await tool(c, b, 'etim_get_class', { code: 'EC990002', features: 'full' });
    await tool(c, b, 'etim_get_classes', { codes: ['EC990001', 'EC990002'] });
    await tool(c, b, 'etim_get_class_versions', { code: 'EC990001' });
    await tool(c, b, 'etim_get_class_for_release', { code: 'EC990001', release: 'ETIM-9.0' });
    await tool(c, b, 'etim_compare_classes', { codes: ['EC990001', 'EC990002'] });
    await tool(c, b, 'etim_diff_class_releases', { code: 'EC990001' });
    await tool(c, b, 'etim_search_features', { text: 'colour' });
    await tool(c, b, 'etim_get_feature', { code: 'EF990001' });
    await tool(c, b, 'etim_search_values', { text: 'red' });
    await tool(c, b, 'etim_get_value', { code: 'EV990002' });
    await tool(c, b, 'etim_search_units', { text: 'volt' });
    await tool(c, b, 'etim_get_unit', { code: 'EU990003' });
    await tool(c, b, 'etim_search_groups', { text: 'lamp' });
    await tool(c, b, 'etim_get_group', { code: 'EG990001' });
    await tool(c, b, 'etim_search_feature_groups', {});
    await tool(c, b, 'etim_get_feature_group', { code: 'EFG99003' });
    await tool(c, b, 'etim_list_languages');
    await tool(c, b, 'etim_list_releases');
    await tool(c, b, 'etim_lookup_code', { code: 'EU990001' });
    for (const name of ['etim_compare_products', 'etim_explain_class']) {
      capture(`etim: prompt ${name}`, JSON.stringify(await b.client.getPrompt({ name, arguments: name === 'etim_explain_class' ? { class_code: 'EC990001' } : { class1: 'EC990001', class2: 'EC990002' } })));
    }
    for (const uri of ['etim://languages', 'etim://releases']) capture(`etim: ${uri}`, JSON.stringify(await b.client.readResource({ uri })));

    await tool(c, b, 'etim_get_feature', { code: 'EF999990' }, 'error');
    etim.rejectNextApiCall(2);
    await tool(c, b, 'etim_get_value', { code: 'EV990003' }, '401');
    etim.failTokenEndpoint(401, { error: 'invalid_client', error_description: `Client secret '${ETIM_TEST_CLIENT_SECRET}' is not valid` });
    etim.expireAllTokens();
    await tool(c, b, 'etim_get_unit', { code: 'EU990001' }, '401');
    etim.failNext({ method: 'POST', pathPrefix: '/api/v2/Feature/Details', count: 1, status: 403, body: { title: 'Forbidden', status: 403, detail: `secret ${ETIM_TEST_CLIENT_SECRET}` } });
    await tool(c, b, 'etim_get_feature', { code: 'EF990002' }, '403');
    etim.failNext({ method: 'POST', pathPrefix: '/api/v2/Unit/Details', count: 1, status: 500, body: { title: 'Server error', status: 500, detail: `client_secret=${ETIM_TEST_CLIENT_SECRET}` } });
    await tool(c, b, 'etim_get_unit', { code: 'EU990009' }, '5xx');
  });
}

/** Coreflux: all 25 tools on the emulator with the Copilot and verifier doubles, plus their failures. */
async function corefluxSweep(): Promise<void> {
  copilot.setMode('ok');
  // $SYS/Coreflux/# is allowed too, so that the overview and the action trace read the broker's state topics.
  const env = corefluxEnv(broker, { COREFLUX_COPILOT_URL: copilot.url, DO_AGENT_API_KEY: COPILOT_TEST_KEY, LOT_VERIFIER_API_URL: verifier.url, MQTT_COMMAND_TIMEOUT: '3', MQTT_TOPICS: '#,$SYS/Coreflux/#' });
  await sweep('coreflux', env, async (b) => {
    const c = 'coreflux';
    await listTools('coreflux', b);
    await tool(c, b, 'bastion_status');
    await waitConnected(b);
    const topic = `canary/${RUN}`;
    await tool(c, b, 'coreflux_add_model', { definition: `DEFINE MODEL Canary${RUN} WITH TOPIC "${topic}/model"` });
    await tool(c, b, 'coreflux_lot_diagnostic', { kind: 'model', name: `Canary${RUN}` });
    await tool(c, b, 'coreflux_broker_command', { verb: '-lotDiagnostic', args: `model Canary${RUN}` });
    await tool(c, b, 'coreflux_remove_model', { name: `Canary${RUN}` });
    await tool(c, b, 'coreflux_add_action', { definition: [`DEFINE ACTION Blink${RUN}`, 'DESCRIPTION "Canary action"', 'DO', `    PUBLISH TOPIC "${topic}/lamp" WITH "on"`].join('\n') });
    await tool(c, b, 'coreflux_list_actions', { wait_ms: 200 });
    await tool(c, b, 'coreflux_run_action', { name: `Blink${RUN}`, input: { password: COREFLUX_TEST_PASSWORD } });
    // The emulator's trace repeats the input, password included.
    await tool(c, b, 'coreflux_trace_action', { name: `Blink${RUN}`, input: { password: COREFLUX_TEST_PASSWORD }, wait_seconds: 2 });
    await tool(c, b, 'coreflux_broker_overview', { wait_ms: 300 });
    await tool(c, b, 'coreflux_remove_action', { name: `Blink${RUN}` });
    await tool(c, b, 'coreflux_add_route', { definition: [`DEFINE ROUTE Route${RUN} WITH TYPE MQTT_BRIDGE`, '    ADD SOURCE_CONFIG', '        WITH BROKER SELF'].join('\n') });
    await tool(c, b, 'coreflux_remove_route', { name: `Route${RUN}` });
    await tool(c, b, 'coreflux_add_rule', { definition: [`DEFINE RULE Rule${RUN} WITH PRIORITY 100 FOR Publish TO TOPIC "${topic}/+/lamp"`, '    IF USER IS "root" THEN ALLOW ELSE DENY'].join('\n') });
    await tool(c, b, 'coreflux_remove_rule', { name: `Rule${RUN}` });
    await tool(c, b, 'coreflux_broker_command', { verb: 'frobnicate', args: `--password ${COREFLUX_TEST_PASSWORD}` }, 'error');
    await tool(c, b, 'mqtt_subscribe', { topic: `${topic}/#` });
    await tool(c, b, 'mqtt_publish', { topic: `${topic}/retained`, payload: `mqtt password ${COREFLUX_TEST_PASSWORD}`, qos: 1, retain: true });
    await pollUntil(() => call(b, 'mqtt_list_subscriptions'), (result) => /[1-9]\d* kept/.test(result.text), 'a message kept by the subscription');
    await tool(c, b, 'mqtt_read_subscription', { topic: `${topic}/#` });
    await tool(c, b, 'mqtt_list_subscriptions');
    await tool(c, b, 'mqtt_unsubscribe', { topic: `${topic}/#` });
    for (const what of ['models', 'actions', 'routes', 'rules']) {
      const uri = `lot://documentation/${what}`;
      capture(`coreflux: ${uri}`, JSON.stringify(await b.client.readResource({ uri })));
    }
    await tool(c, b, 'mqtt_read_retained', { topic: `${topic}/#`, wait_ms: 200 });
    await tool(c, b, 'mqtt_read_topic', { topic: `${topic}/quiet`, timeout_seconds: 0.3 });
    await tool(c, b, 'mqtt_broker_status');
    await tool(c, b, 'mqtt_reconnect', { wait_seconds: 10 });
    await waitConnected(b);
    await tool(c, b, 'coreflux_generate_lot', { query: 'Blink a lamp', context: `key ${COPILOT_TEST_KEY}` });
    await tool(c, b, 'coreflux_verify_lot', { code: `DEFINE MODEL Canary WITH TOPIC "${topic}/v"` });

    copilot.setMode('unauthorized');
    await tool(c, b, 'coreflux_generate_lot', { query: 'Blink a lamp' }, '401');
    copilot.setMode('server-error');
    await tool(c, b, 'coreflux_generate_lot', { query: 'Blink a lamp' }, '5xx');
    copilot.setMode('ok');
    // A broker that never answers a command: Bastion's own command timeout (MQTT_COMMAND_TIMEOUT=3).
    broker.setMode('silent');
    await tool(c, b, 'coreflux_lot_diagnostic', { kind: 'model', name: `Canary${RUN}` }, 'timeout');
    broker.setMode('json');
  });
}

/**
 * Every connector with a wrong canary credential (and a wrong Redis password): 401 and refused logins. A Redmine key
 * or YouTrack token the system does not accept stops serve at start (its refusal and doctor are swept); their 401s
 * during a run come from upstreams that stop accepting the credential after the start.
 */
async function wrongCredentialsSweep(): Promise<void> {
  await Promise.all([refusedStartSweep(), revokedCredentialsSweep()]);
}

/** A wrong Redmine key and YouTrack token: serve refuses to start, doctor fails; both outputs are swept. */
async function refusedStartSweep(): Promise<void> {
  // Its own double: the other sweep's faults on /api/users/me must not meet this one's.
  const double = await startYouTrack();
  try {
    // A 401 whose body echoes the refused token.
    double.failNext({ method: 'GET', pathPrefix: '/api/users/me', count: 1, status: 401, body: { error: 'Unauthorized', error_description: `token ${WRONG_YOUTRACK_TOKEN} is not valid` } });
    const refusedEnv = {
      ...redmineEnv({ REDMINE_API_KEY: WRONG_REDMINE_KEY }),
      ...youtrackEnv(double, { YOUTRACK_API_TOKEN: WRONG_YOUTRACK_TOKEN }),
      BASTION_KEYRING: 'false',
      BASTION_LOG_LEVEL: 'debug',
      BASTION_AUDIT_LOG: join(dir, 'wrong-credentials-refused.jsonl'),
    };
    const refused = await runCli(['serve'], refusedEnv);
    expect(refused.status, refused.stderr).toBe(2);
    capture('wrong-credentials refused start: stdout', refused.stdout);
    capture('wrong-credentials refused start: stderr', refused.stderr);
    await doctor('wrong-credentials-refused', refusedEnv);
  } finally {
    await double.close();
  }
}

/** Wrong ETIM, MQTT, Copilot and Redis credentials, and a Redmine key and YouTrack token revoked during the run. */
async function revokedCredentialsSweep(): Promise<void> {
  // Its own proxy: the Redmine sweep's faults run at the same time on the shared one.
  const revoking = await startFaultProxy(REDMINE_URL);
  const env = {
    ...redmineEnv({ REDMINE_URL: revoking.url }),
    ...youtrackEnv(youtrack),
    ...etimEnv(etim, { ETIM_CLIENT_SECRET: WRONG_ETIM_SECRET, ETIM_AUTH_METHOD: 'basic' }),
    ...mosquittoEnv(mosquitto, { MQTT_PASSWORD: WRONG_MQTT_PASSWORD, COREFLUX_COPILOT_URL: copilot.url, DO_AGENT_API_KEY: WRONG_COPILOT_KEY }),
    REDIS_URL: redis.url,
    REDIS_PASSWORD: WRONG_REDIS_PASSWORD,
    BASTION_TOOL_SCHEMAS: 'compact',
  };
  try {
    await sweep('wrong-credentials', env, async (b) => {
      const c = 'wrong-credentials';
      // The key stops working: the call's own 401, then the identity check before the next call.
      revoking.failNext({ method: 'GET', pathPrefix: '/users', count: 2, status: 401 });
      await tool(c, b, 'redmine_get_current_user', {}, '401');
      await tool(c, b, 'redmine_list_users', {}, 'error');
      youtrack.failNext({ method: 'GET', pathPrefix: '/api/users/me', count: 2, status: 401, body: { error: 'Unauthorized', error_description: `token ${YOUTRACK_TEST_TOKEN} is not valid` } });
      await tool(c, b, 'youtrack_get_current_user', {}, '401');
      await tool(c, b, 'youtrack_search_issues', { query: 'project: DEMO' }, '401');
      await tool(c, b, 'etim_get_feature', { code: 'EF990001' }, '401');
      await tool(c, b, 'coreflux_generate_lot', { query: 'Blink a lamp' }, '401');
      await waitBroker(b, /not authorized/);
      await tool(c, b, 'mqtt_publish', { topic: `canary/${RUN}/wrong`, payload: 'x' }, '401');
      await tool(c, b, 'mqtt_broker_status');
    });
  } finally {
    await revoking.close();
  }
}

/** Upstreams that never answer, with 1 s timeouts; MQTT over mutual TLS with a client certificate of another CA. */
async function timeoutsSweep(): Promise<void> {
  const env = {
    ...redmineEnv({ REDMINE_URL: hangingUrl, REDMINE_TIMEOUT: '1' }),
    ...youtrackEnv(youtrack, { YOUTRACK_URL: hangingUrl, YOUTRACK_TIMEOUT: '1' }),
    ...etimEnv(etim, { ETIM_AUTH_URL: hangingUrl, ETIM_API_URL: hangingUrl, ETIM_TIMEOUT: '1' }),
    ...mosquittoMtlsEnv(mosquitto, {
      MQTT_CLIENT_CERT: mosquitto.otherCert,
      MQTT_CLIENT_KEY: mosquitto.otherKey,
      MQTT_USER: mosquitto.user,
      MQTT_PASSWORD: mosquitto.password,
      COREFLUX_COPILOT_URL: hangingUrl,
      DO_AGENT_API_KEY: COPILOT_TEST_KEY,
    }),
    BASTION_TOOL_SCHEMAS: 'compact',
  };
  await sweep('timeouts', env, async (b) => {
    const c = 'timeouts';
    await tool(c, b, 'redmine_get_current_user', {}, 'timeout');
    await tool(c, b, 'redmine_create_issue', { project: 'alpha', subject: 'never sent' }, 'timeout');
    await tool(c, b, 'youtrack_get_issue', { issue_id: 'DEMO-1' }, 'timeout');
    await tool(c, b, 'etim_get_feature', { code: 'EF990001' }, 'timeout');
    // The Copilot's own timeout is fixed at 30 s: the client gives up first and cancels the call.
    const cancelled = await b.client.callTool({ name: 'coreflux_generate_lot', arguments: { query: 'Blink a lamp' } }, { timeout: 1_000 }).then(
      (result) => JSON.stringify(result),
      (error: unknown) => String(error),
    );
    capture('timeouts: cancelled coreflux_generate_lot', cancelled);
    await waitBroker(b, /certificate|TLS|unknown ca/i);
    await tool(c, b, 'mqtt_publish', { topic: `canary/${RUN}/tls`, payload: 'x' }, 'tls');
    await tool(c, b, 'mqtt_broker_status');
  });
}

/** Every HTTP upstream behind a certificate Bastion does not trust; MQTT over TLS with the wrong CA. */
async function tlsSweep(): Promise<void> {
  const env = {
    ...redmineEnv({ REDMINE_URL: untrustedUrl }),
    ...youtrackEnv(youtrack, { YOUTRACK_URL: untrustedUrl }),
    ...etimEnv(etim, { ETIM_AUTH_URL: untrustedUrl, ETIM_API_URL: untrustedUrl }),
    ...mosquittoTlsEnv(mosquitto, { MQTT_CA_CERT: mosquitto.otherCa, COREFLUX_COPILOT_URL: untrustedUrl, DO_AGENT_API_KEY: COPILOT_TEST_KEY, LOT_VERIFIER_API_URL: `${untrustedUrl}/validate/code` }),
    BASTION_TOOL_SCHEMAS: 'compact',
  };
  await sweep('tls', env, async (b) => {
    const c = 'tls';
    await tool(c, b, 'redmine_get_current_user', {}, 'tls');
    await tool(c, b, 'youtrack_get_current_user', {}, 'tls');
    await tool(c, b, 'etim_list_releases', {}, 'tls');
    await tool(c, b, 'coreflux_generate_lot', { query: 'Blink a lamp' }, 'tls');
    await tool(c, b, 'coreflux_verify_lot', { code: 'DEFINE MODEL M WITH TOPIC "m"' }, 'tls');
    await waitBroker(b, /certificate|TLS|trusted CA/i);
    await tool(c, b, 'mqtt_publish', { topic: `canary/${RUN}/tls`, payload: 'x' }, 'tls');
  });
}

/** fetch for the SDK's HTTP client that keeps every response's status, headers and body. */
function recordingFetch(label: string, pending: Array<Promise<void>>): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const headers = JSON.stringify(Object.fromEntries(response.headers));
    pending.push(
      response
        .clone()
        .text()
        .then((body) => capture(`http ${label}: ${response.status} response`, `${headers}\n${body}`))
        .catch(() => undefined),
    );
    return response;
  };
}

/** MQTT's 403 (an ACL refusal) and Redis with the right password, over the HTTP transport with bearer tokens. */
async function httpSweep(): Promise<void> {
  const tokens = writeTokensFile(join(dir, 'tokens.json'), [
    { name: 'canary-client', token: HTTP_TOKEN, scopes: ['bastion:write'] },
    { name: 'nobody', token: NO_SCOPE_HTTP_TOKEN, scopes: ['profile'] },
  ]);
  const env = {
    ...redmineEnv(),
    ...mosquittoEnv(mosquitto),
    REDIS_URL: redis.url,
    REDIS_PASSWORD,
    BASTION_HTTP_TOKENS_FILE: tokens,
    BASTION_KEYRING: 'false',
    BASTION_LOG_LEVEL: 'debug',
    BASTION_AUDIT_LOG: join(dir, 'http.jsonl'),
  };
  httpServer = await startHttpBastion({ env, startTimeoutMs: 60_000 });
  const server = httpServer;
  const pending: Array<Promise<void>> = [];
  const client = new Client({ name: 'bastion-canary', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { authProvider: { token: async () => HTTP_TOKEN }, fetch: recordingFetch('client', pending) }));
  try {
    const over: Bastion = { client, stderr: server.stderr, stdout: () => '', close: () => client.close() };
    const c = 'http';
    await tool(c, over, 'redmine_get_current_user');
    await tool(c, over, 'redmine_get_issue', { issue_id: 99_999_999 }, 'error');
    await waitBroker(over, /\bconnected\b/);
    await tool(c, over, 'mqtt_publish', { topic: `canary/${RUN}/http`, payload: 'x', qos: 1 });
    // The bastion user may not write below secret/: the broker refuses it.
    await tool(c, over, 'mqtt_publish', { topic: `secret/${RUN}`, payload: `password ${mosquitto.password}`, qos: 1 }, '403');
  } finally {
    await client.close();
  }
  const raw = recordingFetch('raw', pending);
  const post = (token: string) =>
    raw(server.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'redmine_get_current_user', arguments: {} } }),
    });
  const statuses = [(await post(WRONG_HTTP_TOKEN)).status, (await post(NO_SCOPE_HTTP_TOKEN)).status];
  const metrics = await raw(server.url.replace('/mcp', '/metrics'), { headers: { authorization: `Bearer ${HTTP_TOKEN}` } });
  const ready = await raw(server.url.replace('/mcp', '/readyz'), {});
  const wrongClient = new Client({ name: 'bastion-canary-wrong', version: '1.0.0' });
  const refused = await wrongClient
    .connect(new StreamableHTTPClientTransport(new URL(server.url), { authProvider: { token: async () => WRONG_HTTP_TOKEN }, fetch: recordingFetch('wrong client', pending) }))
    .then(
      () => 'connected',
      (error: unknown) => String(error),
    );
  capture('http: client with a wrong token', refused);
  await Promise.all(pending);
  outcomes.push({ config: 'http', tool: '(bearer token)', kind: '401', isError: statuses[0] === 401, text: `HTTP ${statuses[0]}` });
  outcomes.push({ config: 'http', tool: '(bearer token)', kind: '403', isError: statuses[1] === 403, text: `HTTP ${statuses[1]}` });
  expect([metrics.status, ready.status, refused]).toEqual([200, 200, expect.not.stringMatching(/^connected$/)]);
  await server.stop();
  capture('http: stderr', server.stderr());
  await doctor('http', env);
}

/** Start-up refusals: a canary in a URL's user-info, in a *_FILE variable, in the wrong setting, or malformed. */
async function badConfigurations(): Promise<void> {
  const worldReadable = join(dir, 'etim-secret.txt');
  writeFileSync(worldReadable, `${ETIM_TEST_CLIENT_SECRET}\n`);
  chmodSync(worldReadable, 0o644);
  const yt = youtrackEnv(youtrack);
  const et = etimEnv(etim);
  const mq = mosquittoEnv(mosquitto, { COREFLUX_COPILOT_URL: copilot.url, DO_AGENT_API_KEY: COPILOT_TEST_KEY });
  const without = (env: Record<string, string>, name: string) => Object.fromEntries(Object.entries(env).filter(([key]) => key !== name));
  const cases: Array<[name: string, connector: Connector, env: Record<string, string>]> = [
    ['redmine url with user:key@', 'redmine', redmineEnv({ REDMINE_URL: `http://admin:${ADMIN_KEY}@127.0.0.1:${REDMINE_PORT}` })],
    ['redmine url with key@', 'redmine', redmineEnv({ REDMINE_URL: `http://${ADMIN_KEY}@127.0.0.1:${REDMINE_PORT}` })],
    ['redmine invalid url with user:key@', 'redmine', redmineEnv({ REDMINE_URL: `http://admin:${ADMIN_KEY}@redmine example.com` })],
    ['redmine key in REDMINE_API_KEY_FILE', 'redmine', without(redmineEnv({ REDMINE_API_KEY_FILE: ADMIN_KEY }), 'REDMINE_API_KEY')],
    ['redmine key pasted into BASTION_READ_ONLY', 'redmine', redmineEnv({ BASTION_READ_ONLY: ADMIN_KEY })],
    ['redmine key pasted into --connectors', 'redmine', redmineEnv({ BASTION_CONNECTORS: `redmine,${ADMIN_KEY}` })],
    ['youtrack url with token@', 'youtrack', { ...yt, YOUTRACK_URL: `http://${encodeURIComponent(YOUTRACK_TEST_TOKEN)}@127.0.0.1:1` }],
    ['youtrack malformed token', 'youtrack', { ...yt, YOUTRACK_API_TOKEN: `perm:not a token ${WRONG_YOUTRACK_TOKEN}` }],
    ['youtrack token in YOUTRACK_API_TOKEN_FILE', 'youtrack', { ...without(yt, 'YOUTRACK_API_TOKEN'), YOUTRACK_API_TOKEN_FILE: YOUTRACK_TEST_TOKEN }],
    ['etim invalid auth url with client:secret@', 'etim', { ...et, ETIM_AUTH_URL: `https://client:${ETIM_TEST_CLIENT_SECRET}@etim auth.example` }],
    ['etim api url with client:secret@', 'etim', { ...et, ETIM_API_URL: `https://client:${ETIM_TEST_CLIENT_SECRET}@127.0.0.1:1` }],
    ['etim world-readable secret file', 'etim', { ...without(et, 'ETIM_CLIENT_SECRET'), ETIM_CLIENT_SECRET_FILE: worldReadable }],
    ['mqtt broker as a url with user:password@', 'coreflux', { ...mq, MQTT_BROKER: `mqtt://bastion:${mosquitto.password}@127.0.0.1` }],
    ['mqtt password in MQTT_PASSWORD_FILE', 'coreflux', { ...without(mq, 'MQTT_PASSWORD'), MQTT_PASSWORD_FILE: mosquitto.password }],
    ['copilot url with user:key@', 'coreflux', { ...mq, COREFLUX_COPILOT_URL: `https://copilot:${COPILOT_TEST_KEY}@127.0.0.1:1` }],
    ['redis url with :password@', 'coreflux', { ...mq, REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:${redis.port}` }],
  ];
  // A few cases at a time: each is two processes.
  const queue = [...cases];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [name, connector, env] = next;
      const full = { ...env, BASTION_KEYRING: 'false', BASTION_LOG_LEVEL: 'debug' };
      const runs = await Promise.all([runCli(['serve'], full), runCli(['doctor', '--log-level', 'debug'], full)]);
      runs.forEach((run, i) => {
        const command = ['serve', 'doctor'][i]!;
        capture(`bad config "${name}" ${command}: stdout`, run.stdout);
        capture(`bad config "${name}" ${command}: stderr`, run.stderr);
        refusedConfigs.push({ name, connector, command, status: run.status });
      });
    }
  };
  await Promise.all([worker(), worker(), worker()]);
}

beforeAll(async () => {
  [mosquitto, proxy, youtrack, etim, broker, copilot, verifier, redis] = await Promise.all([
    ensureMosquitto(),
    startFaultProxy(REDMINE_URL),
    startYouTrack(),
    startEtim(),
    startCoreflux(),
    startCopilotDouble(),
    startVerifierDouble(),
    startRedis(REDIS_PASSWORD),
  ]);
  hanging = createHttpServer(() => undefined);
  hangingUrl = `http://127.0.0.1:${await listen(hanging)}`;
  const cert = makeSelfSignedCert(dir);
  untrusted = createHttpsServer({ key: cert.key, cert: cert.cert }, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  untrustedUrl = `https://127.0.0.1:${await listen(untrusted as unknown as Server)}`;

  // Independent configurations run side by side; each one's calls stay in order. The wrong credentials go to the
  // same doubles as the YouTrack, ETIM and Coreflux sweeps, so they wait for those (whose faults they could take).
  await Promise.all([
    redmineSweep(),
    Promise.all([youtrackSweep(), etimSweep(), corefluxSweep()]).then(wrongCredentialsSweep),
    timeoutsSweep(),
    tlsSweep(),
    httpSweep(),
    badConfigurations(),
  ]);
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.jsonl'))) capture(`audit ${file}`, readFileSync(join(dir, file), 'utf8'));
  // The sweeps call every tool of the four connectors (97 tools); on a busy machine that takes about three minutes.
}, 300_000);

afterAll(async () => {
  await httpServer?.stop(2_000);
  await Promise.all(cleanups.map((cleanup) => cleanup().catch(() => undefined)));
  await Promise.all([proxy?.close(), youtrack?.close(), etim?.close(), broker?.close(), copilot?.close(), verifier?.close(), redis?.stop(), stop(hanging), stop(untrusted as unknown as Server)]);
});

/** Every canary of this file, by name: the real credentials, the wrong ones, and the tokens issued along the way. */
function canaries(): Record<string, string> {
  const all: Record<string, string> = {
    REDMINE_API_KEY: ADMIN_KEY,
    WRONG_REDMINE_KEY,
    YOUTRACK_API_TOKEN: YOUTRACK_TEST_TOKEN,
    'YOUTRACK_API_TOKEN secret part': YOUTRACK_TEST_TOKEN.split('.')[2]!,
    WRONG_YOUTRACK_TOKEN,
    'WRONG_YOUTRACK_TOKEN secret part': WRONG_YOUTRACK_TOKEN.split('.')[2]!,
    ETIM_CLIENT_SECRET: ETIM_TEST_CLIENT_SECRET,
    WRONG_ETIM_SECRET,
    // HTTP Basic client authentication sends base64(id:secret).
    'ETIM id:secret': `${ETIM_TEST_CLIENT_ID}:${ETIM_TEST_CLIENT_SECRET}`,
    'ETIM id:wrong secret': `${ETIM_TEST_CLIENT_ID}:${WRONG_ETIM_SECRET}`,
    MQTT_PASSWORD: mosquitto.password,
    'MQTT_PASSWORD (Coreflux)': COREFLUX_TEST_PASSWORD,
    WRONG_MQTT_PASSWORD,
    DO_AGENT_API_KEY: COPILOT_TEST_KEY,
    WRONG_COPILOT_KEY,
    REDIS_PASSWORD,
    WRONG_REDIS_PASSWORD,
    HTTP_TOKEN,
    NO_SCOPE_HTTP_TOKEN,
    WRONG_HTTP_TOKEN,
  };
  presentedTokens(etim).forEach((token, i) => (all[`ETIM access token ${i + 1}`] = token));
  return all;
}

/** Which connector a tool belongs to, from the tools/list of each connector's own Bastion. */
function connectorOf(name: string): Connector | undefined {
  return CONNECTORS.find((connector) => listed.get(connector)?.includes(name));
}

describe('the canary sweep', () => {
  it('knows every credential variable from the start (each connector\'s secret settings are in its entry)', async () => {
    for (const entry of CONNECTOR_ENTRIES) {
      const module = await entry.load();
      expect([...entry.credentials].sort(), entry.name).toEqual(module.variables.filter((v) => v.secret).map((v) => v.name).sort());
    }
  });

  it('listed every connector\'s tools and called each of them', () => {
    for (const connector of CONNECTORS) {
      const names = listed.get(connector) ?? [];
      expect(names, `${connector} tools/list`).toHaveLength(TOOL_COUNTS[connector]);
      const called = new Set(outcomes.map((o) => o.tool).filter((name) => connectorOf(name) === connector));
      expect([...called].sort(), `${connector}: tools listed but never called here`).toEqual([...names].sort());
    }
  });

  it('got a success from every call meant to succeed', () => {
    const failed = outcomes.filter((o) => o.kind === 'ok' && o.isError).map((o) => `${o.config}: ${o.tool}: ${o.text.slice(0, 300)}`);
    expect(failed).toEqual([]);
    expect(outcomes.filter((o) => o.kind === 'ok').length).toBeGreaterThan(90);
  });

  it('really ran 401, 403, 5xx, timeout and TLS failures for every connector, and bad configurations', () => {
    const missing: string[] = [];
    for (const connector of CONNECTORS) {
      for (const kind of ERROR_KINDS) {
        const hits = outcomes.filter((o) => o.kind === kind && connectorOf(o.tool) === connector && o.isError && ERROR_SIGNS[kind].test(o.text));
        if (hits.length === 0) missing.push(`${connector} ${kind}`);
      }
      // serve refuses to start (exit 2); doctor reports the problem and exits non-zero.
      const refused = refusedConfigs.filter((r) => r.connector === connector && r.command === 'serve' && r.status === 2);
      const reported = refusedConfigs.filter((r) => r.connector === connector && r.command !== 'serve' && r.status !== 0);
      if (refused.length < 2 || reported.length < 2) missing.push(`${connector} bad configuration (${refused.length} refused starts, ${reported.length} failed doctor runs)`);
    }
    // Every call tagged with an error kind did fail; the HTTP transport refused the wrong and the scope-less token.
    for (const o of outcomes.filter((o) => o.kind !== 'ok' && !o.isError)) missing.push(`${o.config}: ${o.tool} (${o.kind}) did not fail: ${o.text.slice(0, 200)}`);
    expect(outcomes.filter((o) => o.config === 'http' && o.tool === '(bearer token)').map((o) => o.isError)).toEqual([true, true]);
    expect(missing).toEqual([]);
  });

  it('captured raw stdout, debug-level stderr, audit records and doctor output of every configuration', () => {
    const configs = ['redmine', 'youtrack', 'etim', 'coreflux', 'wrong-credentials', 'timeouts', 'tls'];
    for (const config of configs) {
      const text = (source: string) => captured.find((c) => c.source === source)?.text ?? '';
      expect(text(`${config}: stdout`), `${config} stdout`).toContain('"jsonrpc":"2.0"');
      // Debug lines are written as upstream calls complete; where no upstream ever answers there are none.
      if (!['timeouts', 'tls'].includes(config)) expect(text(`${config}: stderr`), `${config} stderr`).toContain('"level":"debug"');
      expect(text(`${config}: stderr`), `${config} stderr`).toContain('"msg":"serving MCP over stdio"');
      expect(text(`audit ${config}.jsonl`), `${config} audit`).toContain('"type":"tool_call"');
      expect(doctorText[config], `${config} doctor`).toMatch(/\[(?:ok {2}|WARN|FAIL)\]/);
    }
    expect(captured.filter((c) => c.source.startsWith('http ')).length).toBeGreaterThan(5);
    expect(captured.find((c) => c.source === 'http: stderr')?.text).toContain('"level":"debug"');
  });

  it('finds no canary, in any form, in anything Bastion wrote', () => {
    const leaks = describeLeaks(findLeaks(captured, canaries()));
    expect(leaks, `canary hits per source:\n${leaks.join('\n')}`).toEqual([]);
    expect(captured.length).toBeGreaterThan(250);
  });

  it('would notice a canary in each form it searches for', () => {
    const planted: Captured[] = [
      { source: 'plain', text: `x${ADMIN_KEY}x` },
      { source: 'upper', text: ADMIN_KEY.toUpperCase() },
      { source: 'base64', text: b64(HTTP_TOKEN) },
      { source: 'url', text: encodeURIComponent(WRONG_YOUTRACK_TOKEN) },
    ];
    expect(describeLeaks(findLeaks(planted, canaries()))).toEqual([
      'plain: REDMINE_API_KEY (plain) x1',
      'upper: REDMINE_API_KEY (upper-case) x1',
      'base64: HTTP_TOKEN (base64) x1',
      'url: WRONG_YOUTRACK_TOKEN (url-encoded) x1',
      'url: WRONG_YOUTRACK_TOKEN secret part (plain) x1',
    ]);
  });
});
