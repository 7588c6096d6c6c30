// Who am I, who is there, and what values Redmine accepts: what a model should look up before it writes.
import { z } from 'zod';
import { InputError, UpstreamError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { clip, head } from '../../../core/untrusted.js';
import type { NamedRef, RedmineCustomField } from '../client.js';
import {
  idSchema, keepInScope, limitSchema, offsetSchema, projectSchema, readOnly, redmineTool, scopeNote, scopeNoteOutput, type RedmineContext,
} from './shared.js';

interface RedmineUser {
  id: number;
  login: string;
  firstname: string;
  lastname: string;
  mail?: string;
  admin?: boolean;
  created_on?: string;
  last_login_on?: string;
  memberships?: Array<{ project: { id: number; name: string }; roles: Array<{ id: number; name: string }> }>;
}

export const getCurrentUser = redmineTool({
  name: 'redmine_get_current_user',
  title: 'Get current Redmine user',
  description:
    'The user the API key belongs to ("me"): id, admin flag, project memberships and roles.',
  inputSchema: z.object({}),
  outputSchema: z.object({
    id: z.number(),
    login: z.string(),
    name: z.string(),
    admin: z.boolean(),
    memberships: z.array(z.object({ project: z.string(), project_id: z.number(), roles: z.array(z.string()) })),
    scope_note: scopeNoteOutput,
  }),
  annotations: readOnly,
  handler: async (_input, ctx) => {
    // /users/current.json includes the caller's api_key: only the fields below are kept.
    const { user } = await ctx.client.get<{ user: RedmineUser }>('/users/current.json', { include: 'memberships' }, ctx.signal);
    const { kept: memberships, leftOut } = await keepInScope(ctx, user.memberships ?? [], (m) => m.project);
    return {
      id: user.id,
      login: user.login,
      name: `${user.firstname} ${user.lastname}`.trim(),
      admin: user.admin === true,
      memberships: memberships.map((m) => ({ project: m.project.name, project_id: m.project.id, roles: m.roles.map((r) => r.name) })),
      scope_note: scopeNote(ctx, leftOut, 'Memberships in projects'),
    };
  },
  render: (out) =>
    `${out.name} (${out.login}, id ${out.id})${out.admin ? ', administrator' : ''}\n` +
    out.memberships.map((m) => `- ${m.project} (#${m.project_id}): ${m.roles.join(', ')}`).join('\n') +
    (out.scope_note ? `\n${out.scope_note}` : ''),
});

// ---------------------------------------------------------------- redmine_list_users

const USER_STATUS = { active: '1', registered: '2', locked: '3', all: '' } as const;

export const listUsers = redmineTool({
  name: 'redmine_list_users',
  title: 'List Redmine users',
  description:
    'List user accounts (administrator key only; otherwise redmine_get_project with "memberships").',
  inputSchema: z.object({
    status: z.enum(['active', 'locked', 'registered', 'all']).default('active'),
    name: z.string().max(100).trim().min(1).optional().describe('Part of a login, name or e-mail'),
    group_id: idSchema().optional(),
    offset: offsetSchema,
    limit: limitSchema(25),
  }),
  outputSchema: z.object({
    total_count: z.number(),
    offset: z.number(),
    users: z.array(
      z.object({
        id: z.number(),
        login: z.string(),
        name: z.string(),
        mail: z.string().optional(),
        admin: z.boolean().optional().describe('Present (true) for administrators only'),
        last_login_on: z.string().optional(),
      }),
    ),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    let body: { users: RedmineUser[]; total_count?: number };
    try {
      body = await ctx.client.get(
        '/users.json',
        { status: USER_STATUS[input.status], name: input.name, group_id: input.group_id, offset: input.offset, limit: input.limit },
        ctx.signal,
      );
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 403) {
        throw new UpstreamError(
          "redmine_list_users needs an administrator's API key (Redmine allows /users.json to administrators only); " +
            'use redmine_get_project with include ["memberships"] to see project members instead.',
          'http',
          403,
        );
      }
      throw error;
    }
    return {
      total_count: body.total_count ?? body.users.length,
      offset: input.offset,
      // Only these fields are kept: user records can carry credential-related fields.
      users: body.users.map((user) => ({
        id: user.id,
        login: user.login,
        name: `${user.firstname} ${user.lastname}`.trim(),
        mail: user.mail || undefined,
        admin: user.admin === true ? true : undefined,
        last_login_on: user.last_login_on || undefined,
      })),
    };
  },
  render: (out) => {
    if (!out.users.length) return `No users (total ${out.total_count}).`;
    const end = out.offset + out.users.length;
    const lines = out.users.map(
      (u) => `- #${u.id} ${u.name} (${u.login}${u.mail ? `, ${u.mail}` : ''})${u.admin ? ' administrator' : ''}${u.last_login_on ? `, last login ${u.last_login_on.slice(0, 10)}` : ''}`,
    );
    const more = end < out.total_count ? `\nMore: call again with offset=${end}.` : '';
    return `Users ${out.offset + 1}-${end} of ${out.total_count}:\n${lines.join('\n')}${more}`;
  },
});

// ---------------------------------------------------------------- redmine_lookup

const LOOKUP_KINDS = ['trackers', 'statuses', 'priorities', 'activities', 'custom_fields', 'queries', 'issue_categories', 'roles'] as const;
type LookupKind = (typeof LOOKUP_KINDS)[number];

interface LookupItem {
  id: number;
  name: string;
  extra?: string;
}

const flags = (...parts: Array<string | false | undefined | null>) => parts.filter(Boolean).join(', ') || undefined;

/** A project's own lists (trackers, activities, custom fields) from its include= variants. */
async function projectList(ctx: RedmineContext, project: string, include: string): Promise<NamedRef[]> {
  const { project: body } = await ctx.client.get<{ project: Record<string, unknown> }>(`/projects/${pathSegment(project)}.json`, { include }, ctx.signal);
  return (body[include] as NamedRef[] | undefined) ?? [];
}

function customFieldExtra(field: RedmineCustomField): string | undefined {
  const values = field.possible_values?.map((v) => v.value) ?? [];
  const shown = values.length > 10 ? `${values.slice(0, 10).join(', ')}, … (${values.length} values)` : values.join(', ');
  return flags(
    field.customized_type,
    field.field_format && (shown ? `${field.field_format}: ${shown}` : field.field_format),
    field.is_required && 'required',
    field.multiple && 'multiple',
    field.is_filter && 'is_filter',
  );
}

async function lookupItems(ctx: RedmineContext, kind: LookupKind, project: string | undefined): Promise<{ items: LookupItem[]; note?: string }> {
  switch (kind) {
    case 'trackers': {
      // The global list carries each tracker's default status; a project narrows it to the trackers it uses.
      const all = (await ctx.client.lookup('trackers', ctx.signal)) as Array<NamedRef & { default_status?: NamedRef }>;
      const extra = new Map(all.map((t) => [t.id, t.default_status ? `default status ${t.default_status.name}` : undefined]));
      const list = project ? await projectList(ctx, project, 'trackers') : all;
      return { items: list.map((t) => ({ id: t.id, name: t.name, extra: extra.get(t.id) })) };
    }
    case 'statuses': {
      const all = (await ctx.client.lookup('issue_statuses', ctx.signal)) as Array<NamedRef & { is_closed?: boolean }>;
      return { items: all.map((s) => ({ id: s.id, name: s.name, extra: s.is_closed ? 'closed' : undefined })) };
    }
    case 'priorities': {
      const all = (await ctx.client.lookup('issue_priorities', ctx.signal)) as Array<NamedRef & { is_default?: boolean; active?: boolean }>;
      return { items: all.map((p) => ({ id: p.id, name: p.name, extra: flags(p.is_default && 'default', p.active === false && 'inactive') })) };
    }
    case 'activities': {
      const all = (await ctx.client.lookup('time_entry_activities', ctx.signal)) as Array<NamedRef & { is_default?: boolean; active?: boolean }>;
      const isDefault = new Set(all.filter((a) => a.is_default).map((a) => a.id));
      // A project may override or disable system activities; its list has the ids valid there.
      const list = project ? await projectList(ctx, project, 'time_entry_activities') : all;
      return { items: list.map((a) => ({ id: a.id, name: a.name, extra: isDefault.has(a.id) ? 'default' : undefined })) };
    }
    case 'custom_fields': {
      const definitions = await ctx.client.customFieldDefinitions(ctx.signal);
      if (definitions) return { items: definitions.map((f) => ({ id: f.id, name: f.name, extra: customFieldExtra(f) })) };
      if (!project) {
        throw new UpstreamError(
          'Listing all custom fields needs an administrator\'s API key (/custom_fields.json is admin-only). ' +
            'Give project to list the issue custom fields enabled for that project instead.',
          'http',
          403,
        );
      }
      await ctx.client.assertProjectInScope(ctx.scope, project, `Project "${project}"`, ctx.signal);
      const fields = await ctx.client.projectIssueCustomFields(project, ctx.signal);
      return {
        items: fields.map((f) => ({ id: f.id, name: f.name, extra: 'issue' })),
        note: 'Without an administrator key Redmine gives names and ids only, not formats or allowed values.',
      };
    }
    case 'queries': {
      const queries: Array<NamedRef & { is_public?: boolean; project_id?: number | null }> = [];
      // Paginated (max 100 per page); a few pages cover any realistic number of saved queries.
      for (let offset = 0, page = 0; page < 10; page += 1) {
        const body = await ctx.client.get<{ queries: typeof queries; total_count?: number }>('/queries.json', { offset, limit: 100 }, ctx.signal);
        queries.push(...body.queries);
        offset += body.queries.length;
        if (!body.queries.length || offset >= (body.total_count ?? 0)) break;
      }
      // A query of a project outside the scope is not listed; global ones (no project) are.
      const { kept, leftOut } = await keepInScope(ctx, queries.filter((q) => q.project_id), (q) => q.project_id);
      const visible = queries.filter((q) => !q.project_id || kept.includes(q));
      return {
        items: visible.map((q) => ({ id: q.id, name: q.name, extra: flags(q.project_id ? `project #${q.project_id}` : 'all projects', q.is_public === false && 'private') })),
        note: ['Apply a saved query with redmine_search_issues query_id.', scopeNote(ctx, leftOut, 'Queries of projects')].filter(Boolean).join(' '),
      };
    }
    case 'issue_categories': {
      if (!project) throw new InputError('kind "issue_categories" needs project: categories belong to a project.');
      const { issue_categories } = await ctx.client.get<{ issue_categories: Array<NamedRef & { assigned_to?: NamedRef }> }>(
        `/projects/${pathSegment(project)}/issue_categories.json`,
        undefined,
        ctx.signal,
      );
      return { items: issue_categories.map((c) => ({ id: c.id, name: c.name, extra: c.assigned_to ? `assignee ${c.assigned_to.name}` : undefined })) };
    }
    case 'roles': {
      const { roles } = await ctx.client.get<{ roles: NamedRef[] }>('/roles.json', undefined, ctx.signal);
      return { items: roles.map((r) => ({ id: r.id, name: r.name })) };
    }
  }
}

export const lookup = redmineTool({
  name: 'redmine_lookup',
  title: 'Look up Redmine values',
  description:
    'The ids and names Redmine accepts for a field, before creating or filtering issues and logging time.',
  inputSchema: z.object({
    kind: z.enum(LOOKUP_KINDS),
    project: projectSchema.optional().describe('Needed for issue_categories'),
  }),
  outputSchema: z.object({
    kind: z.string(),
    project: z.string().optional(),
    items: z.array(z.object({ id: z.number(), name: z.string(), extra: z.string().optional() })),
    note: z.string().optional(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    if (input.project) await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    const { items, note } = await lookupItems(ctx, input.kind, input.project);
    return {
      kind: input.kind,
      project: input.project,
      items: items.map((item) => ({ id: item.id, name: item.name, extra: item.extra ? clip(item.extra, 300, 'ask for this field alone') : undefined })),
      note,
    };
  },
  render: (out) => {
    const lines = out.items.map((item) => `- ${item.name} (${item.id})${item.extra ? `: ${item.extra}` : ''}`);
    return `${out.kind}${out.project ? ` in ${out.project}` : ''}:${out.items.length ? `\n${lines.join('\n')}` : ' none'}${out.note ? `\nNote: ${out.note}` : ''}`;
  },
});

// ---------------------------------------------------------------- redmine_search

const SEARCH_TYPES = ['issues', 'wiki_pages', 'news', 'documents', 'changesets', 'messages', 'projects'] as const;

interface RedmineSearchResult {
  id: number;
  title: string;
  type: string;
  url: string;
  description?: string | null;
  datetime?: string;
}

/** Search excerpts are a hint of context, not the text: 200 characters on one line. */
function excerpt(text: string): string {
  return head(text.replace(/\s+/g, ' ').trim(), 200);
}

/** Redmine builds result links from the host the request reached; they are moved onto the configured URL's origin. */
function publicUrl(ctx: RedmineContext, raw: string): string {
  try {
    const url = new URL(raw);
    return new URL(url.pathname + url.search + url.hash, ctx.client.http.baseUrl.origin).toString();
  } catch {
    return raw;
  }
}

export const search = redmineTool({
  name: 'redmine_search',
  title: 'Search Redmine',
  description:
    'Full-text search across issues, wiki, news, documents and more, when you know words but not ids.',
  inputSchema: z.object({
    q: z.string().max(255).trim().min(1),
    project: projectSchema.optional(),
    include_subprojects: z.boolean().default(false),
    types: z.array(z.enum(SEARCH_TYPES)).max(SEARCH_TYPES.length).optional(),
    titles_only: z.boolean().default(false),
    all_words: z.boolean().default(true).describe('false: any word may match'),
    open_issues: z.boolean().default(false),
    offset: offsetSchema,
    limit: limitSchema(25),
  }),
  outputSchema: z.object({
    total_count: z.number(),
    offset: z.number(),
    results: z.array(
      z.object({
        type: z.string(),
        id: z.number(),
        title: z.string(),
        url: z.string(),
        datetime: z.string().optional(),
        description: z.string().optional(),
      }),
    ),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    if (input.include_subprojects && !input.project) throw new InputError('include_subprojects needs project.');
    if (input.include_subprojects && ctx.scope.active) {
      throw new InputError(
        `include_subprojects is not available while Bastion is limited to projects (${ctx.scope.setting}): subprojects may be outside them. Search each allowed project instead.`,
      );
    }
    const project = await ctx.client.scopedProject(ctx.scope, input.project, ctx.signal);
    const types = input.types ?? [];
    if (project && types.length && types.every((type) => type === 'projects')) {
      throw new InputError('types ["projects"] does not work within a project: Redmine searches projects only when no project is given.');
    }
    const query: Record<string, string | number | undefined> = {
      q: input.q,
      scope: input.include_subprojects ? 'subprojects' : undefined,
      // Redmine treats any present all_words value, even "0", as true; an empty value means "any word".
      all_words: input.all_words ? '1' : '',
      titles_only: input.titles_only ? '1' : undefined,
      open_issues: input.open_issues ? '1' : undefined,
      offset: input.offset,
      limit: input.limit,
    };
    for (const type of types) query[type] = '1';
    const path = project ? `/projects/${pathSegment(project)}/search.json` : '/search.json';
    const body = await ctx.client.get<{ results: RedmineSearchResult[]; total_count?: number | null }>(path, query, ctx.signal);
    return {
      total_count: body.total_count ?? 0,
      offset: input.offset,
      results: body.results.map((r) => ({
        type: r.type,
        id: r.id,
        title: r.title,
        url: publicUrl(ctx, r.url),
        datetime: r.datetime,
        description: r.description ? excerpt(r.description) : undefined,
      })),
    };
  },
  render: (out) => {
    if (!out.results.length) return `No matches (total ${out.total_count}).`;
    const end = out.offset + out.results.length;
    const lines = out.results.map((r) => `- [${r.type}] ${r.title} ${r.url}${r.datetime ? ` (${r.datetime.slice(0, 10)})` : ''}${r.description ? `\n  ${r.description}` : ''}`);
    const more = end < out.total_count ? `\nMore: call again with offset=${end}.` : '';
    return `Matches ${out.offset + 1}-${end} of ${out.total_count}:\n${lines.join('\n')}${more}`;
  },
});
