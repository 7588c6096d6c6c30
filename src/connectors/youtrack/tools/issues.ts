// Issues: search with YQL, read, create and update (custom fields converted from the project's schema).
import { z } from 'zod';
import { InputError, isUserFacing } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { clip } from '../../../core/untrusted.js';
import type { YouTrackClient } from '../client.js';
import { splitStateFields, toIssueCustomFields } from './fields.js';
import { visibilityFor, visibleToGroupsSchema } from './users.js';
import {
  creates, customFieldsSchema, deletes, FIELD_READ, fieldDisplay, fieldsByName, isoTime, issueIdSchema, projectSchema, readOnly, skipSchema, topSchema,
  updates, userName, youtrackTool, type YouTrackContext, type YtIssueField, type YtUser,
} from './shared.js';

type YtCustomField = YtIssueField;

interface YtIssue {
  id: string;
  idReadable: string;
  summary: string;
  description?: string | null;
  created?: number;
  updated?: number;
  resolved?: number | null;
  project: { id: string; name: string; shortName: string };
  reporter?: YtUser | null;
  customFields?: YtCustomField[];
  tags?: Array<{ id: string; name: string }>;
  links?: Array<{ direction: string; linkType: { name: string; sourceToTarget?: string; targetToSource?: string }; issues: Array<{ idReadable: string; summary: string }> }>;
  attachments?: Array<{ id: string; name: string; size?: number; mimeType?: string }>;
}

const SUMMARY_FIELDS = `id,idReadable,summary,updated,resolved,project(shortName),${FIELD_READ}`;

function field(issue: YtIssue, name: string): string | undefined {
  const found = issue.customFields?.find((f) => f.name === name);
  return found ? fieldDisplay(found) : undefined;
}

// ---------------------------------------------------------------- search

/** Whether the parentheses outside braces and quotes balance, so that the query cannot close its group early. */
function balancedParentheses(query: string): boolean {
  let depth = 0;
  let closer: string | undefined;
  for (const char of query) {
    if (closer) {
      if (char === closer) closer = undefined;
    } else if (char === '{') closer = '}';
    else if (char === '"') closer = '"';
    else if (char === '(') depth += 1;
    else if (char === ')' && --depth < 0) return false;
  }
  return depth === 0 && closer === undefined;
}

const UNBALANCED = 'its parentheses, braces or quotes do not balance; close each "(", "{" and \'"\' it opens.';

/** Limits a YQL query to the scope's projects, keeping the user's query intact inside parentheses. */
function scopedQuery(query: string, projects: string[]): string {
  // "x) or (project: OTHER" would escape the scope's group; and YouTrack answers "((((" with the filter silently
  // dropped (every issue), so an unbalanced query is refused here rather than sent.
  if (!balancedParentheses(query)) throw new InputError(`query: ${UNBALANCED}`);
  if (!projects.length) return query;
  const restriction = `project: ${projects.map((p) => `{${p}}`).join(', ')}`;
  return query.trim() ? `(${restriction}) and (${query})` : restriction;
}

async function countIssues(client: YouTrackClient, query: string, signal: AbortSignal): Promise<number | undefined> {
  // YouTrack counts in the background and answers -1 until it is done.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const { count } = await client.post<{ count: number }>('/issuesGetter/count', { query }, 'count', signal);
    if (count >= 0) return count;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return undefined;
}

export const searchOutput = z.object({
  total: z.number().optional(),
  skip: z.number(),
  issues: z.array(
    z.object({
      id: z.string(),
      summary: z.string(),
      state: z.string().optional(),
      priority: z.string().optional(),
      assignee: z.string().optional(),
      updated: z.string().optional(),
      resolved: z.boolean().optional(),
    }),
  ),
  next_skip: z.number().optional(),
});

/** One page of a YouTrack query, limited to the scope: what youtrack_search_issues and saved searches return. */
export async function runSearch(ctx: YouTrackContext, text: string, skip: number, top: number): Promise<z.input<typeof searchOutput>> {
  const query = scopedQuery(text, ctx.scope.values);
  const [{ items, more }, total] = await Promise.all([
    ctx.client.page<YtIssue>('/issues', SUMMARY_FIELDS, { query }, skip, top, ctx.signal),
    countIssues(ctx.client, query, ctx.signal),
  ]);
  // Defence in depth: whatever the query said, nothing outside the scope is returned.
  const visible = items.filter((issue) => !ctx.scope.active || ctx.scope.allows([issue.project.shortName]));
  return {
    total,
    skip: skip,
    issues: visible.map((issue) => ({
      id: issue.idReadable,
      summary: issue.summary,
      state: field(issue, 'State'),
      priority: field(issue, 'Priority'),
      assignee: field(issue, 'Assignee'),
      updated: isoTime(issue.updated)?.slice(0, 10),
      resolved: issue.resolved ? true : undefined,
    })),
    next_skip: more ? skip + items.length : undefined,
  };
}

