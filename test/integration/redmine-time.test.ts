// Time-tracking tools through the real MCP client against the real Redmine: a success and a bad-input case per tool.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startBastion, type Bastion } from '../helpers/bastion.js';
import { redmine } from '../helpers/redmine.js';

interface RedmineTimeEntry {
  id: number;
  project: { id: number; name: string };
  issue?: { id: number };
  user: { id: number; name: string };
  activity: { id: number; name: string };
  hours: number;
  comments: string;
  spent_on: string;
  updated_on: string;
}

let bastion: Bastion;
let alphaId: number;
let development: number;
let design: number;
const run = Date.now();
/** Entries made by these tests, removed at the end so that alpha's timesheet does not grow on every run. */
const madeEntries: number[] = [];

async function newIssue(subject: string): Promise<number> {
  const { status, body } = await redmine('POST', '/issues.json', { issue: { project_id: 'alpha', subject: `${subject} ${run}` } });
  expect(status).toBe(201);
  return body.issue.id;
}

async function newEntry(fields: Record<string, unknown>): Promise<number> {
  const { status, body } = await redmine('POST', '/time_entries.json', { time_entry: { activity_id: development, hours: 1, ...fields } });
  expect(status).toBe(201);
  madeEntries.push(body.time_entry.id);
  return body.time_entry.id;
}

async function entry(id: number): Promise<RedmineTimeEntry> {
  const { status, body } = await redmine('GET', `/time_entries/${id}.json`);
  expect(status).toBe(200);
  return body.time_entry;
}

async function entryCount(query: string): Promise<number> {
  return (await redmine('GET', `/time_entries.json?${query}&limit=1`)).body.total_count;
}

beforeAll(async () => {
  bastion = await startBastion();
  const { project } = (await redmine('GET', '/projects/alpha.json?include=time_entry_activities')).body;
  alphaId = project.id;
  const activities = project.time_entry_activities as Array<{ id: number; name: string }>;
  development = activities.find((a) => a.name === 'Development')!.id;
  design = activities.find((a) => a.name === 'Design')!.id;
});

afterAll(async () => {
  await bastion?.close();
  for (const id of madeEntries) await redmine('DELETE', `/time_entries/${id}.json`);
});

describe('redmine_log_time', () => {
  it('logs time on an issue with the activity given by name', async () => {
    const issue = await newIssue('Timed');
    const result = await call(bastion, 'redmine_log_time', { issue_id: issue, hours: 1.25, activity: 'design', spent_on: '2026-02-03', comments: 'Mockups' });
    expect(result.isError).toBeFalsy();
    madeEntries.push(result.structured.id);
    expect(result.structured).toMatchObject({ hours: 1.25, spent_on: '2026-02-03', project: 'Alpha', issue_id: issue, activity: 'Design' });
    expect(result.text).toContain(`Logged 1.25 h on 2026-02-03 as time entry #${result.structured.id} on issue #${issue} in Alpha (Design)`);
    expect(await entry(result.structured.id)).toMatchObject({
      project: { id: alphaId },
      issue: { id: issue },
      user: { name: 'Redmine Admin' },
      activity: { id: design },
      hours: 1.25,
      comments: 'Mockups',
      spent_on: '2026-02-03',
    });
    expect((await redmine('GET', `/issues/${issue}.json`)).body.issue.spent_hours).toBe(1.25);
  });

  it('logs time on a project by identifier with the default activity, and by numeric id with an activity id', async () => {
    const byIdentifier = await call(bastion, 'redmine_log_time', { project: 'alpha', hours: 0.5, comments: `Standup ${run}` });
    expect(byIdentifier.isError).toBeFalsy();
    madeEntries.push(byIdentifier.structured.id);
    const first = await entry(byIdentifier.structured.id);
    expect(first).toMatchObject({ project: { id: alphaId }, activity: { id: development }, hours: 0.5, comments: `Standup ${run}` });
    expect(first.issue).toBeUndefined();
    expect(byIdentifier.structured.spent_on).toBe(first.spent_on);
    expect(byIdentifier.structured.issue_id).toBeUndefined();

    const byId = await call(bastion, 'redmine_log_time', { project: String(alphaId), hours: 2, activity: String(design), spent_on: '2026-02-04' });
    expect(byId.isError).toBeFalsy();
    madeEntries.push(byId.structured.id);
    expect(await entry(byId.structured.id)).toMatchObject({ project: { id: alphaId }, activity: { id: design }, hours: 2, spent_on: '2026-02-04' });
  });

  it('refuses hours out of range, neither or both of issue and project, and unknown values, logging nothing', async () => {
    const issue = await newIssue('Not timed');
    const before = await entryCount('project_id=alpha');
    for (const hours of [0, 25, -1, 0.005]) {
      const result = await call(bastion, 'redmine_log_time', { issue_id: issue, hours });
      expect(result.isError).toBe(true);
      expect(result.text).toContain('hours');
    }
    const neither = await call(bastion, 'redmine_log_time', { hours: 1 });
    expect(neither.isError).toBe(true);
    expect(neither.text).toContain('Give exactly one of issue_id (time on an issue) or project');
    const both = await call(bastion, 'redmine_log_time', { issue_id: issue, project: 'alpha', hours: 1 });
    expect(both.isError).toBe(true);
    expect(both.text).toContain('Give exactly one of issue_id (time on an issue) or project');
    const activity = await call(bastion, 'redmine_log_time', { project: 'alpha', hours: 1, activity: 'Sleeping' });
    expect(activity.isError).toBe(true);
    expect(activity.text).toMatch(/Unknown activity "Sleeping" for project Alpha\. Choose one of: .*Development/);
    const date = await call(bastion, 'redmine_log_time', { issue_id: issue, hours: 1, spent_on: '03/02/2026' });
    expect(date.isError).toBe(true);
    expect(date.text).toContain('spent_on');
    const project = await call(bastion, 'redmine_log_time', { project: 'Alpha!', hours: 1 });
    expect(project.isError).toBe(true);
    expect(project.text).toContain('project');
    const missingIssue = await call(bastion, 'redmine_log_time', { issue_id: 99_999_999, hours: 1, activity: 'Design' });
    expect(missingIssue.isError).toBe(true);
    expect(missingIssue.text).toContain('404');
    expect(await entryCount(`issue_id=${issue}`)).toBe(0);
    expect(await entryCount('project_id=alpha')).toBe(before);
  });
});

