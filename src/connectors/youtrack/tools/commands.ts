// Commands: YouTrack's own command language applied to one or more issues, with the result read back.
import { z } from 'zod';
import { pathSegment } from '../../../core/http.js';
import type { YouTrackClient } from '../client.js';
import { fieldsByName, issueIdSchema, updates, youtrackTool } from './shared.js';

/** Runs `work` over items, a few at a time, keeping the order. */
async function inBatches<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    results.push(...(await Promise.all(items.slice(start, start + size).map(work))));
  }
  return results;
}

interface YtCommandIssue {
  idReadable: string;
  summary: string;
  customFields?: Array<{ name: string; $type?: string; value?: unknown }>;
  tags?: Array<{ name: string }>;
}

const READ_BACK_FIELDS = 'idReadable,summary,customFields(name,$type,value(name,login,fullName,presentation,minutes,text)),tags(name)';

const issueStateOutput = z.object({
  id: z.string(),
  summary: z.string(),
  state: z.string().optional(),
  priority: z.string().optional(),
  assignee: z.string().optional(),
  tags: z.array(z.string()),
  fields: z.record(z.string(), z.string()),
});

type IssueState = z.input<typeof issueStateOutput>;

/** An issue's summary, custom fields and tags after a change (a command answers with nothing). */
async function readIssueState(client: YouTrackClient, issueId: string, signal: AbortSignal): Promise<IssueState> {
  const issue = await client.get<YtCommandIssue>(`/issues/${pathSegment(issueId)}`, READ_BACK_FIELDS, undefined, signal);
  const fields = fieldsByName(issue.customFields);
  return {
    id: issue.idReadable,
    summary: issue.summary,
    state: fields.State,
    priority: fields.Priority,
    assignee: fields.Assignee,
    tags: (issue.tags ?? []).map((t) => t.name),
    fields,
  };
}

export const applyCommand = youtrackTool({
  name: 'youtrack_apply_command',
  title: 'Apply a YouTrack command',
  description:
    'Applies a YouTrack command to up to 50 issues at once, e.g. "State Fixed", "for jane", "Priority Major tag regression", "remove relates to DEMO-7". ' +
    'Commands are free text: a value with spaces must be in braces ("State {In Progress}"), otherwise its words are read as further commands. ' +
    'Use it when a workflow refuses a plain field update, or for bulk changes. Returns each issue\'s summary, state, priority, assignee, tags and fields afterwards.',
  inputSchema: z.object({
    issue_ids: z.array(issueIdSchema).min(1).max(50).describe('Issue keys the command applies to, e.g. ["DEMO-12", "DEMO-13"]'),
    command: z.string().trim().min(1).max(500).describe('The command, e.g. "State {In Progress} for me"'),
    comment: z.string().max(100_000).optional().describe('Comment (Markdown) added to every issue with the command'),
    silent: z.boolean().default(false).describe('Apply without notifying watchers'),
  }),
  outputSchema: z.object({
    command: z.string(),
    comment_added: z.boolean(),
    silent: z.boolean(),
    issues: z.array(issueStateOutput),
  }),
  // Not idempotent: "remove relates to X" or a toggling command changes state again when repeated.
  annotations: { ...updates, idempotentHint: false },
  handler: async (input, ctx) => {
    // Every issue is checked before anything is sent, so an out-of-scope key stops the whole command.
    const checked = await inBatches([...new Set(input.issue_ids)], 10, (id) => ctx.client.assertIssueInScope(ctx.scope, id, ctx.signal));
    const issues = [...new Map(checked.map((issue) => [issue.id, issue])).values()];
    const comment = input.comment?.trim() ? input.comment : undefined;
    await ctx.client.post(
      '/commands',
      {
        query: input.command,
        issues: issues.map((issue) => ({ idReadable: issue.idReadable })),
        comment,
        usesMarkdown: comment !== undefined ? true : undefined,
        silent: input.silent,
      },
      undefined,
      ctx.signal,
    );
    const after = await inBatches(issues, 10, (issue) => readIssueState(ctx.client, issue.id, ctx.signal));
    return { command: input.command, comment_added: comment !== undefined, silent: input.silent, issues: after };
  },
  render: (out) => {
    const head = `Applied "${out.command}" to ${out.issues.length} issue${out.issues.length === 1 ? '' : 's'}${out.comment_added ? ' with a comment' : ''}${out.silent ? ' (silently)' : ''}:`;
    const lines = out.issues.map(
      (i) =>
        `${i.id} [${[i.state, i.priority].filter(Boolean).join('/')}] ${i.summary}${i.assignee ? ` → ${i.assignee}` : ''}${i.tags.length ? ` · tags: ${i.tags.join(', ')}` : ''}`,
    );
    if (out.issues.length === 1) lines.push(Object.entries(out.issues[0]!.fields).map(([name, value]) => `${name}: ${value}`).join(' · '));
    return [head, ...lines].filter(Boolean).join('\n');
  },
});
