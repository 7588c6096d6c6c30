// Redmine tools give right answers and accept what models send: through the real MCP client against the real
// Redmine, with objects these tests create themselves.
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, redmineEnv, startBastion, type Bastion } from '../helpers/bastion.js';
import { startHttpBastion } from '../helpers/http-server.js';
import { REDMINE_URL, USER_KEY, redmine } from '../helpers/redmine.js';

let bastion: Bastion;
let qaId: number;
const run = Date.now();
const made: string[] = [];

async function newIssue(subject: string, fields: Record<string, unknown> = {}): Promise<number> {
  const { status, body } = await redmine('POST', '/issues.json', { issue: { project_id: 'alpha', subject: `${subject} ${run}`, ...fields } });
  expect(status).toBe(201);
  made.push(`/issues/${body.issue.id}.json`);
  return body.issue.id;
}

/** The error text of a call refused before any tool ran (a protocol error), or of an error result. */
async function refusal(on: Bastion, name: string, args: Record<string, unknown>): Promise<string> {
  try {
    const result = await call(on, name, args);
    expect(result.isError).toBe(true);
    return result.text;
  } catch (error) {
    return (error as Error).message;
  }
}

/** A loopback proxy before the real Redmine that adds an activity to what one project shows of its activities. */
async function activityProxy(project: { id: number; identifier: string }, extra: { id: number; name: string }): Promise<{ url: string; close(): Promise<void> }> {
  const paths = [`/projects/${project.id}.json`, `/projects/${project.identifier}.json`];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name))) as Record<string, string>;
      const answer = await fetch(`${REDMINE_URL}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
      let body = await answer.text();
      if (req.method === 'GET' && paths.some((path) => req.url?.startsWith(path)) && req.url?.includes('time_entry_activities')) {
        const parsed = JSON.parse(body);
        parsed.project.time_entry_activities.push(extra);
        body = JSON.stringify(parsed);
      }
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

beforeAll(async () => {
  bastion = await startBastion();
  const users = (await redmine('GET', '/users.json?limit=100')).body.users as Array<{ id: number; login: string }>;
  qaId = users.find((u) => u.login === 'qa')!.id;
});

afterAll(async () => {
  await bastion?.close();
  for (const path of made.reverse()) await redmine('DELETE', path);
});

describe('redmine_create_issue with a status', () => {
  it('creates the issue in the status asked for, which Redmine alone would leave at the default', async () => {
    const result = await call(bastion, 'redmine_create_issue', { project: 'alpha', subject: `Started at once ${run}`, status: 'In Progress' });
    expect(result.isError, result.text).toBeFalsy();
    made.push(`/issues/${result.structured.id}.json`);
    expect((await redmine('GET', `/issues/${result.structured.id}.json`)).body.issue.status.name).toBe('In Progress');
    expect(result.structured).toMatchObject({ status: 'In Progress', warnings: [] });
    expect(result.text).toContain('(Bug, In Progress)');
  });
});

// The admin key passes every workflow; user dev (role Developer in alpha, from Redmine's default data) may not move
// an issue to Rejected, so these calls run as dev.
describe('a status the workflow refuses, as a user who is not an admin', () => {
  let asDev: Bastion;

  /** The statuses Redmine itself offers dev for an issue, in its order. */
  async function allowedForDev(id: number): Promise<string[]> {
    const { body } = await redmine('GET', `/issues/${id}.json?include=allowed_statuses`, undefined, USER_KEY);
    return (body.issue.allowed_statuses as Array<{ name: string }>).map((st) => st.name);
  }

  beforeAll(async () => {
    asDev = await startBastion({ env: redmineEnv({ REDMINE_API_KEY: USER_KEY }) });
  });

  afterAll(async () => {
    await asDev?.close();
  });

  it('redmine_create_issue creates the issue in the default status and says Rejected was not set, listing the allowed statuses', async () => {
    const result = await call(asDev, 'redmine_create_issue', { project: 'alpha', subject: `Rejected at once ${run}`, status: 'Rejected' });
    expect(result.isError, result.text).toBeFalsy();
    const id = result.structured.id as number;
    made.push(`/issues/${id}.json`);
    const { body } = await redmine('GET', `/issues/${id}.json`);
    expect(body.issue.author.name).toBe('Dev User');
    expect(body.issue.status.name).toBe('New');
    const allowed = await allowedForDev(id);
    expect(allowed).not.toContain('Rejected');
    expect(result.structured.status).toBe('New');
    expect(result.structured.warnings).toEqual([
      `The status was NOT set to Rejected: the issue was created as New, and the workflow does not allow Rejected for this user. Allowed now: ${allowed.join(', ')}.`,
    ]);
    expect(result.text).toContain(`(Bug, New)`);
    expect(result.text).toContain(`Warning: The status was NOT set to Rejected`);
  });

  it('redmine_update_issue says the priority is now High and the status is still New, listing the allowed statuses', async () => {
    const id = await newIssue('Refused transition');
    const result = await call(asDev, 'redmine_update_issue', { issue_id: id, status: 'Rejected', priority: 'High' });
    expect(result.isError, result.text).toBeFalsy();
    const { body } = await redmine('GET', `/issues/${id}.json`);
    expect([body.issue.status.name, body.issue.priority.name]).toEqual(['New', 'High']);
    const allowed = await allowedForDev(id);
    expect(allowed).not.toContain('Rejected');
    expect(result.structured.fields).toEqual([
      { field: 'status', now: 'New', applied: false },
      { field: 'priority', now: 'High', applied: true },
    ]);
    expect(result.structured.warnings).toEqual([
      `The status was NOT changed to Rejected (still New): the workflow does not allow it for this user. Allowed: ${allowed.join(', ')}.`,
    ]);
    expect(result.text).toContain(`Updated issue #${id}: priority High (`);
    expect(result.text).toContain('Warning: The status was NOT changed to Rejected (still New)');
  });
});

