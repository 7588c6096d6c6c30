// The two Redmine calls the issue benchmarks, with the arguments used everywhere.
import type { Client } from '@modelcontextprotocol/client';
import { bytesOf } from './stats.js';

export const SEARCH_ARGS = { project: 'alpha', status: 'all', limit: 25 };
export const SEARCH_TOOL = 'redmine_search_issues';
export const GET_TOOL = 'redmine_get_issue';
export const GET_SUBJECT = 'Alpha issue 1';

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
