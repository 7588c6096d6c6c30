// YouTrack tag and time-tracking tools through the real MCP client against the YouTrack double:
// tags by name (any case), unknown and missing tags, work items with durations, days and types, and totals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import { findIssue, presentDuration, YOUTRACK_USER_TOKEN } from '../doubles/youtrack.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { startBastionOnYouTrack, useYouTrackBastion, writes } from '../helpers/youtrack.js';

let double: YouTrackDouble;
let bastion: Bastion;

useYouTrackBastion((running) => ({ double, bastion } = running));

/** The day of an instant in a time zone, as YouTrack's users see it. */
function dayIn(epochMs: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(epochMs));
}

// The token's user (admin) lives in America/Los_Angeles; jane in Asia/Tokyo (see the double's seed).
const ADMIN_ZONE = 'America/Los_Angeles';

function tagNames(key: string): string[] {
  return findIssue(double.state, key)!.tagIds.map((id) => double.state.tags.find((t) => t.id === id)!.name);
}

function workItemsOf(key: string) {
  const issue = findIssue(double.state, key)!;
  return double.state.workItems.filter((w) => w.issueId === issue.id);
}

function lastWorkItemPost() {
  return double.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/timeTracking/workItems')).at(-1)!;
}

describe('youtrack_list_tags', () => {
  it('lists the visible tags with their owners, as seeded, paged with skip/top', async () => {
    const result = await call(bastion, 'youtrack_list_tags');
    expect(result.isError).toBeFalsy();
    const expected = double.state.tags.map((t) => ({ id: t.id, name: t.name, owner: double.state.users.find((u) => u.id === t.ownerId)!.login }));
    expect(result.structured.tags).toEqual(expected);
    expect(result.structured.tags).toEqual(expect.arrayContaining([{ id: '6-1', name: 'regression', owner: 'admin' }]));
    expect(result.structured.next_skip).toBeUndefined();
    expect(result.text).toContain('regression (id 6-1, owner admin)');

    const first = await call(bastion, 'youtrack_list_tags', { top: 1 });
    expect(first.structured.tags).toEqual([expected[0]]);
    expect(first.structured.next_skip).toBe(1);
    const second = await call(bastion, 'youtrack_list_tags', { skip: 1, top: 1 });
    expect(second.structured.tags).toEqual([expected[1]]);
  });

  it('rejects a bad page size and unknown arguments without calling YouTrack', async () => {
    const before = double.requests.length;
    const top = await call(bastion, 'youtrack_list_tags', { top: 101 });
    expect(top.isError).toBe(true);
    expect(top.text).toContain('top');
    const extra = await call(bastion, 'youtrack_list_tags', { name: 'regression' });
    expect(extra.isError).toBe(true);
    expect(extra.text).toContain('name');
    expect(double.requests.length).toBe(before);
  });
});

