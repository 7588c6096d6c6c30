// The YouTrack tools added for seed parity against YouTrack's own OpenAPI description (2026.1): each is called with
// valid input on the double, and every request Bastion sent must be declared there (see youtrack-contract.test.ts).
import { describe, expect, it } from 'vitest';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { useYouTrackBastion } from '../helpers/youtrack.js';
import { contractViolations, readsWithoutTop } from '../helpers/youtrack-contract.js';

let double: YouTrackDouble;
let bastion: Bastion;

useYouTrackBastion((running) => ({ double, bastion } = running));

/** Each new tool with valid input, in an order where later calls find what earlier ones made. */
const CALLS: Array<[tool: string, input: Record<string, unknown>]> = [
  ['youtrack_list_link_types', {}],
  ['youtrack_link_issues', { issue_id: 'DEMO-6', link: 'depends on', target_issue_id: 'DEMO-7' }],
  ['youtrack_unlink_issues', { issue_id: 'DEMO-6', link: 'depends on', target_issue_id: 'DEMO-7' }],
  ['youtrack_update_work_item', { issue_id: 'DEMO-1', work_item_id: '8-1', duration: '2h', date: '2025-01-09', text: 'More', type: 'Testing' }],
  ['youtrack_delete_work_item', { issue_id: 'DEMO-1', work_item_id: '8-2' }],
  ['youtrack_time_report', { start_date: '2025-01-01', end_date: '2025-01-31', project: 'DEMO', author: 'jane' }],
  ['youtrack_list_saved_searches', {}],
  ['youtrack_run_saved_search', { search: 'Unresolved in Demo', top: 5 }],
  ['youtrack_suggest_query', { query: 'State: ', caret: 7 }],
  ['youtrack_find_groups', { query: 'dev' }],
  ['youtrack_create_project', { short_name: 'CONTRACT', name: 'Contract', description: 'Made by the contract test' }],
  ['youtrack_update_project', { project: 'CONTRACT', name: 'Contract (old)', description: 'Archived', archived: true }],
  ['youtrack_create_article', { project: 'DEMO', summary: 'Contract', content: 'Body', parent_article_id: 'DEMO-A-1' }],
  ['youtrack_update_article', { article_id: 'DEMO-A-2', summary: 'Renamed', content: 'New body' }],
  ['youtrack_set_issue_visibility', { issue_id: 'DEMO-3', visible_to_groups: ['Developers'] }],
  ['youtrack_set_issue_visibility', { issue_id: 'DEMO-3', visible_to_groups: [] }],
  ['youtrack_add_comment', { issue_id: 'DEMO-3', text: 'Limited', visible_to_groups: ['Developers'] }],
  ['youtrack_get_issue_history', { issue_id: 'DEMO-3', kinds: ['fields', 'comments', 'visibility'], newest_first: true }],
  ['youtrack_list_project_comments', { project: 'DEMO', since: '2025-01-01' }],
  ['youtrack_delete_issue', { issue_id: 'DEMO-12' }],
];

describe('seed-parity YouTrack requests against the 2026.1 OpenAPI description', () => {
  it('sends nothing the description does not declare, from any of the new tools', async () => {
    const failed: string[] = [];
    for (const [tool, input] of CALLS) {
      const result = await call(bastion, tool, input);
      if (result.isError) failed.push(`${tool}: ${result.text}`);
    }
    expect(failed).toEqual([]);
    expect(double.requests.length).toBeGreaterThan(CALLS.length);
    expect(contractViolations(double.requests)).toEqual([]);
    expect(readsWithoutTop(double.requests)).toEqual([]);
  });
});
