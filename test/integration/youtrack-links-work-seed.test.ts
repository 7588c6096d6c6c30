// YouTrack link types (custom ones included), unlinking, deleting issues, editing and deleting work items and the
// time report, through the real MCP client against the YouTrack double.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import { findIssue, YOUTRACK_USER_TOKEN } from '../doubles/youtrack.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { expectKeyChecks, startBastionOnYouTrack, useYouTrackBastion, writes } from '../helpers/youtrack.js';

let double: YouTrackDouble;
let bastion: Bastion;

// An administrator's own link type beside the four default ones.
const BLOCKS = { id: '114-5', name: 'Blocks', directed: true, aggregation: false, sourceToTarget: 'blocks', targetToSource: 'is blocked by', readOnly: false };

useYouTrackBastion(
  (running) => ({ double, bastion } = running),
  (yt) => {
    yt.state.linkTypes.push(BLOCKS);
    yt.state.sequences['114'] = 5;
  },
);

function id(key: string): string {
  return findIssue(double.state, key)!.id;
}

function linked(typeId: string, source: string, target: string): boolean {
  return double.state.links.some((l) => l.typeId === typeId && l.sourceId === id(source) && l.targetId === id(target));
}

describe('youtrack_list_link_types', () => {
  it('lists the default and the custom link types with the words linking takes', async () => {
    const result = await call(bastion, 'youtrack_list_link_types');
    expect(result.isError).toBeFalsy();
    expect(result.structured.link_types).toEqual([
      { id: '114-1', name: 'Relates', directed: false, aggregation: false, links: ['relates to'] },
      { id: '114-2', name: 'Depend', directed: true, aggregation: false, links: ['is required for', 'depends on'] },
      { id: '114-3', name: 'Duplicate', directed: true, aggregation: true, links: ['is duplicated by', 'duplicates'] },
      { id: '114-4', name: 'Subtask', directed: true, aggregation: true, links: ['parent for', 'subtask of'] },
      { id: '114-5', name: 'Blocks', directed: true, aggregation: false, links: ['blocks', 'is blocked by'] },
    ]);
    expect(result.text).toContain('Blocks: "blocks", "is blocked by"');
    expect(result.text).toContain('Relates (undirected): "relates to"');
  });

  it('takes no arguments', async () => {
    const result = await call(bastion, 'youtrack_list_link_types', { verbose: true });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('verbose');
  });
});