describe('redmine_update_issue results', () => {
  it('say what each field asked for is now, by name', async () => {
    const id = await newIssue('Values after update');
    const result = await call(bastion, 'redmine_update_issue', { issue_id: id, priority: 'Urgent', assigned_to_id: qaId, done_ratio: 30 });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured.fields).toEqual([
      { field: 'priority', now: 'Urgent', applied: true },
      { field: 'assignee', now: 'Qa Tester', applied: true },
      { field: 'done_ratio', now: '30%', applied: true },
    ]);
    expect(result.text).toContain(`Updated issue #${id}: priority Urgent, assignee Qa Tester, done_ratio 30%`);
  });

  it('say which project a moved issue is in now', async () => {
    const id = await newIssue('Moved away');
    const result = await call(bastion, 'redmine_update_issue', { issue_id: id, project: 'beta' });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured.fields).toEqual([{ field: 'project', now: 'Beta', applied: true }]);
    expect((await redmine('GET', `/issues/${id}.json`)).body.issue.project.name).toBe('Beta');
  });

  it('show names, not ids, for assignee and version changes in the history', async () => {
    const version = (await redmine('GET', '/projects/alpha/versions.json')).body.versions[0] as { id: number; name: string };
    const id = await newIssue('Named history');
    expect((await redmine('PUT', `/issues/${id}.json`, { issue: { assigned_to_id: qaId, fixed_version_id: version.id } })).status).toBe(204);
    const result = await call(bastion, 'redmine_get_issue', { issue_id: id });
    expect(result.isError, result.text).toBeFalsy();
    const changes = result.structured.journals.items[0].changes as string[];
    expect(changes).toEqual(expect.arrayContaining(['assigned_to: (none) → Qa Tester', `fixed_version: (none) → ${version.name}`]));
  });
});

