// YouTrack catalogue tools through the real MCP client against the YouTrack double: projects and their
// field schema, user search, knowledge-base articles, agile boards and sprints, and the project scope on each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProjectRecord, YouTrackDouble } from '../doubles/youtrack.js';
import { findArticle, findIssue, findProject } from '../doubles/youtrack.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { startBastionOnYouTrack, useYouTrackBastion } from '../helpers/youtrack.js';

let double: YouTrackDouble;
let bastion: Bastion;

// An archived project next to the seeded DEMO and OPS (the seed has none).
const ARCHIVED: ProjectRecord = {
  id: '0-90',
  shortName: 'OLD',
  name: 'Retired product',
  description: 'No longer maintained',
  archived: true,
  leaderId: '1-2',
  createdById: '1-1',
  fields: [],
  workItemTypeIds: [],
  nextIssueNumber: 1,
  nextArticleNumber: 1,
};

useYouTrackBastion((running) => ({ double, bastion } = running), (fresh) => fresh.state.projects.push(ARCHIVED));

function login(userId: string): string {
  return double.state.users.find((u) => u.id === userId)!.login;
}

function day(epochMs: number | null): string | undefined {
  return epochMs === null ? undefined : new Date(epochMs).toISOString().slice(0, 10);
}

function board(name: string) {
  return double.state.agiles.find((a) => a.name === name)!;
}

function sprint(name: string) {
  return double.state.sprints.find((s) => s.name === name)!;
}

/** The issues of a sprint as youtrack_get_sprint should show them, from the double's state. */
function sprintIssues(name: string) {
  const assignee = (loginOrNull: unknown) => double.state.users.find((u) => u.login === loginOrNull)?.fullName;
  return sprint(name).issueIds.map((id) => {
    const issue = double.state.issues.find((i) => i.id === id)!;
    return {
      id: issue.idReadable,
      summary: issue.summary,
      state: issue.fields.State as string,
      priority: issue.fields.Priority as string,
      ...(assignee(issue.fields.Assignee) ? { assignee: assignee(issue.fields.Assignee) } : {}),
    };
  });
}

describe('youtrack_list_projects', () => {
  it('lists the projects without archived ones, as seeded', async () => {
    const result = await call(bastion, 'youtrack_list_projects');
    expect(result.isError).toBeFalsy();
    const expected = double.state.projects
      .filter((p) => !p.archived)
      .map((p) => ({ key: p.shortName, id: p.id, name: p.name, leader: login(p.leaderId), archived: false, description: p.description ?? undefined }));
    expect(result.structured.projects).toEqual(expected);
    expect(result.structured.projects.map((p: { key: string }) => p.key)).toEqual(['DEMO', 'OPS', 'DEV']);
    expect(result.structured.next_skip).toBeUndefined();
    expect(result.text).toContain('OPS Operations · lead john · Operations requests');
    expect(result.text).not.toContain('OLD');
  });

  it('includes archived projects when asked, marked as such', async () => {
    const result = await call(bastion, 'youtrack_list_projects', { include_archived: true });
    expect(result.structured.projects.map((p: { key: string }) => p.key)).toEqual(['DEMO', 'OPS', 'DEV', 'OLD']);
    expect(result.structured.projects[3]).toMatchObject({ key: 'OLD', archived: true, leader: 'jane' });
    expect(result.text).toContain('OLD Retired product (archived)');
  });

  it('pages with skip/top over the kept projects', async () => {
    const first = await call(bastion, 'youtrack_list_projects', { top: 1 });
    expect(first.structured.projects.map((p: { key: string }) => p.key)).toEqual(['DEMO']);
    expect(first.structured.next_skip).toBe(1);
    expect(first.text).toContain('(more: skip=1)');
    const second = await call(bastion, 'youtrack_list_projects', { top: 2, skip: first.structured.next_skip });
    expect(second.structured.projects.map((p: { key: string }) => p.key)).toEqual(['OPS', 'DEV']);
    // Only the archived project follows, so there is no further page.
    expect(second.structured.next_skip).toBeUndefined();
  });

  it('rejects bad arguments without calling YouTrack', async () => {
    const before = double.requests.length;
    const top = await call(bastion, 'youtrack_list_projects', { top: 0 });
    expect(top.isError).toBe(true);
    expect(top.text).toContain('top');
    const archived = await call(bastion, 'youtrack_list_projects', { include_archived: 'yes' });
    expect(archived.isError).toBe(true);
    expect(archived.text).toContain('include_archived');
    expect(double.requests.length).toBe(before);
  });
});

