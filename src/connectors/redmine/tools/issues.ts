// Issues: find, read, create, change, delete.
import { z } from 'zod';
import { InputError, UpstreamError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { clip } from '../../../core/untrusted.js';
import type { NamedRef, RedmineClient } from '../client.js';
import {
  creates, dateSchema, deletes, done, idSchema, limitSchema, nameOrIdSchema, offsetSchema, projectSchema,
  readOnly, ref, redmineTool, refOutput, scopedPage, scopeNote, scopeNoteOutput, updates, type RedmineContext,
} from './shared.js';
import { Names, resolveUser, type NamedKind } from './names.js';

export interface RedmineIssue {
  id: number;
  project: NamedRef;
  tracker: NamedRef;
  status: NamedRef & { is_closed?: boolean };
  priority: NamedRef;
  author: NamedRef;
  assigned_to?: NamedRef;
  category?: NamedRef;
  fixed_version?: NamedRef;
  parent?: { id: number };
  subject: string;
  description?: string | null;
  start_date?: string | null;
  due_date?: string | null;
  done_ratio?: number;
  is_private?: boolean;
  estimated_hours?: number | null;
  spent_hours?: number;
  custom_fields?: Array<{ id: number; name: string; value: string | string[] | null; multiple?: boolean }>;
  created_on: string;
  updated_on: string;
  closed_on?: string | null;
  journals?: RedmineJournal[];
  attachments?: Array<{ id: number; filename: string; filesize: number; content_type?: string; description?: string; author?: NamedRef; created_on?: string }>;
  relations?: Array<{ id: number; issue_id: number; issue_to_id: number; relation_type: string; delay?: number | null }>;
  children?: Array<{ id: number; tracker?: NamedRef; subject: string }>;
  watchers?: NamedRef[];
  allowed_statuses?: Array<NamedRef & { is_closed?: boolean }>;
}

interface RedmineJournal {
  id: number;
  user: NamedRef;
  notes: string | null;
  created_on: string;
  private_notes?: boolean;
  details: Array<{ property: string; name: string; old_value: string | null; new_value: string | null }>;
}

const uploadsSchema = z
  .array(
    z.object({
      upload_token: z.string().min(1).max(200),
      filename: z.string().min(1).max(255),
      content_type: z.string().max(100).optional(),
      description: z.string().max(255).optional(),
    }),
  )
  .max(10)
  .describe('Files from redmine_upload_attachment');

const customFieldsInput = z
  .array(
    z.object({
      field: z.string().min(1).max(100).describe('Field name or id'),
      value: z.array(z.string().max(10_000)).max(50).describe('One item if single-value; [] clears'),
    }),
  )
  .max(50);

function toUploads(uploads: z.output<typeof uploadsSchema> | undefined) {
  return uploads?.map((u) => ({ token: u.upload_token, filename: u.filename, content_type: u.content_type, description: u.description }));
}

/** The custom fields an issue in this project can have: the full list with an admin key, else what the project shows. */
async function availableCustomFields(client: RedmineClient, project: string | number, known: NamedRef[], signal: AbortSignal): Promise<NamedRef[]> {
  const definitions = (await client.customFieldDefinitions(signal))?.filter((cf) => cf.customized_type === 'issue');
  const fields = new Map<number, NamedRef>(known.map((cf) => [cf.id, cf]));
  for (const cf of definitions ?? (await client.projectIssueCustomFields(project, signal))) fields.set(cf.id, { id: cf.id, name: cf.name });
  return [...fields.values()];
}

/** Custom fields by name or id → Redmine's [{id, value}]. Numeric ids are passed through as given. */
async function resolveCustomFields(
  client: RedmineClient,
  project: string | number,
  fields: z.output<typeof customFieldsInput> | undefined,
  known: NamedRef[],
  signal: AbortSignal,
): Promise<Array<{ id: number; value: string | string[] }> | undefined> {
  if (!fields?.length) return undefined;
  const byName = fields.some(({ field }) => !/^\d+$/.test(field));
  const available = byName ? await availableCustomFields(client, project, known, signal) : [];
  return fields.map(({ field, value }) => {
    const resolved = /^\d+$/.test(field) ? Number(field) : available.find((cf) => cf.name.toLowerCase() === field.toLowerCase())?.id;
    if (resolved === undefined) {
      const names = available.map((cf) => `${cf.name} (#${cf.id})`).join(', ') || 'none visible to this key; use the numeric id';
      throw new InputError(`custom_fields: unknown field "${field}". Available: ${names}.`);
    }
    // Redmine refuses [] for a single-value field ("is invalid"); "" empties single- and multi-value fields alike.
    return { id: resolved, value: value.length === 1 ? value[0]! : value.length ? value : '' };
  });
}

// ---------------------------------------------------------------- search

const SORT_FIELDS = ['id', 'subject', 'status', 'priority', 'tracker', 'assigned_to', 'updated_on', 'created_on', 'due_date', 'start_date', 'done_ratio'] as const;

const issueSummary = z.object({
  id: z.number(),
  subject: z.string(),
  project: z.string().optional(),
  tracker: z.string(),
  status: z.string(),
  priority: z.string(),
  assignee: z.string().optional(),
  updated: z.string(),
  due: z.string().optional(),
});

/** A user filter: "me", a numeric user id, a login or a name (resolved among the project's members). */
const userFilter = () => z.string().min(1).max(100).describe('"me", a user id, a login, or a name of a project member');

function dateRange(from: string | undefined, to: string | undefined): string | undefined {
  if (from && to) return `><${from}|${to}`;
  if (from) return `>=${from}`;
  if (to) return `<=${to}`;
  return undefined;
}

export const searchIssues = redmineTool({
  name: 'redmine_search_issues',
  title: 'Search Redmine issues',
  description:
    'Find issues by filters, one line each (open ones by default); details: redmine_get_issue.',
  inputSchema: z.object({
    project: projectSchema.optional(),
    status: z.string().min(1).max(50).default('open').describe('"open", "closed", "all", or a status name or id'),
    tracker: nameOrIdSchema().optional(),
    assignee: userFilter().optional(),
    author: userFilter().optional(),
    priority: nameOrIdSchema().optional(),
    version_id: idSchema().optional(),
    category_id: idSchema().optional(),
    parent_id: idSchema().optional(),
    custom_fields: z
      .array(z.object({ id: idSchema(), value: z.string().min(1).max(255) }))
      .max(10)
      .optional()
      .describe('Only fields marked "used as a filter"'),
    text: z.string().min(1).max(255).optional().describe('Text in the subject'),
    created_from: dateSchema.optional(),
    created_to: dateSchema.optional(),
    updated_from: dateSchema.optional(),
    updated_to: dateSchema.optional(),
    query_id: idSchema('Saved query (redmine_lookup "queries")').optional(),
    sort: z.enum(SORT_FIELDS).default('updated_on'),
    direction: z.enum(['asc', 'desc']).default('desc'),
    offset: offsetSchema,
    limit: limitSchema(25),
  }),
  outputSchema: z.object({
    total_count: z.number(),
    offset: z.number(),
    issues: z.array(issueSummary),
    next_offset: z.number().optional(),
    scope_note: scopeNoteOutput,
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const { client, signal, scope } = ctx;
    const project = await client.scopedProject(scope, input.project, signal);
    const status = ['open', 'closed'].includes(input.status)
      ? input.status
      : input.status === 'all'
        ? '*'
        : await client.resolveLookup('issue_statuses', input.status, 'status', signal);
    const names = new Names(ctx, project);
    const query: Record<string, string | number | undefined> = {
      project_id: project,
      // With a project scope, subprojects outside it must not leak into results.
      subproject_id: scope.active ? '!*' : undefined,
      status_id: status,
      tracker_id: input.tracker ? await client.resolveLookup('trackers', input.tracker, 'tracker', signal) : undefined,
      priority_id: input.priority ? await client.resolveLookup('issue_priorities', input.priority, 'priority', signal) : undefined,
      assigned_to_id: input.assignee === undefined ? undefined : await resolveUser(ctx, names, input.assignee, 'assignee'),
      author_id: input.author === undefined ? undefined : await resolveUser(ctx, names, input.author, 'author'),
      fixed_version_id: input.version_id,
      category_id: input.category_id,
      parent_id: input.parent_id,
      subject: input.text ? `~${input.text}` : undefined,
      created_on: dateRange(input.created_from, input.created_to),
      updated_on: dateRange(input.updated_from, input.updated_to),
      query_id: input.query_id,
      sort: `${input.sort}:${input.direction}`,
    };
    for (const cf of input.custom_fields ?? []) query[`cf_${cf.id}`] = cf.value;
    const page = await scopedPage(ctx, {
      offset: input.offset,
      limit: input.limit,
      // A saved query keeps its own project filters (Redmine ignores subproject_id with query_id), so its list may
      // hold subprojects outside the scope; every other request is limited to the allowed project.
      exact: input.query_id === undefined,
      fetch: async (offset, limit) => {
        const body = await client.get<{ issues: RedmineIssue[]; total_count: number }>('/issues.json', { ...query, offset, limit }, signal);
        return { items: body.issues, total: body.total_count };
      },
      projectOf: (issue) => issue.project,
      narrow: 'give filters (status, tracker, dates, text) instead of query_id, or a saved query with fewer results.',
    });
    const next = input.offset + page.items.length;
    return {
      total_count: page.total,
      offset: input.offset,
      issues: page.items.map((issue) => ({
        id: issue.id,
        subject: issue.subject,
        project: project ? undefined : issue.project.name,
        tracker: issue.tracker.name,
        status: issue.status.name,
        priority: issue.priority.name,
        assignee: issue.assigned_to?.name,
        updated: issue.updated_on.slice(0, 10),
        due: issue.due_date ?? undefined,
      })),
      next_offset: next < page.total ? next : undefined,
      scope_note: scopeNote(ctx, page.leftOut, 'Issues'),
    };
  },
  render: (out) => {
    const head = out.issues.length
      ? `Issues ${out.offset + 1}-${out.offset + out.issues.length} of ${out.total_count}${out.next_offset !== undefined ? ` (more: offset=${out.next_offset})` : ''}`
      : `No issues (total ${out.total_count}).`;
    const note = out.scope_note ? [out.scope_note] : [];
    const lines = out.issues.map(
      (i) =>
        `#${i.id} [${i.tracker}/${i.status}/${i.priority}] ${i.subject}` +
        `${i.assignee ? ` → ${i.assignee}` : ''} · ${i.updated}${i.due ? ` · due ${i.due}` : ''}${i.project ? ` · ${i.project}` : ''}`,
    );
    return [head, ...note, ...lines].join('\n');
  },
});

// ---------------------------------------------------------------- get

const ISSUE_INCLUDES = ['attachments', 'relations', 'children', 'watchers', 'allowed_statuses', 'changesets'] as const;
const DEFAULT_ISSUE_INCLUDES: ReadonlyArray<(typeof ISSUE_INCLUDES)[number]> = ['attachments', 'relations', 'children'];
const ATTR_LOOKUPS: Record<string, Parameters<RedmineClient['lookup']>[0]> = {
  status_id: 'issue_statuses',
  tracker_id: 'trackers',
  priority_id: 'issue_priorities',
};
const LONG_TEXT_ATTRS = new Set(['description']);

/**
 * Under a scope, which of the issues and projects an issue refers to (children, relations, parent, and those its
 * history names) may be shown: any of them can be in another project. Everything may without a scope.
 */
interface Shown {
  issue(id: number): boolean;
  project(id: number): boolean;
  /** Set once something was left out or replaced, so the result can say so. */
  leftOut: boolean;
}

async function shownReferences(ctx: RedmineContext, issue: RedmineIssue): Promise<Shown> {
  const inScope = await ctx.client.projectFilter(ctx.scope, ctx.signal);
  if (!inScope) return { issue: () => true, project: () => true, leftOut: false };
  const ids = new Set<number>();
  for (const child of issue.children ?? []) ids.add(child.id);
  for (const relation of issue.relations ?? []) ids.add(relation.issue_id === issue.id ? relation.issue_to_id : relation.issue_id);
  if (issue.parent) ids.add(issue.parent.id);
  for (const journal of issue.journals ?? []) {
    for (const detail of journal.details) {
      if (detail.property !== 'relation' && !(detail.property === 'attr' && detail.name === 'parent_id')) continue;
      for (const value of [detail.old_value, detail.new_value]) if (value && /^\d+$/.test(value)) ids.add(Number(value));
    }
  }
  ids.delete(issue.id);
  const allowed = ids.size ? await ctx.client.issuesInScope(ctx.scope, [...ids], ctx.signal) : new Set<number>();
  allowed.add(issue.id);
  return { issue: (id) => allowed.has(id), project: (id) => inScope(id), leftOut: false };
}

const OUTSIDE = 'outside the allowed projects';

/** Attributes whose history values are ids of objects with names, by the kind of name. */
const NAMED_ATTRS: Record<string, NamedKind> = { assigned_to_id: 'user', fixed_version_id: 'version', category_id: 'category' };

/** One readable line per journal detail, instead of whole old and new texts. */
async function summariseDetails(journal: RedmineJournal, issue: RedmineIssue, ctx: RedmineContext, shown: Shown, names: Names): Promise<string[]> {
  const out: string[] = [];
  /** An issue or project from the history (a project by name), or a placeholder when it is outside the scope. */
  const reference = async (value: string, kind: 'issue' | 'project') => {
    if (!value) return '(none)';
    if (shown[kind](Number(value))) return kind === 'issue' ? `#${value}` : await names.name('project', value);
    shown.leftOut = true;
    return `(${kind === 'issue' ? 'an issue' : 'a project'} ${OUTSIDE})`;
  };
  for (const detail of journal.details) {
    const oldValue = detail.old_value ?? '';
    const newValue = detail.new_value ?? '';
    if (detail.property === 'attr' && (detail.name === 'parent_id' || detail.name === 'project_id')) {
      const kind = detail.name === 'parent_id' ? 'issue' : 'project';
      out.push(`${detail.name.replace(/_id$/, '')}: ${await reference(oldValue, kind)} → ${await reference(newValue, kind)}`);
      continue;
    }
    if (detail.property === 'attr' && LONG_TEXT_ATTRS.has(detail.name)) {
      out.push(`${detail.name} edited (${oldValue.length} → ${newValue.length} chars)`);
      continue;
    }
    if (detail.property === 'attr') {
      const lookup = ATTR_LOOKUPS[detail.name];
      const named = NAMED_ATTRS[detail.name];
      const name = detail.name.replace(/_id$/, '');
      if (named) {
        const label = async (v: string) => (v ? await names.name(named, v) : '(none)');
        out.push(`${name}: ${await label(oldValue)} → ${await label(newValue)}`);
      } else if (lookup) {
        const items = await ctx.client.lookup(lookup, ctx.signal).catch(() => [] as NamedRef[]);
        const label = (v: string) => (v ? items.find((i) => String(i.id) === v)?.name ?? `#${v}` : '(none)');
        out.push(`${name}: ${label(oldValue)} → ${label(newValue)}`);
      } else {
        const short = (v: string) => (v ? clip(v, 60, 'see the issue') : '(none)');
        out.push(`${name}: ${short(oldValue)} → ${short(newValue)}`);
      }
    } else if (detail.property === 'cf') {
      const field = issue.custom_fields?.find((cf) => String(cf.id) === detail.name)?.name ?? `custom field #${detail.name}`;
      out.push(`${field}: ${clip(oldValue, 60, '') || '(none)'} → ${clip(newValue, 60, '') || '(none)'}`);
    } else if (detail.property === 'attachment') {
      out.push(newValue ? `attached ${newValue}` : `removed attachment ${oldValue}`);
    } else if (detail.property === 'relation') {
      out.push(newValue ? `relation ${detail.name} ${await reference(newValue, 'issue')} added` : `relation ${detail.name} ${await reference(oldValue, 'issue')} removed`);
    } else {
      out.push(`${detail.property} ${detail.name} changed`);
    }
  }
  return out;
}

const journalOutput = z.object({
  id: z.number(),
  user: z.string(),
  created_on: z.string(),
  notes: z.string().optional(),
  private: z.boolean().optional(),
  changes: z.array(z.string()).optional(),
});

export const getIssue = redmineTool({
  name: 'redmine_get_issue',
  title: 'Get a Redmine issue',
  description:
    'An issue with its fields, description and history (newest first). Include allowed_statuses before changing the status.',
  inputSchema: z.object({
    issue_id: idSchema(),
    include: z
      .array(z.enum(ISSUE_INCLUDES))
      .max(ISSUE_INCLUDES.length)
      .optional()
      .describe(`Added to the sections always shown (${DEFAULT_ISSUE_INCLUDES.join(', ')})`),
    journals: z.boolean().default(true).describe('Include the history'),
    journal_offset: z.number().int().min(0).max(100_000).default(0),
    journal_limit: z.number().int().min(1).max(100).default(10),
    max_chars: z.number().int().min(100).max(100_000).default(2000),
  }),
  outputSchema: z.object({
    id: z.number(),
    subject: z.string(),
    url: z.string(),
    project: refOutput,
    tracker: refOutput,
    status: refOutput.extend({ is_closed: z.boolean().optional() }),
    priority: refOutput,
    author: refOutput,
    assignee: refOutput.optional(),
    category: refOutput.optional(),
    version: refOutput.optional(),
    parent_id: z.number().optional(),
    description: z.string(),
    start_date: z.string().optional(),
    due_date: z.string().optional(),
    done_ratio: z.number().optional(),
    estimated_hours: z.number().optional(),
    spent_hours: z.number().optional(),
    is_private: z.boolean(),
    custom_fields: z.array(z.object({ id: z.number(), name: z.string(), value: z.union([z.string(), z.array(z.string())]) })).optional(),
    created_on: z.string(),
    updated_on: z.string(),
    closed_on: z.string().optional(),
    journals: z.object({ total: z.number(), offset: z.number(), next_offset: z.number().optional(), items: z.array(journalOutput) }).optional(),
    attachments: z.array(z.object({ id: z.number(), filename: z.string(), filesize: z.number(), content_type: z.string().optional() })).optional(),
    relations: z.array(z.object({ id: z.number(), type: z.string(), issue_id: z.number(), issue_to_id: z.number(), delay: z.number().optional() })).optional(),
    children: z.array(z.object({ id: z.number(), subject: z.string() })).optional(),
    watchers: z.array(refOutput).optional(),
    allowed_statuses: z.array(refOutput).optional(),
    scope_note: scopeNoteOutput,
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    // Asking for one more section (allowed_statuses before a status change) must not take the others away.
    const sections = [...new Set([...DEFAULT_ISSUE_INCLUDES, ...(input.include ?? [])])];
    const include = [...sections, ...(input.journals ? ['journals'] : [])].join(',');
    const { issue } = await ctx.client.get<{ issue: RedmineIssue }>(`/issues/${pathSegment(input.issue_id)}.json`, { include: include || undefined }, ctx.signal);
    await ctx.client.assertProjectInScope(ctx.scope, issue.project, `Issue #${issue.id}`, ctx.signal);
    const shown = await shownReferences(ctx, issue);
    const keep = (id: number) => shown.issue(id) || ((shown.leftOut = true), false);

    let journals;
    if (input.journals) {
      // Order depends on the key user's preference in Redmine: sort by id, newest first.
      const all = [...(issue.journals ?? [])].sort((a, b) => b.id - a.id);
      const page = all.slice(input.journal_offset, input.journal_offset + input.journal_limit);
      // Names the issue already carries need no request; the rest are read once per kind for the whole page.
      const names = new Names(ctx, issue.project.id);
      names.add('user', issue.author, issue.assigned_to, ...all.map((j) => j.user));
      names.add('version', issue.fixed_version);
      names.add('category', issue.category);
      names.add('project', issue.project);
      const items = await Promise.all(
        page.map(async (j) => {
          const changes = await summariseDetails(j, issue, ctx, shown, names);
          return {
            id: j.id,
            user: j.user.name,
            created_on: j.created_on,
            notes: j.notes ? clip(j.notes, input.max_chars, `call redmine_get_issue with a larger max_chars`) : undefined,
            private: j.private_notes ? true : undefined,
            changes: changes.length ? changes : undefined,
          };
        }),
      );
      const next = input.journal_offset + page.length;
      journals = { total: all.length, offset: input.journal_offset, next_offset: next < all.length ? next : undefined, items };
    }
    const has = (name: (typeof ISSUE_INCLUDES)[number]) => sections.includes(name);
    return {
      id: issue.id,
      subject: issue.subject,
      url: ctx.client.webUrl(`/issues/${issue.id}`),
      project: ref(issue.project)!,
      tracker: ref(issue.tracker)!,
      status: { ...ref(issue.status)!, is_closed: issue.status.is_closed },
      priority: ref(issue.priority)!,
      author: ref(issue.author)!,
      assignee: ref(issue.assigned_to),
      category: ref(issue.category),
      version: ref(issue.fixed_version),
      parent_id: issue.parent && keep(issue.parent.id) ? issue.parent.id : undefined,
      description: clip(issue.description ?? '', input.max_chars, 'call redmine_get_issue with a larger max_chars'),
      start_date: issue.start_date ?? undefined,
      due_date: issue.due_date ?? undefined,
      done_ratio: issue.done_ratio,
      estimated_hours: issue.estimated_hours ?? undefined,
      spent_hours: issue.spent_hours || undefined,
      is_private: issue.is_private === true,
      custom_fields: issue.custom_fields?.map((cf) => ({ id: cf.id, name: cf.name, value: cf.value ?? '' })),
      created_on: issue.created_on,
      updated_on: issue.updated_on,
      closed_on: issue.closed_on ?? undefined,
      journals,
      attachments: has('attachments')
        ? issue.attachments?.map((a) => ({ id: a.id, filename: a.filename, filesize: a.filesize, content_type: a.content_type }))
        : undefined,
      relations: has('relations')
        ? issue.relations
            ?.filter((r) => keep(r.issue_id === issue.id ? r.issue_to_id : r.issue_id))
            .map((r) => ({ id: r.id, type: r.relation_type, issue_id: r.issue_id, issue_to_id: r.issue_to_id, delay: r.delay ?? undefined }))
        : undefined,
      children: has('children') ? issue.children?.filter((c) => keep(c.id)).map((c) => ({ id: c.id, subject: c.subject })) : undefined,
      watchers: has('watchers') ? issue.watchers?.map((w) => ref(w)!) : undefined,
      allowed_statuses: has('allowed_statuses') ? issue.allowed_statuses?.map((s) => ref(s)!) : undefined,
      scope_note: scopeNote(ctx, shown.leftOut, 'Related issues and projects'),
    };
  },
  render: (out) => {
    const lines = [
      `#${out.id} ${out.subject}`,
      `${out.project.name} · ${out.tracker.name} · ${out.status.name}${out.status.is_closed ? ' (closed)' : ''} · ${out.priority.name}` +
        `${out.assignee ? ` · assigned to ${out.assignee.name}` : ''} · by ${out.author.name}`,
      [
        out.version && `version ${out.version.name}`,
        out.category && `category ${out.category.name}`,
        out.parent_id && `parent #${out.parent_id}`,
        out.start_date && `start ${out.start_date}`,
        out.due_date && `due ${out.due_date}`,
        out.done_ratio !== undefined && `${out.done_ratio}% done`,
        out.estimated_hours !== undefined && `est ${out.estimated_hours}h`,
        out.spent_hours !== undefined && `spent ${out.spent_hours}h`,
        `updated ${out.updated_on}`,
      ].filter(Boolean).join(' · '),
    ];
    for (const cf of out.custom_fields ?? []) lines.push(`${cf.name}: ${Array.isArray(cf.value) ? cf.value.join(', ') : cf.value}`);
    if (out.description) lines.push('Description:', out.description);
    if (out.attachments?.length) lines.push(`Attachments: ${out.attachments.map((a) => `${a.filename} (#${a.id}, ${a.filesize} B)`).join(', ')}`);
    if (out.relations?.length) lines.push(`Relations: ${out.relations.map((r) => `${r.type} #${r.issue_id === out.id ? r.issue_to_id : r.issue_id} (relation ${r.id})`).join(', ')}`);
    if (out.children?.length) lines.push(`Children: ${out.children.map((c) => `#${c.id} ${c.subject}`).join('; ')}`);
    if (out.watchers?.length) lines.push(`Watchers: ${out.watchers.map((w) => w.name).join(', ')}`);
    if (out.scope_note) lines.push(out.scope_note);
    if (out.allowed_statuses) lines.push(`Allowed next statuses: ${out.allowed_statuses.map((s) => `${s.name} (${s.id})`).join(', ')}`);
    if (out.journals) {
      const j = out.journals;
      lines.push(`History: ${j.items.length} of ${j.total} journals, newest first${j.next_offset !== undefined ? ` (more: journal_offset=${j.next_offset})` : ''}`);
      for (const item of j.items) {
        lines.push(`[${item.id}] ${item.created_on} ${item.user}${item.private ? ' (private)' : ''}${item.changes ? `: ${item.changes.join('; ')}` : ''}`);
        if (item.notes) lines.push(`  ${item.notes.replace(/\n/g, '\n  ')}`);
      }
    }
    return lines.join('\n');
  },
});

// ---------------------------------------------------------------- create / update / delete

export const editableFields = {
  subject: z.string().min(1).max(255),
  description: z.string().max(100_000).describe('Textile or Markdown, as configured'),
  tracker: nameOrIdSchema(),
  status: nameOrIdSchema(),
  priority: nameOrIdSchema(),
  assigned_to_id: idSchema('User id (members: redmine_get_project)'),
  category_id: idSchema(),
  fixed_version_id: idSchema('Target version id'),
  parent_issue_id: idSchema(),
  start_date: dateSchema,
  due_date: dateSchema,
  estimated_hours: z.number().min(0).max(100_000),
  done_ratio: z.number().int().min(0).max(100).describe('Percent, in steps of 10'),
  is_private: z.boolean(),
  custom_fields: customFieldsInput,
  uploads: uploadsSchema,
};

export type EditableInput = { [K in keyof typeof editableFields]?: z.output<(typeof editableFields)[K]> };

/** Turns tool input into Redmine's issue payload, resolving names (tracker, status, priority, custom fields) to ids. */
export async function issuePayload(
  input: EditableInput,
  project: string | number,
  knownCustomFields: NamedRef[],
  ctx: RedmineContext,
): Promise<Record<string, unknown>> {
  const { client, signal } = ctx;
  return {
    subject: input.subject,
    description: input.description,
    tracker_id: input.tracker ? await client.resolveLookup('trackers', input.tracker, 'tracker', signal) : undefined,
    status_id: input.status ? await client.resolveLookup('issue_statuses', input.status, 'status', signal) : undefined,
    priority_id: input.priority ? await client.resolveLookup('issue_priorities', input.priority, 'priority', signal) : undefined,
    assigned_to_id: input.assigned_to_id,
    category_id: input.category_id,
    fixed_version_id: input.fixed_version_id,
    parent_issue_id: input.parent_issue_id,
    start_date: input.start_date,
    due_date: input.due_date,
    estimated_hours: input.estimated_hours,
    done_ratio: input.done_ratio,
    is_private: input.is_private,
    custom_fields: await resolveCustomFields(client, project, input.custom_fields, knownCustomFields, signal),
    uploads: toUploads(input.uploads),
  };
}

export const createIssue = redmineTool({
  name: 'redmine_create_issue',
  title: 'Create a Redmine issue',
  description:
    'Create an issue. See redmine_get_project first for its trackers, categories and required custom fields.',
  inputSchema: z.object({
    project: projectSchema,
    ...editableFields,
    subject: editableFields.subject,
    watcher_user_ids: z.array(idSchema()).max(50).optional(),
  }).partial({
    description: true, tracker: true, status: true, priority: true, assigned_to_id: true, category_id: true, fixed_version_id: true,
    parent_issue_id: true, start_date: true, due_date: true, estimated_hours: true, done_ratio: true, is_private: true,
    custom_fields: true, uploads: true,
  }),
  outputSchema: z.object({
    id: z.number(),
    subject: z.string(),
    project: z.string(),
    tracker: z.string(),
    status: z.string(),
    warnings: z.array(z.string()),
    url: z.string(),
  }),
  annotations: creates,
  handler: async (input, ctx) => {
    await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    // A parent in another project would tie this issue to it and change the parent's derived fields.
    if (input.parent_issue_id !== undefined) await ctx.client.assertIssueInScope(ctx.scope, input.parent_issue_id, ctx.signal);
    const { status_id: wantedStatus, ...fields } = await issuePayload(input, input.project, [], ctx);
    const payload = { project_id: input.project, ...fields, status_id: wantedStatus, watcher_user_ids: input.watcher_user_ids };
    let issue: RedmineIssue;
    try {
      ({ issue } = await ctx.client.post<{ issue: RedmineIssue }>('/issues.json', { issue: payload }, ctx.signal));
    } catch (error) {
      // An unknown project reads "Project cannot be blank" in Redmine's words: name it instead.
      if (error instanceof UpstreamError && error.status === 422) throw (await ctx.client.unknownProject(input.project, ctx.signal)) ?? error;
      throw error;
    }
    const warnings: string[] = [];
    if (typeof wantedStatus === 'number' && wantedStatus !== issue.status.id) {
      // Redmine gives a new issue its tracker's default status unless the workflow allows the one asked for on
      // creation, without saying so: the status is then set by an update, as a person would do next.
      const path = `/issues/${pathSegment(issue.id)}.json`;
      const refusal = await ctx.client.put(path, { issue: { status_id: wantedStatus } }, ctx.signal).then(
        () => undefined,
        (error: unknown) => (error instanceof UpstreamError ? error.message : String(error)),
      );
      const { issue: after } = await ctx.client.get<{ issue: RedmineIssue }>(path, { include: 'allowed_statuses' }, ctx.signal);
      issue = { ...issue, status: after.status };
      if (after.status.id !== wantedStatus) {
        const wanted = await statusName(ctx, wantedStatus);
        const allowed = after.allowed_statuses?.map((st) => st.name).join(', ') || 'none';
        warnings.push(
          `The status was NOT set to ${wanted}: the issue was created as ${after.status.name}, and the workflow does not allow ${wanted} for this user` +
            `${refusal ? ` (${refusal})` : ''}. Allowed now: ${allowed}.`,
        );
      }
    }
    return {
      id: issue.id,
      subject: issue.subject,
      project: issue.project.name,
      tracker: issue.tracker.name,
      status: issue.status.name,
      warnings,
      url: ctx.client.webUrl(`/issues/${issue.id}`),
    };
  },
  render: (out) =>
    [done(`Created issue #${out.id} "${out.subject}" in ${out.project} (${out.tracker}, ${out.status})`, out.url), ...out.warnings.map((w) => `Warning: ${w}`)].join('\n'),
});

/** A status's name for messages, "#id" when the list does not have it. */
async function statusName(ctx: RedmineContext, id: number): Promise<string> {
  const statuses = await ctx.client.lookup('issue_statuses', ctx.signal);
  return statuses.find((st) => st.id === id)?.name ?? `#${id}`;
}

/** Optional fields an update can empty, and the attribute Redmine empties for each (it takes "" as "none"). */
const CLEARABLE = {
  assignee: 'assigned_to_id',
  category: 'category_id',
  version: 'fixed_version_id',
  parent: 'parent_issue_id',
  start_date: 'start_date',
  due_date: 'due_date',
  estimated_hours: 'estimated_hours',
  description: 'description',
} as const;
type Clearable = keyof typeof CLEARABLE;
const CLEARABLE_NAMES = Object.keys(CLEARABLE) as [Clearable, ...Clearable[]];

/** Where to look when a change to an issue may or may not have been applied. */
const historyCheck = (id: number): string => `look at the history of issue #${id} with redmine_get_issue and journals: true`;

export const updateIssue = redmineTool({
  name: 'redmine_update_issue',
  title: 'Update a Redmine issue',
  description:
    'Change an issue\'s fields (a note may go with them); `clear` empties fields. Warns when the workflow refused a status change. Only a comment: redmine_add_note.',
  inputSchema: z.object({
    issue_id: idSchema(),
    ...editableFields,
    project: projectSchema.describe('Move the issue to this project'),
    unassign: z.boolean(),
    clear: z.array(z.enum(CLEARABLE_NAMES)).min(1).max(CLEARABLE_NAMES.length).describe('Fields to empty, e.g. ["parent","version"]; custom fields: value []'),
    notes: z.string().min(1).max(100_000).describe('Comment added to the history'),
    private_notes: z.boolean(),
  }).partial({
    subject: true, description: true, tracker: true, status: true, priority: true, assigned_to_id: true, category_id: true,
    fixed_version_id: true, parent_issue_id: true, start_date: true, due_date: true, estimated_hours: true, done_ratio: true,
    is_private: true, custom_fields: true, uploads: true, project: true, unassign: true, clear: true, notes: true, private_notes: true,
  }),
  outputSchema: z.object({
    id: z.number(),
    changed: z.array(z.string()).describe('The fields asked to change'),
    fields: z
      .array(z.object({ field: z.string(), now: z.string(), applied: z.boolean() }))
      .describe('Each field asked to change, as Redmine has it after the update, and whether it took the new value'),
    note_added: z.boolean(),
    warnings: z.array(z.string()),
    url: z.string(),
  }),
  annotations: updates,
  handler: async (input, ctx) => {
    const { issue_id, notes, private_notes, unassign, project, clear, ...fields } = input;
    const changed = Object.keys(fields).filter((key) => fields[key as keyof typeof fields] !== undefined);
    if (project) changed.push('project');
    if (unassign) {
      if (fields.assigned_to_id) throw new InputError('Give either assigned_to_id or unassign, not both.');
      changed.push('assignee');
    }
    // unassign is the older spelling of clear ["assignee"]: one outcome for both.
    const cleared = [...new Set(clear ?? [])].filter((name) => !(unassign && name === 'assignee'));
    for (const name of cleared) {
      const attribute = CLEARABLE[name];
      // The tool's own field name for the attribute ("parent_issue_id", "description" ...).
      if (fields[attribute as keyof typeof fields] !== undefined) {
        throw new InputError(`clear: "${name}" is also given a value (${attribute}); either set it or clear it, not both.`);
      }
      if (!changed.includes(name)) changed.push(name);
    }
    if (!changed.length && !notes) throw new InputError('Nothing to update: give at least one field to change or notes.');
    if (private_notes && !notes) throw new InputError('private_notes needs notes.');

    const path = `/issues/${pathSegment(issue_id)}.json`;
    const { issue: before } = await ctx.client.get<{ issue: RedmineIssue }>(path, undefined, ctx.signal);
    await ctx.client.assertProjectInScope(ctx.scope, before.project, `Issue #${issue_id}`, ctx.signal);
    if (project) await ctx.client.assertProjectInScope(ctx.scope, project, `Project "${project}"`, ctx.signal);
    if (fields.parent_issue_id !== undefined) await ctx.client.assertIssueInScope(ctx.scope, fields.parent_issue_id, ctx.signal);
    // Removing the parent changes the old parent's derived fields (dates, done ratio) too.
    if (cleared.includes('parent') && before.parent) await ctx.client.assertIssueInScope(ctx.scope, before.parent.id, ctx.signal);

    const fieldPayload = await issuePayload(fields, project ?? before.project.id, before.custom_fields ?? [], ctx);
    const payload = {
      ...fieldPayload,
      project_id: project,
      assigned_to_id: unassign ? '' : fields.assigned_to_id,
      ...Object.fromEntries(cleared.map((name) => [CLEARABLE[name], ''])),
      notes,
      private_notes,
    };
    // A note or files are added again by each PUT Redmine receives; field values are just set again.
    await ctx.client.put(path, { issue: payload }, ctx.signal, {
      adds: Boolean(notes || fields.uploads?.length),
      howToCheck: historyCheck(issue_id),
    });

    // Redmine ignores a change the workflow or the tracker does not allow, without an error: read the issue back
    // and say what each field asked for is now.
    const { issue: after } = await ctx.client.get<{ issue: RedmineIssue }>(path, { include: 'allowed_statuses' }, ctx.signal);
    const names = new Names(ctx, after.project.id);
    names.add('user', after.assigned_to);
    names.add('version', after.fixed_version);
    names.add('category', after.category);
    // A move is checked against the target's id (the input may be an identifier).
    const target = project === undefined ? undefined : (await ctx.client.get<{ project: NamedRef }>(`/projects/${pathSegment(project)}.json`, undefined, ctx.signal)).project.id;
    const outcome = await fieldOutcomes(input, fieldPayload, target, after, names);
    outcome.push(...(await clearedOutcomes(cleared, after, names)));
    const warnings: string[] = [];
    for (const field of outcome.filter((f) => !f.applied)) {
      if (field.field === 'status') {
        const allowed = after.allowed_statuses?.map((st) => st.name).join(', ') || 'none';
        const wanted = await statusName(ctx, fieldPayload.status_id as number);
        warnings.push(`The status was NOT changed to ${wanted} (still ${after.status.name}): the workflow does not allow it for this user. Allowed: ${allowed}.`);
      } else {
        warnings.push(`${field.field} was NOT changed (it is ${field.now}): Redmine did not apply it (the field may be disabled for the tracker or read-only for this user in the workflow).`);
      }
    }
    return { id: issue_id, changed, fields: outcome, note_added: Boolean(notes), warnings, url: ctx.client.webUrl(`/issues/${issue_id}`) };
  },
  render: (out) => {
    const applied = out.fields.filter((f) => f.applied).map((f) => `${f.field} ${f.now}`);
    const summary = [applied.length ? applied.join(', ') : '', out.note_added ? 'note added' : ''].filter(Boolean).join('; ');
    return [done(`Updated issue #${out.id}${summary ? `: ${summary}` : ': nothing changed'}`, out.url), ...out.warnings.map((w) => `Warning: ${w}`)].join('\n');
  },
});

/** Each field asked to be emptied: its value in the issue read back, and whether it is empty now. */
async function clearedOutcomes(cleared: Clearable[], after: RedmineIssue, names: Names): Promise<Array<{ field: string; now: string; applied: boolean }>> {
  const now: Record<Clearable, () => Promise<string | undefined>> = {
    assignee: async () => after.assigned_to && (await named(names, 'user', after.assigned_to)),
    category: async () => after.category && (await named(names, 'category', after.category)),
    version: async () => after.fixed_version && (await named(names, 'version', after.fixed_version)),
    parent: async () => after.parent && `#${after.parent.id}`,
    start_date: async () => after.start_date ?? undefined,
    due_date: async () => after.due_date ?? undefined,
    estimated_hours: async () => (after.estimated_hours == null ? undefined : `${after.estimated_hours} h`),
    description: async () => (after.description ? `${after.description.length} chars` : undefined),
  };
  const out = [];
  for (const name of cleared) {
    const value = await now[name]();
    out.push({ field: name, now: value ?? '(none)', applied: value === undefined });
  }
  return out;
}

/** What an id-valued field is now, by name. */
async function named(names: Names, kind: NamedKind, ref: NamedRef | undefined): Promise<string> {
  return ref ? (ref.name || (await names.name(kind, ref.id))) : '(none)';
}

/**
 * Each field the update asked to change: its value in the issue read back, and whether Redmine took the value
 * asked for (compared by id for references, by value otherwise).
 */
async function fieldOutcomes(
  input: EditableInput & { project?: string; unassign?: boolean },
  payload: Record<string, unknown>,
  targetProject: number | undefined,
  after: RedmineIssue,
  names: Names,
): Promise<Array<{ field: string; now: string; applied: boolean }>> {
  const out: Array<{ field: string; now: string; applied: boolean }> = [];
  const push = (field: string, now: string, applied: boolean) => out.push({ field, now: clip(now, 200, 'see redmine_get_issue'), applied });
  const text = (value: string | null | undefined) => (value ?? '').replace(/\r\n/g, '\n');
  if (input.subject !== undefined) push('subject', after.subject, after.subject === input.subject);
  if (input.description !== undefined) push('description', `${text(after.description).length} chars`, text(after.description) === text(input.description));
  if (input.tracker !== undefined) push('tracker', after.tracker.name, after.tracker.id === payload.tracker_id);
  if (input.status !== undefined) push('status', after.status.name, after.status.id === payload.status_id);
  if (input.priority !== undefined) push('priority', after.priority.name, after.priority.id === payload.priority_id);
  if (input.assigned_to_id !== undefined) push('assignee', await named(names, 'user', after.assigned_to), after.assigned_to?.id === input.assigned_to_id);
  if (input.unassign) push('assignee', await named(names, 'user', after.assigned_to), !after.assigned_to);
  if (input.category_id !== undefined) push('category', await named(names, 'category', after.category), after.category?.id === input.category_id);
  if (input.fixed_version_id !== undefined) push('version', await named(names, 'version', after.fixed_version), after.fixed_version?.id === input.fixed_version_id);
  if (input.parent_issue_id !== undefined) push('parent', after.parent ? `#${after.parent.id}` : '(none)', after.parent?.id === input.parent_issue_id);
  if (input.start_date !== undefined) push('start_date', after.start_date ?? '(none)', after.start_date === input.start_date);
  if (input.due_date !== undefined) push('due_date', after.due_date ?? '(none)', after.due_date === input.due_date);
  if (input.estimated_hours !== undefined) push('estimated_hours', after.estimated_hours == null ? '(none)' : `${after.estimated_hours} h`, after.estimated_hours === input.estimated_hours);
  if (input.done_ratio !== undefined) push('done_ratio', `${after.done_ratio ?? 0}%`, after.done_ratio === input.done_ratio);
  if (input.is_private !== undefined) push('is_private', String(after.is_private === true), (after.is_private === true) === input.is_private);
  for (const cf of (payload.custom_fields as Array<{ id: number; value: string | string[] }> | undefined) ?? []) {
    const now = after.custom_fields?.find((field) => field.id === cf.id);
    const value = now?.value ?? '';
    const shown = Array.isArray(value) ? value.join(', ') : value;
    // An emptied field reads back as "" or [] (or null): all the same to the user.
    const values = (v: string | string[] | null) => JSON.stringify([v ?? []].flat().filter((item) => item !== '').sort());
    const same = values(value) === values(cf.value);
    push(now?.name ?? `custom field #${cf.id}`, shown || '(none)', same);
  }
  if (input.uploads?.length) push('attachments', `${input.uploads.map((u) => u.filename).join(', ')} added`, true);
  if (targetProject !== undefined) push('project', after.project.name, after.project.id === targetProject);
  return out;
}

export const addNote = redmineTool({
  name: 'redmine_add_note',
  title: 'Add a note to a Redmine issue',
  description:
    'Add a comment (note) to an issue\'s history, changing nothing else. To change fields too: redmine_update_issue.',
  inputSchema: z.object({
    issue_id: idSchema(),
    notes: z.string().max(100_000).regex(/\S/, 'must not be blank').describe('Comment text; Textile or Markdown, as configured'),
    private_notes: z.boolean().default(false).describe('Visible only to users allowed to see private notes'),
  }),
  outputSchema: z.object({
    issue_id: z.number(),
    journal_id: z.number().optional().describe('Id of the new note (for redmine_update_journal)'),
    private: z.boolean(),
    url: z.string(),
  }),
  annotations: creates,
  handler: async (input, ctx) => {
    const path = `/issues/${pathSegment(input.issue_id)}.json`;
    const { issue: before } = await ctx.client.get<{ issue: RedmineIssue }>(path, { include: 'journals' }, ctx.signal);
    await ctx.client.assertProjectInScope(ctx.scope, before.project, `Issue #${input.issue_id}`, ctx.signal);
    const lastBefore = Math.max(0, ...(before.journals ?? []).map((j) => j.id));
    await ctx.client.put(path, { issue: { notes: input.notes, private_notes: input.private_notes } }, ctx.signal, {
      adds: true,
      howToCheck: historyCheck(input.issue_id),
    });
    // Redmine answers the PUT without a body: the new note is the journal with this text added since the first read.
    const { issue: after } = await ctx.client.get<{ issue: RedmineIssue }>(path, { include: 'journals' }, ctx.signal);
    const added = (after.journals ?? []).filter((j) => j.id > lastBefore && j.notes);
    // Redmine may normalise line ends; a single new note is this one even if its text differs by that.
    const journal = added.find((j) => j.notes === input.notes) ?? (added.length === 1 ? added[0] : undefined);
    const anchor = journal ? `#change-${journal.id}` : '';
    return { issue_id: input.issue_id, journal_id: journal?.id, private: input.private_notes, url: ctx.client.webUrl(`/issues/${input.issue_id}${anchor}`) };
  },
  render: (out) =>
    done(`Added a ${out.private ? 'private ' : ''}note to issue #${out.issue_id}${out.journal_id ? ` (journal ${out.journal_id})` : ''}`, out.url),
});

export const deleteIssue = redmineTool({
  name: 'redmine_delete_issue',
  title: 'Delete a Redmine issue',
  description:
    'Permanently delete an issue with its history, time entries and files; cannot be undone, prefer closing it.',
  inputSchema: z.object({ issue_id: idSchema() }),
  outputSchema: z.object({ id: z.number(), subject: z.string(), project: z.string(), deleted: z.boolean() }),
  annotations: deletes,
  handler: async (input, ctx) => {
    const path = `/issues/${pathSegment(input.issue_id)}.json`;
    const { issue } = await ctx.client.get<{ issue: RedmineIssue }>(path, undefined, ctx.signal);
    await ctx.client.assertProjectInScope(ctx.scope, issue.project, `Issue #${input.issue_id}`, ctx.signal);
    await ctx.client.delete(path, ctx.signal);
    return { id: issue.id, subject: issue.subject, project: issue.project.name, deleted: true };
  },
  render: (out) => `Deleted issue #${out.id} "${out.subject}" from ${out.project}.`,
});
