// Projects: the list (limited to the scope) and one project's custom-field schema and work item types.
import { z } from 'zod';
import { pathSegment, type QueryValue } from '../../../core/http.js';
import { clip } from '../../../core/untrusted.js';
import type { YouTrackClient } from '../client.js';
import { InputError } from '../../../core/errors.js';
import { creates, projectSchema, readOnly, skipSchema, topSchema, updates, youtrackTool } from './shared.js';

/**
 * One page of a collection that is filtered here (scope, archived, project) because YouTrack cannot filter it.
 * Reads upstream until `top` items are kept or `maxScan` items were read, so a filter does not produce empty pages;
 * `nextSkip` is an upstream position. The first read asks for top+1, so an unfiltered page costs one request.
 */
export async function collectPage<T>(
  client: YouTrackClient,
  path: string,
  fields: string,
  query: Record<string, QueryValue>,
  page: { skip: number; top: number },
  keep: (item: T) => boolean,
  signal: AbortSignal,
  maxScan = 500,
): Promise<{ items: T[]; nextSkip?: number }> {
  const items: T[] = [];
  let offset = page.skip;
  let size = page.top + 1;
  for (;;) {
    const batch = await client.get<T[]>(path, fields, { ...query, $skip: offset, $top: size }, signal);
    for (const [index, item] of batch.entries()) {
      if (!keep(item)) continue;
      if (items.length === page.top) return { items, nextSkip: offset + index };
      items.push(item);
    }
    if (batch.length < size) return { items };
    offset += batch.length;
    if (offset - page.skip >= maxScan) return { items, nextSkip: offset };
    size = 100;
  }
}

interface YtProjectRow {
  id: string;
  name: string;
  shortName: string;
  description?: string | null;
  archived?: boolean;
  leader?: { login?: string } | null;
}

