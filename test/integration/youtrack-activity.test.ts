// An issue's history and the comments across a project, through the real MCP client against the YouTrack double.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import { findIssue } from '../doubles/youtrack.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { expectKeyChecks, startBastionOnYouTrack, useYouTrackBastion } from '../helpers/youtrack.js';

let double: YouTrackDouble;
let bastion: Bastion;

useYouTrackBastion((running) => ({ double, bastion } = running));

describe('youtrack_get_issue_history', () => {
  it('shows who changed which field, the summary and comments, oldest first', async () => {
    const before = findIssue(double.state, 'DEMO-7')!;
    const oldSummary = before.summary;
    const oldPriority = before.fields.Priority;
    await call(bastion, 'youtrack_update_issue', { issue_id: 'DEMO-7', summary: 'Typo in the welcome e-mail', custom_fields: { Priority: 'Critical' } });
    await call(bastion, 'youtrack_add_comment', { issue_id: 'DEMO-7', text: 'Fixed the wording' });
    const result = await call(bastion, 'youtrack_get_issue_history', { issue_id: 'DEMO-7' });
    expect(result.isError).toBeFalsy();
    const entries = result.structured.entries;
    expect(entries[0]).toMatchObject({ kind: 'created' });
    expect(entries).toContainEqual(expect.objectContaining({ kind: 'summary', author: 'Admin', removed: oldSummary, added: 'Typo in the welcome e-mail' }));
    expect(entries).toContainEqual(expect.objectContaining({ kind: 'fields', field: 'Priority', author: 'Admin', removed: oldPriority, added: 'Critical' }));
    expect(entries.at(-1)).toMatchObject({ kind: 'comments', author: 'Admin', added: 'Fixed the wording' });
    expect(result.text).toContain(`Admin Priority: ${oldPriority} → Critical`);
    const sent = double.requests.filter((r) => r.path.endsWith('/activities')).at(-1)!;
    expect(sent.query.categories).toContain('CustomFieldCategory');
  });

  it('shows only the kinds asked for, newest first', async () => {
    const result = await call(bastion, 'youtrack_get_issue_history', { issue_id: 'DEMO-1', kinds: ['comments'], newest_first: true, top: 2 });
    expect(result.structured.entries.map((e: { kind: string }) => e.kind)).toEqual(['comments', 'comments']);
    expect(result.structured.next_skip).toBe(2);
    const times = result.structured.entries.map((e: { time: string }) => e.time);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('rejects an unknown kind and a malformed key before calling YouTrack', async () => {
    const before = double.requests.length;
    const kind = await call(bastion, 'youtrack_get_issue_history', { issue_id: 'DEMO-1', kinds: ['everything'] });
    expect(kind.isError).toBe(true);
    expect(kind.text).toContain('kinds');
    expect(double.requests.length).toBe(before);
    await expectKeyChecks(bastion, double, 'youtrack_get_issue_history', 'DEMO');
  });
});

describe('youtrack_list_project_comments', () => {
  it('lists the comments of a project\'s issues newest first, with their keys', async () => {
    await call(bastion, 'youtrack_add_comment', { issue_id: 'OPS-2', text: 'Certificates rotated' });
    const result = await call(bastion, 'youtrack_list_project_comments', { project: 'OPS' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.comments[0]).toMatchObject({ issue: 'OPS-2', author: 'Admin', text: 'Certificates rotated' });
    expect(result.structured.comments.every((c: { issue: string }) => c.issue.startsWith('OPS-'))).toBe(true);
    expect(result.text).toContain('Comments in OPS, newest first:');
    const sent = double.requests.filter((r) => r.path === '/api/activities').at(-1)!;
    expect(sent.query).toMatchObject({ categories: 'CommentsCategory', issueQuery: 'project: {OPS}', reverse: 'true' });
    const later = await call(bastion, 'youtrack_list_project_comments', { project: 'DEMO', since: '2999-01-01' });
    expect(later.structured.comments).toEqual([]);
  });

  it('rejects a bad day and an unknown project', async () => {
    const before = double.requests.length;
    const day = await call(bastion, 'youtrack_list_project_comments', { project: 'DEMO', since: 'yesterday' });
    expect(day.isError).toBe(true);
    expect(day.text).toContain('since');
    expect(double.requests.length).toBe(before);
    const unknown = await call(bastion, 'youtrack_list_project_comments', { project: 'NOPE' });
    expect(unknown.text).toContain('project: no YouTrack project "NOPE" is visible to this token.');
  });
});

describe('activity with YOUTRACK_PROJECTS=OPS', () => {
  let scoped: Bastion;
  beforeAll(async () => {
    scoped = await startBastionOnYouTrack(double, { YOUTRACK_PROJECTS: 'OPS' });
  });
  afterAll(async () => {
    await scoped?.close();
  });

  it('refuses the history and comments of other projects before reading them', async () => {
    const before = double.requests.length;
    const history = await call(scoped, 'youtrack_get_issue_history', { issue_id: 'DEMO-1' });
    expect(history.text).toContain('Issue DEMO-1 is outside the allowed projects (YOUTRACK_PROJECTS=OPS)');
    const comments = await call(scoped, 'youtrack_list_project_comments', { project: 'DEMO' });
    expect(comments.text).toContain('Project DEMO is outside the allowed projects');
    expect(double.requests.slice(before).filter((r) => r.path.endsWith('/activities'))).toEqual([]);
  });
});
