// YouTrack comment and link tools through the real MCP client against the YouTrack double:
// paging, add/edit/delete with both ids, "relates to DEMO-2" style links, linking, and the project scope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import { findIssue } from '../doubles/youtrack.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { expectKeyChecks, startBastionOnYouTrack, useYouTrackBastion, writes } from '../helpers/youtrack.js';

let double: YouTrackDouble;
let bastion: Bastion;

useYouTrackBastion((running) => ({ double, bastion } = running));

function commentsOf(key: string) {
  const issue = findIssue(double.state, key)!;
  return double.state.comments.filter((c) => c.issueId === issue.id && !c.deleted);
}

function comment(id: string) {
  return double.state.comments.find((c) => c.id === id);
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('.000Z', 'Z');
}

function fullName(userId: string): string {
  return double.state.users.find((u) => u.id === userId)!.fullName;
}

/** Adds a comment through the tool, so that edit and delete tests work on a comment of their own. */
async function newComment(key: string, text: string): Promise<string> {
  const result = await call(bastion, 'youtrack_add_comment', { issue_id: key, text });
  expect(result.isError).toBeFalsy();
  return result.structured.comment_id;
}

describe('youtrack_list_comments', () => {
  it('lists the comments oldest first, paged with skip/top, as seeded', async () => {
    const seeded = commentsOf('DEMO-1');
    expect(seeded.length).toBeGreaterThanOrEqual(3);
    const first = await call(bastion, 'youtrack_list_comments', { issue_id: 'DEMO-1', top: 2 });
    expect(first.isError).toBeFalsy();
    expect(first.structured.issue).toBe('DEMO-1');
    expect(first.structured.comments).toEqual(
      seeded.slice(0, 2).map((c) => ({ id: c.id, author: fullName(c.authorId), created: iso(c.created), text: c.text })),
    );
    expect(first.structured.next_skip).toBe(2);
    expect(double.requests.at(-1)!.query.$top).toBe('3');
    expect(first.text).toContain('Comments on DEMO-1 (1-2, more: skip=2):');
    expect(first.text).toContain(`[4-1] ${iso(seeded[0]!.created)} Jane Doe: I can reproduce this on Firefox and Chrome.`);

    const rest = await call(bastion, 'youtrack_list_comments', { issue_id: 'DEMO-1', skip: 2, top: 20 });
    expect(rest.structured.comments.map((c: { id: string }) => c.id)).toEqual(seeded.slice(2).map((c) => c.id));
    expect(rest.structured.next_skip).toBeUndefined();
  });

  it('clips long comments to max_chars and says how to get the rest', async () => {
    const text = `${'a'.repeat(150)}TAIL`;
    const id = await newComment('DEMO-11', text);
    const result = await call(bastion, 'youtrack_list_comments', { issue_id: 'DEMO-11', max_chars: 100 });
    const listed = result.structured.comments.find((c: { id: string }) => c.id === id);
    expect(listed.text.startsWith('a'.repeat(100))).toBe(true);
    expect(listed.text).not.toContain('TAIL');
    expect(listed.text).toContain('[truncated: 54 more characters; call youtrack_list_comments with a larger max_chars]');
  });

  it('says so when an issue has no comments', async () => {
    const result = await call(bastion, 'youtrack_list_comments', { issue_id: 'OPS-3' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.comments).toEqual([]);
    expect(result.text).toBe('No comments on OPS-3.');
  });

  it('rejects bad paging and issue keys before calling YouTrack, and reports an unknown issue', async () => {
    const before = double.requests.length;
    const top = await call(bastion, 'youtrack_list_comments', { issue_id: 'DEMO-1', top: 0 });
    expect(top.isError).toBe(true);
    expect(top.text).toContain('top');
    const skip = await call(bastion, 'youtrack_list_comments', { issue_id: 'DEMO-1', skip: -1 });
    expect(skip.isError).toBe(true);
    expect(skip.text).toContain('skip');
    expect(double.requests.length).toBe(before);
    await expectKeyChecks(bastion, double, 'youtrack_list_comments', 'DEMO 1');
  });
});

describe('youtrack_add_comment', () => {
  it('adds a Markdown comment by the token\'s user and links to it', async () => {
    const count = commentsOf('DEMO-2').length;
    const result = await call(bastion, 'youtrack_add_comment', { issue_id: 'DEMO-2', text: '  Looks good **to me**.\n\n- one\n- two' });
    expect(result.isError).toBeFalsy();
    const added = commentsOf('DEMO-2');
    expect(added).toHaveLength(count + 1);
    const stored = added.at(-1)!;
    expect(stored).toMatchObject({ text: '  Looks good **to me**.\n\n- one\n- two', usesMarkdown: true, authorId: '1-1', deleted: false });
    expect(result.structured).toEqual({ issue: 'DEMO-2', comment_id: stored.id, url: `${double.url}/issue/DEMO-2#focus=Comments-${stored.id}.0-0` });
    expect(result.text).toContain(`Added comment ${stored.id} to DEMO-2`);
  });

  it('sends only the text: YouTrack 2026.1 declares no usesMarkdown for comments, which are Markdown', async () => {
    const result = await call(bastion, 'youtrack_add_comment', { issue_id: 'DEMO-3', text: '*bold*' });
    expect(result.isError).toBeFalsy();
    const post = double.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/comments')).at(-1)!;
    expect(post.body).toEqual({ text: '*bold*' });
    const refused = await call(bastion, 'youtrack_add_comment', { issue_id: 'DEMO-3', text: 'x', uses_markdown: false });
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain('uses_markdown');
  });

  it('refuses blank text and a missing issue key without calling YouTrack', async () => {
    const before = double.requests.length;
    const blank = await call(bastion, 'youtrack_add_comment', { issue_id: 'DEMO-2', text: ' \n\t ' });
    expect(blank.isError).toBe(true);
    expect(blank.text).toContain('text');
    expect(blank.text).toContain('blank');
    const empty = await call(bastion, 'youtrack_add_comment', { issue_id: 'DEMO-2', text: '' });
    expect(empty.isError).toBe(true);
    expect(empty.text).toContain('text');
    const noIssue = await call(bastion, 'youtrack_add_comment', { text: 'hello' });
    expect(noIssue.isError).toBe(true);
    expect(noIssue.text).toContain('issue_id');
    expect(double.requests.length).toBe(before);
  });

  it('writes nothing for an unknown issue', async () => {
    const before = writes(double);
    const count = double.state.comments.length;
    const result = await call(bastion, 'youtrack_add_comment', { issue_id: 'DEMO-999', text: 'hello' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('404');
    expect(writes(double)).toBe(before);
    expect(double.state.comments.length).toBe(count);
  });
});

describe('youtrack_update_comment', () => {
  it('replaces the text of a comment and leaves its markup setting alone', async () => {
    const id = await newComment('DEMO-4', 'First draft');
    const result = await call(bastion, 'youtrack_update_comment', { issue_id: 'DEMO-4', comment_id: id, text: 'Second draft' });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toEqual({ issue: 'DEMO-4', comment_id: id, url: `${double.url}/issue/DEMO-4#focus=Comments-${id}.0-0` });
    const stored = comment(id)!;
    expect(stored.text).toBe('Second draft');
    expect(stored.usesMarkdown).toBe(true);
    expect(stored.updated).toEqual(expect.any(Number));
    const post = double.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/comments/${id}`)).at(-1)!;
    expect(post.body).toEqual({ text: 'Second draft' });
  });

  it('refuses a comment of another issue with a clear message, changing nothing', async () => {
    const other = commentsOf('DEMO-1')[0]!;
    const text = other.text;
    const result = await call(bastion, 'youtrack_update_comment', { issue_id: 'DEMO-2', comment_id: other.id, text: 'hijacked' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain(`comment_id: there is no comment ${other.id} on issue DEMO-2`);
    expect(result.text).toContain('youtrack_list_comments');
    expect(comment(other.id)!.text).toBe(text);
    expect(comment(other.id)!.updated).toBeNull();
  });

  it('rejects a missing or malformed comment id and blank text before calling YouTrack', async () => {
    const before = double.requests.length;
    const missing = await call(bastion, 'youtrack_update_comment', { issue_id: 'DEMO-1', text: 'x' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain('comment_id');
    const malformed = await call(bastion, 'youtrack_update_comment', { issue_id: 'DEMO-1', comment_id: 'abc', text: 'x' });
    expect(malformed.isError).toBe(true);
    expect(malformed.text).toContain('comment_id');
    const blank = await call(bastion, 'youtrack_update_comment', { issue_id: 'DEMO-1', comment_id: '4-1', text: '   ' });
    expect(blank.isError).toBe(true);
    expect(blank.text).toContain('text');
    expect(double.requests.length).toBe(before);
  });
});

describe('youtrack_delete_comment', () => {
  it('deletes the comment from its issue', async () => {
    const id = await newComment('DEMO-5', 'Temporary note');
    const result = await call(bastion, 'youtrack_delete_comment', { issue_id: 'DEMO-5', comment_id: id });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toEqual({ issue: 'DEMO-5', comment_id: id, deleted: true });
    expect(comment(id)).toBeUndefined();
    expect(result.text).toBe(`Deleted comment ${id} from DEMO-5.`);
  });

  it('refuses a comment of another issue and an already deleted one, leaving the comment in place', async () => {
    const other = commentsOf('DEMO-1')[1]!;
    const wrong = await call(bastion, 'youtrack_delete_comment', { issue_id: 'DEMO-5', comment_id: other.id });
    expect(wrong.isError).toBe(true);
    expect(wrong.text).toContain(`comment_id: there is no comment ${other.id} on issue DEMO-5`);
    expect(comment(other.id)).toBeDefined();

    const id = await newComment('DEMO-5', 'Deleted twice');
    expect((await call(bastion, 'youtrack_delete_comment', { issue_id: 'DEMO-5', comment_id: id })).isError).toBeFalsy();
    const again = await call(bastion, 'youtrack_delete_comment', { issue_id: 'DEMO-5', comment_id: id });
    expect(again.isError).toBe(true);
    expect(again.text).toContain(`there is no comment ${id} on issue DEMO-5`);
  });

  it('needs both ids and checks them before calling YouTrack', async () => {
    const before = double.requests.length;
    const noComment = await call(bastion, 'youtrack_delete_comment', { issue_id: 'DEMO-1' });
    expect(noComment.isError).toBe(true);
    expect(noComment.text).toContain('comment_id');
    const noIssue = await call(bastion, 'youtrack_delete_comment', { comment_id: '4-1' });
    expect(noIssue.isError).toBe(true);
    expect(noIssue.text).toContain('issue_id');
    const path = await call(bastion, 'youtrack_delete_comment', { issue_id: 'DEMO-1', comment_id: '../4-1' });
    expect(path.isError).toBe(true);
    expect(path.text).toContain('comment_id');
    expect(double.requests.length).toBe(before);
    expect(comment('4-1')).toBeDefined();
  });
});

describe('youtrack_list_links', () => {
  it('reads every link from the issue\'s own side, as seeded', async () => {
    const summary = (key: string) => findIssue(double.state, key)!.summary;
    const one = await call(bastion, 'youtrack_list_links', { issue_id: 'DEMO-1' });
    expect(one.isError).toBeFalsy();
    expect(one.structured.issue).toBe('DEMO-1');
    expect(one.structured.links).toEqual(
      expect.arrayContaining([
        { relation: 'relates to', issue: 'DEMO-2', summary: summary('DEMO-2') },
        { relation: 'parent for', issue: 'DEMO-5', summary: summary('DEMO-5') },
      ]),
    );
    expect(one.structured.hidden_outside_scope).toBe(0);
    expect(one.text).toContain(`relates to DEMO-2 ${summary('DEMO-2')}`);

    const two = await call(bastion, 'youtrack_list_links', { issue_id: 'DEMO-2' });
    expect(two.structured.links).toEqual(expect.arrayContaining([{ relation: 'relates to', issue: 'DEMO-1', summary: summary('DEMO-1') }]));
    const four = await call(bastion, 'youtrack_list_links', { issue_id: 'DEMO-4' });
    expect(four.structured.links).toEqual(expect.arrayContaining([{ relation: 'is required for', issue: 'DEMO-3', summary: summary('DEMO-3') }]));
    const five = await call(bastion, 'youtrack_list_links', { issue_id: 'DEMO-5' });
    expect(five.structured.links).toEqual(expect.arrayContaining([{ relation: 'subtask of', issue: 'DEMO-1', summary: summary('DEMO-1') }]));
  });

  it('says so when an issue has no links', async () => {
    const result = await call(bastion, 'youtrack_list_links', { issue_id: 'OPS-2' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.links).toEqual([]);
    expect(result.text).toBe('OPS-2 has no links.');
  });

  it('rejects a malformed key without calling YouTrack and reports an unknown one', async () => {
    await expectKeyChecks(bastion, double, 'youtrack_list_links', 'DEMO-x');
  });
});

describe('youtrack_link_issues', () => {
  it('creates the link with a command and confirms it from the links read back', async () => {
    const count = double.state.links.length;
    const result = await call(bastion, 'youtrack_link_issues', { issue_id: 'DEMO-6', link: 'depends on', target_issue_id: 'DEMO-7' });
    expect(result.isError).toBeFalsy();
    // Depend reads "is required for" from source to target: DEMO-7 is the source, DEMO-6 depends on it.
    expect(double.state.links).toContainEqual({ typeId: '114-2', sourceId: '2-7', targetId: '2-6' });
    expect(double.state.links.length).toBe(count + 1);
    expect(result.structured).toMatchObject({ issue: 'DEMO-6', link: 'depends on', target: 'DEMO-7', confirmed: true });
    expect(result.structured.links).toContainEqual({ relation: 'depends on', issue: 'DEMO-7', summary: findIssue(double.state, 'DEMO-7')!.summary });
    expect(result.text).toContain('Linked: DEMO-6 depends on DEMO-7.');
    const post = double.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/api/commands')).at(-1)!;
    expect(post.body).toEqual({ query: 'depends on DEMO-7', issues: [{ idReadable: 'DEMO-6' }] });

    const again = await call(bastion, 'youtrack_link_issues', { issue_id: 'DEMO-6', link: 'depends on', target_issue_id: 'DEMO-7' });
    expect(again.isError).toBeFalsy();
    expect(again.structured.confirmed).toBe(true);
    expect(double.state.links.length).toBe(count + 1);
  });

  it('links in the inward direction: "subtask of" makes the target the parent', async () => {
    const result = await call(bastion, 'youtrack_link_issues', { issue_id: 'DEMO-8', link: 'subtask of', target_issue_id: 'DEMO-6' });
    expect(result.isError).toBeFalsy();
    expect(double.state.links).toContainEqual({ typeId: '114-4', sourceId: '2-6', targetId: '2-8' });
    expect(result.structured.confirmed).toBe(true);
    const parent = await call(bastion, 'youtrack_list_links', { issue_id: 'DEMO-6' });
    expect(parent.structured.links).toContainEqual(expect.objectContaining({ relation: 'parent for', issue: 'DEMO-8' }));
  });

  it('says so when YouTrack accepts the command but the link does not appear', async () => {
    const count = double.state.links.length;
    // A 200 with an empty body that changes nothing, as when a workflow silently drops the link.
    double.failNext({ method: 'POST', pathPrefix: '/api/commands', count: 1, status: 200, body: '' });
    const result = await call(bastion, 'youtrack_link_issues', { issue_id: 'DEMO-10', link: 'duplicates', target_issue_id: 'DEMO-11' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.confirmed).toBe(false);
    expect(result.text).toContain('YouTrack accepted "duplicates DEMO-11" for DEMO-10, but the link does not appear in its links');
    expect(double.state.links.length).toBe(count);
  });

  it('refuses a self-link, also by database id, writing nothing', async () => {
    const before = writes(double);
    const count = double.state.links.length;
    const self = await call(bastion, 'youtrack_link_issues', { issue_id: 'DEMO-9', link: 'relates to', target_issue_id: 'DEMO-9' });
    expect(self.isError).toBe(true);
    expect(self.text).toContain('target_issue_id: an issue cannot be linked to itself');
    const byId = await call(bastion, 'youtrack_link_issues', { issue_id: 'DEMO-9', link: 'relates to', target_issue_id: findIssue(double.state, 'DEMO-9')!.id });
    expect(byId.isError).toBe(true);
    expect(byId.text).toContain('target_issue_id: an issue cannot be linked to itself');
    const unknown = await call(bastion, 'youtrack_link_issues', { issue_id: 'DEMO-9', link: 'relates to', target_issue_id: 'DEMO-999' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain('404');
    expect(writes(double)).toBe(before);
    expect(double.state.links.length).toBe(count);
  });

  it('rejects an unknown link verb, writing nothing, and a malformed target before calling YouTrack', async () => {
    const written = writes(double);
    const verb = await call(bastion, 'youtrack_link_issues', { issue_id: 'DEMO-9', link: 'blocks', target_issue_id: 'DEMO-10' });
    expect(verb.isError).toBe(true);
    expect(verb.text).toContain('link: "blocks" is not a link of this YouTrack');
    expect(writes(double)).toBe(written);
    const before = double.requests.length;
    const target = await call(bastion, 'youtrack_link_issues', { issue_id: 'DEMO-9', link: 'relates to', target_issue_id: 'DEMO-10 remove relates to DEMO-1' });
    expect(target.isError).toBe(true);
    expect(target.text).toContain('target_issue_id');
    expect(double.requests.length).toBe(before);
  });
});

describe('links with YOUTRACK_PROJECTS=DEMO', () => {
  let scoped: Bastion;
  beforeAll(async () => {
    scoped = await startBastionOnYouTrack(double, { YOUTRACK_PROJECTS: 'DEMO' });
  });
  afterAll(async () => {
    await scoped?.close();
  });

  it('counts, but does not show, linked issues outside the scope', async () => {
    // DEMO-12 relates to OPS-1: set up directly in the double, since linking across the scope is refused.
    const link = { typeId: '114-1', sourceId: findIssue(double.state, 'DEMO-12')!.id, targetId: findIssue(double.state, 'OPS-1')!.id };
    double.state.links.push(link);
    try {
      const result = await call(scoped, 'youtrack_list_links', { issue_id: 'DEMO-12' });
      expect(result.isError).toBeFalsy();
      expect(result.structured.links.map((l: { issue: string }) => l.issue)).not.toContain('OPS-1');
      expect(result.structured.hidden_outside_scope).toBe(1);
      expect(result.text).toContain('(1 linked issue outside the allowed projects not shown)');
      expect(result.text).not.toContain('OPS-1');
      const unscoped = await call(bastion, 'youtrack_list_links', { issue_id: 'DEMO-12' });
      expect(unscoped.structured.links).toContainEqual(expect.objectContaining({ relation: 'relates to', issue: 'OPS-1' }));
    } finally {
      double.state.links.splice(double.state.links.indexOf(link), 1);
    }
  });

  it('refuses to link to an issue outside the scope, writing nothing', async () => {
    const before = writes(double);
    const count = double.state.links.length;
    const result = await call(scoped, 'youtrack_link_issues', { issue_id: 'DEMO-10', link: 'relates to', target_issue_id: 'OPS-1' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('Issue OPS-1 is outside the allowed projects (YOUTRACK_PROJECTS=DEMO)');
    expect(writes(double)).toBe(before);
    expect(double.state.links.length).toBe(count);
  });

  it('refuses comments on an issue outside the scope, writing nothing', async () => {
    const before = writes(double);
    const list = await call(scoped, 'youtrack_list_comments', { issue_id: 'OPS-1' });
    expect(list.isError).toBe(true);
    expect(list.text).toContain('Issue OPS-1 is outside the allowed projects');
    const add = await call(scoped, 'youtrack_add_comment', { issue_id: 'OPS-1', text: 'out of scope' });
    expect(add.isError).toBe(true);
    expect(add.text).toContain('Issue OPS-1 is outside the allowed projects');
    expect(writes(double)).toBe(before);
  });
});
