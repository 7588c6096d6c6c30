// Limiting who sees a YouTrack issue or comment to groups, through the real MCP client against the YouTrack double.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import { findIssue } from '../doubles/youtrack.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { expectKeyChecks, startBastionOnYouTrack, useYouTrackBastion, writes } from '../helpers/youtrack.js';

let double: YouTrackDouble;
let bastion: Bastion;

useYouTrackBastion((running) => ({ double, bastion } = running));

describe('youtrack_set_issue_visibility', () => {
  it('limits an issue to groups by name and lifts the limit again', async () => {
    const result = await call(bastion, 'youtrack_set_issue_visibility', { issue_id: 'DEMO-4', visible_to_groups: ['developers', 'Demo Team'] });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toEqual({ issue: 'DEMO-4', visible_to_groups: ['Developers', 'Demo Team'] });
    expect(result.text).toBe('DEMO-4 is now visible to Developers, Demo Team only.');
    expect(findIssue(double.state, 'DEMO-4')!.visibleToGroupIds).toEqual(['3-3', '3-5']);
    const sent = double.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/api/issues/')).at(-1)!;
    expect(sent.body).toEqual({ visibility: { $type: 'LimitedVisibility', permittedGroups: [{ id: '3-3' }, { id: '3-5' }] } });
    const lifted = await call(bastion, 'youtrack_set_issue_visibility', { issue_id: 'DEMO-4', visible_to_groups: [] });
    expect(lifted.structured.visible_to_groups).toEqual([]);
    expect(lifted.text).toBe('DEMO-4 is now visible to everyone with access to its project.');
    expect(findIssue(double.state, 'DEMO-4')!.visibleToGroupIds).toBeUndefined();
  });

  it('refuses an unknown group, naming the groups there are, and writes nothing', async () => {
    const before = writes(double);
    const result = await call(bastion, 'youtrack_set_issue_visibility', { issue_id: 'DEMO-4', visible_to_groups: ['Managers'] });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('visible_to_groups: there is no group "Managers". Groups: "All Users", "Registered Users", "Developers"');
    expect(writes(double)).toBe(before);
  });

  it('rejects malformed keys and too many groups before calling YouTrack', async () => {
    await expectKeyChecks(bastion, double, 'youtrack_set_issue_visibility', 'DEMO_4', { visible_to_groups: [] });
    const before = double.requests.length;
    const many = await call(bastion, 'youtrack_set_issue_visibility', { issue_id: 'DEMO-4', visible_to_groups: Array.from({ length: 21 }, (_, i) => `g${i}`) });
    expect(many.isError).toBe(true);
    expect(many.text).toContain('visible_to_groups');
    expect(double.requests.length).toBe(before);
  });
});

describe('youtrack_add_comment with visible_to_groups', () => {
  it('creates the comment already limited to the groups', async () => {
    const result = await call(bastion, 'youtrack_add_comment', { issue_id: 'DEMO-5', text: 'Internal: customer name is ACME', visible_to_groups: ['Developers'] });
    expect(result.isError).toBeFalsy();
    expect(result.structured.visible_to_groups).toEqual(['Developers']);
    expect(result.text).toContain(', visible to Developers only');
    const stored = double.state.comments.find((c) => c.id === result.structured.comment_id)!;
    expect(stored.visibleToGroupIds).toEqual(['3-3']);
    // One write: the comment never existed unrestricted.
    const posted = double.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/comments'));
    expect(posted.at(-1)!.body).toEqual({ text: 'Internal: customer name is ACME', visibility: { $type: 'LimitedVisibility', permittedGroups: [{ id: '3-3' }] } });
  });

  it('refuses an unknown group without writing the comment', async () => {
    const count = double.state.comments.length;
    const result = await call(bastion, 'youtrack_add_comment', { issue_id: 'DEMO-5', text: 'x', visible_to_groups: ['Nobody'] });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('visible_to_groups: there is no group "Nobody"');
    expect(double.state.comments.length).toBe(count);
  });
});

describe('visibility with YOUTRACK_PROJECTS=OPS', () => {
  let scoped: Bastion;
  beforeAll(async () => {
    scoped = await startBastionOnYouTrack(double, { YOUTRACK_PROJECTS: 'OPS' });
  });
  afterAll(async () => {
    await scoped?.close();
  });

  it('refuses issues outside the scope and teams of other projects', async () => {
    const before = writes(double);
    const outside = await call(scoped, 'youtrack_set_issue_visibility', { issue_id: 'DEMO-4', visible_to_groups: ['Developers'] });
    expect(outside.text).toContain('Issue DEMO-4 is outside the allowed projects (YOUTRACK_PROJECTS=OPS)');
    const team = await call(scoped, 'youtrack_set_issue_visibility', { issue_id: 'OPS-2', visible_to_groups: ['Demo Team'] });
    expect(team.isError).toBe(true);
    expect(team.text).toContain('there is no group "Demo Team"');
    expect(writes(double)).toBe(before);
    const own = await call(scoped, 'youtrack_set_issue_visibility', { issue_id: 'OPS-2', visible_to_groups: ['Operations Team'] });
    expect(own.structured.visible_to_groups).toEqual(['Operations Team']);
  });
});
