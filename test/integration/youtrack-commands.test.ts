// youtrack_apply_command through the real MCP client against the YouTrack double: effect and read-back,
// YouTrack's refusal of a bad command, no automatic repeat of a failed command, and the project scope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import { findIssue } from '../doubles/youtrack.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { startBastionOnYouTrack, useYouTrackBastion, writes } from '../helpers/youtrack.js';

let double: YouTrackDouble;
let bastion: Bastion;

useYouTrackBastion((running) => ({ double, bastion } = running));

function commandPosts(): Array<{ body?: unknown; status: number }> {
  return double.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/api/commands'));
}

/** Everything a command could change on an issue, for before/after comparisons. */
function snapshot(key: string) {
  const issue = findIssue(double.state, key)!;
  return {
    fields: structuredClone(issue.fields),
    tagIds: [...issue.tagIds],
    updated: issue.updated,
    resolved: issue.resolved,
    comments: double.state.comments.filter((c) => c.issueId === issue.id).length,
    links: double.state.links.filter((l) => l.sourceId === issue.id || l.targetId === issue.id).length,
  };
}

describe('youtrack_apply_command', () => {
  it('changes the issue, adds the comment, and shows the fields read back afterwards', async () => {
    const issueId = findIssue(double.state, 'DEMO-9')!.id;
    const comments = double.state.comments.filter((c) => c.issueId === issueId).length;
    const result = await call(bastion, 'youtrack_apply_command', {
      issue_ids: ['DEMO-9'],
      command: 'State {In Progress} Priority Critical for jane',
      comment: 'Picked up for this sprint.',
    });
    expect(result.isError).toBeFalsy();

    const stored = findIssue(double.state, 'DEMO-9')!;
    expect(stored.fields).toMatchObject({ State: 'In Progress', Priority: 'Critical', Assignee: 'jane' });
    const added = double.state.comments.filter((c) => c.issueId === issueId);
    expect(added).toHaveLength(comments + 1);
    expect(added.at(-1)).toMatchObject({ text: 'Picked up for this sprint.', authorId: '1-1', usesMarkdown: true });

    expect(result.structured).toMatchObject({ command: 'State {In Progress} Priority Critical for jane', comment_added: true, silent: false });
    expect(result.structured.issues).toHaveLength(1);
    expect(result.structured.issues[0]).toMatchObject({
      id: 'DEMO-9',
      summary: stored.summary,
      state: 'In Progress',
      priority: 'Critical',
      assignee: 'Jane Doe',
      tags: [],
    });
    expect(result.structured.issues[0].fields).toMatchObject({ State: 'In Progress', Priority: 'Critical', Assignee: 'Jane Doe', Type: 'Task', 'Story points': '8' });
    expect(result.text).toContain('Applied "State {In Progress} Priority Critical for jane" to 1 issue with a comment:');
    expect(result.text).toContain('DEMO-9 [In Progress/Critical] Improve search performance → Jane Doe');

    const postIndex = double.requests.findLastIndex((r) => r.method === 'POST' && r.path.endsWith('/api/commands'));
    expect(double.requests[postIndex]!.body).toEqual({
      query: 'State {In Progress} Priority Critical for jane',
      issues: [{ idReadable: 'DEMO-9' }],
      comment: 'Picked up for this sprint.',
      silent: false,
    });
    // The result comes from a read after the command, not from the input.
    const readBack = double.requests.slice(postIndex + 1).find((r) => r.method === 'GET' && r.path.endsWith(`/api/issues/${issueId}`));
    expect(readBack?.query.fields).toContain('customFields');
  });

  it('applies one command to several issues in one request, ignoring repeated keys', async () => {
    const result = await call(bastion, 'youtrack_apply_command', { issue_ids: ['DEMO-11', 'DEMO-12', 'DEMO-11'], command: 'tag ui', silent: true });
    expect(result.isError).toBeFalsy();
    expect(findIssue(double.state, 'DEMO-11')!.tagIds).toContain('6-2');
    expect(findIssue(double.state, 'DEMO-12')!.tagIds).toContain('6-2');
    expect(result.structured.issues.map((i: { id: string }) => i.id)).toEqual(['DEMO-11', 'DEMO-12']);
    for (const issue of result.structured.issues) expect(issue.tags).toContain('ui');
    expect(result.structured).toMatchObject({ silent: true, comment_added: false });
    const post = commandPosts().at(-1)!;
    expect(post.body).toMatchObject({ query: 'tag ui', issues: [{ idReadable: 'DEMO-11' }, { idReadable: 'DEMO-12' }], silent: true });
    expect((post.body as Record<string, unknown>).comment).toBeUndefined();
  });

  it('reports YouTrack\'s error_description for a command it refuses, and nothing changes', async () => {
    const before = snapshot('DEMO-10');
    const posts = commandPosts().length;
    const result = await call(bastion, 'youtrack_apply_command', { issue_ids: ['DEMO-10'], command: 'State Done' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('YouTrack answered 400');
    expect(result.text).toContain('"Done" is not a value of State');
    expect(commandPosts().length).toBe(posts + 1);
    expect(snapshot('DEMO-10')).toEqual(before);
  });

  it('rejects schema-invalid input before calling YouTrack, naming the field', async () => {
    const before = double.requests.length;
    const none = await call(bastion, 'youtrack_apply_command', { issue_ids: [], command: 'State Fixed' });
    expect(none.isError).toBe(true);
    expect(none.text).toContain('issue_ids');
    const malformed = await call(bastion, 'youtrack_apply_command', { issue_ids: ['DEMO 1'], command: 'State Fixed' });
    expect(malformed.isError).toBe(true);
    expect(malformed.text).toContain('issue_ids');
    const blank = await call(bastion, 'youtrack_apply_command', { issue_ids: ['DEMO-1'], command: '   ' });
    expect(blank.isError).toBe(true);
    expect(blank.text).toContain('command');
    const tooMany = await call(bastion, 'youtrack_apply_command', { issue_ids: Array.from({ length: 51 }, (_, n) => `DEMO-${n + 1}`), command: 'State Fixed' });
    expect(tooMany.isError).toBe(true);
    expect(tooMany.text).toContain('issue_ids');
    expect(double.requests.length).toBe(before);
  });

  it('reports an unknown issue without sending the command', async () => {
    const before = writes(double);
    const result = await call(bastion, 'youtrack_apply_command', { issue_ids: ['DEMO-2', 'DEMO-999'], command: 'Priority Major' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('404');
    expect(writes(double)).toBe(before);
    expect(findIssue(double.state, 'DEMO-2')!.fields.Priority).toBe('Normal');
  });

  it('does not repeat a command answered 503', async () => {
    const before = snapshot('DEMO-6');
    const posts = commandPosts().length;
    double.failNext({ method: 'POST', pathPrefix: '/api/commands', count: 1, status: 503 });
    const result = await call(bastion, 'youtrack_apply_command', { issue_ids: ['DEMO-6'], command: 'Priority Major' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('503');
    expect(result.text).toContain('not repeated');
    expect(commandPosts().length).toBe(posts + 1);
    expect(commandPosts().at(-1)!.status).toBe(503);
    expect(snapshot('DEMO-6')).toEqual(before);
  });

  it('retries a read answered 503 and then applies the command', async () => {
    const lookups = () => double.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/api/issues/DEMO-7'));
    const before = lookups().length;
    const posts = commandPosts().length;
    double.failNext({ method: 'GET', pathPrefix: '/api/issues/DEMO-7', count: 1, status: 503 });
    const result = await call(bastion, 'youtrack_apply_command', { issue_ids: ['DEMO-7'], command: 'Type Feature' });
    expect(result.isError).toBeFalsy();
    expect(lookups().slice(before).map((r) => r.status)).toEqual([503, 200]);
    expect(commandPosts().length).toBe(posts + 1);
    expect(findIssue(double.state, 'DEMO-7')!.fields.Type).toBe('Feature');
    expect(result.structured.issues[0].fields.Type).toBe('Feature');
  });
});

describe('youtrack_apply_command with YOUTRACK_PROJECTS=OPS', () => {
  let scoped: Bastion;
  beforeAll(async () => {
    scoped = await startBastionOnYouTrack(double, { YOUTRACK_PROJECTS: 'OPS' });
  });
  afterAll(async () => {
    await scoped?.close();
  });

  it('refuses the whole command when one issue is outside the scope, sending nothing', async () => {
    const ops = snapshot('OPS-2');
    const demo = snapshot('DEMO-2');
    const before = writes(double);
    const requests = double.requests.length;
    const result = await call(scoped, 'youtrack_apply_command', { issue_ids: ['OPS-2', 'DEMO-2'], command: 'Priority Major' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('Issue DEMO-2 is outside the allowed projects (YOUTRACK_PROJECTS=OPS)');
    expect(writes(double)).toBe(before);
    // Only the lookups that tell each issue's project; no command request.
    const sent = double.requests.slice(requests);
    expect(sent.map((r) => `${r.method} ${r.path}`).sort()).toEqual(['GET /api/issues/DEMO-2', 'GET /api/issues/OPS-2']);
    expect(snapshot('OPS-2')).toEqual(ops);
    expect(snapshot('DEMO-2')).toEqual(demo);
  });

  it('applies a command to an issue inside the scope', async () => {
    const result = await call(scoped, 'youtrack_apply_command', { issue_ids: ['OPS-3'], command: 'Severity S2' });
    expect(result.isError).toBeFalsy();
    expect(findIssue(double.state, 'OPS-3')!.fields.Severity).toBe('S2');
    expect(result.structured.issues[0].fields.Severity).toBe('S2');
  });
});