describe('youtrack_add_tag', () => {
  it('adds an existing tag by name, ignoring case, and only once', async () => {
    expect(tagNames('DEMO-2')).not.toContain('regression');
    const result = await call(bastion, 'youtrack_add_tag', { issue_id: 'DEMO-2', tag: '  REGRESSION ' });
    expect(result.isError).toBeFalsy();
    expect(findIssue(double.state, 'DEMO-2')!.tagIds).toContain('6-1');
    expect(result.structured).toEqual({ issue: 'DEMO-2', tag: 'regression', tags: tagNames('DEMO-2') });
    expect(result.text).toContain('Tagged DEMO-2 with "regression".');
    const post = double.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/tags')).at(-1)!;
    expect(post.body).toEqual({ id: '6-1' });

    const again = await call(bastion, 'youtrack_add_tag', { issue_id: 'DEMO-2', tag: 'Regression' });
    expect(again.isError).toBeFalsy();
    expect(findIssue(double.state, 'DEMO-2')!.tagIds.filter((id) => id === '6-1')).toHaveLength(1);
    // Tags were not created on the way: adding never invents a tag.
    expect(double.state.tags.map((t) => t.name)).not.toContain('REGRESSION');
  });

  it('refuses an unknown tag with the list of tags, writing nothing', async () => {
    const before = writes(double);
    const tags = [...findIssue(double.state, 'DEMO-3')!.tagIds];
    const result = await call(bastion, 'youtrack_add_tag', { issue_id: 'DEMO-3', tag: 'urgent' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain(`tag: there is no tag "urgent" visible to this token. Tags: ${double.state.tags.map((t) => t.name).join(', ')}.`);
    expect(writes(double)).toBe(before);
    expect(findIssue(double.state, 'DEMO-3')!.tagIds).toEqual(tags);
    expect(double.state.tags.map((t) => t.name)).not.toContain('urgent');
  });

  it('rejects a blank tag name before calling YouTrack', async () => {
    const before = double.requests.length;
    const blank = await call(bastion, 'youtrack_add_tag', { issue_id: 'DEMO-3', tag: '   ' });
    expect(blank.isError).toBe(true);
    expect(blank.text).toContain('tag');
    const key = await call(bastion, 'youtrack_add_tag', { issue_id: 'DEMO_3', tag: 'ui' });
    expect(key.isError).toBe(true);
    expect(key.text).toContain('issue_id');
    expect(double.requests.length).toBe(before);
  });
});

describe('youtrack_remove_tag', () => {
  it('removes a tag by name, ignoring case, and lists the tags left', async () => {
    expect(tagNames('DEMO-10')).toContain('ui');
    const result = await call(bastion, 'youtrack_remove_tag', { issue_id: 'DEMO-10', tag: 'UI' });
    expect(result.isError).toBeFalsy();
    expect(findIssue(double.state, 'DEMO-10')!.tagIds).not.toContain('6-2');
    expect(result.structured).toEqual({ issue: 'DEMO-10', tag: 'ui', tags: tagNames('DEMO-10') });
    expect(double.requests.filter((r) => r.method === 'DELETE').at(-1)!.path).toMatch(/\/api\/issues\/2-10\/tags\/6-2$/);
    // The tag itself still exists; only the issue lost it.
    expect(double.state.tags.map((t) => t.id)).toContain('6-2');
  });

  it('refuses a tag the issue does not have, listing its tags, writing nothing', async () => {
    const before = writes(double);
    const tags = [...findIssue(double.state, 'DEMO-4')!.tagIds];
    const result = await call(bastion, 'youtrack_remove_tag', { issue_id: 'DEMO-4', tag: 'regression' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain(`tag: DEMO-4 has no tag "regression". Its tags: ${tagNames('DEMO-4').join(', ') || 'none'}.`);
    const unknown = await call(bastion, 'youtrack_remove_tag', { issue_id: 'DEMO-4', tag: 'no-such-tag' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain('has no tag "no-such-tag"');
    expect(writes(double)).toBe(before);
    expect(findIssue(double.state, 'DEMO-4')!.tagIds).toEqual(tags);
  });

  it('rejects a missing tag name before calling YouTrack', async () => {
    const before = double.requests.length;
    const result = await call(bastion, 'youtrack_remove_tag', { issue_id: 'DEMO-1' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('tag');
    expect(double.requests.length).toBe(before);
    expect(findIssue(double.state, 'DEMO-1')!.tagIds).toContain('6-1');
  });
});

describe('youtrack_list_work_items', () => {
  it('lists the work items as seeded, with the page total', async () => {
    const seeded = workItemsOf('DEMO-1');
    const result = await call(bastion, 'youtrack_list_work_items', { issue_id: 'DEMO-1' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.work_items).toEqual(
      seeded.map((w) => ({
        id: w.id,
        date: dayIn(w.date, ADMIN_ZONE),
        minutes: w.minutes,
        duration: presentDuration(w.minutes),
        type: double.state.workItemTypes.find((t) => t.id === w.typeId)?.name,
        author: double.state.users.find((u) => u.id === w.authorId)!.fullName,
        text: w.text,
      })),
    );
    expect(result.structured.work_items[0]).toEqual({
      id: '8-1',
      date: '2025-01-07',
      minutes: 90,
      duration: '1h 30m',
      type: 'Development',
      author: 'Jane Doe',
      text: 'Reproduced and analysed',
    });
    const total = seeded.reduce((sum, w) => sum + w.minutes, 0);
    expect(result.structured.page_minutes).toBe(total);
    expect(result.structured.next_skip).toBeUndefined();
    expect(result.structured.time_zone).toBe(ADMIN_ZONE);
    expect(result.text).toContain(`Work on DEMO-1: ${seeded.length} items, ${Math.floor(total / 60)}h ${total % 60}m; days in ${ADMIN_ZONE}`);
    expect(result.text).toContain('[8-1] 2025-01-07 1h 30m Development by Jane Doe: Reproduced and analysed');
  });

  it('totals only the page it returns', async () => {
    const seeded = workItemsOf('DEMO-1');
    const result = await call(bastion, 'youtrack_list_work_items', { issue_id: 'DEMO-1', top: 1 });
    expect(result.structured.work_items).toHaveLength(1);
    expect(result.structured.page_minutes).toBe(seeded[0]!.minutes);
    expect(result.structured.next_skip).toBe(1);
    expect(result.text).toContain('(this page; more: skip=1)');
  });

  it('says so when an issue has no work items', async () => {
    const result = await call(bastion, 'youtrack_list_work_items', { issue_id: 'OPS-2' });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toMatchObject({ work_items: [], page_minutes: 0 });
    expect(result.text).toBe('No work items on OPS-2.');
  });

  it('rejects a bad page size and max_chars before calling YouTrack', async () => {
    const before = double.requests.length;
    const top = await call(bastion, 'youtrack_list_work_items', { issue_id: 'DEMO-1', top: 0 });
    expect(top.isError).toBe(true);
    expect(top.text).toContain('top');
    const chars = await call(bastion, 'youtrack_list_work_items', { issue_id: 'DEMO-1', max_chars: 10 });
    expect(chars.isError).toBe(true);
    expect(chars.text).toContain('max_chars');
    expect(double.requests.length).toBe(before);
  });
});

describe('youtrack_log_work', () => {
  it('logs "1h 30m" on the given day, kept on that day for a user west of UTC, with a type found by name in any case', async () => {
    const count = workItemsOf('DEMO-2').length;
    const result = await call(bastion, 'youtrack_log_work', { issue_id: 'DEMO-2', duration: '1H30m', date: '2025-03-04', type: 'testing', text: 'Checked the toggle' });
    expect(result.isError).toBeFalsy();
    const items = workItemsOf('DEMO-2');
    expect(items).toHaveLength(count + 1);
    const stored = items.at(-1)!;
    // YouTrack keeps midnight of the day in the user's time zone: 08:00 UTC in Los Angeles in March (before DST).
    expect(stored).toMatchObject({ minutes: 90, date: Date.UTC(2025, 2, 4, 8), typeId: '68-2', text: 'Checked the toggle', authorId: '1-1' });
    expect(result.structured).toEqual({
      issue: 'DEMO-2',
      id: stored.id,
      date: '2025-03-04',
      minutes: 90,
      duration: '1h 30m',
      type: 'Testing',
      author: 'Admin',
      text: 'Checked the toggle',
      time_zone: ADMIN_ZONE,
    });
    expect(result.text).toBe(`Logged 1h 30m on DEMO-2 for 2025-03-04 (${ADMIN_ZONE}) (Testing): work item ${stored.id}.`);
    // Noon of the day in the user's zone is sent, so that no normalisation can move it to another day.
    expect(lastWorkItemPost().body).toEqual({
      date: Date.UTC(2025, 2, 4, 20),
      duration: { presentation: '1h 30m' },
      text: 'Checked the toggle',
      type: { id: '68-2' },
    });
  });

  it('keeps the day for a user east of UTC too (Asia/Tokyo), when logging and when listing', async () => {
    const jane = await startBastionOnYouTrack(double, { YOUTRACK_API_TOKEN: YOUTRACK_USER_TOKEN });
    try {
      const result = await call(jane, 'youtrack_log_work', { issue_id: 'DEMO-4', minutes: 30, date: '2025-03-04' });
      expect(result.isError).toBeFalsy();
      expect(result.structured).toMatchObject({ date: '2025-03-04', time_zone: 'Asia/Tokyo', author: 'Jane Doe' });
      const stored = workItemsOf('DEMO-4').find((w) => w.id === result.structured.id)!;
      expect(stored.date).toBe(Date.UTC(2025, 2, 3, 15)); // midnight in Tokyo
      const listed = await call(jane, 'youtrack_list_work_items', { issue_id: 'DEMO-4' });
      expect(listed.structured.work_items.find((w: { id: string }) => w.id === stored.id).date).toBe('2025-03-04');
    } finally {
      await jane.close();
    }
  });

  it("logs minutes for today in the user's time zone when no date is given", async () => {
    const before = dayIn(Date.now(), ADMIN_ZONE);
    const result = await call(bastion, 'youtrack_log_work', { issue_id: 'DEMO-3', minutes: 45 });
    const after = dayIn(Date.now(), ADMIN_ZONE);
    expect(result.isError).toBeFalsy();
    const stored = workItemsOf('DEMO-3').find((w) => w.id === result.structured.id)!;
    expect(stored.minutes).toBe(45);
    expect(stored.typeId).toBeNull();
    expect([before, after]).toContain(dayIn(stored.date, ADMIN_ZONE));
    expect(result.structured).toMatchObject({ minutes: 45, duration: '45m', date: dayIn(stored.date, ADMIN_ZONE) });
    const body = lastWorkItemPost().body as Record<string, unknown>;
    expect(body.duration).toEqual({ minutes: 45 });
  });

  it('refuses a type the project does not use, listing its types, writing nothing', async () => {
    const before = writes(double);
    const count = double.state.workItems.length;
    const unknown = await call(bastion, 'youtrack_log_work', { issue_id: 'DEMO-2', minutes: 30, type: 'Design' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toContain('type: "Design" is not a work item type of DEMO. Types: Development, Testing.');
    // OPS uses only Development: Testing exists globally but not there.
    const notInProject = await call(bastion, 'youtrack_log_work', { issue_id: 'OPS-1', minutes: 30, type: 'Testing' });
    expect(notInProject.isError).toBe(true);
    expect(notInProject.text).toContain('type: "Testing" is not a work item type of OPS. Types: Development.');
    expect(writes(double)).toBe(before);
    expect(double.state.workItems.length).toBe(count);
  });

  it('needs exactly one of minutes and duration, and a real calendar day, before calling YouTrack', async () => {
    const before = double.requests.length;
    const count = double.state.workItems.length;
    const both = await call(bastion, 'youtrack_log_work', { issue_id: 'DEMO-2', minutes: 30, duration: '30m' });
    expect(both.isError).toBe(true);
    expect(both.text).toContain('minutes, duration: give exactly one of them');
    const neither = await call(bastion, 'youtrack_log_work', { issue_id: 'DEMO-2', text: 'no time given' });
    expect(neither.isError).toBe(true);
    expect(neither.text).toContain('minutes, duration: give exactly one of them');
    const day = await call(bastion, 'youtrack_log_work', { issue_id: 'DEMO-2', minutes: 30, date: '2025-02-30' });
    expect(day.isError).toBe(true);
    expect(day.text).toContain('date: "2025-02-30" is not a calendar date');
    const format = await call(bastion, 'youtrack_log_work', { issue_id: 'DEMO-2', minutes: 30, date: '04.03.2025' });
    expect(format.isError).toBe(true);
    expect(format.text).toContain('date');
    const duration = await call(bastion, 'youtrack_log_work', { issue_id: 'DEMO-2', duration: '90' });
    expect(duration.isError).toBe(true);
    expect(duration.text).toContain('duration');
    const zero = await call(bastion, 'youtrack_log_work', { issue_id: 'DEMO-2', minutes: 0 });
    expect(zero.isError).toBe(true);
    expect(zero.text).toContain('minutes');
    const fraction = await call(bastion, 'youtrack_log_work', { issue_id: 'DEMO-2', minutes: 1.5 });
    expect(fraction.isError).toBe(true);
    expect(fraction.text).toContain('minutes');
    const huge = await call(bastion, 'youtrack_log_work', { issue_id: 'DEMO-2', duration: '100w' });
    expect(huge.isError).toBe(true);
    expect(huge.text).toContain('duration: "100w" is more than 14400 minutes');
    expect(double.requests.length).toBe(before);
    expect(double.state.workItems.length).toBe(count);
  });
});

describe('tags and work items with YOUTRACK_PROJECTS=OPS', () => {
  let scoped: Bastion;
  beforeAll(async () => {
    scoped = await startBastionOnYouTrack(double, { YOUTRACK_PROJECTS: 'OPS' });
  });
  afterAll(async () => {
    await scoped?.close();
  });

  it('refuses issues outside the scope, writing nothing', async () => {
    const before = writes(double);
    const tags = [...findIssue(double.state, 'DEMO-1')!.tagIds];
    const work = double.state.workItems.length;
    for (const [name, args] of [
      ['youtrack_add_tag', { issue_id: 'DEMO-1', tag: 'ui' }],
      ['youtrack_remove_tag', { issue_id: 'DEMO-1', tag: 'regression' }],
      ['youtrack_list_work_items', { issue_id: 'DEMO-1' }],
      ['youtrack_log_work', { issue_id: 'DEMO-1', minutes: 10 }],
    ] as const) {
      const result = await call(scoped, name, args as Record<string, unknown>);
      expect(result.isError, name).toBe(true);
      expect(result.text, name).toContain('Issue DEMO-1 is outside the allowed projects (YOUTRACK_PROJECTS=OPS)');
    }
    expect(writes(double)).toBe(before);
    expect(findIssue(double.state, 'DEMO-1')!.tagIds).toEqual(tags);
    expect(double.state.workItems.length).toBe(work);
  });

  it('logs work on an issue inside the scope', async () => {
    const result = await call(scoped, 'youtrack_log_work', { issue_id: 'OPS-3', duration: '2h', date: '2025-01-05', type: 'Development' });
    expect(result.isError).toBeFalsy();
    expect(workItemsOf('OPS-3').at(-1)).toMatchObject({ minutes: 120, date: Date.UTC(2025, 0, 5, 8), typeId: '68-1' });
  });
});
