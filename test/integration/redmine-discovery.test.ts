// Discovery tools (users, lookups, search) through the real MCP client against the real Redmine,
// with the admin key and with the non-admin key of user "dev".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, redmineEnv, startBastion, type Bastion } from '../helpers/bastion.js';
import { ADMIN_KEY, REDMINE_URL, USER_KEY, redmine } from '../helpers/redmine.js';

interface Item {
  id: number;
  name: string;
  extra?: string;
}

let bastion: Bastion;
let asDev: Bastion;
let departmentId: number;
const run = Date.now();

const pairs = (items: Array<{ id: number; name: string }>) => items.map(({ id, name }) => ({ id, name }));

beforeAll(async () => {
  [bastion, asDev] = await Promise.all([startBastion(), startBastion({ env: redmineEnv({ REDMINE_API_KEY: USER_KEY }) })]);
  const fields = (await redmine('GET', '/custom_fields.json')).body.custom_fields as Array<{ id: number; name: string }>;
  departmentId = fields.find((f) => f.name === 'Department')!.id;
});

afterAll(async () => {
  await bastion?.close();
  await asDev?.close();
});

describe('redmine_list_users', () => {
  it('lists users with the totals Redmine reports, filtered by status and name, without credentials', async () => {
    const direct = (await redmine('GET', '/users.json?limit=100')).body;
    const result = await call(bastion, 'redmine_list_users', { limit: 100 });
    expect(result.isError).toBeFalsy();
    expect(result.structured.total_count).toBe(direct.total_count);
    expect(result.structured.users.map((u: { login: string }) => u.login)).toEqual(direct.users.map((u: { login: string }) => u.login));
    const byLogin = Object.fromEntries(result.structured.users.map((u: { login: string }) => [u.login, u]));
    expect(byLogin.admin).toMatchObject({ name: 'Redmine Admin', admin: true });
    expect(byLogin.qa).toEqual(expect.objectContaining({ login: 'qa', name: 'Qa Tester', mail: 'qa@example.test' }));
    expect(byLogin.qa.admin).toBeUndefined();
    expect(JSON.stringify(result)).not.toContain(ADMIN_KEY);
    expect(JSON.stringify(result)).not.toContain(USER_KEY);
    expect(JSON.stringify(result)).not.toContain('api_key');

    const named = await call(bastion, 'redmine_list_users', { name: 'tester' });
    expect(named.structured.total_count).toBe((await redmine('GET', '/users.json?name=tester&limit=1')).body.total_count);
    expect(named.structured.users.map((u: { login: string }) => u.login)).toEqual(['qa']);

    const all = await call(bastion, 'redmine_list_users', { status: 'all', limit: 1 });
    expect(all.structured.total_count).toBe((await redmine('GET', '/users.json?status=&limit=1')).body.total_count);
    expect(all.structured.users).toHaveLength(1);
    if (all.structured.total_count > 1) expect(all.text).toContain('More: call again with offset=1.');
  });

  it('explains that a non-administrator key cannot list users, and what to use instead', async () => {
    expect((await redmine('GET', '/users.json', undefined, USER_KEY)).status).toBe(403);
    const result = await call(asDev, 'redmine_list_users');
    expect(result.isError).toBe(true);
    expect(result.text).toContain("redmine_list_users needs an administrator's API key");
    expect(result.text).toContain('redmine_get_project with include ["memberships"]');
  });

  it('rejects bad filters, naming them', async () => {
    const status = await call(bastion, 'redmine_list_users', { status: 'disabled' });
    expect(status.isError).toBe(true);
    expect(status.text).toContain('status');
    const name = await call(bastion, 'redmine_list_users', { name: '   ' });
    expect(name.isError).toBe(true);
    expect(name.text).toContain('name');
    const group = await call(bastion, 'redmine_list_users', { group_id: 0 });
    expect(group.isError).toBe(true);
    expect(group.text).toContain('group_id');
    const limit = await call(bastion, 'redmine_list_users', { limit: 101 });
    expect(limit.isError).toBe(true);
    expect(limit.text).toContain('limit');
  });
});