describe('youtrack_link_issues with any link type', () => {
  it('links with a custom type, in either direction, as the instance words it', async () => {
    const result = await call(bastion, 'youtrack_link_issues', { issue_id: 'DEMO-9', link: 'Blocks', target_issue_id: 'DEMO-10' });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toMatchObject({ issue: 'DEMO-9', link: 'blocks', target: 'DEMO-10', confirmed: true });
    expect(linked('114-5', 'DEMO-9', 'DEMO-10')).toBe(true);
    const inward = await call(bastion, 'youtrack_link_issues', { issue_id: 'DEMO-11', link: 'is blocked by', target_issue_id: 'DEMO-10' });
    expect(inward.structured).toMatchObject({ link: 'is blocked by', confirmed: true });
    expect(linked('114-5', 'DEMO-10', 'DEMO-11')).toBe(true);
    expect(inward.text).toContain('Linked: DEMO-11 is blocked by DEMO-10.');
  });

  it('refuses a link the instance does not have, naming the ones it has, and writes nothing', async () => {
    const before = writes(double);
    const result = await call(bastion, 'youtrack_link_issues', { issue_id: 'DEMO-9', link: 'blocks everything', target_issue_id: 'DEMO-10' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('link: "blocks everything" is not a link of this YouTrack. Links: "relates to", "is required for", "depends on"');
    expect(result.text).toContain('"is blocked by"');
    expect(writes(double)).toBe(before);
  });
});

describe('youtrack_unlink_issues', () => {
  it('removes one link read from the issue\'s side and leaves the others', async () => {
    // Seeded: DEMO-3 depends on DEMO-4.
    expect(linked('114-2', 'DEMO-4', 'DEMO-3')).toBe(true);
    const result = await call(bastion, 'youtrack_unlink_issues', { issue_id: 'DEMO-3', link: 'depends on', target_issue_id: 'DEMO-4' });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toMatchObject({ issue: 'DEMO-3', link: 'depends on', target: 'DEMO-4' });
    expect(linked('114-2', 'DEMO-4', 'DEMO-3')).toBe(false);
    expect(result.text).toContain('Removed: DEMO-3 depends on DEMO-4.');
    const removal = double.requests.find((r) => r.method === 'DELETE' && r.path.includes('/links/'))!;
    expect(removal.path).toBe(`/api/issues/${id('DEMO-3')}/links/114-2t/issues/${id('DEMO-4')}`);
  });

  it('says which links exist when the one named does not, changing nothing', async () => {
    const before = writes(double);
    const count = double.state.links.length;
    // Seeded: DEMO-1 relates to DEMO-2, not "depends on".
    const result = await call(bastion, 'youtrack_unlink_issues', { issue_id: 'DEMO-1', link: 'depends on', target_issue_id: 'DEMO-2' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('link: DEMO-1 has no "depends on" link to DEMO-2; it has "relates to"');
    expect(writes(double)).toBe(before);
    expect(double.state.links.length).toBe(count);
  });

  it('rejects malformed keys and an empty link before calling YouTrack', async () => {
    await expectKeyChecks(bastion, double, 'youtrack_unlink_issues', 'DEMO 1', { link: 'relates to', target_issue_id: 'DEMO-2' });
    const before = double.requests.length;
    const empty = await call(bastion, 'youtrack_unlink_issues', { issue_id: 'DEMO-1', link: ' ', target_issue_id: 'DEMO-2' });
    expect(empty.isError).toBe(true);
    expect(empty.text).toContain('link');
    expect(double.requests.length).toBe(before);
  });
});

describe('youtrack_delete_issue', () => {
  it('deletes an issue with its comments and work items, and says which', async () => {
    const issue = findIssue(double.state, 'DEMO-12')!;
    const result = await call(bastion, 'youtrack_delete_issue', { issue_id: 'DEMO-12' });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toEqual({ issue: 'DEMO-12', summary: issue.summary, deleted: true });
    expect(result.text).toBe(`Deleted DEMO-12 "${issue.summary}".`);
    expect(findIssue(double.state, 'DEMO-12')).toBeUndefined();
    const again = await call(bastion, 'youtrack_delete_issue', { issue_id: 'DEMO-12' });
    expect(again.isError).toBe(true);
    expect(again.text).toContain('404');
  });

  it('rejects a malformed key before calling YouTrack', async () => {
    await expectKeyChecks(bastion, double, 'youtrack_delete_issue', 'DEMO-1; drop');
  });

  it('reports YouTrack\'s refusal for a user without the Delete Issue permission, deleting nothing', async () => {
    const jane = await startBastionOnYouTrack(double, { YOUTRACK_API_TOKEN: YOUTRACK_USER_TOKEN });
    try {
      const result = await call(jane, 'youtrack_delete_issue', { issue_id: 'DEMO-11' });
      expect(result.isError).toBe(true);
      expect(result.text).toContain('403');
      expect(result.text).toContain('You have no permission to delete issue DEMO-11');
      expect(findIssue(double.state, 'DEMO-11')).toBeDefined();
    } finally {
      await jane.close();
    }
  });
});

describe('youtrack_update_work_item and youtrack_delete_work_item', () => {
  async function logged(issue: string, minutes: number): Promise<string> {
    const result = await call(bastion, 'youtrack_log_work', { issue_id: issue, minutes, date: '2025-03-04', type: 'Development', text: 'first' });
    expect(result.isError).toBeFalsy();
    return result.structured.id;
  }

  it('changes the duration, day, text and type of a work item', async () => {
    const item = await logged('DEMO-2', 30);
    const result = await call(bastion, 'youtrack_update_work_item', { issue_id: 'DEMO-2', work_item_id: item, duration: '2h 15m', date: '2025-03-05', text: 'edited', type: 'testing' });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toMatchObject({ issue: 'DEMO-2', id: item, minutes: 135, date: '2025-03-05', text: 'edited', type: 'Testing', changed: ['duration', 'date', 'text', 'type'] });
    const stored = double.state.workItems.find((w) => w.id === item)!;
    expect(stored).toMatchObject({ minutes: 135, text: 'edited', typeId: '68-2' });
    expect(result.text).toContain(`Updated work item ${item} on DEMO-2 (duration, date, text, type)`);
  });

  it('refuses an empty change, two durations, a bad day and an unknown type, changing nothing', async () => {
    const item = await logged('DEMO-2', 20);
    const before = writes(double);
    const nothing = await call(bastion, 'youtrack_update_work_item', { issue_id: 'DEMO-2', work_item_id: item });
    expect(nothing.isError).toBe(true);
    expect(nothing.text).toContain('Nothing to change');
    const both = await call(bastion, 'youtrack_update_work_item', { issue_id: 'DEMO-2', work_item_id: item, minutes: 5, duration: '1h' });
    expect(both.text).toContain('minutes, duration: give at most one of them');
    const day = await call(bastion, 'youtrack_update_work_item', { issue_id: 'DEMO-2', work_item_id: item, date: '2025-02-30' });
    expect(day.text).toContain('date: "2025-02-30" is not a calendar date');
    const id = await call(bastion, 'youtrack_update_work_item', { issue_id: 'DEMO-2', work_item_id: 'abc', minutes: 5 });
    expect(id.isError).toBe(true);
    expect(id.text).toContain('work_item_id');
    const type = await call(bastion, 'youtrack_update_work_item', { issue_id: 'DEMO-2', work_item_id: item, type: 'Meetings' });
    expect(type.text).toContain('type: "Meetings" is not a work item type of DEMO. Types: Development, Testing.');
    expect(writes(double)).toBe(before);
    expect(double.state.workItems.find((w) => w.id === item)!.minutes).toBe(20);
  });

  it('deletes a work item, and says so when the id is not on that issue', async () => {
    const item = await logged('DEMO-2', 10);
    const wrongIssue = await call(bastion, 'youtrack_delete_work_item', { issue_id: 'DEMO-3', work_item_id: item });
    expect(wrongIssue.isError).toBe(true);
    expect(wrongIssue.text).toContain(`work_item_id: there is no work item ${item} on issue DEMO-3`);
    expect(double.state.workItems.some((w) => w.id === item)).toBe(true);
    const result = await call(bastion, 'youtrack_delete_work_item', { issue_id: 'DEMO-2', work_item_id: item });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toEqual({ issue: 'DEMO-2', work_item_id: item, deleted: true });
    expect(double.state.workItems.some((w) => w.id === item)).toBe(false);
  });
});

describe('youtrack_time_report', () => {
  it('totals the time of a period per person, with their issues', async () => {
    // Seeded on DEMO-1: jane 90 minutes on 2025-01-07, john 45 minutes on 2025-01-08.
    const result = await call(bastion, 'youtrack_time_report', { start_date: '2025-01-01', end_date: '2025-01-31', project: 'DEMO' });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toEqual({
      start_date: '2025-01-01',
      end_date: '2025-01-31',
      project: 'DEMO',
      total_minutes: 135,
      people: [
        { author: 'Jane Doe', login: 'jane', minutes: 90, items: 1, issues: { 'DEMO-1': 90 } },
        { author: 'John Smith', login: 'john', minutes: 45, items: 1, issues: { 'DEMO-1': 45 } },
      ],
      hidden_outside_scope: 0,
    });
    expect(result.text).toContain('Time 2025-01-01..2025-01-31 in DEMO: 2h 15m');
    expect(result.text).toContain('Jane Doe (jane): 1h 30m in 1 item · DEMO-1 1h 30m');
    const sent = double.requests.filter((r) => r.path === '/api/workItems').at(-1)!;
    expect(sent.query).toMatchObject({ startDate: '2025-01-01', endDate: '2025-01-31', query: 'project: {DEMO}' });
  });

  it('narrows to one person and one day', async () => {
    const result = await call(bastion, 'youtrack_time_report', { start_date: '2025-01-08', end_date: '2025-01-08', author: 'john' });
    expect(result.structured.people).toEqual([{ author: 'John Smith', login: 'john', minutes: 45, items: 1, issues: { 'DEMO-1': 45 } }]);
    const none = await call(bastion, 'youtrack_time_report', { start_date: '2024-01-01', end_date: '2024-12-31' });
    expect(none.structured.total_minutes).toBe(0);
    expect(none.text).toContain('No time logged.');
  });

  it('rejects bad dates, a reversed period and a malformed author before calling YouTrack', async () => {
    const before = double.requests.length;
    const day = await call(bastion, 'youtrack_time_report', { start_date: '2025-13-01', end_date: '2025-12-31' });
    expect(day.isError).toBe(true);
    expect(day.text).toContain('start_date: "2025-13-01" is not a calendar date');
    const reversed = await call(bastion, 'youtrack_time_report', { start_date: '2025-02-01', end_date: '2025-01-01' });
    expect(reversed.text).toContain('end_date: 2025-01-01 is before start_date 2025-02-01');
    const author = await call(bastion, 'youtrack_time_report', { start_date: '2025-01-01', end_date: '2025-01-31', author: 'jane, john' });
    expect(author.isError).toBe(true);
    expect(author.text).toContain('author');
    expect(double.requests.length).toBe(before);
  });
});

describe('links, deletes and time with YOUTRACK_PROJECTS=OPS', () => {
  let scoped: Bastion;
  beforeAll(async () => {
    scoped = await startBastionOnYouTrack(double, { YOUTRACK_PROJECTS: 'OPS' });
  });
  afterAll(async () => {
    await scoped?.close();
  });

  it('refuses to delete, unlink or edit time outside the scope, and reports only the scope\'s time', async () => {
    const before = writes(double);
    const del = await call(scoped, 'youtrack_delete_issue', { issue_id: 'DEMO-1' });
    expect(del.isError).toBe(true);
    expect(del.text).toContain('Issue DEMO-1 is outside the allowed projects (YOUTRACK_PROJECTS=OPS)');
    const unlink = await call(scoped, 'youtrack_unlink_issues', { issue_id: 'DEMO-1', link: 'relates to', target_issue_id: 'DEMO-2' });
    expect(unlink.text).toContain('outside the allowed projects');
    const edit = await call(scoped, 'youtrack_delete_work_item', { issue_id: 'DEMO-1', work_item_id: '8-1' });
    expect(edit.text).toContain('outside the allowed projects');
    const report = await call(scoped, 'youtrack_time_report', { start_date: '2025-01-01', end_date: '2025-01-31' });
    expect(report.isError).toBeFalsy();
    expect(report.structured.total_minutes).toBe(0);
    expect(double.requests.filter((r) => r.path === '/api/workItems').at(-1)!.query.query).toBe('project: {OPS}');
    const other = await call(scoped, 'youtrack_time_report', { start_date: '2025-01-01', end_date: '2025-01-31', project: 'DEMO' });
    expect(other.text).toContain('Project DEMO is outside the allowed projects');
    expect(writes(double)).toBe(before);
    expect(findIssue(double.state, 'DEMO-1')).toBeDefined();
  });
});
