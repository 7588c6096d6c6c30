// Issue tools through the real MCP client against the real Redmine: a success and a bad-input case per tool.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, redmineEnv, startBastion, type Bastion } from '../helpers/bastion.js';
import { ADMIN_KEY, USER_KEY, issueIdBySubject, redmine } from '../helpers/redmine.js';

let bastion: Bastion;
let issue1: number;
let issue2: number;
let qaId: number;
let devId: number;

async function issueCount(project = 'alpha'): Promise<number> {
  return (await redmine('GET', `/issues.json?project_id=${project}&status_id=*&limit=1`)).body.total_count;
}

async function updatedOn(id: number): Promise<string> {
  return (await redmine('GET', `/issues/${id}.json`)).body.issue.updated_on;
}

async function newIssue(subject: string): Promise<number> {
  const { status, body } = await redmine('POST', '/issues.json', { issue: { project_id: 'alpha', subject } });
  expect(status).toBe(201);
  return body.issue.id;
}

beforeAll(async () => {
  bastion = await startBastion();
  issue1 = await issueIdBySubject('Alpha issue 1');
  issue2 = await issueIdBySubject('Alpha issue 2');
  const users = (await redmine('GET', '/users.json?limit=100')).body.users as Array<{ id: number; login: string }>;
  qaId = users.find((u) => u.login === 'qa')!.id;
  devId = users.find((u) => u.login === 'dev')!.id;
});

afterAll(async () => {
  await bastion?.close();
});

describe('redmine_search_issues', () => {
  it('lists all issues of a project with the same total Redmine reports, sorted and paged', async () => {
    const direct = await issueCount('alpha');
    const first = await call(bastion, 'redmine_search_issues', { project: 'alpha', status: 'all', sort: 'id', direction: 'asc', limit: 10 });
    expect(first.isError).toBeFalsy();
    expect(first.structured.total_count).toBe(direct);
    expect(first.structured.issues).toHaveLength(10);
    const ids = first.structured.issues.map((i: { id: number }) => i.id);
    expect(ids).toEqual([...ids].sort((a: number, b: number) => a - b));
    expect(first.structured.next_offset).toBe(10);
    expect(first.text).toContain(`of ${direct}`);

    const second = await call(bastion, 'redmine_search_issues', { project: 'alpha', status: 'all', sort: 'id', direction: 'asc', limit: 10, offset: 10 });
    expect(second.structured.issues[0].id).toBeGreaterThan(ids.at(-1));
  });

  it('filters by tracker name, custom field and subject text like Redmine does', async () => {
    const trackers = (await redmine('GET', '/trackers.json')).body.trackers as Array<{ id: number; name: string }>;
    const bug = trackers.find((t) => t.name === 'Bug')!;
    const direct = (await redmine('GET', `/issues.json?project_id=alpha&status_id=*&tracker_id=${bug.id}&limit=1`)).body.total_count;
    const byTracker = await call(bastion, 'redmine_search_issues', { project: 'alpha', status: 'all', tracker: 'bug' });
    expect(byTracker.structured.total_count).toBe(direct);
    expect(byTracker.structured.issues.every((i: { tracker: string }) => i.tracker === 'Bug')).toBe(true);

    const fields = (await redmine('GET', '/custom_fields.json')).body.custom_fields as Array<{ id: number; name: string }>;
    const department = fields.find((f) => f.name === 'Department')!;
    const directCf = (await redmine('GET', `/issues.json?project_id=alpha&status_id=*&cf_${department.id}=Engineering&limit=1`)).body.total_count;
    const byCf = await call(bastion, 'redmine_search_issues', { project: 'alpha', status: 'all', custom_fields: [{ id: department.id, value: 'Engineering' }] });
    expect(byCf.structured.total_count).toBe(directCf);
    expect(directCf).toBeLessThan(await issueCount('alpha'));

    const byText = await call(bastion, 'redmine_search_issues', { status: 'all', text: 'Beta issue' });
    expect(byText.structured.total_count).toBe(3);
    expect(byText.structured.issues.every((i: { subject: string; project: string }) => i.subject.startsWith('Beta issue') && i.project === 'Beta')).toBe(true);
  });

  it('resolves assignee "me" to the key\'s user', async () => {
    const asDev = await startBastion({ env: redmineEnv({ REDMINE_API_KEY: USER_KEY }) });
    try {
      const direct = (await redmine('GET', `/issues.json?status_id=*&assigned_to_id=${devId}&limit=1`, undefined, USER_KEY)).body.total_count;
      const mine = await call(asDev, 'redmine_search_issues', { status: 'all', assignee: 'me' });
      expect(direct).toBeGreaterThan(0);
      expect(mine.structured.total_count).toBe(direct);
      expect(mine.structured.issues.every((i: { assignee: string }) => i.assignee === 'Dev User')).toBe(true);
    } finally {
      await asDev.close();
    }
  });

  it('rejects bad input with a message naming the field, before calling Redmine', async () => {
    const limit = await call(bastion, 'redmine_search_issues', { limit: 500 });
    expect(limit.isError).toBe(true);
    expect(limit.text).toContain('limit');
    const project = await call(bastion, 'redmine_search_issues', { project: 'Not A Project!' });
    expect(project.isError).toBe(true);
    expect(project.text).toContain('project');
    const status = await call(bastion, 'redmine_search_issues', { project: 'alpha', status: 'Bogus' });
    expect(status.isError).toBe(true);
    expect(status.text).toMatch(/Unknown status "Bogus".*New/);
    const date = await call(bastion, 'redmine_search_issues', { updated_from: '22/11/2026' });
    expect(date.isError).toBe(true);
    expect(date.text).toContain('updated_from');
  });
});