export const searchIssues = youtrackTool({
  name: 'youtrack_search_issues',
  title: 'Search YouTrack issues',
  description:
    'Find issues with a YouTrack query, one line each; details: youtrack_get_issue.',
  inputSchema: z.object({
    query: z
      .string()
      .max(1000)
      // Refused with the arguments, before any request (an identity re-check included).
      .refine(balancedParentheses, UNBALANCED)
      .default('')
      .describe('e.g. "project: DEMO #Unresolved for: me sort by: updated desc"'),
    skip: skipSchema,
    top: topSchema(25),
  }),
  outputSchema: searchOutput,
  annotations: readOnly,
  handler: (input, ctx) => runSearch(ctx, input.query, input.skip, input.top),
  render: (out) => renderSearch(out),
});

/** One line per issue under a head that says which of how many they are. */
export function renderSearch(out: z.output<typeof searchOutput>): string {
  const head = out.issues.length
    ? `Issues ${out.skip + 1}-${out.skip + out.issues.length}${out.total !== undefined ? ` of ${out.total}` : ''}${out.next_skip !== undefined ? ` (more: skip=${out.next_skip})` : ''}`
    : `No issues${out.total !== undefined ? ` (total ${out.total})` : ''}.`;
  const lines = out.issues.map(
    (i) => `${i.id} [${[i.state, i.priority].filter(Boolean).join('/')}] ${i.summary}${i.assignee ? ` → ${i.assignee}` : ''}${i.updated ? ` · ${i.updated}` : ''}`,
  );
  return [head, ...lines].join('\n');
}

// ---------------------------------------------------------------- get

const ISSUE_FIELDS =
  'id,idReadable,summary,description,created,updated,resolved,project(id,name,shortName),reporter(login,fullName),' +
  `${FIELD_READ},tags(id,name),` +
  'links(direction,linkType(name,sourceToTarget,targetToSource),issues(idReadable,summary)),attachments(id,name,size,mimeType)';

function linkVerb(link: NonNullable<YtIssue['links']>[number]): string {
  if (link.direction === 'INWARD') return link.linkType.targetToSource || link.linkType.name;
  return link.linkType.sourceToTarget || link.linkType.name;
}