export const listProjects = youtrackTool({
  name: 'youtrack_list_projects',
  title: 'List YouTrack projects',
  description:
    'List the projects you can use, with their short names; fields and values: youtrack_get_project.',
  inputSchema: z.object({
    include_archived: z.boolean().default(false),
    skip: skipSchema,
    top: topSchema(50),
  }),
  outputSchema: z.object({
    projects: z.array(
      z.object({
        key: z.string(),
        id: z.string(),
        name: z.string(),
        leader: z.string().optional(),
        archived: z.boolean().optional().describe('Absent: YouTrack does not tell this token'),
        description: z.string().optional(),
      }),
    ),
    next_skip: z.number().optional(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const { items, nextSkip } = await collectPage<YtProjectRow>(
      ctx.client,
      '/admin/projects',
      'id,name,shortName,description,archived,leader(login)',
      {},
      input,
      // YouTrack lists archived projects too; they are filtered here. It sends `archived` to administrators only, so
      // for other tokens nothing is known archived and every project is listed without the flag.
      (p) => (input.include_archived || p.archived !== true) && ctx.scope.allows([p.shortName, p.id]),
      ctx.signal,
    );
    return {
      projects: items.map((p) => ({
        key: p.shortName,
        id: p.id,
        name: p.name,
        leader: p.leader?.login,
        archived: p.archived,
        description: p.description ? clip(p.description, 300, 'youtrack_get_project shows all of it') : undefined,
      })),
      next_skip: nextSkip,
    };
  },
  render: (out) => {
    if (!out.projects.length) return 'No projects.';
    const lines = out.projects.map(
      (p) => `${p.key} ${p.name}${p.archived ? ' (archived)' : ''}${p.leader ? ` · lead ${p.leader}` : ''}${p.description ? ` · ${p.description.replace(/\s+/g, ' ')}` : ''}`,
    );
    if (out.projects.some((p) => p.archived === undefined)) lines.push('(YouTrack does not tell this token which projects are archived: archived ones may be listed.)');
    if (out.next_skip !== undefined) lines.push(`(more: skip=${out.next_skip})`);
    return lines.join('\n');
  },
});

const MAX_VALUES = 50;

export const getProject = youtrackTool({
  name: 'youtrack_get_project',
  title: 'Get a YouTrack project',
  description:
    'A project\'s custom fields with their allowed values, and its work item types: check them before writing issues.',
  inputSchema: z.object({
    project: projectSchema,
    max_chars: z.number().int().min(100).max(100_000).default(2000),
  }),
  outputSchema: z.object({
    key: z.string(),
    id: z.string(),
    name: z.string(),
    leader: z.string().optional(),
    archived: z.boolean().optional(),
    description: z.string(),
    fields: z.array(
      z.object({
        name: z.string(),
        type: z.string(),
        value_type: z.string(),
        multiple: z.boolean(),
        can_be_empty: z.boolean(),
        shown_when: z.string().optional(),
        values: z.array(z.string()),
        more_values: z.number().optional(),
      }),
    ),
    work_item_types: z.array(z.string()),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const project = await ctx.client.project(input.project, ctx.signal);
    ctx.client.assertProjectInScope(ctx.scope, project, `Project ${project.shortName}`);
    const [schema, types] = await Promise.all([
      ctx.client.fieldSchema(project.id, ctx.signal),
      ctx.client.get<Array<{ name: string }>>(`/admin/projects/${pathSegment(project.id)}/timeTrackingSettings/workItemTypes`, 'id,name', { $top: 200 }, ctx.signal),
    ]);
    return {
      key: project.shortName,
      id: project.id,
      name: project.name,
      leader: project.leader?.login,
      archived: project.archived,
      description: clip(project.description ?? '', input.max_chars, 'call youtrack_get_project with a larger max_chars'),
      fields: schema.map((f) => ({
        name: f.name,
        type: f.issueType,
        value_type: f.valueType,
        multiple: f.multiple,
        can_be_empty: f.canBeEmpty,
        shown_when: f.shownWhen,
        values: f.values.slice(0, MAX_VALUES),
        more_values: f.values.length > MAX_VALUES ? f.values.length - MAX_VALUES : undefined,
      })),
      work_item_types: types.map((t) => t.name),
    };
  },
  render: (out) => {
    const lines = [`${out.key} ${out.name} (id ${out.id})${out.archived ? ' (archived)' : ''}${out.leader ? ` · lead ${out.leader}` : ''}`];
    if (out.description) lines.push(out.description);
    lines.push('Fields:');
    for (const f of out.fields) {
      const values = f.values.length ? `: ${f.values.join(', ')}${f.more_values ? ` (+${f.more_values} more)` : ''}` : '';
      lines.push(`- ${f.name} [${f.value_type}${f.multiple ? ', multiple' : ''}${f.can_be_empty ? '' : ', required'}${f.shown_when ? `, only when ${f.shown_when}` : ''}]${values}`);
    }
    if (!out.fields.length) lines.push('(none listed: YouTrack lists no fields to a token without a role in the project)');
    if (out.fields.some((f) => f.type === 'StateIssueCustomField')) lines.push('State fields run by a state machine take a transition name (youtrack_update_issue says which exist).');
    lines.push(`Work item types: ${out.work_item_types.join(', ') || 'none'}`);
    return lines.join('\n');
  },
});

const PROJECT_WRITE_FIELDS = 'id,name,shortName,description,archived,leader(login,fullName)';

const writtenProjectOutput = z.object({
  id: z.string(),
  short_name: z.string(),
  name: z.string(),
  description: z.string().optional(),
  archived: z.boolean().optional(),
  leader: z.string().optional(),
  url: z.string(),
  changed: z.array(z.string()),
});

function writtenProject(client: YouTrackClient, p: YtProjectRow & { leader?: { login?: string; fullName?: string } | null }, changed: string[]): z.input<typeof writtenProjectOutput> {
  return {
    id: p.id,
    short_name: p.shortName,
    name: p.name,
    description: p.description ?? undefined,
    archived: p.archived,
    leader: p.leader?.login,
    url: client.webUrl(`/projects/${p.shortName}`),
    changed,
  };
}

export const createProject = youtrackTool({
  name: 'youtrack_create_project',
  title: 'Create a YouTrack project',
  description: 'Create a project led by the token\'s user (needs the Create Project permission).',
  inputSchema: z.object({
    short_name: z.string().min(1).max(50).regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must start with a letter and hold only letters, digits and "_", e.g. "WEB"').describe('Issue key prefix, e.g. "WEB"'),
    name: z.string().max(200).trim().min(1),
    description: z.string().max(10_000).optional(),
  }),
  outputSchema: writtenProjectOutput,
  annotations: creates,
  handler: async (input, ctx) => {
    const shortName = input.short_name.toUpperCase();
    // Under YOUTRACK_PROJECTS a new project must already be named there, or the tools could not use it.
    ctx.client.assertProjectInScope(ctx.scope, { shortName }, `Project ${shortName}`);
    const me = await ctx.client.get<{ id: string }>('/users/me', 'id', undefined, ctx.signal);
    const created = await ctx.client.post<YtProjectRow>(
      '/admin/projects',
      { shortName, name: input.name, description: input.description, leader: { id: me.id } },
      PROJECT_WRITE_FIELDS,
      ctx.signal,
    );
    return writtenProject(ctx.client, created, ['created']);
  },
  render: (out) => `Created project ${out.short_name} "${out.name}" (${out.url}), led by ${out.leader ?? 'you'}.`,
});

export const updateProject = youtrackTool({
  name: 'youtrack_update_project',
  title: 'Update or archive a YouTrack project',
  description: 'Rename a project, change its description, or archive it (archived: true hides it and stops new issues) or restore it.',
  inputSchema: z.object({
    project: projectSchema,
    name: z.string().max(200).trim().min(1).optional(),
    description: z.string().max(10_000).optional(),
    archived: z.boolean().optional(),
  }),
  outputSchema: writtenProjectOutput,
  annotations: updates,
  handler: async (input, ctx) => {
    const changed = (['name', 'description', 'archived'] as const).filter((key) => input[key] !== undefined);
    if (!changed.length) throw new InputError('Nothing to update: give name, description or archived.');
    const project = await ctx.client.project(input.project, ctx.signal);
    ctx.client.assertProjectInScope(ctx.scope, project, `Project ${project.shortName}`);
    const updated = await ctx.client.post<YtProjectRow>(
      `/admin/projects/${pathSegment(project.id)}`,
      { name: input.name, description: input.description, archived: input.archived },
      PROJECT_WRITE_FIELDS,
      ctx.signal,
    );
    ctx.client.forgetProjects();
    return writtenProject(ctx.client, updated, changed);
  },
  render: (out) => `Updated project ${out.short_name} "${out.name}": ${out.changed.join(', ')}${out.archived ? ' (archived)' : ''} (${out.url})`,
});