describe('redmine_lookup', () => {
  it('lists trackers, statuses, priorities and roles as Redmine has them', async () => {
    const trackers = (await redmine('GET', '/trackers.json')).body.trackers as Array<{ id: number; name: string; default_status: { name: string } }>;
    const result = await call(bastion, 'redmine_lookup', { kind: 'trackers' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.items).toEqual(trackers.map((t) => ({ id: t.id, name: t.name, extra: `default status ${t.default_status.name}` })));
    expect(result.structured.items.map((t: Item) => t.name)).toEqual(expect.arrayContaining(['Bug', 'Feature', 'Support']));
    const betaTrackers = (await redmine('GET', '/projects/beta.json?include=trackers')).body.project.trackers;
    const inBeta = await call(bastion, 'redmine_lookup', { kind: 'trackers', project: 'beta' });
    expect(pairs(inBeta.structured.items)).toEqual(pairs(betaTrackers));
    expect(inBeta.structured.project).toBe('beta');

    const statuses = (await redmine('GET', '/issue_statuses.json')).body.issue_statuses as Array<{ id: number; name: string; is_closed: boolean }>;
    const byStatus = await call(bastion, 'redmine_lookup', { kind: 'statuses' });
    expect(byStatus.structured.items).toEqual(statuses.map((s) => (s.is_closed ? { id: s.id, name: s.name, extra: 'closed' } : { id: s.id, name: s.name })));
    const closed = byStatus.structured.items.filter((s: Item) => s.extra === 'closed').map((s: Item) => s.name);
    expect(closed).toEqual(expect.arrayContaining(['Closed', 'Rejected']));
    expect(closed).not.toContain('New');
    expect(byStatus.text).toMatch(/- Closed \(\d+\): closed/);

    const priorities = (await redmine('GET', '/enumerations/issue_priorities.json')).body.issue_priorities as Array<{ id: number; name: string; is_default: boolean }>;
    const byPriority = await call(bastion, 'redmine_lookup', { kind: 'priorities' });
    expect(pairs(byPriority.structured.items)).toEqual(pairs(priorities));
    expect(byPriority.structured.items.filter((p: Item) => p.extra === 'default').map((p: Item) => p.name)).toEqual(
      priorities.filter((p) => p.is_default).map((p) => p.name),
    );

    const roles = (await redmine('GET', '/roles.json')).body.roles;
    const byRole = await call(bastion, 'redmine_lookup', { kind: 'roles' });
    expect(byRole.structured.items).toEqual(pairs(roles));
    expect(byRole.structured.items.map((r: Item) => r.name)).toContain('Developer');
  });

  it('lists time-entry activities globally and for a project, marking the default', async () => {
    const global = (await redmine('GET', '/enumerations/time_entry_activities.json')).body.time_entry_activities as Array<{ id: number; name: string; is_default: boolean }>;
    const result = await call(bastion, 'redmine_lookup', { kind: 'activities' });
    expect(result.isError).toBeFalsy();
    expect(pairs(result.structured.items)).toEqual(pairs(global));
    expect(result.structured.items.find((a: Item) => a.name === 'Development').extra).toBe('default');
    expect(result.structured.items.find((a: Item) => a.name === 'Design').extra).toBeUndefined();

    const own = (await redmine('GET', '/projects/alpha.json?include=time_entry_activities')).body.project.time_entry_activities;
    const inAlpha = await call(asDev, 'redmine_lookup', { kind: 'activities', project: 'alpha' });
    expect(inAlpha.isError).toBeFalsy();
    expect(pairs(inAlpha.structured.items)).toEqual(pairs(own));
    expect(inAlpha.text).toMatch(/- Development \(\d+\): default/);
  });

  it('lists custom fields with format, values and flags for an administrator key', async () => {
    const direct = (await redmine('GET', '/custom_fields.json')).body.custom_fields;
    const result = await call(bastion, 'redmine_lookup', { kind: 'custom_fields' });
    expect(result.isError).toBeFalsy();
    expect(pairs(result.structured.items)).toEqual(pairs(direct));
    expect(result.structured.items.find((f: Item) => f.id === departmentId)).toEqual({
      id: departmentId,
      name: 'Department',
      extra: 'issue, list: Engineering, Sales, Support, is_filter',
    });
    expect(result.structured.note).toBeUndefined();
  });

  it('falls back to a project\'s own custom fields for a non-administrator key, and needs project without one', async () => {
    const identifier = `cf-lookup-${run}`;
    const created = await redmine('POST', '/projects.json', {
      project: { name: `Lookup ${run}`, identifier, is_public: true, issue_custom_field_ids: [departmentId] },
    });
    expect(created.status).toBe(201);
    try {
      expect((await redmine('GET', '/custom_fields.json', undefined, USER_KEY)).status).toBe(403);
      const direct = (await redmine('GET', `/projects/${identifier}.json?include=issue_custom_fields`, undefined, USER_KEY)).body.project.issue_custom_fields;
      const result = await call(asDev, 'redmine_lookup', { kind: 'custom_fields', project: identifier });
      expect(result.isError).toBeFalsy();
      expect(pairs(result.structured.items)).toEqual(pairs(direct));
      expect(result.structured.items).toEqual([{ id: departmentId, name: 'Department', extra: 'issue' }]);
      expect(result.structured.note).toContain('Without an administrator key');
    } finally {
      await redmine('DELETE', `/projects/${identifier}.json`);
    }

    const global = await call(asDev, 'redmine_lookup', { kind: 'custom_fields' });
    expect(global.isError).toBe(true);
    expect(global.text).toContain("needs an administrator's API key");
    expect(global.text).toContain('Give project');
  });

  it('finds custom fields enabled for all projects with a non-administrator key', async () => {
    // Department is enabled for all projects; every alpha issue the dev user can see carries it.
    const visible = (await redmine('GET', '/issues.json?project_id=alpha&status_id=*&limit=1', undefined, USER_KEY)).body.issues[0];
    expect(visible.custom_fields.map((f: { name: string }) => f.name)).toContain('Department');
    const result = await call(asDev, 'redmine_lookup', { kind: 'custom_fields', project: 'alpha' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.items.map((f: Item) => f.name)).toContain('Department');
  });

  it('lists saved queries and a project\'s issue categories as Redmine has them', async () => {
    const queries = (await redmine('GET', '/queries.json?limit=100')).body.queries;
    const result = await call(bastion, 'redmine_lookup', { kind: 'queries' });
    expect(result.isError).toBeFalsy();
    expect(pairs(result.structured.items).sort((a, b) => a.id - b.id)).toEqual(pairs(queries).sort((a, b) => a.id - b.id));
    expect(result.structured.items.find((q: Item) => q.name === 'Open bugs')).toMatchObject({ extra: 'all projects' });
    expect(result.structured.note).toContain('redmine_search_issues query_id');

    const categories = (await redmine('GET', '/projects/alpha/issue_categories.json')).body.issue_categories;
    const inAlpha = await call(bastion, 'redmine_lookup', { kind: 'issue_categories', project: 'alpha' });
    expect(pairs(inAlpha.structured.items)).toEqual(pairs(categories));
    expect(inAlpha.structured.items.map((c: Item) => c.name)).toContain('Backend');
  });

  it('refuses issue_categories without project, an unknown kind and bad projects', async () => {
    const noProject = await call(bastion, 'redmine_lookup', { kind: 'issue_categories' });
    expect(noProject.isError).toBe(true);
    expect(noProject.text).toContain('kind "issue_categories" needs project');
    const kind = await call(bastion, 'redmine_lookup', { kind: 'versions' });
    expect(kind.isError).toBe(true);
    expect(kind.text).toContain('kind');
    const project = await call(bastion, 'redmine_lookup', { kind: 'trackers', project: 'Alpha!' });
    expect(project.isError).toBe(true);
    expect(project.text).toContain('project');
    const missing = await call(bastion, 'redmine_lookup', { kind: 'issue_categories', project: 'no-such-project' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain('Project "no-such-project" does not exist or is not visible to this key: use an identifier or id from redmine_list_projects.');
  });
});

describe('redmine_search', () => {
  it('finds the Runbook wiki page like Redmine\'s own search', async () => {
    const direct = (await redmine('GET', '/search.json?q=Runbook&limit=100')).body;
    const result = await call(bastion, 'redmine_search', { q: 'Runbook' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.total_count).toBe(direct.total_count);
    const runbook = result.structured.results.find((r: { title: string }) => r.title === 'Wiki: Runbook');
    expect(runbook).toMatchObject({ type: 'wiki-page', url: `${REDMINE_URL}/projects/alpha/wiki/Runbook` });
    expect(runbook.description).toMatch(/^h1\. Runbook This page describes/);
    expect(runbook.description.length).toBeLessThanOrEqual(201);
    expect(result.text).toContain(`[wiki-page] Wiki: Runbook ${REDMINE_URL}/projects/alpha/wiki/Runbook`);

    const titles = await call(bastion, 'redmine_search', { q: 'Runbook', project: 'alpha', titles_only: true, types: ['wiki_pages'] });
    const directTitles = (await redmine('GET', '/projects/alpha/search.json?q=Runbook&titles_only=1&wiki_pages=1')).body;
    expect(titles.structured.total_count).toBe(directTitles.total_count);
    expect(titles.structured.results.map((r: { title: string }) => r.title)).toContain('Wiki: Runbook');
    expect(titles.structured.results.map((r: { title: string }) => r.title)).not.toContain('Wiki: Wiki');
  });

  it('finds an issue by a word of its subject, with all or any of the words', async () => {
    const word = `Quokka${run}`;
    const { body } = await redmine('POST', '/issues.json', { issue: { project_id: 'alpha', subject: `Sighting of a ${word} near the pond` } });
    const id = body.issue.id;
    const result = await call(bastion, 'redmine_search', { q: word, types: ['issues'] });
    expect(result.isError).toBeFalsy();
    expect(result.structured.total_count).toBe((await redmine('GET', `/search.json?q=${word}&issues=1`)).body.total_count);
    expect(result.structured.results).toEqual([
      expect.objectContaining({ type: 'issue', id, title: expect.stringContaining(`#${id} (New): Sighting of a ${word} near the pond`), url: `${REDMINE_URL}/issues/${id}` }),
    ]);

    const inProject = await call(bastion, 'redmine_search', { q: word, project: 'alpha', open_issues: true });
    expect(inProject.structured.results.map((r: { id: number }) => r.id)).toEqual([id]);
    const elsewhere = await call(bastion, 'redmine_search', { q: word, project: 'beta' });
    expect(elsewhere.structured.total_count).toBe(0);
    expect(elsewhere.text).toBe('No matches (total 0).');

    const allWords = await call(bastion, 'redmine_search', { q: `${word} Zyzzyva${run}` });
    expect(allWords.structured.total_count).toBe(0);
    const anyWord = await call(bastion, 'redmine_search', { q: `${word} Zyzzyva${run}`, all_words: false });
    expect(anyWord.structured.results.map((r: { id: number }) => r.id)).toEqual([id]);
  });

  it('rejects bad input, naming the field or explaining the limit', async () => {
    const blank = await call(bastion, 'redmine_search', { q: '   ' });
    expect(blank.isError).toBe(true);
    expect(blank.text).toMatch(/\bq\b/);
    const subprojects = await call(bastion, 'redmine_search', { q: 'Runbook', include_subprojects: true });
    expect(subprojects.isError).toBe(true);
    expect(subprojects.text).toContain('include_subprojects needs project');
    const projects = await call(bastion, 'redmine_search', { q: 'Alpha', project: 'alpha', types: ['projects'] });
    expect(projects.isError).toBe(true);
    expect(projects.text).toContain('Redmine searches projects only when no project is given');
    const types = await call(bastion, 'redmine_search', { q: 'Runbook', types: ['tickets'] });
    expect(types.isError).toBe(true);
    expect(types.text).toContain('types');
    const limit = await call(bastion, 'redmine_search', { q: 'Runbook', limit: 500 });
    expect(limit.isError).toBe(true);
    expect(limit.text).toContain('limit');
  });
});
