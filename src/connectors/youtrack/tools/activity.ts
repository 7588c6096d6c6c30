// Activity: an issue's history (who changed what, when) and the comments written across a project.
import { z } from 'zod';
import { pathSegment } from '../../../core/http.js';
import { clip } from '../../../core/untrusted.js';
import { isoTime, issueIdSchema, projectSchema, readOnly, skipSchema, topSchema, userName, youtrackTool, type YtUser } from './shared.js';

/** What the history can show, by the names a model uses, and YouTrack's activity categories for each. */
const KINDS = {
  created: 'IssueCreatedCategory',
  summary: 'SummaryCategory',
  description: 'DescriptionCategory',
  fields: 'CustomFieldCategory',
  comments: 'CommentsCategory',
  work: 'WorkItemCategory',
  links: 'LinksCategory',
  tags: 'TagsCategory',
  attachments: 'AttachmentsCategory',
  visibility: 'IssueVisibilityCategory',
} as const;
type Kind = keyof typeof KINDS;
const KIND_NAMES = Object.keys(KINDS) as [Kind, ...Kind[]];
const KIND_OF = Object.fromEntries(Object.entries(KINDS).map(([kind, category]) => [category, kind])) as Record<string, Kind>;

interface YtActivity {
  id: string;
  timestamp?: number;
  author?: YtUser | null;
  category?: { id: string } | null;
  field?: { name?: string | null; presentation?: string | null } | null;
  added?: unknown;
  removed?: unknown;
  target?: { idReadable?: string; text?: string | null; issue?: { idReadable?: string; project?: { id?: string; shortName?: string } | null } | null } | null;
}

const VALUE_FIELDS = 'name,login,fullName,text,idReadable,presentation,minutes,duration(presentation)';
const ACTIVITY_FIELDS = `id,timestamp,author(login,fullName),category(id),field(name,presentation),added(${VALUE_FIELDS}),removed(${VALUE_FIELDS})`;

/** A readable rendering of an activity's value: text, an entity's name or key, a list of them, or nothing. */
function shown(value: unknown, maxChars: number): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    const parts = value.map((part) => shown(part, maxChars)).filter((part): part is string => Boolean(part));
    return parts.length ? parts.join(', ') : undefined;
  }
  if (typeof value === 'object') {
    const v = value as { idReadable?: string; name?: string; fullName?: string; login?: string; presentation?: string; text?: string | null; minutes?: number; duration?: { presentation?: string } | null };
    const text = v.duration?.presentation ?? v.idReadable ?? v.presentation ?? v.name ?? v.fullName ?? v.login ?? v.text ?? (v.minutes !== undefined ? `${v.minutes}m` : undefined);
    return text === undefined || text === null ? undefined : clip(String(text), maxChars, 'read the issue or comment itself');
  }
  if (typeof value === 'number') return String(value);
  return clip(String(value), maxChars, 'read the issue itself');
}

const historyEntry = z.object({ time: z.string().optional(), author: z.string().optional(), kind: z.string(), field: z.string().optional(), removed: z.string().optional(), added: z.string().optional() });