describe('redmine_get_issue', () => {
  it('returns the issue with its history newest first, paged, and description edits summarised', async () => {
    const result = await call(bastion, 'redmine_get_issue', { issue_id: issue1, include: ['attachments', 'watchers', 'allowed_statuses'] });
    expect(result.isError).toBeFalsy();
    const issue = result.structured;
    expect(issue.subject).toBe('Alpha issue 1');
    expect(issue.project.name).toBe('Alpha');
    expect(issue.journals.total).toBeGreaterThanOrEqual(16);
    expect(issue.journals.items).toHaveLength(10);
    const ids = issue.journals.items.map((j: { id: number }) => j.id);
    expect(ids).toEqual([...ids].sort((a: number, b: number) => b - a));
    expect(issue.journals.next_offset).toBe(10);
    expect(issue.attachments.map((a: { filename: string }) => a.filename)).toContain('notes.txt');
    expect(issue.watchers.map((w: { name: string }) => w.name)).toContain('Qa Tester');
    expect(issue.allowed_statuses.length).toBeGreaterThan(0);

    const older = await call(bastion, 'redmine_get_issue', { issue_id: issue1, journal_offset: 10, journal_limit: 100 });
    const all = [...issue.journals.items, ...older.structured.journals.items];
    const edit = all.find((j: { changes?: string[] }) => j.changes?.some((c) => c.startsWith('description edited')));
    expect(edit).toBeDefined();
    // The whole old and new descriptions are not repeated in the history.
    expect(JSON.stringify(all).length).toBeLessThan(8000);
  });

  it('cuts a long description and says how to get the rest', async () => {
    const result = await call(bastion, 'redmine_get_issue', { issue_id: issue1, journals: false, max_chars: 200 });
    expect(result.structured.description).toMatch(/truncated: \d+ more characters; call redmine_get_issue with a larger max_chars/);
    expect(result.structured.journals).toBeUndefined();
  });

  it('reports an unknown issue and a bad id clearly', async () => {
    const missing = await call(bastion, 'redmine_get_issue', { issue_id: 99_999_999 });
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/404.*not found/);
    const bad = await call(bastion, 'redmine_get_issue', { issue_id: 0 });
    expect(bad.isError).toBe(true);
    expect(bad.text).toContain('issue_id');
  });
});

