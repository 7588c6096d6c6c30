// REDMINE_PROJECTS holds on results, not only on requests: a saved query spanning a subproject, the time of
// subtasks, child and parent issues, shared versions, memberships and parent projects of another project are left
// out, the result says so without naming or counting them, and totals and paging count only what is shown.
// Against the real Redmine, with projects of this file's own (a top project, its subproject, and an unrelated one).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, redmineEnv, startBastion, type Bastion } from '../helpers/bastion.js';
import { USER_KEY, redmine } from '../helpers/redmine.js';

const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const TOP = `scope-${RUN}`;
const SUB = `scope-${RUN}-sub`;
const OTHER = `scope-${RUN}-other`;
const HIDDEN = `Hidden ${RUN}`;
const NOTE = 'outside the allowed projects (REDMINE_PROJECTS) were left out';

let bugTracker: number;
let topIssues: number[];
let subIssue: number;
let child: number;
let underSub: number;
let subVersion: number;
let topVersion: number;
let devId: number;
const bastions: Bastion[] = [];

async function start(projects: string, key?: string): Promise<Bastion> {
  const bastion = await startBastion({ env: redmineEnv({ REDMINE_PROJECTS: projects, BASTION_KEYRING: 'false', ...(key ? { REDMINE_API_KEY: key } : {}) }) });
  bastions.push(bastion);
  return bastion;
}

async function created<T>(path: string, body: unknown): Promise<T> {
  const response = await redmine('POST', path, body);
  expect(response.status, `${path}: ${JSON.stringify(response.body)}`).toBe(201);
  return response.body as T;
}

async function project(identifier: string, parent?: number): Promise<number> {
  const body = await created<{ project: { id: number } }>('/projects.json', {
    project: { name: identifier, identifier, is_public: true, parent_id: parent, inherit_members: false },
  });
  return body.project.id;
}

async function issue(projectId: string, subject: string, extra: Record<string, unknown> = {}): Promise<number> {
  const body = await created<{ issue: { id: number } }>('/issues.json', { issue: { project_id: projectId, subject, tracker_id: bugTracker, ...extra } });
  return body.issue.id;
}

/** Everything the text and the structured result of a call say, to search for hidden names and ids. */
const everything = (result: { text: string; structured: unknown }) => `${result.text}\n${JSON.stringify(result.structured)}`;

beforeAll(async () => {
  const trackers = (await redmine('GET', '/trackers.json')).body.trackers as Array<{ id: number; name: string }>;
  bugTracker = trackers.find((tracker) => tracker.name === 'Bug')!.id;
  const topId = await project(TOP);
  await project(SUB, topId);
  await project(OTHER);
  topIssues = [await issue(TOP, `Top bug 1 ${RUN}`), await issue(TOP, `Top bug 2 ${RUN}`)];
  subIssue = await issue(SUB, `${HIDDEN} subproject bug`);
  // Subtasks may live in another project of the same tree (Redmine's default), and so may a parent.
  child = await issue(SUB, `${HIDDEN} child`, { parent_issue_id: topIssues[0] });
  underSub = await issue(TOP, `Top bug under a hidden parent ${RUN}`);
  expect((await redmine('PUT', `/issues/${underSub}.json`, { issue: { parent_issue_id: subIssue } })).status).toBe(204);
  // Time on the subtask: Redmine lists it with the parent's time.
  await created('/time_entries.json', { time_entry: { issue_id: child, hours: 1.5, comments: `${HIDDEN} time` } });
  await created('/time_entries.json', { time_entry: { issue_id: topIssues[0], hours: 0.5, comments: `Top time ${RUN}` } });
  // A version of the subproject shared with its tree shows up in the top project's list.
  subVersion = (await created<{ version: { id: number } }>(`/projects/${SUB}/versions.json`, { version: { name: `${HIDDEN} version`, sharing: 'tree' } })).version.id;
  topVersion = (await created<{ version: { id: number } }>(`/projects/${TOP}/versions.json`, { version: { name: `Top version ${RUN}` } })).version.id;
  // The user "dev" is a member of the top project and of the unrelated one (and of alpha, from the seed).
  const users = (await redmine('GET', '/users.json?limit=100')).body.users as Array<{ id: number; login: string }>;
  devId = users.find((user) => user.login === 'dev')!.id;
  const roles = (await redmine('GET', '/roles.json')).body.roles as Array<{ id: number; name: string }>;
  const developer = roles.find((role) => role.name === 'Developer')!.id;
  for (const identifier of [TOP, OTHER]) await created(`/projects/${identifier}/memberships.json`, { membership: { user_id: devId, role_ids: [developer] } });
});