describe('redmine_log_time without an activity where the project has no default one', () => {
  let project: { id: number; identifier: string };

  /** Deactivates the system's default activity in the project (project settings > Time tracking), as its manager. */
  async function deactivateInProject(identifier: string, activityIds: number[]): Promise<void> {
    const cookies = new Map<string, string>();
    const web = async (path: string, form?: Record<string, string>): Promise<string> => {
      const response = await fetch(`${REDMINE_URL}${path}`, {
        method: form ? 'POST' : 'GET',
        redirect: 'manual',
        headers: {
          cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
          ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body: form ? new URLSearchParams(form).toString() : undefined,
      });
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const [name, value] = pair!.split('=');
        cookies.set(name!, value!);
      }
      return response.text();
    };
    const token = (html: string) => /name="authenticity_token" value="([^"]+)"/.exec(html)![1]!;
    await web('/login', { authenticity_token: token(await web('/login')), username: 'dev', password: 'devpassword1' });
    const form: Record<string, string> = { _method: 'put', authenticity_token: token(await web(`/projects/${identifier}/settings/activities`)) };
    const system = (await redmine('GET', '/enumerations/time_entry_activities.json')).body.time_entry_activities as Array<{ id: number }>;
    for (const activity of system) {
      form[`enumerations[${activity.id}][active]`] = activityIds.includes(activity.id) ? '0' : '1';
      form[`enumerations[${activity.id}][parent_id]`] = String(activity.id);
    }
    await web(`/projects/${identifier}/enumerations`, form);
  }

  beforeAll(async () => {
    const identifier = `no-default-${run}`;
    const created = await redmine('POST', '/projects.json', { project: { name: `No default ${run}`, identifier, enabled_module_names: ['issue_tracking', 'time_tracking'] } });
    expect(created.status).toBe(201);
    project = created.body.project;
    made.unshift(`/projects/${project.id}.json`);
    const devId = ((await redmine('GET', '/users.json?limit=100')).body.users as Array<{ id: number; login: string }>).find((u) => u.login === 'dev')!.id;
    const manager = ((await redmine('GET', '/roles.json')).body.roles as Array<{ id: number; name: string }>).find((r) => r.name === 'Manager')!.id;
    expect((await redmine('POST', `/projects/${project.id}/memberships.json`, { membership: { user_id: devId, role_ids: [manager] } })).status).toBe(201);
    const system = (await redmine('GET', '/enumerations/time_entry_activities.json')).body.time_entry_activities as Array<{ id: number; is_default: boolean }>;
    await deactivateInProject(identifier, system.filter((a) => a.is_default).map((a) => a.id));
    const own = (await redmine('GET', `/projects/${project.id}.json?include=time_entry_activities`)).body.project.time_entry_activities;
    expect(own.length).toBe(system.length - 1);
  });

  it('lists the project\'s activities when it has several and none is the default, so that the next call names one', async () => {
    // The shared Redmine's activities are global settings this test must not change: a proxy adds a second one to
    // what the project shows, and Redmine itself refuses the entry without an activity.
    const proxy = await activityProxy(project, { id: 999_999, name: `Review ${run}` });
    const through = await startBastion({ env: redmineEnv({ REDMINE_URL: proxy.url }) });
    try {
      const result = await call(through, 'redmine_log_time', { project: project.identifier, hours: 1 });
      if (!result.isError) made.unshift(`/time_entries/${result.structured.id}.json`);
      expect(result.isError, JSON.stringify(result.structured)).toBe(true);
      expect(result.text).toMatch(new RegExp(`activity: project No default ${run} has no default activity, so one must be given\\. Choose one of: Design, Review ${run}\\.`));
      const next = await call(through, 'redmine_log_time', { project: project.identifier, hours: 1, activity: 'Design' });
      expect(next.isError, next.text).toBeFalsy();
    } finally {
      await through.close();
      await proxy.close();
    }
  });

  it('uses the only activity there is', async () => {
    const own = (await redmine('GET', `/projects/${project.id}.json?include=time_entry_activities`)).body.project.time_entry_activities as Array<{ id: number; name: string }>;
    expect(own).toHaveLength(1);
    const result = await call(bastion, 'redmine_log_time', { project: project.identifier, hours: 1 });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured.activity).toBe(own[0]!.name);
    const { body } = await redmine('GET', `/time_entries/${result.structured.id}.json`);
    expect(body.time_entry.activity.id).toBe(own[0]!.id);
  });
});

describe('arguments as models send them', () => {
  it('accepts numbers for name-or-id fields, logins and member names for assignee, and null for optional arguments', async () => {
    const id = await newIssue('Assigned to qa', { assigned_to_id: qaId });
    expect((await redmine('PUT', `/issues/${id}.json`, { issue: { status_id: 2 } })).status).toBe(204);
    for (const assignee of [qaId, 'qa', 'Qa Tester']) {
      const result = await call(bastion, 'redmine_search_issues', { project: 'alpha', status: 2, assignee, text: `Assigned to qa ${run}`, tracker: null });
      expect(result.isError, `${assignee}: ${result.text}`).toBeFalsy();
      expect(result.structured.issues.map((i: { id: number }) => i.id)).toEqual([id]);
    }
  });

  it('lists the project members when an assignee is unknown', async () => {
    const result = await call(bastion, 'redmine_search_issues', { project: 'alpha', assignee: 'Nobody Here' });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/assignee: no member of the project is "Nobody Here"\. Members: .*Qa Tester \(\d+\)/);
  });

  it('reads hours written as 1h30, 1:30, 90m and "1.5"', async () => {
    const issue = await newIssue('Hours as text');
    for (const hours of ['1h30', '1:30', '90m', '1.5']) {
      const result = await call(bastion, 'redmine_log_time', { issue_id: issue, hours, activity: 'Design' });
      expect(result.isError, `${hours}: ${result.text}`).toBeFalsy();
      made.unshift(`/time_entries/${result.structured.id}.json`);
      expect((await redmine('GET', `/time_entries/${result.structured.id}.json`)).body.time_entry.hours).toBe(1.5);
    }
  });

  it('suggests the nearest argument name for a misspelt one, and runs nothing', async () => {
    const text = await refusal(bastion, 'redmine_get_issue', { issue_id: 1, jounals: false });
    expect(text).toContain('unknown argument "jounals": did you mean "journals"?');
  });
});