describe('redmine_list_time_entries', () => {
  let issue: number;

  beforeAll(async () => {
    issue = await newIssue('Timesheet');
    await newEntry({ issue_id: issue, hours: 1.5, activity_id: development, spent_on: '2026-02-01', comments: 'first' });
    await newEntry({ issue_id: issue, hours: 0.75, activity_id: design, spent_on: '2026-02-02', comments: 'second' });
    await newEntry({ issue_id: issue, hours: 2.25, activity_id: development, spent_on: '2026-02-03', comments: 'third' });
  });

  it('lists an issue\'s entries newest first with the total and the hours Redmine has', async () => {
    const direct = (await redmine('GET', `/time_entries.json?issue_id=${issue}&limit=100`)).body;
    const result = await call(bastion, 'redmine_list_time_entries', { issue_id: issue });
    expect(result.isError).toBeFalsy();
    expect(result.structured.total_count).toBe(direct.total_count);
    expect(result.structured.total_count).toBe(3);
    expect(result.structured.hours_on_page).toBe(4.5);
    expect(result.structured.entries.map((e: { spent_on: string }) => e.spent_on)).toEqual(['2026-02-03', '2026-02-02', '2026-02-01']);
    expect(result.structured.entries[1]).toEqual({
      id: direct.time_entries.find((e: RedmineTimeEntry) => e.comments === 'second').id,
      spent_on: '2026-02-02',
      hours: 0.75,
      project: 'Alpha',
      issue_id: issue,
      user: 'Redmine Admin',
      user_id: direct.time_entries[0].user.id,
      activity: 'Design',
      comments: 'second',
    });
    expect(result.text).toContain('Time entries 1-3 of 3 (4.5 h on this page)');

    const page = await call(bastion, 'redmine_list_time_entries', { issue_id: issue, limit: 2 });
    expect(page.structured.hours_on_page).toBe(3);
    expect(page.text).toContain('More: call again with offset=2.');
    const rest = await call(bastion, 'redmine_list_time_entries', { issue_id: issue, limit: 2, offset: 2 });
    expect(rest.structured.entries.map((e: { comments: string }) => e.comments)).toEqual(['first']);
    expect(rest.structured.hours_on_page).toBe(1.5);
  });

  it('filters by activity name and dates, and sorts, like Redmine', async () => {
    const byActivity = await call(bastion, 'redmine_list_time_entries', { issue_id: issue, activity: 'Design' });
    expect(byActivity.structured.total_count).toBe(await entryCount(`issue_id=${issue}&activity_id=${design}`));
    expect(byActivity.structured.entries.map((e: { comments: string }) => e.comments)).toEqual(['second']);

    const byDate = await call(bastion, 'redmine_list_time_entries', { issue_id: issue, from: '2026-02-02', to: '2026-02-03' });
    expect(byDate.structured.total_count).toBe(await entryCount(`issue_id=${issue}&from=2026-02-02&to=2026-02-03`));
    expect(byDate.structured.total_count).toBe(2);
    expect(byDate.structured.hours_on_page).toBe(3);

    const byHours = await call(bastion, 'redmine_list_time_entries', { issue_id: issue, sort: 'hours' });
    expect(byHours.structured.entries.map((e: { hours: number }) => e.hours)).toEqual([0.75, 1.5, 2.25]);
  });

  it('filters by project, user and "me" with the totals Redmine reports', async () => {
    const users = (await redmine('GET', '/users.json?limit=100')).body.users as Array<{ id: number; login: string }>;
    const devId = users.find((u) => u.login === 'dev')!.id;
    const direct = (await redmine('GET', `/time_entries.json?project_id=alpha&user_id=${devId}&limit=100`)).body;
    const byUser = await call(bastion, 'redmine_list_time_entries', { project: 'alpha', user_id: devId, limit: 100 });
    expect(direct.total_count).toBeGreaterThanOrEqual(3);
    expect(byUser.structured.total_count).toBe(direct.total_count);
    expect(byUser.structured.entries.map((e: { id: number }) => e.id).sort()).toEqual(direct.time_entries.map((e: RedmineTimeEntry) => e.id).sort());
    expect(byUser.structured.entries.every((e: { user: string }) => e.user === 'Dev User')).toBe(true);

    const mine = await call(bastion, 'redmine_list_time_entries', { project: 'alpha', me: true });
    expect(mine.structured.total_count).toBe(await entryCount('project_id=alpha&user_id=me'));
    expect(mine.structured.entries.every((e: { user: string }) => e.user === 'Redmine Admin')).toBe(true);
  });

  it('rejects contradictory or malformed filters, naming them', async () => {
    const both = await call(bastion, 'redmine_list_time_entries', { user_id: 5, me: true });
    expect(both.isError).toBe(true);
    expect(both.text).toContain('Give either user_id or me=true, not both.');
    const range = await call(bastion, 'redmine_list_time_entries', { from: '2026-02-03', to: '2026-02-01' });
    expect(range.isError).toBe(true);
    expect(range.text).toContain('from (2026-02-03) is after to (2026-02-01)');
    const limit = await call(bastion, 'redmine_list_time_entries', { limit: 500 });
    expect(limit.isError).toBe(true);
    expect(limit.text).toContain('limit');
    const sort = await call(bastion, 'redmine_list_time_entries', { sort: 'date' });
    expect(sort.isError).toBe(true);
    expect(sort.text).toContain('sort');
    const activity = await call(bastion, 'redmine_list_time_entries', { activity: 'Sleeping' });
    expect(activity.isError).toBe(true);
    expect(activity.text).toMatch(/Unknown activity "Sleeping".*Development/);
    const date = await call(bastion, 'redmine_list_time_entries', { from: '2026-2-1' });
    expect(date.isError).toBe(true);
    expect(date.text).toContain('from');
  });
});

