// Commands: YouTrack's own command language applied to one or more issues, with the result read back.
import { z } from 'zod';
import { PolicyError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import type { YouTrackClient } from '../client.js';
import { FIELD_READ, fieldsByName, issueIdSchema, updates, youtrackTool, type YouTrackContext, type YtIssueField } from './shared.js';

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
  customFields?: YtIssueField[];
  tags?: Array<{ name: string }>;
}

/** Issues a command names by key or database id ("relates to DEMO-7", "subtask of 2-38"): in scope like those it applies to. */
const ISSUE_KEY = /(?<![A-Za-z0-9_-])(?:[A-Za-z][A-Za-z0-9_]*|\d+)-\d+(?![A-Za-z0-9_-])/g;
/** "Project DEMO" and "move to DEMO" move issues; braced values ("State {Move on}") are values, not commands. */
const MOVES_ISSUES = /(?<![\p{L}\p{N}_-])(?:project|move\s+to)(?![\p{L}\p{N}_-])/iu;

/** With a project scope, refuses a command that would reach outside it: links to other projects' issues, or moves. */
async function assertCommandInScope(ctx: YouTrackContext, command: string): Promise<void> {
  if (!ctx.scope.active) return;
  // NFKC, so that fullwidth or other compatibility forms of the words are caught as well.
  if (MOVES_ISSUES.test(command.normalize('NFKC').replace(/\{[^}]*\}/g, ' '))) {
    throw new PolicyError(`Commands cannot move issues between projects while ${ctx.scope.setting} is set (${ctx.scope.values.join(',')}); put a value containing "project" or "move to" in braces.`);
  }
  const keys = [...new Set(command.normalize('NFKC').match(ISSUE_KEY) ?? [])];
  await inBatches(keys, 10, (key) => ctx.client.assertIssueInScope(ctx.scope, key, ctx.signal));
}

const READ_BACK_FIELDS = `idReadable,summary,${FIELD_READ},tags(name)`;

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
    'Apply a YouTrack command to up to 50 issues, for bulk changes or when a workflow refuses a plain field update.',
  inputSchema: z.object({
    issue_ids: z.array(issueIdSchema).min(1).max(50),
    command: z.string().max(500).trim().min(1).describe('e.g. "State {In Progress} for me"; braces around values with spaces'),
    comment: z.string().max(100_000).optional().describe('Markdown, added to every issue'),
    silent: z.boolean().default(false).describe('Do not notify watchers'),
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
    await assertCommandInScope(ctx, input.command);
    const checked = await inBatches([...new Set(input.issue_ids)], 10, (id) => ctx.client.assertIssueInScope(ctx.scope, id, ctx.signal));
    const issues = [...new Map(checked.map((issue) => [issue.id, issue])).values()];
    const comment = input.comment?.trim() ? input.comment : undefined;
    await ctx.client.post(
      '/commands',
      {
        query: input.command,
        issues: issues.map((issue) => ({ idReadable: issue.idReadable })),
        // CommandList has no usesMarkdown attribute in 2026.1: the comment is Markdown, YouTrack's default.
        comment,
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