describe('include adds sections', () => {
  it('redmine_get_issue keeps attachments, relations and children when allowed_statuses is asked for', async () => {
    const parent = await newIssue('Parent with child');
    const child = await newIssue('The child', { parent_issue_id: parent });
    const result = await call(bastion, 'redmine_get_issue', { issue_id: parent, include: ['allowed_statuses'] });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured.allowed_statuses.length).toBeGreaterThan(0);
    expect(result.structured.children).toEqual([{ id: child, subject: `The child ${run}` }]);
  });

  it('redmine_get_project keeps trackers and activities when memberships is asked for', async () => {
    const result = await call(bastion, 'redmine_get_project', { project: 'alpha', include: ['memberships'] });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured.memberships.length).toBeGreaterThan(0);
    expect(result.structured.trackers.map((t: { name: string }) => t.name)).toContain('Bug');
    expect(result.structured.time_entry_activities.length).toBeGreaterThan(0);
  });
});

describe('hidden tools say why', () => {
  it('in read-only mode, and when disabled by policy', async () => {
    const readOnly = await startBastion({ env: redmineEnv({ BASTION_READ_ONLY: 'true' }) });
    const denied = await startBastion({ env: redmineEnv({ BASTION_EXCLUDE_TOOLS: 'redmine_delete_issue' }) });
    try {
      const write = await refusal(readOnly, 'redmine_create_issue', { project: 'alpha', subject: 'never' });
      expect(write).toContain('Tool redmine_create_issue is hidden by read-only mode');
      expect(write).toContain('BASTION_READ_ONLY');
      const policy = await refusal(denied, 'redmine_delete_issue', { issue_id: 1 });
      expect(policy).toContain('Tool redmine_delete_issue is disabled by policy');
      expect(policy).toContain('BASTION_EXCLUDE_TOOLS');
    } finally {
      await readOnly.close();
      await denied.close();
    }
  });
});

describe('errors name the object and the cause', () => {
  it('https:// against the plain-HTTP port says so instead of blaming the certificate', async () => {
    const tls = await startBastion({ env: redmineEnv({ REDMINE_URL: REDMINE_URL.replace('http://', 'https://') }) });
    try {
      const result = await call(tls, 'redmine_get_current_user');
      expect(result.isError).toBe(true);
      expect(result.text).toContain('the port speaks plain HTTP, not HTTPS');
      expect(result.text).not.toContain('certificate is not trusted');
    } finally {
      await tls.close();
    }
  });

  it('an unknown project is named, with where to find the right one, on reads and on create', async () => {
    const read = await call(bastion, 'redmine_get_project', { project: 'no-such-project' });
    expect(read.isError).toBe(true);
    expect(read.text).toContain('Project "no-such-project" does not exist or is not visible to this key: use an identifier or id from redmine_list_projects.');
    const search = await call(bastion, 'redmine_search_issues', { project: 'no-such-project' });
    expect(search.text).toContain('Project "no-such-project" does not exist');
    const create = await call(bastion, 'redmine_create_issue', { project: 'no-such-project', subject: 'x' });
    expect(create.isError).toBe(true);
    expect(create.text).toContain('Project "no-such-project" does not exist');
  });

  it('REDMINE_PROJECTS given a project name says which identifier to set', async () => {
    const named = await startBastion({ env: redmineEnv({ REDMINE_PROJECTS: 'Alpha' }) });
    try {
      const result = await call(named, 'redmine_search_issues', {});
      expect(result.isError).toBe(true);
      expect(result.text).toContain('REDMINE_PROJECTS names "Alpha", which is a project\'s name, not its identifier');
      expect(result.text).toContain('"alpha"');
    } finally {
      await named.close();
    }
  });

  it('a REDMINE_URL with a wrong path is reported at readiness as a wrong path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bastion-answers-'));
    const tokens = join(dir, 'tokens.json');
    writeFileSync(tokens, JSON.stringify({ tokens: [{ name: 'ops', sha256: createHash('sha256').update('answers-token').digest('hex'), scopes: ['bastion:read'] }] }));
    chmodSync(tokens, 0o600);
    const server = await startHttpBastion({ env: { ...redmineEnv({ REDMINE_URL: `${REDMINE_URL}/redmine` }), BASTION_HTTP_TOKENS_FILE: tokens } });
    try {
      const ready = await fetch(`${server.baseUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(server.stderr()).toContain("the URL's path is probably wrong");
    } finally {
      await server.stop();
    }
  });
});