describe('redmine_update_time_entry', () => {
  it('changes hours, activity, date, comments and issue, reporting old and new values', async () => {
    const issue = await newIssue('Booked');
    const other = await newIssue('Rebooked');
    const id = await newEntry({ issue_id: issue, hours: 1, activity_id: development, spent_on: '2026-02-10', comments: 'first draft' });
    const result = await call(bastion, 'redmine_update_time_entry', { time_entry_id: id, hours: 2.5, activity: 'design', spent_on: '2026-02-11', comments: 'final' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.changes).toEqual([
      { field: 'hours', from: '1', to: '2.5' },
      { field: 'activity', from: 'Development', to: 'Design' },
      { field: 'spent_on', from: '2026-02-10', to: '2026-02-11' },
      { field: 'comments', from: 'first draft', to: 'final' },
    ]);
    expect(await entry(id)).toMatchObject({ issue: { id: issue }, hours: 2.5, activity: { id: design }, spent_on: '2026-02-11', comments: 'final' });

    const moved = await call(bastion, 'redmine_update_time_entry', { time_entry_id: id, issue_id: other });
    expect(moved.isError).toBeFalsy();
    expect(moved.structured.changes).toEqual([{ field: 'issue_id', from: String(issue), to: String(other) }]);
    expect(moved.text).toContain(`Updated time entry #${id} in Alpha: issue_id "${issue}" → "${other}"`);
    expect((await entry(id)).issue).toEqual({ id: other });
  });

  it('reports an activity given by id by its name, and no change when it is the current one', async () => {
    const id = await newEntry({ project_id: alphaId, hours: 1, activity_id: development, spent_on: '2026-02-12' });
    const changed = await call(bastion, 'redmine_update_time_entry', { time_entry_id: id, activity: String(design) });
    expect(changed.isError).toBeFalsy();
    expect((await entry(id)).activity.id).toBe(design);
    expect(changed.structured.changes).toEqual([{ field: 'activity', from: 'Development', to: 'Design' }]);
    const same = await call(bastion, 'redmine_update_time_entry', { time_entry_id: id, activity: String(design) });
    expect(same.isError).toBeFalsy();
    expect(same.structured.changes).toEqual([]);
  });

  it('changes nothing on bad input', async () => {
    const id = await newEntry({ project_id: alphaId, hours: 1.5, spent_on: '2026-02-13', comments: 'keep me' });
    const before = await entry(id);
    const nothing = await call(bastion, 'redmine_update_time_entry', { time_entry_id: id });
    expect(nothing.isError).toBe(true);
    expect(nothing.text).toMatch(/Nothing to change: give at least one of hours, activity/);
    const hours = await call(bastion, 'redmine_update_time_entry', { time_entry_id: id, hours: 25 });
    expect(hours.isError).toBe(true);
    expect(hours.text).toContain('hours');
    const activity = await call(bastion, 'redmine_update_time_entry', { time_entry_id: id, activity: 'Sleeping', comments: 'changed' });
    expect(activity.isError).toBe(true);
    expect(activity.text).toMatch(/Unknown activity "Sleeping" for project Alpha/);
    const date = await call(bastion, 'redmine_update_time_entry', { time_entry_id: id, spent_on: 'yesterday' });
    expect(date.isError).toBe(true);
    expect(date.text).toContain('spent_on');
    const issue = await call(bastion, 'redmine_update_time_entry', { time_entry_id: id, issue_id: 99_999_999 });
    expect(issue.isError).toBe(true);
    expect(issue.text).toContain('404');
    const badId = await call(bastion, 'redmine_update_time_entry', { time_entry_id: 0, hours: 1 });
    expect(badId.isError).toBe(true);
    expect(badId.text).toContain('time_entry_id');
    expect(await entry(id)).toEqual(before);
  });
});

describe('redmine_delete_time_entry', () => {
  it('deletes the entry and says what it was', async () => {
    const issue = await newIssue('Overbooked');
    const id = await newEntry({ issue_id: issue, hours: 1.5, spent_on: '2026-02-14', comments: 'by mistake' });
    const result = await call(bastion, 'redmine_delete_time_entry', { time_entry_id: id });
    expect(result.isError).toBeFalsy();
    expect(result.structured.deleted).toMatchObject({ id, hours: 1.5, spent_on: '2026-02-14', issue_id: issue, activity: 'Development', comments: 'by mistake' });
    expect(result.text).toBe(`Deleted time entry #${id}: 1.5 h on 2026-02-14 on issue #${issue} in Alpha by Redmine Admin (Development).`);
    expect((await redmine('GET', `/time_entries/${id}.json`)).status).toBe(404);
    expect(await entryCount(`issue_id=${issue}`)).toBe(0);
  });

  it('rejects a bad id and a missing entry, deleting nothing', async () => {
    const id = await newEntry({ project_id: alphaId, hours: 1, spent_on: '2026-02-15' });
    const before = await entryCount('project_id=alpha');
    const bad = await call(bastion, 'redmine_delete_time_entry', { time_entry_id: -1 });
    expect(bad.isError).toBe(true);
    expect(bad.text).toContain('time_entry_id');
    const text = await call(bastion, 'redmine_delete_time_entry', { time_entry_id: String(id) });
    expect(text.isError).toBe(true);
    expect(text.text).toContain('time_entry_id');
    const missing = await call(bastion, 'redmine_delete_time_entry', { time_entry_id: 99_999_999 });
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/404.*not found/);
    expect(await entryCount('project_id=alpha')).toBe(before);
    expect((await redmine('GET', `/time_entries/${id}.json`)).status).toBe(200);
  });
});
