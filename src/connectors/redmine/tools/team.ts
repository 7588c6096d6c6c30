// Team objects of a project: memberships (who works on it, in which roles), issue categories, project files and news.
import { z } from 'zod';
import { InputError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { clip } from '../../../core/untrusted.js';
import type { NamedRef } from '../client.js';
import type { RedmineAttachment } from './files.js';
import {
  adds,
  creates,
  deletes,
  idSchema,
  limitSchema,
  MAX_ID,
  offsetSchema,
  projectSchema,
  readOnly,
  redmineTool,
  scopedPage,
  scopeNote,
  scopeNoteOutput,
  updates,
  type RedmineContext,
} from './shared.js';

interface RedmineMembership {
  id: number;
  project: NamedRef;
  user?: NamedRef;
  group?: NamedRef;
  roles: Array<NamedRef & { inherited?: boolean }>;
}

interface RedmineCategory {
  id: number;
  project: NamedRef;
  name: string;
  assigned_to?: NamedRef;
}

const rolesSchema = z.array(z.string().min(1).max(100)).min(1).max(20).describe('Names or ids, e.g. ["Developer"]');
const principalSchema = idSchema('User or group id');

/** Role names or ids as ids; an unknown name is an error that lists the roles. */
async function roleIds(ctx: RedmineContext, roles: readonly string[]): Promise<number[]> {
  const names = roles.filter((role) => !/^\d+$/.test(role));
  const all = names.length ? (await ctx.client.get<{ roles: NamedRef[] }>('/roles.json', undefined, ctx.signal)).roles : [];
  return roles.map((role) => {
    if (/^\d+$/.test(role)) return Number(role);
    const found = all.find((r) => r.name.toLowerCase() === role.toLowerCase());
    if (!found) throw new InputError(`roles: unknown role "${role}". Choose one of: ${all.map((r) => r.name).join(', ')}.`);
    return found.id;
  });
}

/** The membership of a user or group in a project (read from its member list), after the scope check. */
async function findMembership(ctx: RedmineContext, project: string, principalId: number): Promise<RedmineMembership> {
  await ctx.client.assertProjectInScope(ctx.scope, project, `Project "${project}"`, ctx.signal);
  for (let offset = 0; offset < 10_000; offset += 100) {
    const page = await ctx.client.get<{ memberships: RedmineMembership[]; total_count: number }>(
      `/projects/${pathSegment(project)}/memberships.json`,
      { offset, limit: 100 },
      ctx.signal,
    );
    const found = page.memberships.find((m) => (m.user ?? m.group)?.id === principalId);
    if (found) return found;
    if (offset + 100 >= page.total_count) break;
  }
  throw new InputError(`principal_id: user or group #${principalId} is not a member of project "${project}"; redmine_get_project with include ["memberships"] lists its members.`);
}

const membershipOutput = z.object({
  id: z.number(),
  project: z.string(),
  member: z.string(),
  roles: z.array(z.string()),
});

function membershipResult(m: RedmineMembership): z.input<typeof membershipOutput> {
  const member = m.user ?? m.group;
  return { id: m.id, project: m.project.name, member: member ? `${member.name} (#${member.id}${m.group ? ', group' : ''})` : '?', roles: m.roles.map((r) => r.name) };
}

const renderMembership = (verb: string) => (out: z.output<typeof membershipOutput>) => `${verb} ${out.member} in ${out.project}: ${out.roles.join(', ')} (membership #${out.id}).`;

export const addMember = redmineTool({
  name: 'redmine_add_member',
  title: 'Add a member to a Redmine project',
  description: 'Add a user or group to a project with roles.',
  inputSchema: z.object({ project: projectSchema, principal_id: principalSchema, roles: rolesSchema }),
  outputSchema: membershipOutput,
  annotations: adds,
  handler: async (input, ctx) => {
    await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    const role_ids = await roleIds(ctx, input.roles);
    const { membership } = await ctx.client.post<{ membership: RedmineMembership }>(
      `/projects/${pathSegment(input.project)}/memberships.json`,
      { membership: { user_id: input.principal_id, role_ids } },
      ctx.signal,
    );
    return membershipResult(membership);
  },
  render: renderMembership('Added'),
});

export const updateMember = redmineTool({
  name: 'redmine_update_member',
  title: 'Change a Redmine member\'s roles',
  description: 'Replace the roles of a user or group in a project.',
  inputSchema: z.object({ project: projectSchema, principal_id: principalSchema, roles: rolesSchema }),
  outputSchema: membershipOutput,
  annotations: updates,
  handler: async (input, ctx) => {
    const membership = await findMembership(ctx, input.project, input.principal_id);
    const role_ids = await roleIds(ctx, input.roles);
    await ctx.client.put(`/memberships/${pathSegment(membership.id)}.json`, { membership: { role_ids } }, ctx.signal);
    const { membership: now } = await ctx.client.get<{ membership: RedmineMembership }>(`/memberships/${pathSegment(membership.id)}.json`, undefined, ctx.signal);
    return membershipResult(now);
  },
  render: renderMembership('Now'),
});

export const removeMember = redmineTool({
  name: 'redmine_remove_member',
  title: 'Remove a member from a Redmine project',
  description: 'Remove a user or group from a project (its issues and time entries stay).',
  inputSchema: z.object({ project: projectSchema, principal_id: principalSchema }),
  outputSchema: membershipOutput.extend({ removed: z.boolean() }),
  annotations: deletes,
  handler: async (input, ctx) => {
    const membership = await findMembership(ctx, input.project, input.principal_id);
    await ctx.client.delete(`/memberships/${pathSegment(membership.id)}.json`, ctx.signal);
    return { ...membershipResult(membership), removed: true };
  },
  render: (out) => `Removed ${out.member} from ${out.project} (had ${out.roles.join(', ')}).`,
});

// ---------------------------------------------------------------- issue categories

const categoryOutput = z.object({ id: z.number(), project: z.string(), name: z.string(), assigned_to: z.string().optional() });

function categoryResult(c: RedmineCategory): z.input<typeof categoryOutput> {
  return { id: c.id, project: c.project.name, name: c.name, assigned_to: c.assigned_to?.name };
}

const renderCategory = (verb: string) => (out: z.output<typeof categoryOutput>) =>
  `${verb} category #${out.id} "${out.name}" in ${out.project}${out.assigned_to ? `, new issues assigned to ${out.assigned_to}` : ''}.`;

const categoryNameSchema = z.string().max(60).trim().min(1);

/** A category, checked against the scope through its project. */
async function scopedCategory(ctx: RedmineContext, id: number): Promise<RedmineCategory> {
  const { issue_category } = await ctx.client.get<{ issue_category: RedmineCategory }>(`/issue_categories/${pathSegment(id)}.json`, undefined, ctx.signal);
  await ctx.client.assertProjectInScope(ctx.scope, issue_category.project, `Category #${id}`, ctx.signal);
  return issue_category;
}

export const createCategory = redmineTool({
  name: 'redmine_create_category',
  title: 'Create a Redmine issue category',
  description: 'Create an issue category in a project, optionally with a default assignee.',
  inputSchema: z.object({
    project: projectSchema,
    name: categoryNameSchema,
    assigned_to_id: idSchema('Default assignee of its new issues').optional(),
  }),
  outputSchema: categoryOutput,
  annotations: creates,
  handler: async (input, ctx) => {
    await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    const { issue_category } = await ctx.client.post<{ issue_category: RedmineCategory }>(
      `/projects/${pathSegment(input.project)}/issue_categories.json`,
      { issue_category: { name: input.name, assigned_to_id: input.assigned_to_id } },
      ctx.signal,
    );
    return categoryResult(issue_category);
  },
  render: renderCategory('Created'),
});

export const updateCategory = redmineTool({
  name: 'redmine_update_category',
  title: 'Update a Redmine issue category',
  description: 'Rename an issue category or change its default assignee (0 clears it).',
  inputSchema: z.object({
    category_id: idSchema(),
    name: categoryNameSchema.optional(),
    // null means "not given" to the pipeline (clients send unset arguments as null), so 0 is what clears.
    assigned_to_id: z.number().int().min(0).max(MAX_ID).optional(),
  }),
  outputSchema: categoryOutput,
  annotations: updates,
  handler: async (input, ctx) => {
    if (input.name === undefined && input.assigned_to_id === undefined) throw new InputError('Nothing to change: give name and/or assigned_to_id.');
    await scopedCategory(ctx, input.category_id);
    const path = `/issue_categories/${pathSegment(input.category_id)}.json`;
    const assigned = input.assigned_to_id === undefined ? {} : { assigned_to_id: input.assigned_to_id || null };
    await ctx.client.put(path, { issue_category: { name: input.name, ...assigned } }, ctx.signal);
    return categoryResult((await ctx.client.get<{ issue_category: RedmineCategory }>(path, undefined, ctx.signal)).issue_category);
  },
  render: renderCategory('Updated'),
});

export const deleteCategory = redmineTool({
  name: 'redmine_delete_category',
  title: 'Delete a Redmine issue category',
  description: 'Delete an issue category; its issues lose it, or move to reassign_to_id.',
  inputSchema: z.object({
    category_id: idSchema(),
    reassign_to_id: idSchema('Category of the same project for its issues').optional(),
  }),
  outputSchema: categoryOutput.extend({ reassigned_to: z.number().optional(), deleted: z.boolean() }),
  annotations: deletes,
  handler: async (input, ctx) => {
    const category = await scopedCategory(ctx, input.category_id);
    if (input.reassign_to_id !== undefined) {
      const target = await scopedCategory(ctx, input.reassign_to_id);
      if (target.project.id !== category.project.id) {
        throw new InputError(`reassign_to_id: category #${input.reassign_to_id} belongs to ${target.project.name}, not ${category.project.name}; give a category of the same project.`);
      }
    }
    await ctx.client.http.request({
      method: 'DELETE',
      path: `/issue_categories/${pathSegment(input.category_id)}.json`,
      query: { reassign_to_id: input.reassign_to_id },
      signal: ctx.signal,
    });
    return { ...categoryResult(category), reassigned_to: input.reassign_to_id, deleted: true };
  },
  render: (out) => `Deleted category #${out.id} "${out.name}" from ${out.project}${out.reassigned_to ? `; its issues moved to category #${out.reassigned_to}` : ''}.`,
});

// ---------------------------------------------------------------- project files

interface RedmineFile extends RedmineAttachment {
  version?: NamedRef;
  downloads?: number;
}

export const listFiles = redmineTool({
  name: 'redmine_list_files',
  title: 'List a Redmine project\'s files',
  description: 'List the files of a project (Files module); read one with redmine_download_attachment and project.',
  inputSchema: z.object({ project: projectSchema }),
  outputSchema: z.object({
    project: z.string(),
    files: z.array(
      z.object({
        id: z.number(),
        filename: z.string(),
        filesize: z.number(),
        content_type: z.string().optional(),
        description: z.string().optional(),
        version: z.string().optional(),
        author: z.string().optional(),
        created_on: z.string().optional(),
        downloads: z.number().optional(),
      }),
    ),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    const { files } = await ctx.client.get<{ files: RedmineFile[] }>(`/projects/${pathSegment(input.project)}/files.json`, undefined, ctx.signal);
    return {
      project: input.project,
      files: files.map((f) => ({
        id: f.id,
        filename: f.filename,
        filesize: f.filesize,
        content_type: f.content_type || undefined,
        description: f.description ? clip(f.description, 300, 'see the file in Redmine') : undefined,
        version: f.version?.name,
        author: f.author?.name,
        created_on: f.created_on,
        downloads: f.downloads,
      })),
    };
  },
  render: (out) =>
    out.files.length
      ? `Files of ${out.project}:\n${out.files
          .map((f) => `#${f.id} ${f.filename} (${f.filesize} bytes${f.content_type ? `, ${f.content_type}` : ''})${f.version ? ` [${f.version}]` : ''}${f.author ? ` by ${f.author}` : ''}${f.created_on ? ` ${f.created_on.slice(0, 10)}` : ''}${f.description ? `: ${f.description}` : ''}`)
          .join('\n')}`
      : `${out.project} has no files.`,
});

// ---------------------------------------------------------------- news

interface RedmineNews {
  id: number;
  project: NamedRef;
  author?: NamedRef;
  title: string;
  summary?: string | null;
  description?: string | null;
  created_on?: string;
}

export const listNews = redmineTool({
  name: 'redmine_list_news',
  title: 'List Redmine news',
  description: 'List news items, newest first, of one project or all visible ones.',
  inputSchema: z.object({
    project: projectSchema.optional(),
    offset: offsetSchema,
    limit: limitSchema(10),
    max_chars: z.number().int().min(100).max(20_000).default(1000).describe('Per item'),
  }),
  outputSchema: z.object({
    total: z.number(),
    offset: z.number(),
    news: z.array(
      z.object({ id: z.number(), project: z.string(), title: z.string(), author: z.string().optional(), created_on: z.string().optional(), summary: z.string().optional(), text: z.string().optional() }),
    ),
    scope_note: scopeNoteOutput,
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const project = await ctx.client.scopedProject(ctx.scope, input.project, ctx.signal);
    const path = project ? `/projects/${pathSegment(project)}/news.json` : '/news.json';
    const page = await scopedPage(ctx, {
      offset: input.offset,
      limit: input.limit,
      exact: project !== undefined,
      fetch: async (offset, limit) => {
        const body = await ctx.client.get<{ news: RedmineNews[]; total_count: number }>(path, { offset, limit }, ctx.signal);
        return { items: body.news, total: body.total_count };
      },
      projectOf: (n) => n.project,
      narrow: 'name a project.',
    });
    return {
      total: page.total,
      offset: input.offset,
      news: page.items.map((n) => ({
        id: n.id,
        project: n.project.name,
        title: n.title,
        author: n.author?.name,
        created_on: n.created_on,
        summary: n.summary || undefined,
        text: n.description ? clip(n.description, input.max_chars, 'call redmine_list_news again with a larger max_chars') : undefined,
      })),
      scope_note: scopeNote(ctx, page.leftOut, 'News'),
    };
  },
  render: (out) => {
    if (!out.news.length) return `No news${out.offset ? ` after ${out.offset}` : ''}.`;
    const lines = [`News ${out.offset + 1}-${out.offset + out.news.length} of ${out.total}:`];
    for (const n of out.news) {
      lines.push(`#${n.id} ${n.created_on?.slice(0, 10) ?? ''} [${n.project}] ${n.title}${n.author ? ` (${n.author})` : ''}${n.summary ? `: ${n.summary}` : ''}`);
      if (n.text) lines.push(`  ${n.text}`);
    }
    if (out.scope_note) lines.push(out.scope_note);
    return lines.join('\n');
  },
});