describe('redmine_create_issue', () => {
  it('creates an issue with names for tracker, priority and custom fields, and watchers', async () => {
    const before = await issueCount();
    const result = await call(bastion, 'redmine_create_issue', {
      project: 'alpha',
      subject: 'Created through Bastion',
      description: 'Steps to reproduce...',
      tracker: 'Feature',
      priority: 'High',
      custom_fields: [{ field: 'department', value: ['Sales'] }],
      watcher_user_ids: [qaId],
    });
    expect(result.isError).toBeFalsy();
    expect(result.text).toMatch(/Created issue #\d+/);
    const { body } = await redmine('GET', `/issues/${result.structured.id}.json?include=watchers`);
    expect(body.issue.tracker.name).toBe('Feature');
    expect(body.issue.priority.name).toBe('High');
    expect(body.issue.custom_fields.find((cf: { name: string }) => cf.name === 'Department').value).toBe('Sales');
    expect(body.issue.watchers.map((w: { id: number }) => w.id)).toContain(qaId);
    expect(await issueCount()).toBe(before + 1);
  });

  it('resolves custom field names for a non-admin key too', async () => {
    const asDev = await startBastion({ env: redmineEnv({ REDMINE_API_KEY: USER_KEY }) });
    try {
      const result = await call(asDev, 'redmine_create_issue', { project: 'alpha', subject: 'Filed by dev', custom_fields: [{ field: 'Department', value: ['Support'] }] });
      expect(result.isError).toBeFalsy();
      const { body } = await redmine('GET', `/issues/${result.structured.id}.json`);
      expect(body.issue.author.id).toBe(devId);
      expect(body.issue.custom_fields.find((cf: { name: string }) => cf.name === 'Department').value).toBe('Support');
    } finally {
      await asDev.close();
    }
  });

  it('changes nothing on bad input: missing subject, unknown custom field, unknown project', async () => {
    const before = await issueCount();
    const noSubject = await call(bastion, 'redmine_create_issue', { project: 'alpha' });
    expect(noSubject.isError).toBe(true);
    expect(noSubject.text).toContain('subject');
    const badField = await call(bastion, 'redmine_create_issue', { project: 'alpha', subject: 'x', custom_fields: [{ field: 'Nope', value: ['1'] }] });
    expect(badField.isError).toBe(true);
    expect(badField.text).toMatch(/unknown field "Nope".*Department/);
    const badTracker = await call(bastion, 'redmine_create_issue', { project: 'alpha', subject: 'x', tracker: 'Epic' });
    expect(badTracker.isError).toBe(true);
    expect(badTracker.text).toMatch(/Unknown tracker "Epic".*Bug/);
    const badProject = await call(bastion, 'redmine_create_issue', { project: 'no-such-project', subject: 'x' });
    expect(badProject.isError).toBe(true);
    expect(badProject.text).toMatch(/404|Project/);
    expect(await issueCount()).toBe(before);
  });
});

describe('redmine_update_issue', () => {
  it('changes fields and adds notes, public and private', async () => {
    const id = await newIssue('To be updated');
    const result = await call(bastion, 'redmine_update_issue', { issue_id: id, priority: 'Urgent', done_ratio: 40, notes: 'Looked into it.' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.changed).toEqual(expect.arrayContaining(['priority', 'done_ratio']));
    expect(result.structured.note_added).toBe(true);
    await call(bastion, 'redmine_update_issue', { issue_id: id, notes: 'Internal only.', private_notes: true });
    const { body } = await redmine('GET', `/issues/${id}.json?include=journals`);
    expect(body.issue.priority.name).toBe('Urgent');
    expect(body.issue.done_ratio).toBe(40);
    const notes = body.issue.journals.map((j: { notes: string; private_notes: boolean }) => [j.notes, j.private_notes]);
    expect(notes).toEqual(expect.arrayContaining([['Looked into it.', false], ['Internal only.', true]]));
  });

  it('unassigns, and changes the status by name', async () => {
    const id = await newIssue('Assigned then not');
    await redmine('PUT', `/issues/${id}.json`, { issue: { assigned_to_id: devId } });
    const result = await call(bastion, 'redmine_update_issue', { issue_id: id, unassign: true, status: 'In Progress' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.warnings).toEqual([]);
    const { body } = await redmine('GET', `/issues/${id}.json`);
    expect(body.issue.assigned_to).toBeUndefined();
    expect(body.issue.status.name).toBe('In Progress');
  });

  it('changes nothing on bad input', async () => {
    const before = await updatedOn(issue2);
    const nothing = await call(bastion, 'redmine_update_issue', { issue_id: issue2 });
    expect(nothing.isError).toBe(true);
    expect(nothing.text).toContain('Nothing to update');
    const ratio = await call(bastion, 'redmine_update_issue', { issue_id: issue2, done_ratio: 150 });
    expect(ratio.isError).toBe(true);
    expect(ratio.text).toContain('done_ratio');
    const both = await call(bastion, 'redmine_update_issue', { issue_id: issue2, unassign: true, assigned_to_id: devId });
    expect(both.isError).toBe(true);
    expect(await updatedOn(issue2)).toBe(before);
  });
});

describe('redmine_add_note', () => {
  it('adds a public and a private note, changing nothing else, and returns the new journal', async () => {
    const id = await newIssue('Comment on me');
    const before = (await redmine('GET', `/issues/${id}.json`)).body.issue;
    const added = await call(bastion, 'redmine_add_note', { issue_id: id, notes: 'First comment\nwith two lines' });
    expect(added.isError, added.text).toBeFalsy();
    const journals = (await redmine('GET', `/issues/${id}.json?include=journals`)).body.issue.journals as Array<{ id: number; notes: string; private_notes: boolean; details: unknown[] }>;
    expect(journals).toHaveLength(1);
    expect(journals[0]).toMatchObject({ notes: 'First comment\nwith two lines', private_notes: false, details: [] });
    expect(added.structured).toEqual({ issue_id: id, journal_id: journals[0]!.id, private: false, url: expect.stringContaining(`/issues/${id}#change-${journals[0]!.id}`) });
    expect(added.text).toContain(`Added a note to issue #${id} (journal ${journals[0]!.id})`);

    const secret = await call(bastion, 'redmine_add_note', { issue_id: id, notes: 'Only for the team', private_notes: true });
    expect(secret.isError, secret.text).toBeFalsy();
    expect(secret.text).toContain(`Added a private note to issue #${id}`);
    const after = (await redmine('GET', `/issues/${id}.json?include=journals`)).body.issue;
    expect(after.journals.at(-1)).toMatchObject({ id: secret.structured.journal_id, notes: 'Only for the team', private_notes: true });
    // Fields are as they were.
    for (const field of ['subject', 'status', 'priority', 'assigned_to', 'description', 'done_ratio']) expect(after[field]).toEqual(before[field]);
  });

  it('is a non-destructive write: listed as such, and no confirmation is asked for it', async () => {
    const { tools } = await bastion.client.listTools();
    const tool = tools.find((t) => t.name === 'redmine_add_note')!;
    expect(tool.annotations).toEqual({ readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true });
    const update = tools.find((t) => t.name === 'redmine_update_issue')!;
    expect(update.annotations?.destructiveHint).toBe(true);
    expect(update.description).toContain('redmine_add_note');
  });

  it('changes nothing on bad input: blank or missing notes, a bad or missing issue, an unknown argument', async () => {
    const before = await updatedOn(issue2);
    const blank = await call(bastion, 'redmine_add_note', { issue_id: issue2, notes: ' \n\t ' });
    expect(blank.isError).toBe(true);
    expect(blank.text).toContain('notes');
    expect(blank.text).toContain('must not be blank');
    const missingNotes = await call(bastion, 'redmine_add_note', { issue_id: issue2 });
    expect(missingNotes.isError).toBe(true);
    expect(missingNotes.text).toContain('notes');
    const badId = await call(bastion, 'redmine_add_note', { issue_id: 0, notes: 'x' });
    expect(badId.isError).toBe(true);
    expect(badId.text).toContain('issue_id');
    const missing = await call(bastion, 'redmine_add_note', { issue_id: 99_999_999, notes: 'x' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain('404');
    const extra = await call(bastion, 'redmine_add_note', { issue_id: issue2, notes: 'x', status: 'Closed' });
    expect(extra.isError).toBe(true);
    expect(extra.text).toContain('status');
    expect(await updatedOn(issue2)).toBe(before);
  });
});

describe('redmine_delete_issue', () => {
  it('deletes the issue and says which', async () => {
    const id = await newIssue('Doomed');
    const result = await call(bastion, 'redmine_delete_issue', { issue_id: id });
    expect(result.isError).toBeFalsy();
    expect(result.text).toContain('"Doomed"');
    expect((await redmine('GET', `/issues/${id}.json`)).status).toBe(404);
  });

  it('rejects a bad id and a missing issue', async () => {
    const before = await issueCount();
    const bad = await call(bastion, 'redmine_delete_issue', { issue_id: -1 });
    expect(bad.isError).toBe(true);
    expect(bad.text).toContain('issue_id');
    const missing = await call(bastion, 'redmine_delete_issue', { issue_id: 99_999_999 });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain('404');
    expect(await issueCount()).toBe(before);
  });
});

describe('watchers', () => {
  it('adds and removes a watcher', async () => {
    const id = await newIssue('Watch me');
    const added = await call(bastion, 'redmine_add_watcher', { issue_id: id, user_id: devId });
    expect(added.isError).toBeFalsy();
    let watchers = (await redmine('GET', `/issues/${id}.json?include=watchers`)).body.issue.watchers.map((w: { id: number }) => w.id);
    expect(watchers).toContain(devId);
    const removed = await call(bastion, 'redmine_remove_watcher', { issue_id: id, user_id: devId });
    expect(removed.isError).toBeFalsy();
    watchers = (await redmine('GET', `/issues/${id}.json?include=watchers`)).body.issue.watchers.map((w: { id: number }) => w.id);
    expect(watchers).not.toContain(devId);
  });

  it('rejects bad input without changing watchers', async () => {
    const before = (await redmine('GET', `/issues/${issue2}.json?include=watchers`)).body.issue.watchers;
    const bad = await call(bastion, 'redmine_add_watcher', { issue_id: issue2, user_id: 'qa' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toContain('user_id');
    const badRemove = await call(bastion, 'redmine_remove_watcher', { issue_id: issue2 });
    expect(badRemove.isError).toBe(true);
    expect(badRemove.text).toContain('user_id');
    expect((await redmine('GET', `/issues/${issue2}.json?include=watchers`)).body.issue.watchers).toEqual(before);
  });
});

describe('relations', () => {
  it('creates and deletes a relation', async () => {
    const a = await newIssue('Blocker');
    const b = await newIssue('Blocked');
    const created = await call(bastion, 'redmine_create_relation', { issue_id: a, issue_to_id: b, relation_type: 'blocks' });
    expect(created.isError).toBeFalsy();
    const relations = (await redmine('GET', `/issues/${a}/relations.json`)).body.relations;
    expect(relations).toEqual([expect.objectContaining({ id: created.structured.id, issue_to_id: b, relation_type: 'blocks' })]);
    const deleted = await call(bastion, 'redmine_delete_relation', { relation_id: created.structured.id });
    expect(deleted.isError).toBeFalsy();
    expect((await redmine('GET', `/issues/${a}/relations.json`)).body.relations).toEqual([]);
  });

  it('refuses a self-relation, a delay on "relates" and an unknown type, creating nothing', async () => {
    const a = await newIssue('Lonely');
    const self = await call(bastion, 'redmine_create_relation', { issue_id: a, issue_to_id: a, relation_type: 'relates' });
    expect(self.isError).toBe(true);
    expect(self.text).toContain('issue_to_id');
    const delay = await call(bastion, 'redmine_create_relation', { issue_id: a, issue_to_id: issue2, relation_type: 'relates', delay: 2 });
    expect(delay.isError).toBe(true);
    expect(delay.text).toContain('delay');
    const type = await call(bastion, 'redmine_create_relation', { issue_id: a, issue_to_id: issue2, relation_type: 'causes' });
    expect(type.isError).toBe(true);
    expect(type.text).toContain('relation_type');
    const missing = await call(bastion, 'redmine_delete_relation', { relation_id: 99_999_999 });
    expect(missing.isError).toBe(true);
    expect((await redmine('GET', `/issues/${a}/relations.json`)).body.relations).toEqual([]);
  });
});

describe('redmine_update_journal', () => {
  it('edits an existing note', async () => {
    const id = await newIssue('Noted');
    await redmine('PUT', `/issues/${id}.json`, { issue: { notes: 'first wording' } });
    const journal = (await redmine('GET', `/issues/${id}.json?include=journals`)).body.issue.journals[0];
    const result = await call(bastion, 'redmine_update_journal', { issue_id: id, journal_id: journal.id, notes: 'second wording' });
    expect(result.isError).toBeFalsy();
    const after = (await redmine('GET', `/issues/${id}.json?include=journals`)).body.issue.journals[0];
    expect(after.notes).toBe('second wording');
  });

  it('refuses a journal of another issue and an empty change', async () => {
    const id = await newIssue('Other notes');
    await redmine('PUT', `/issues/${id}.json`, { issue: { notes: 'keep me' } });
    const journal = (await redmine('GET', `/issues/${id}.json?include=journals`)).body.issue.journals[0];
    const wrong = await call(bastion, 'redmine_update_journal', { issue_id: issue2, journal_id: journal.id, notes: 'hijack' });
    expect(wrong.isError).toBe(true);
    expect(wrong.text).toContain('not part of issue');
    const empty = await call(bastion, 'redmine_update_journal', { issue_id: id, journal_id: journal.id });
    expect(empty.isError).toBe(true);
    expect(empty.text).toContain('Nothing to update');
    expect((await redmine('GET', `/issues/${id}.json?include=journals`)).body.issue.journals[0].notes).toBe('keep me');
  });
});

describe('redmine_get_current_user', () => {
  it('identifies the key\'s user and never returns the API key', async () => {
    const result = await call(bastion, 'redmine_get_current_user');
    expect(result.isError).toBeFalsy();
    expect(result.structured).toMatchObject({ login: 'admin', admin: true });
    expect(JSON.stringify(result)).not.toContain(ADMIN_KEY);
    expect(JSON.stringify(result)).not.toContain('api_key');
  });

  it('rejects arguments it does not take, naming them', async () => {
    const result = await call(bastion, 'redmine_get_current_user', { login: 'qa' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('login');
  });
});