describe('youtrack_get_project', () => {
  it('shows the custom-field schema with types, allowed values and required flags (OPS Severity cannot be empty)', async () => {
    const result = await call(bastion, 'youtrack_get_project', { project: 'ops' });
    expect(result.isError).toBeFalsy();
    const ops = findProject(double.state, 'OPS')!;
    expect(result.structured).toMatchObject({ key: 'OPS', id: ops.id, name: ops.name, leader: 'john', archived: false, description: ops.description });
    expect(result.structured.fields.map((f: { name: string }) => f.name)).toEqual(ops.fields.map((f) => f.name));
    for (const field of ops.fields) {
      expect(result.structured.fields.find((f: { name: string }) => f.name === field.name)).toMatchObject({
        multiple: field.multi,
        can_be_empty: field.canBeEmpty,
        values: field.values.map((v) => v.name),
      });
    }
    expect(result.structured.fields).toContainEqual({ name: 'Severity', type: 'SingleEnumIssueCustomField', value_type: 'enum', multiple: false, can_be_empty: false, values: ['S1', 'S2', 'S3'] });
    expect(result.structured.fields).toContainEqual(
      expect.objectContaining({ name: 'State', type: 'StateIssueCustomField', can_be_empty: false, values: ['Submitted', 'Open', 'In Progress', 'Fixed', 'Verified'] }),
    );
    expect(result.structured.work_item_types).toEqual(['Development']);
    expect(result.text).toContain('- Severity [enum, required]: S1, S2, S3');
    expect(result.text).toContain('Work item types: Development');
  });

  it('gives each DEMO field the $type a write needs', async () => {
    const result = await call(bastion, 'youtrack_get_project', { project: 'DEMO' });
    expect(result.isError).toBeFalsy();
    const types = Object.fromEntries(result.structured.fields.map((f: { name: string; type: string }) => [f.name, f.type]));
    expect(types).toEqual({
      Priority: 'SingleEnumIssueCustomField',
      Type: 'SingleEnumIssueCustomField',
      State: 'StateIssueCustomField',
      Assignee: 'SingleUserIssueCustomField',
      'Fix versions': 'MultiVersionIssueCustomField',
      Estimation: 'PeriodIssueCustomField',
      'Due Date': 'DateIssueCustomField',
      'Story points': 'SimpleIssueCustomField',
    });
    expect(result.structured.fields).toContainEqual({ name: 'Fix versions', type: 'MultiVersionIssueCustomField', value_type: 'version', multiple: true, can_be_empty: true, values: ['1.0', '2.0'] });
    expect(result.structured.fields).toContainEqual(expect.objectContaining({ name: 'Type', can_be_empty: true, values: ['Bug', 'Feature', 'Task'] }));
    expect(result.structured.work_item_types).toEqual(['Development', 'Testing']);
    expect(result.text).toContain('- Fix versions [version, multiple]: 1.0, 2.0');
  });

  it('clips a long description to max_chars', async () => {
    const ops = findProject(double.state, 'OPS')!;
    const original = ops.description;
    ops.description = `${'d'.repeat(120)}END`;
    try {
      // A fresh Bastion: projects are cached per process.
      const fresh = await startBastionOnYouTrack(double);
      try {
        const result = await call(fresh, 'youtrack_get_project', { project: 'OPS', max_chars: 100 });
        expect(result.structured.description).toBe(`${'d'.repeat(100)}… [truncated: 23 more characters; call youtrack_get_project with a larger max_chars]`);
      } finally {
        await fresh.close();
      }
    } finally {
      ops.description = original;
    }
  });

  it('names an unknown project and rejects a malformed one without calling YouTrack', async () => {
    const missing = await call(bastion, 'youtrack_get_project', { project: 'NOPE' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain('project: no YouTrack project "NOPE" is visible to this token.');
    const before = double.requests.length;
    const malformed = await call(bastion, 'youtrack_get_project', { project: 'DE MO' });
    expect(malformed.isError).toBe(true);
    expect(malformed.text).toContain('project');
    const chars = await call(bastion, 'youtrack_get_project', { project: 'DEMO', max_chars: 5 });
    expect(chars.isError).toBe(true);
    expect(chars.text).toContain('max_chars');
    expect(double.requests.length).toBe(before);
  });
});

describe('youtrack_find_users', () => {
  it('finds users by login, full name or e-mail', async () => {
    const jane = await call(bastion, 'youtrack_find_users', { query: 'jane' });
    expect(jane.isError).toBeFalsy();
    expect(jane.structured).toEqual({ users: [{ id: '1-2', login: 'jane', name: 'Jane Doe', email: 'jane@example.test', banned: false, guest: false }], more: false });
    expect(jane.text).toBe('jane (Jane Doe) <jane@example.test>');
    const byName = await call(bastion, 'youtrack_find_users', { query: 'Smith' });
    expect(byName.structured.users.map((u: { login: string }) => u.login)).toEqual(['john']);
    // GET /users declares no `query`: the users are read page by page and matched by Bastion.
    const sent = double.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/api/users')).at(-1)!;
    expect(sent.query.query).toBeUndefined();
    expect(sent.query).toMatchObject({ $skip: '0', $top: '200' });
  });

  it('limits to top and says when more match', async () => {
    const result = await call(bastion, 'youtrack_find_users', { query: 'example.test', top: 2 });
    expect(result.structured.users).toHaveLength(2);
    expect(result.structured.more).toBe(true);
    expect(result.text).toContain('(more match: narrow the query or raise top)');
    const none = await call(bastion, 'youtrack_find_users', { query: 'nobody-here' });
    expect(none.structured).toEqual({ users: [], more: false });
    expect(none.text).toBe('No users found.');
  });

  it('rejects a blank query and a bad top without calling YouTrack', async () => {
    const before = double.requests.length;
    const blank = await call(bastion, 'youtrack_find_users', { query: '   ' });
    expect(blank.isError).toBe(true);
    expect(blank.text).toContain('query');
    const top = await call(bastion, 'youtrack_find_users', { query: 'jane', top: 51 });
    expect(top.isError).toBe(true);
    expect(top.text).toContain('top');
    expect(double.requests.length).toBe(before);
  });
});

describe('youtrack_search_articles', () => {
  it('lists every article for an empty query and finds by text', async () => {
    const all = await call(bastion, 'youtrack_search_articles', {});
    expect(all.isError).toBeFalsy();
    expect(all.structured.articles).toEqual(
      double.state.articles.map((a) => ({ id: a.idReadable, summary: a.summary, project: findProject(double.state, a.projectId)!.shortName, updated: day(a.updated) })),
    );
    expect(all.text).toContain(`DEMO-A-1 Onboarding · ${day(findArticle(double.state, 'DEMO-A-1')!.updated)}`);

    const found = await call(bastion, 'youtrack_search_articles', { query: 'changelog' });
    expect(found.structured.articles.map((a: { id: string }) => a.id)).toEqual(['DEMO-A-2']);
    // GET /articles declares no `query`: the words are matched by Bastion on the summary and content.
    const sent = double.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/api/articles')).at(-1)!;
    expect(sent.query.query).toBeUndefined();
  });

  it('limits to one project and pages', async () => {
    const demo = await call(bastion, 'youtrack_search_articles', { project: 'DEMO', top: 1 });
    expect(demo.structured.articles.map((a: { id: string }) => a.id)).toEqual(['DEMO-A-1']);
    expect(demo.structured.next_skip).toBe(1);
    const ops = await call(bastion, 'youtrack_search_articles', { project: 'OPS' });
    expect(ops.isError).toBeFalsy();
    expect(ops.structured.articles).toEqual([]);
    expect(ops.text).toBe('No articles found.');
  });

  it('names an unknown project and rejects bad arguments without calling YouTrack', async () => {
    const missing = await call(bastion, 'youtrack_search_articles', { project: 'NOPE' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain('no YouTrack project "NOPE"');
    const before = double.requests.length;
    const top = await call(bastion, 'youtrack_search_articles', { top: 0 });
    expect(top.isError).toBe(true);
    expect(top.text).toContain('top');
    const project = await call(bastion, 'youtrack_search_articles', { project: 'DEMO;x' });
    expect(project.isError).toBe(true);
    expect(project.text).toContain('project');
    expect(double.requests.length).toBe(before);
  });
});

describe('youtrack_get_article', () => {
  it('returns the article with its sub-articles, clipping the content to max_chars', async () => {
    const seeded = findArticle(double.state, 'DEMO-A-1')!;
    const result = await call(bastion, 'youtrack_get_article', { article_id: 'DEMO-A-1', max_chars: 100 });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toMatchObject({
      id: 'DEMO-A-1',
      summary: 'Onboarding',
      url: `${double.url}/articles/DEMO-A-1`,
      project: 'DEMO',
      reporter: 'Admin',
      children: [{ id: 'DEMO-A-2', summary: 'Release checklist' }],
    });
    expect(result.structured.parent).toBeUndefined();
    expect(seeded.content.length).toBeGreaterThan(100);
    expect(result.structured.content).toBe(
      `${seeded.content.slice(0, 100)}… [truncated: ${seeded.content.length - 100} more characters; call youtrack_get_article with a larger max_chars]`,
    );
    expect(result.text).toContain('Sub-articles: DEMO-A-2 Release checklist');
    expect(result.text).toMatch(/\nContent:\n⟦data⟧\n[\s\S]*\[truncated: \d+ more characters; call youtrack_get_article with a larger max_chars\]\n⟦\/data⟧$/);
  });

  it('returns a sub-article with its parent and the whole content', async () => {
    const seeded = findArticle(double.state, 'DEMO-A-2')!;
    const result = await call(bastion, 'youtrack_get_article', { article_id: 'DEMO-A-2' });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toMatchObject({ id: 'DEMO-A-2', parent: { id: 'DEMO-A-1', summary: 'Onboarding' }, children: [], content: seeded.content, reporter: 'Jane Doe' });
    expect(result.text).toContain('Parent: DEMO-A-1 Onboarding');
  });

  it('accepts an article key in any case, as issue keys are', async () => {
    const result = await call(bastion, 'youtrack_get_article', { article_id: 'demo-a-2' });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured).toMatchObject({ id: 'DEMO-A-2', summary: 'Release checklist' });
  });

  it('rejects an issue key and a tiny max_chars without calling YouTrack, and reports an unknown article', async () => {
    const before = double.requests.length;
    const issueKey = await call(bastion, 'youtrack_get_article', { article_id: 'DEMO-1' });
    expect(issueKey.isError).toBe(true);
    expect(issueKey.text).toContain('article_id');
    const chars = await call(bastion, 'youtrack_get_article', { article_id: 'DEMO-A-1', max_chars: 10 });
    expect(chars.isError).toBe(true);
    expect(chars.text).toContain('max_chars');
    expect(double.requests.length).toBe(before);
    const missing = await call(bastion, 'youtrack_get_article', { article_id: 'DEMO-A-99' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain('404');
  });
});

describe('youtrack_list_agile_boards', () => {
  it('lists boards with projects, current sprint and sprints, as seeded', async () => {
    const result = await call(bastion, 'youtrack_list_agile_boards');
    expect(result.isError).toBeFalsy();
    const seeded = board('DEMO board');
    expect(result.structured.boards).toEqual([
      {
        id: seeded.id,
        name: 'DEMO board',
        projects: ['DEMO'],
        current_sprint: { id: sprint('Sprint 2').id, name: 'Sprint 2' },
        sprints: seeded.sprintIds.map((id) => ({ id, name: double.state.sprints.find((s) => s.id === id)!.name })),
        archived_sprints: 0,
      },
    ]);
    expect(result.structured.next_skip).toBeUndefined();
    expect(result.text).toBe('DEMO board (id 120-1) · DEMO · current: Sprint 2 · sprints: Sprint 1, Sprint 2');
  });

  it('counts archived sprints instead of listing them', async () => {
    const finished = sprint('Sprint 1');
    finished.archived = true;
    try {
      const result = await call(bastion, 'youtrack_list_agile_boards');
      expect(result.structured.boards[0].sprints).toEqual([{ id: sprint('Sprint 2').id, name: 'Sprint 2' }]);
      expect(result.structured.boards[0].archived_sprints).toBe(1);
      expect(result.text).toContain('sprints: Sprint 2 (+1 archived)');
    } finally {
      finished.archived = false;
    }
  });

  it('rejects bad paging without calling YouTrack', async () => {
    const before = double.requests.length;
    const top = await call(bastion, 'youtrack_list_agile_boards', { top: 500 });
    expect(top.isError).toBe(true);
    expect(top.text).toContain('top');
    const skip = await call(bastion, 'youtrack_list_agile_boards', { skip: 'first' });
    expect(skip.isError).toBe(true);
    expect(skip.text).toContain('skip');
    expect(double.requests.length).toBe(before);
  });
});

describe('youtrack_get_sprint', () => {
  it('returns the current sprint by default, with its issues\' state, priority and assignee', async () => {
    const current = sprint('Sprint 2');
    const result = await call(bastion, 'youtrack_get_sprint', { board: 'DEMO board' });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toEqual({
      board: { id: '120-1', name: 'DEMO board' },
      sprint: { id: current.id, name: 'Sprint 2', goal: 'Stabilise login', start: day(current.start), finish: day(current.finish), archived: false },
      issues: sprintIssues('Sprint 2'),
      not_listed: 0,
      hidden_outside_scope: 0,
    });
    expect(result.structured.issues[0]).toEqual({ id: 'DEMO-1', summary: 'Login page crashes on submit', state: 'Open', priority: 'Critical', assignee: 'Jane Doe' });
    expect(result.text).toContain(`Sprint 2 (id ${current.id}) on DEMO board · ${day(current.start)} – ${day(current.finish)}`);
    expect(result.text).toContain('Goal: Stabilise login');
    const explicit = await call(bastion, 'youtrack_get_sprint', { board: 'DEMO board', sprint: 'CURRENT' });
    expect(explicit.structured.sprint.id).toBe(current.id);
  });

  it('finds a sprint by name (any case) and by board and sprint ids', async () => {
    const finished = sprint('Sprint 1');
    const byName = await call(bastion, 'youtrack_get_sprint', { board: 'demo BOARD', sprint: 'sprint 1' });
    expect(byName.isError).toBeFalsy();
    expect(byName.structured.sprint).toMatchObject({ id: finished.id, name: 'Sprint 1', goal: 'Ship the CSV export' });
    expect(byName.structured.issues).toEqual(sprintIssues('Sprint 1'));
    const byId = await call(bastion, 'youtrack_get_sprint', { board: '120-1', sprint: finished.id });
    expect(byId.isError).toBeFalsy();
    expect(byId.structured.sprint.name).toBe('Sprint 1');
    expect(byId.structured.issues.map((i: { id: string }) => i.id)).toEqual(finished.issueIds.map((id) => findIssue(double.state, id)!.idReadable));
  });

  it('lists at most top issues and counts the rest', async () => {
    const all = sprintIssues('Sprint 2');
    const result = await call(bastion, 'youtrack_get_sprint', { board: '120-1', sprint: 'Sprint 2', top: 2 });
    expect(result.structured.issues).toEqual(all.slice(0, 2));
    expect(result.structured.not_listed).toBe(all.length - 2);
    expect(result.text).toContain(`(+${all.length - 2} more not listed; raise top)`);
  });

  it('names unknown boards and sprints with the choices, and rejects blank input without calling YouTrack', async () => {
    const noBoard = await call(bastion, 'youtrack_get_sprint', { board: 'Nope' });
    expect(noBoard.isError).toBe(true);
    expect(noBoard.text).toContain('board: no agile board named "Nope". Boards: DEMO board (120-1).');
    const noSprint = await call(bastion, 'youtrack_get_sprint', { board: 'DEMO board', sprint: 'Sprint 9' });
    expect(noSprint.isError).toBe(true);
    expect(noSprint.text).toContain('sprint: board "DEMO board" has no sprint named "Sprint 9". Sprints: Sprint 1 (121-1), Sprint 2 (121-2).');
    const noSprintId = await call(bastion, 'youtrack_get_sprint', { board: 'DEMO board', sprint: '121-99' });
    expect(noSprintId.isError).toBe(true);
    expect(noSprintId.text).toContain('sprint: board "DEMO board" has no sprint 121-99.');
    const noBoardId = await call(bastion, 'youtrack_get_sprint', { board: '120-99' });
    expect(noBoardId.isError).toBe(true);
    expect(noBoardId.text).toContain('404');

    const twin = { ...board('DEMO board'), id: '120-2', sprintIds: [] };
    double.state.agiles.push(twin);
    try {
      const ambiguous = await call(bastion, 'youtrack_get_sprint', { board: 'DEMO board' });
      expect(ambiguous.isError).toBe(true);
      expect(ambiguous.text).toContain('board: several boards are named "DEMO board"; give the board id: 120-1, 120-2.');
    } finally {
      double.state.agiles.splice(double.state.agiles.indexOf(twin), 1);
    }

    const before = double.requests.length;
    const blank = await call(bastion, 'youtrack_get_sprint', { board: '   ' });
    expect(blank.isError).toBe(true);
    expect(blank.text).toContain('board');
    const top = await call(bastion, 'youtrack_get_sprint', { board: 'DEMO board', top: 0 });
    expect(top.isError).toBe(true);
    expect(top.text).toContain('top');
    expect(double.requests.length).toBe(before);
  });
});

describe('catalogue tools with YOUTRACK_PROJECTS=OPS', () => {
  let scoped: Bastion;
  beforeAll(async () => {
    scoped = await startBastionOnYouTrack(double, { YOUTRACK_PROJECTS: 'OPS' });
  });
  afterAll(async () => {
    await scoped?.close();
  });

  it('lists only the allowed projects and refuses others', async () => {
    const list = await call(scoped, 'youtrack_list_projects', { include_archived: true });
    expect(list.isError).toBeFalsy();
    expect(list.structured.projects.map((p: { key: string }) => p.key)).toEqual(['OPS']);
    const demo = await call(scoped, 'youtrack_get_project', { project: 'DEMO' });
    expect(demo.isError).toBe(true);
    expect(demo.text).toContain('Project DEMO is outside the allowed projects (YOUTRACK_PROJECTS=OPS)');
    const ops = await call(scoped, 'youtrack_get_project', { project: 'OPS' });
    expect(ops.isError).toBeFalsy();
  });

  it('leaves out articles of other projects and refuses to show them', async () => {
    const all = await call(scoped, 'youtrack_search_articles', {});
    expect(all.isError).toBeFalsy();
    expect(all.structured.articles).toEqual([]);
    const demo = await call(scoped, 'youtrack_search_articles', { project: 'DEMO' });
    expect(demo.isError).toBe(true);
    expect(demo.text).toContain('Project DEMO is outside the allowed projects');
    const article = await call(scoped, 'youtrack_get_article', { article_id: 'DEMO-A-1' });
    expect(article.isError).toBe(true);
    expect(article.text).toContain('Article DEMO-A-1 is outside the allowed projects (YOUTRACK_PROJECTS=OPS)');
    expect(article.text).not.toContain('Onboarding');
  });

  it('leaves out boards of other projects and refuses their sprints', async () => {
    const boards = await call(scoped, 'youtrack_list_agile_boards');
    expect(boards.isError).toBeFalsy();
    expect(boards.structured.boards).toEqual([]);
    expect(boards.text).toBe('No agile boards.');
    const current = await call(scoped, 'youtrack_get_sprint', { board: 'DEMO board' });
    expect(current.isError).toBe(true);
    expect(current.text).toContain('Board "DEMO board" is outside the allowed projects (YOUTRACK_PROJECTS=OPS)');
    const byId = await call(scoped, 'youtrack_get_sprint', { board: '120-1', sprint: '121-1' });
    expect(byId.isError).toBe(true);
    expect(byId.text).toContain('outside the allowed projects');
    expect(byId.text).not.toContain('Ship the CSV export');
  });
});

describe('boards and sprints with YOUTRACK_PROJECTS=DEMO', () => {
  let scoped: Bastion;
  beforeAll(async () => {
    scoped = await startBastionOnYouTrack(double, { YOUTRACK_PROJECTS: 'DEMO' });
  });
  afterAll(async () => {
    await scoped?.close();
  });

  it('shows only the allowed projects of a shared board and counts hidden sprint issues', async () => {
    const shared = board('DEMO board');
    const current = sprint('Sprint 2');
    const opsIssue = findIssue(double.state, 'OPS-1')!.id;
    shared.projectIds.push(findProject(double.state, 'OPS')!.id);
    current.issueIds.push(opsIssue);
    try {
      const boards = await call(scoped, 'youtrack_list_agile_boards');
      expect(boards.structured.boards.map((b: { name: string; projects: string[] }) => [b.name, b.projects])).toEqual([['DEMO board', ['DEMO']]]);
      const result = await call(scoped, 'youtrack_get_sprint', { board: 'DEMO board', sprint: 'Sprint 2' });
      expect(result.isError).toBeFalsy();
      expect(result.structured.issues.map((i: { id: string }) => i.id)).not.toContain('OPS-1');
      expect(result.structured.issues.every((i: { id: string }) => i.id.startsWith('DEMO-'))).toBe(true);
      expect(result.structured.hidden_outside_scope).toBe(1);
      expect(result.text).toContain('(1 issue outside the allowed projects not shown)');
      expect(result.text).not.toContain('Disk usage alert');
    } finally {
      shared.projectIds.splice(shared.projectIds.indexOf(findProject(double.state, 'OPS')!.id), 1);
      current.issueIds.splice(current.issueIds.indexOf(opsIssue), 1);
    }
  });
});
