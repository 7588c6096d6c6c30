// YouTrack saved searches, query completion, the query-syntax resource and group search, through the real MCP client
// against the YouTrack double.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import { YOUTRACK_USER_TOKEN } from '../doubles/youtrack.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { startBastionOnYouTrack, useYouTrackBastion } from '../helpers/youtrack.js';

let double: YouTrackDouble;
let bastion: Bastion;

useYouTrackBastion((running) => ({ double, bastion } = running));

describe('youtrack_list_saved_searches', () => {
  it('lists the saved searches the token\'s user can see, with their queries', async () => {
    const result = await call(bastion, 'youtrack_list_saved_searches');
    expect(result.isError).toBeFalsy();
    expect(result.structured.saved_searches).toEqual([
      { id: '79-1', name: 'Unresolved in Demo', query: 'project: DEMO #Unresolved', owner: 'Admin' },
      { id: '79-2', name: 'Operations backlog', query: 'project: OPS #Unresolved', owner: 'Admin' },
    ]);
    expect(result.text).toContain('Unresolved in Demo [79-1] by Admin: project: DEMO #Unresolved');
  });

  it('takes no arguments', async () => {
    const result = await call(bastion, 'youtrack_list_saved_searches', { owner: 'me' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('owner');
  });
});

describe('youtrack_run_saved_search', () => {
  it('runs a saved search by name (any case) or id, paged like a search', async () => {
    const byName = await call(bastion, 'youtrack_run_saved_search', { search: 'unresolved in demo', top: 3 });
    expect(byName.isError).toBeFalsy();
    expect(byName.structured).toMatchObject({ search: 'Unresolved in Demo', query: 'project: DEMO #Unresolved', skip: 0, next_skip: 3 });
    expect(byName.structured.issues).toHaveLength(3);
    expect(byName.structured.issues.every((i: { id: string; resolved?: boolean }) => i.id.startsWith('DEMO-') && !i.resolved)).toBe(true);
    expect(byName.text).toContain('Saved search "Unresolved in Demo" (project: DEMO #Unresolved):\nIssues 1-3');
    const byId = await call(bastion, 'youtrack_run_saved_search', { search: '79-2' });
    expect(byId.structured.issues.map((i: { id: string }) => i.id.split('-')[0])).toEqual(byId.structured.issues.map(() => 'OPS'));
    expect(double.requests.filter((r) => r.path === '/api/issues').at(-1)!.query.query).toBe('project: OPS #Unresolved');
  });

  it('names the saved searches there are when the one asked for is not visible', async () => {
    const result = await call(bastion, 'youtrack_run_saved_search', { search: 'Jane private' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('search: no saved search "Jane private" is visible to this token. Saved searches: "Unresolved in Demo", "Operations backlog".');
  });

  it('rejects an empty name and bad paging before calling YouTrack', async () => {
    const before = double.requests.length;
    const empty = await call(bastion, 'youtrack_run_saved_search', { search: '  ' });
    expect(empty.isError).toBe(true);
    expect(empty.text).toContain('search');
    const top = await call(bastion, 'youtrack_run_saved_search', { search: 'x', top: 500 });
    expect(top.text).toContain('top');
    expect(double.requests.length).toBe(before);
  });
});

describe('youtrack_suggest_query', () => {
  it('completes an attribute, then its values, each with the completed query', async () => {
    const attribute = await call(bastion, 'youtrack_suggest_query', { query: 'proj' });
    expect(attribute.isError).toBeFalsy();
    expect(attribute.structured.suggestions[0]).toEqual({ option: 'project', description: 'attribute', completed: 'project: ' });
    const value = await call(bastion, 'youtrack_suggest_query', { query: 'project: O' });
    expect(value.structured.suggestions).toEqual([{ option: 'OPS', description: 'Operations', completed: 'project: OPS ' }]);
    expect(value.text).toBe('Completions for "project: O":\nproject: OPS   (Operations)');
    const sent = double.requests.filter((r) => r.path === '/api/search/assist').at(-1)!;
    expect(sent.body).toEqual({ query: 'project: O', caret: 10 });
  });

  it('completes at the caret, keeping the rest of the query, and braces values with spaces', async () => {
    const result = await call(bastion, 'youtrack_suggest_query', { query: 'State: In #Unresolved', caret: 9 });
    expect(result.structured.suggestions).toContainEqual({ option: 'In Progress', description: 'State', completed: 'State: {In Progress} #Unresolved' });
  });

  it('rejects a caret past the end before calling YouTrack', async () => {
    const before = double.requests.length;
    const result = await call(bastion, 'youtrack_suggest_query', { query: 'for: ', caret: 9 });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('caret: 9 is past the end of the query (5 characters).');
    const negative = await call(bastion, 'youtrack_suggest_query', { query: 'for: ', caret: -1 });
    expect(negative.text).toContain('caret');
    expect(double.requests.length).toBe(before);
  });
});

describe('youtrack://query-syntax', () => {
  it('is listed and read as text without asking YouTrack', async () => {
    const { resources } = await bastion.client.listResources();
    expect(resources).toContainEqual(expect.objectContaining({ uri: 'youtrack://query-syntax', name: 'youtrack-query-syntax', mimeType: 'text/plain' }));
    const before = double.requests.length;
    const read = await bastion.client.readResource({ uri: 'youtrack://query-syntax' });
    const text = (read.contents[0] as { text: string }).text;
    expect(text).toContain('sort by: updated desc');
    expect(text).toContain('#Unresolved');
    expect(double.requests.length).toBe(before);
  });
});

describe('youtrack_find_groups', () => {
  it('finds groups by part of their name, with their member counts', async () => {
    const result = await call(bastion, 'youtrack_find_groups', { query: 'team' });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toEqual({
      groups: [
        { id: '3-5', name: 'Demo Team', members: 2, all_users: false, team_of: 'DEMO' },
        { id: '3-6', name: 'Operations Team', members: 2, all_users: false, team_of: 'OPS' },
      ],
      more: false,
    });
    const all = await call(bastion, 'youtrack_find_groups', { top: 2 });
    expect(all.structured.groups.map((g: { name: string }) => g.name)).toEqual(['All Users', 'Registered Users']);
    expect(all.structured.more).toBe(true);
    expect(all.text).toContain('All Users [3-1]: 3 members (all users)');
  });

  it('rejects a too long query and a bad top before calling YouTrack', async () => {
    const before = double.requests.length;
    const long = await call(bastion, 'youtrack_find_groups', { query: 'x'.repeat(101) });
    expect(long.isError).toBe(true);
    expect(long.text).toContain('query');
    const top = await call(bastion, 'youtrack_find_groups', { top: 0 });
    expect(top.text).toContain('top');
    expect(double.requests.length).toBe(before);
  });
});

describe('searches and groups with YOUTRACK_PROJECTS=OPS and another user', () => {
  let scoped: Bastion;
  let jane: Bastion;
  beforeAll(async () => {
    scoped = await startBastionOnYouTrack(double, { YOUTRACK_PROJECTS: 'OPS' });
    jane = await startBastionOnYouTrack(double, { YOUTRACK_API_TOKEN: YOUTRACK_USER_TOKEN });
  });
  afterAll(async () => {
    await scoped?.close();
    await jane?.close();
  });

  it('runs a saved search only within the scope and hides other projects\' teams', async () => {
    const result = await call(scoped, 'youtrack_run_saved_search', { search: 'Unresolved in Demo' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.issues).toEqual([]);
    expect(double.requests.filter((r) => r.path === '/api/issues').at(-1)!.query.query).toBe('(project: {OPS}) and (project: DEMO #Unresolved)');
    const groups = await call(scoped, 'youtrack_find_groups', { query: 'team' });
    expect(groups.structured.groups.map((g: { name: string }) => g.name)).toEqual(['Operations Team']);
  });

  it('shows a user their own saved searches beside the shared ones', async () => {
    const result = await call(jane, 'youtrack_list_saved_searches');
    expect(result.structured.saved_searches.map((s: { name: string }) => s.name)).toEqual(['Unresolved in Demo', 'Operations backlog', 'Jane private']);
  });
});
