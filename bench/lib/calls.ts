// The two Redmine calls the issue benchmarks, with the arguments used everywhere.
import type { Client } from '@modelcontextprotocol/client';
import { redmine } from '../../test/helpers/redmine.js';
import { bytesOf } from './stats.js';

export const SEARCH_ARGS = { project: 'alpha', status: 'all', limit: 25 };
export const SEARCH_TOOL = 'redmine_search_issues';
export const GET_TOOL = 'redmine_get_issue';
/** The issue measured by the get benchmarks: its own, so the tests' notes on other issues do not change it. */
export const GET_SUBJECT = 'Benchmark issue with 16 journals';
export const GET_JOURNALS = 16;

export interface CallOutput {
  isError: boolean;
  text: string;
  structured: unknown;
  /** What the model reads: the text blocks plus the JSON of the structured content. */
  bytes: number;
}

export async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<CallOutput> {
  const result = (await client.callTool({ name, arguments: args })) as {
    isError?: boolean;
    content: Array<{ type: string; text?: string }>;
    structuredContent?: unknown;
  };
  const text = result.content.map((block) => block.text ?? '').join('\n');
  const structured = result.structuredContent;
  const bytes = bytesOf(text) + (structured === undefined ? 0 : bytesOf(JSON.stringify(structured)));
  return { isError: result.isError === true, text, structured, bytes };
}

/**
 * The id of the benchmark issue in project alpha, created on first use with a multi-line description and 16
 * journals as a team writes them: notes, some with a status, priority or done-ratio change.
 */
export async function benchIssueId(): Promise<number> {
  const found = await redmine<{ issues: Array<{ id: number; subject: string }> }>('GET', `/issues.json?project_id=alpha&status_id=*&subject=${encodeURIComponent(GET_SUBJECT)}`);
  const existing = found.body.issues.find((issue) => issue.subject === GET_SUBJECT);
  if (existing) return existing.id;
  const description = [
    'Exports of large projects time out after 60 s.',
    '',
    'Steps: open the project, choose Export > CSV with all columns, wait.',
    'Expected: a file. Actual: a 504 page from the proxy.',
  ].join('\n');
  const created = await redmine<{ issue: { id: number } }>('POST', '/issues.json', { issue: { project_id: 'alpha', subject: GET_SUBJECT, description } });
  const id = created.body.issue.id;
  for (let n = 1; n <= GET_JOURNALS; n++) {
    const change = n % 4 === 0 ? { status_id: n % 8 === 0 ? 1 : 2 } : n % 5 === 0 ? { done_ratio: n * 5 } : n % 7 === 0 ? { priority_id: 3 } : {};
    const notes = [
      `Update ${n}: reproduced with ${n * 1000} issues in the project; the export query takes ${n * 3} s on the database side`,
      `and the proxy gives up at 60 s. Tried with ${n % 2 ? 'all columns' : 'the default columns'} and with filters on status and tracker.`,
      n % 3 === 0 ? `Log excerpt: Completed 504 Gateway Timeout in ${60_000 + n} ms (Views: 0.0 ms | ActiveRecord: ${n * 2900} ms)` : 'Next: check the indexes on issues.project_id and the custom value joins.',
    ].join('\n');
    await redmine('PUT', `/issues/${id}.json`, { issue: { notes, ...change } });
  }
  return id;
}