export const getIssueHistory = youtrackTool({
  name: 'youtrack_get_issue_history',
  title: 'Get the history of a YouTrack issue',
  description: 'Who changed what on an issue, and when: fields, summary, description, comments, work, links and more, oldest first.',
  inputSchema: z.object({
    issue_id: issueIdSchema,
    kinds: z.array(z.enum(KIND_NAMES)).min(1).max(KIND_NAMES.length).optional().describe('Default: all'),
    newest_first: z.boolean().default(false),
    skip: skipSchema,
    top: topSchema(50),
    max_chars: z.number().int().min(20).max(10_000).default(300),
  }),
  outputSchema: z.object({ issue: z.string(), entries: z.array(historyEntry), next_skip: z.number().optional() }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const issue = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    const categories = (input.kinds ?? KIND_NAMES).map((kind) => KINDS[kind]).join(',');
    const { items, more } = await ctx.client.page<YtActivity>(
      `/issues/${pathSegment(issue.id)}/activities`,
      ACTIVITY_FIELDS,
      { categories, reverse: input.newest_first },
      input.skip,
      input.top,
      ctx.signal,
    );
    return {
      issue: issue.idReadable,
      entries: items.map((a) => ({
        time: isoTime(a.timestamp),
        author: userName(a.author),
        kind: KIND_OF[a.category?.id ?? ''] ?? a.category?.id ?? 'other',
        field: a.field?.presentation ?? a.field?.name ?? undefined,
        removed: shown(a.removed, input.max_chars),
        added: shown(a.added, input.max_chars),
      })),
      next_skip: more ? input.skip + items.length : undefined,
    };
  },
  render: (out) => {
    if (!out.entries.length) return `No history for ${out.issue}${out.next_skip === undefined ? '' : ' on this page'}.`;
    const lines = out.entries.map((e) => {
      const what = e.kind === 'fields' && e.field ? e.field : e.kind;
      const change = e.removed !== undefined || e.added !== undefined ? `: ${e.removed ?? '(none)'} → ${e.added ?? '(none)'}` : '';
      return `${e.time ?? ''} ${e.author ?? ''} ${what}${e.kind === 'comments' || e.kind === 'work' ? (e.added ? `: ${e.added.replace(/\n/g, ' ')}` : '') : change}`;
    });
    if (out.next_skip !== undefined) lines.push(`(more: skip=${out.next_skip})`);
    return [`History of ${out.issue}:`, ...lines].join('\n');
  },
});

export const listProjectComments = youtrackTool({
  name: 'youtrack_list_project_comments',
  title: 'List recent comments in a YouTrack project',
  description: 'The comments written on any issue of a project, newest first, with their issue keys; optionally since a day.',
  inputSchema: z.object({
    project: projectSchema,
    since: z.string().max(10).regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').optional().describe('UTC day'),
    skip: skipSchema,
    top: topSchema(20),
    max_chars: z.number().int().min(50).max(10_000).default(500),
  }),
  outputSchema: z.object({
    project: z.string(),
    comments: z.array(z.object({ issue: z.string().optional(), id: z.string().optional(), time: z.string().optional(), author: z.string().optional(), text: z.string() })),
    next_skip: z.number().optional(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const project = await ctx.client.project(input.project, ctx.signal);
    ctx.client.assertProjectInScope(ctx.scope, project, `Project ${project.shortName}`);
    const { items, more } = await ctx.client.page<YtActivity & { added?: Array<{ id?: string; text?: string | null; deleted?: boolean }> }>(
      '/activities',
      'id,timestamp,author(login,fullName),added(id,text,deleted),target(id,issue(idReadable,project(id,shortName)))',
      {
        categories: KINDS.comments,
        issueQuery: `project: {${project.shortName}}`,
        reverse: true,
        start: input.since !== undefined ? Date.parse(`${input.since}T00:00:00Z`) : undefined,
      },
      input.skip,
      input.top,
      ctx.signal,
    );
    // Checked again here: only comments on issues of the project asked for, which is in the scope.
    const comments = items
      .filter((a) => !a.target?.issue?.project || a.target.issue.project.shortName === project.shortName || a.target.issue.project.id === project.id)
      .flatMap((a) =>
        (Array.isArray(a.added) ? a.added : [])
          .filter((c) => !c.deleted)
          .map((c) => ({ issue: a.target?.issue?.idReadable, id: c.id, time: isoTime(a.timestamp), author: userName(a.author), text: clip(c.text ?? '', input.max_chars, 'call youtrack_list_comments on the issue') })),
      );
    return { project: project.shortName, comments, next_skip: more ? input.skip + items.length : undefined };
  },
  render: (out) => {
    if (!out.comments.length) return `No comments in ${out.project}.`;
    const lines = out.comments.map((c) => `${c.time ?? ''} ${c.issue ?? ''} [${c.id ?? ''}] ${c.author ?? ''}: ${c.text.replace(/\n/g, ' ')}`);
    if (out.next_skip !== undefined) lines.push(`(more: skip=${out.next_skip})`);
    return [`Comments in ${out.project}, newest first:`, ...lines].join('\n');
  },
});