export const getIssue = youtrackTool({
  name: 'youtrack_get_issue',
  title: 'Get a YouTrack issue',
  description:
    'An issue with its fields, tags, links and latest comments; older comments: youtrack_list_comments.',
  inputSchema: z.object({
    issue_id: issueIdSchema,
    comments: z.number().int().min(0).max(50).default(5).describe('Latest comments to include'),
    max_chars: z.number().int().min(100).max(100_000).default(2000),
  }),
  outputSchema: z.object({
    id: z.string(),
    summary: z.string(),
    url: z.string(),
    project: z.string(),
    fields: z.record(z.string(), z.string()),
    description: z.string(),
    reporter: z.string().optional(),
    created: z.string().optional(),
    updated: z.string().optional(),
    resolved: z.string().optional(),
    tags: z.array(z.string()),
    links: z.array(z.object({ type: z.string(), issues: z.array(z.string()) })),
    attachments: z.array(z.object({ id: z.string(), name: z.string(), size: z.number().optional() })),
    comments: z.array(z.object({ id: z.string(), author: z.string().optional(), created: z.string().optional(), text: z.string() })),
    more_comments: z.boolean(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const issue = await ctx.client.get<YtIssue>(`/issues/${pathSegment(input.issue_id)}`, ISSUE_FIELDS, undefined, ctx.signal);
    ctx.client.assertProjectInScope(ctx.scope, issue.project, `Issue ${issue.idReadable}`);
    let comments: Array<{ id: string; author?: YtUser; created?: number; text?: string | null; deleted?: boolean }> = [];
    if (input.comments > 0) {
      // Comments come oldest first; the last page is found by asking for up to 100 and keeping the newest.
      // Taken-back comments are listed too (deleted: true, text: null): they are left out, not shown empty.
      const all = await ctx.client.get<typeof comments>(`/issues/${pathSegment(issue.id)}/comments`, 'id,text,created,deleted,author(login,fullName)', { $top: 100 }, ctx.signal);
      comments = all.filter((c) => !c.deleted);
    }
    const latest = comments.slice(-input.comments).reverse();
    const fields = fieldsByName(issue.customFields);
    return {
      id: issue.idReadable,
      summary: issue.summary,
      url: ctx.client.webUrl(`/issue/${issue.idReadable}`),
      project: issue.project.shortName,
      fields,
      description: clip(issue.description ?? '', input.max_chars, 'call youtrack_get_issue with a larger max_chars'),
      reporter: userName(issue.reporter),
      created: isoTime(issue.created),
      updated: isoTime(issue.updated),
      resolved: isoTime(issue.resolved),
      tags: (issue.tags ?? []).map((t) => t.name),
      links: (issue.links ?? []).filter((l) => l.issues.length).map((l) => ({ type: linkVerb(l), issues: l.issues.map((i) => i.idReadable) })),
      attachments: (issue.attachments ?? []).map((a) => ({ id: a.id, name: a.name, size: a.size })),
      comments: latest.map((c) => ({
        id: c.id,
        author: userName(c.author),
        created: isoTime(c.created),
        text: clip(c.text ?? '', input.max_chars, 'call youtrack_list_comments'),
      })),
      more_comments: comments.length > latest.length,
    };
  },
  render: (out) => {
    const lines = [
      `${out.id} ${out.summary}`,
      `${out.project}${out.reporter ? ` · by ${out.reporter}` : ''}${out.updated ? ` · updated ${out.updated}` : ''}${out.resolved ? ` · resolved ${out.resolved}` : ''}`,
      Object.entries(out.fields).map(([name, value]) => `${name}: ${value}`).join(' · '),
    ];
    if (out.tags.length) lines.push(`Tags: ${out.tags.join(', ')}`);
    if (out.links.length) lines.push(`Links: ${out.links.map((l) => `${l.type} ${l.issues.join(', ')}`).join('; ')}`);
    if (out.attachments.length) lines.push(`Attachments: ${out.attachments.map((a) => `${a.name}${a.size !== undefined ? ` (${a.size} B)` : ''}`).join(', ')}`);
    if (out.description) lines.push('Description:', out.description);
    if (out.comments.length) {
      lines.push(`Latest comments${out.more_comments ? ' (more: youtrack_list_comments)' : ''}:`);
      for (const c of out.comments) lines.push(`[${c.id}] ${c.created ?? ''} ${c.author ?? ''}: ${c.text.replace(/\n/g, '\n  ')}`);
    }
    return lines.filter(Boolean).join('\n');
  },
});

// ---------------------------------------------------------------- create / update

const writtenIssueOutput = z.object({ id: z.string(), summary: z.string(), url: z.string(), fields: z.record(z.string(), z.string()), changed: z.array(z.string()) });

function writtenIssue(client: YouTrackClient, issue: YtIssue, changed: string[]): z.input<typeof writtenIssueOutput> {
  return { id: issue.idReadable, summary: issue.summary, url: client.webUrl(`/issue/${issue.idReadable}`), fields: fieldsByName(issue.customFields), changed };
}

export const createIssue = youtrackTool({
  name: 'youtrack_create_issue',
  title: 'Create a YouTrack issue',
  description:
    'Create an issue. Field names and values: youtrack_get_project.',
  inputSchema: z.object({
    project: projectSchema,
    summary: z.string().max(500).trim().min(1),
    description: z.string().max(100_000).optional().describe('Markdown'),
    custom_fields: customFieldsSchema.optional(),
  }),
  outputSchema: writtenIssueOutput,
  annotations: creates,
  handler: async (input, ctx) => {
    const project = await ctx.client.project(input.project, ctx.signal);
    ctx.client.assertProjectInScope(ctx.scope, project, `Project ${project.shortName}`);
    // A state field may be run by a state machine, which only the issue shows and which sets it on create: such
    // fields are written once the issue exists, as on an update.
    const { now, after } = await splitStateFields(ctx.client, project, input.custom_fields, ctx.signal);
    const customFields = await toIssueCustomFields(ctx.client, project, now, ctx.signal);
    let issue = await ctx.client.post<YtIssue>(
      '/issues',
      { project: { id: project.id }, summary: input.summary, description: input.description, customFields },
      ISSUE_FIELDS,
      ctx.signal,
    );
    if (after) {
      try {
        const stateFields = await toIssueCustomFields(ctx.client, project, after, ctx.signal, issue);
        issue = await ctx.client.post<YtIssue>(`/issues/${pathSegment(issue.id)}`, { customFields: stateFields }, ISSUE_FIELDS, ctx.signal);
      } catch (error) {
        // Only a readable upstream or input error is repeated; anything else stays in the server log.
        if (!isUserFacing(error)) ctx.logger.error({ err: error, issue: issue.idReadable }, 'setting state fields after create failed');
        const reason = isUserFacing(error) ? error.message : 'an unexpected error inside Bastion (the server log has the details).';
        throw new InputError(`Created ${issue.idReadable}, but ${Object.keys(after).join(', ')} could not be set: ${reason} Set it with youtrack_update_issue on ${issue.idReadable}.`);
      }
    }
    return writtenIssue(ctx.client, issue, ['created']);
  },
  render: (out) => `Created ${out.id} "${out.summary}" (${out.url})\n${Object.entries(out.fields).map(([n, v]) => `${n}: ${v}`).join(' · ')}`,
});

export const updateIssue = youtrackTool({
  name: 'youtrack_update_issue',
  title: 'Update a YouTrack issue',
  description:
    'Change an issue\'s summary, description or fields. A field run by a state machine takes a transition name (e.g. "start"); if a workflow refuses a change, use youtrack_apply_command.',
  inputSchema: z.object({
    issue_id: issueIdSchema,
    summary: z.string().max(500).trim().min(1).optional(),
    description: z.string().max(100_000).optional().describe('Markdown'),
    custom_fields: customFieldsSchema.optional(),
  }),
  outputSchema: writtenIssueOutput,
  annotations: updates,
  handler: async (input, ctx) => {
    const changed = [
      ...(input.summary !== undefined ? ['summary'] : []),
      ...(input.description !== undefined ? ['description'] : []),
      ...Object.keys(input.custom_fields ?? {}),
    ];
    if (!changed.length) throw new InputError('Nothing to update: give summary, description or custom_fields.');
    const current = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    const customFields = await toIssueCustomFields(ctx.client, current.project, input.custom_fields, ctx.signal, current);
    const issue = await ctx.client.post<YtIssue>(
      `/issues/${pathSegment(current.id)}`,
      { summary: input.summary, description: input.description, customFields },
      ISSUE_FIELDS,
      ctx.signal,
    );
    return writtenIssue(ctx.client, issue, changed);
  },
  render: (out) => `Updated ${out.id}: ${out.changed.join(', ')} (${out.url})\n${Object.entries(out.fields).map(([n, v]) => `${n}: ${v}`).join(' · ')}`,
});

// ---------------------------------------------------------------- delete

export const deleteIssue = youtrackTool({
  name: 'youtrack_delete_issue',
  title: 'Delete a YouTrack issue',
  description: 'Delete an issue with its comments, work items and links, for good (YouTrack has no bin). Needs the Delete Issue permission.',
  inputSchema: z.object({ issue_id: issueIdSchema }),
  outputSchema: z.object({ issue: z.string(), summary: z.string(), deleted: z.boolean() }),
  annotations: { ...deletes, idempotentHint: false },
  handler: async (input, ctx) => {
    const current = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    // The summary is read first so that the result says what is gone.
    const { summary } = await ctx.client.get<{ summary: string }>(`/issues/${pathSegment(current.id)}`, 'summary', undefined, ctx.signal);
    await ctx.client.delete(`/issues/${pathSegment(current.id)}`, ctx.signal);
    return { issue: current.idReadable, summary, deleted: true };
  },
  render: (out) => `Deleted ${out.issue} "${out.summary}".`,
});

// ---------------------------------------------------------------- visibility

export const setIssueVisibility = youtrackTool({
  name: 'youtrack_set_issue_visibility',
  title: 'Limit who sees a YouTrack issue',
  description: 'Limit an issue to members of some groups, or give an empty list to let everyone with access to its project see it again.',
  inputSchema: z.object({ issue_id: issueIdSchema, visible_to_groups: visibleToGroupsSchema }),
  outputSchema: z.object({ issue: z.string(), visible_to_groups: z.array(z.string()) }),
  annotations: updates,
  handler: async (input, ctx) => {
    const current = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    const visibility = await visibilityFor(ctx, input.visible_to_groups);
    const issue = await ctx.client.post<{ visibility?: { permittedGroups?: Array<{ name: string }> | null } | null }>(
      `/issues/${pathSegment(current.id)}`,
      { visibility: visibility.body },
      'visibility(permittedGroups(name))',
      ctx.signal,
    );
    // What YouTrack now holds, not what was asked.
    return { issue: current.idReadable, visible_to_groups: (issue.visibility?.permittedGroups ?? []).map((g) => g.name) };
  },
  render: (out) => (out.visible_to_groups.length ? `${out.issue} is now visible to ${out.visible_to_groups.join(', ')} only.` : `${out.issue} is now visible to everyone with access to its project.`),
});