afterAll(async () => {
  await Promise.all(bastions.map((bastion) => bastion.close()));
  // The subproject goes with its parent.
  for (const identifier of [TOP, OTHER]) await redmine('DELETE', `/projects/${identifier}.json`);
});

describe(`REDMINE_PROJECTS=<top project> (its subproject is not listed)`, () => {
  let bastion: Bastion;
  beforeAll(async () => {
    bastion = await start(TOP);
  });

  it('a saved query lists only issues of the allowed project, with a total and paging over them alone', async () => {
    const queries = (await redmine('GET', '/queries.json?limit=100')).body.queries as Array<{ id: number; name: string }>;
    const openBugs = queries.find((query) => query.name === 'Open bugs')!.id;
    // Redmine itself puts the subproject's bugs into the saved query's list of the top project.
    const direct = (await redmine('GET', `/issues.json?project_id=${TOP}&query_id=${openBugs}&limit=100`)).body;
    expect(direct.issues.map((i: { id: number }) => i.id)).toContain(subIssue);

    const all = await call(bastion, 'redmine_search_issues', { project: TOP, query_id: openBugs, sort: 'id', direction: 'asc' });
    expect(all.isError, all.text).toBeFalsy();
    const expected = [...topIssues, underSub];
    expect(all.structured.issues.map((i: { id: number }) => i.id)).toEqual(expected);
    expect(all.structured.total_count).toBe(expected.length);
    expect(all.structured.next_offset).toBeUndefined();
    expect(all.structured.scope_note).toBe(`Issues ${NOTE}.`);
    expect(all.text).toContain(`Issues 1-3 of 3`);
    expect(everything(all)).not.toContain(HIDDEN);

    // Pages follow the shown issues only: nothing skipped, nothing repeated, and no page says how many were hidden.
    const seen: number[] = [];
    for (let offset = 0; offset < expected.length; offset += 2) {
      const page = await call(bastion, 'redmine_search_issues', { project: TOP, query_id: openBugs, sort: 'id', direction: 'asc', offset, limit: 2 });
      expect(page.structured.total_count).toBe(expected.length);
      expect(page.structured.next_offset).toBe(offset + 2 < expected.length ? offset + 2 : undefined);
      seen.push(...page.structured.issues.map((i: { id: number }) => i.id));
    }
    expect(seen).toEqual(expected);
  });

  it('an ordinary search stays exact and says nothing was left out', async () => {
    const result = await call(bastion, 'redmine_search_issues', { project: TOP, status: 'all', sort: 'id', direction: 'asc' });
    expect(result.structured.issues.map((i: { id: number }) => i.id)).toEqual([...topIssues, underSub]);
    expect(result.structured.total_count).toBe(3);
    expect(result.structured.scope_note).toBeUndefined();
  });

  it('an issue shows neither a child, nor a parent, nor a history entry of another project, and says something was left out', async () => {
    const parent = await call(bastion, 'redmine_get_issue', { issue_id: topIssues[0] });
    expect(parent.isError, parent.text).toBeFalsy();
    expect(parent.structured.children ?? []).toEqual([]);
    expect(parent.structured.scope_note).toBe(`Related issues and projects ${NOTE}.`);
    expect(everything(parent)).not.toContain(HIDDEN);
    expect(everything(parent)).not.toContain(`#${child}`);

    const under = await call(bastion, 'redmine_get_issue', { issue_id: underSub });
    expect(under.isError, under.text).toBeFalsy();
    expect(under.structured.parent_id).toBeUndefined();
    expect(under.structured.journals.items[0].changes).toContain('parent: (none) → (an issue outside the allowed projects)');
    expect(everything(under)).not.toContain(String(subIssue));
    expect(under.structured.scope_note).toBe(`Related issues and projects ${NOTE}.`);
  });

  it('the time of an issue does not include its subtasks\' time in another project', async () => {
    const result = await call(bastion, 'redmine_list_time_entries', { issue_id: topIssues[0] });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured.entries.map((e: { comments: string }) => e.comments)).toEqual([`Top time ${RUN}`]);
    expect(result.structured.total_count).toBe(1);
    expect(result.structured.hours_on_page).toBe(0.5);
    expect(everything(result)).not.toContain(HIDDEN);
  });

  it('versions shared from another project are left out, and the result says so', async () => {
    const direct = (await redmine('GET', `/projects/${TOP}/versions.json`)).body.versions.map((v: { id: number }) => v.id);
    expect(direct).toEqual(expect.arrayContaining([subVersion, topVersion]));
    const result = await call(bastion, 'redmine_list_versions', { project: TOP });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured.versions.map((v: { id: number }) => v.id)).toEqual([topVersion]);
    expect(result.structured.total_count).toBe(1);
    expect(result.structured.scope_note).toBe(`Versions shared from projects ${NOTE}.`);
    expect(everything(result)).not.toContain(HIDDEN);
  });

  it('refuses to add a note to an issue of the subproject, adding nothing', async () => {
    const before = (await redmine('GET', `/issues/${subIssue}.json?include=journals`)).body.issue.journals.length;
    const result = await call(bastion, 'redmine_add_note', { issue_id: subIssue, notes: 'Not here' });
    expect(result.isError).toBe(true);
    expect(result.text).toBe(`Issue #${subIssue} is outside the allowed projects (REDMINE_PROJECTS=${TOP}).`);
    expect((await redmine('GET', `/issues/${subIssue}.json?include=journals`)).body.issue.journals).toHaveLength(before);
  });
});

describe('memberships and parent projects', () => {
  it('the current user\'s memberships name only allowed projects', async () => {
    const dev = await start(TOP, USER_KEY);
    const direct = (await redmine('GET', '/users/current.json?include=memberships', undefined, USER_KEY)).body.user.memberships.map((m: { project: { name: string } }) => m.project.name);
    expect(direct).toEqual(expect.arrayContaining([TOP, OTHER]));
    const result = await call(dev, 'redmine_get_current_user');
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured.memberships.map((m: { project: string }) => m.project)).toEqual([TOP]);
    expect(result.structured.scope_note).toBe(`Memberships in projects ${NOTE}.`);
    expect(everything(result)).not.toContain(OTHER);
    expect(everything(result)).not.toContain('Alpha');
  });

  it('a listed subproject does not name its parent outside the scope, in the list and in the details', async () => {
    const sub = await start(SUB);
    const list = await call(sub, 'redmine_list_projects');
    expect(list.isError, list.text).toBeFalsy();
    expect(list.structured.projects).toEqual([expect.objectContaining({ identifier: SUB })]);
    expect(list.structured.projects[0].parent).toBeUndefined();
    expect(list.structured.scope_note).toBe(`Parent projects ${NOTE}.`);
    const details = await call(sub, 'redmine_get_project', { project: SUB });
    expect(details.isError, details.text).toBeFalsy();
    expect(details.structured.parent).toBeUndefined();
    expect(details.structured.scope_note).toBe(`The parent project ${NOTE}.`);
    for (const result of [list, details]) expect(everything(result).replaceAll(SUB, '')).not.toContain(TOP);
  });
});
