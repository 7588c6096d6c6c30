// Projects and versions: where work lives, and the milestones issues are planned against.
import { z } from 'zod';
import { InputError, UpstreamError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { clip } from '../../../core/untrusted.js';
import type { NamedRef, RedmineCustomField, RedmineProject } from '../client.js';
import {
  creates,
  dateSchema,
  done,
  idSchema,
  limitSchema,
  offsetSchema,
  projectSchema,
  keepInScope,
  readOnly,
  redmineTool,
  ref,
  refOutput,
  scopeNote,
  scopeNoteOutput,
  updates,
  type RedmineContext,
} from './shared.js';

// Redmine's project status codes (5.0): 1 active, 5 closed, 9 archived.
const PROJECT_STATUS: Record<number, 'active' | 'closed' | 'archived'> = { 1: 'active', 5: 'closed', 9: 'archived' };

function projectStatus(code: number | undefined): 'closed' | 'archived' | undefined {
  const status = code === undefined ? undefined : PROJECT_STATUS[code];
  return status === 'active' ? undefined : status;
}

const maxCharsSchema = (defaultChars: number) => z.number().int().min(100).max(100_000).default(defaultChars);

// ---------------------------------------------------------------- redmine_list_projects

const projectListItem = z.object({
  id: z.number(),
  identifier: z.string(),
  name: z.string(),
  status: z.enum(['closed', 'archived']).optional().describe('Absent for active projects'),
  parent: refOutput.optional(),
  description: z.string().optional(),
});

type ProjectListItem = z.input<typeof projectListItem>;

function listItem(project: RedmineProject): ProjectListItem {
  return {
    id: project.id,
    identifier: project.identifier,
    name: project.name,
    status: projectStatus(project.status),
    parent: ref(project.parent),
    description: project.description ? clip(project.description, 200, 'redmine_get_project has the full description') : undefined,
  };
}

/** With a scope, the allowed projects are read one by one: few calls, and the total stays exact. */
async function scopedProjects(ctx: RedmineContext, includeClosed: boolean): Promise<RedmineProject[]> {
  const found = new Map<number, RedmineProject>();
  for (const value of ctx.scope.values) {
    try {
      const { project } = await ctx.client.get<{ project: RedmineProject }>(`/projects/${pathSegment(value)}.json`, undefined, ctx.signal);
      if (ctx.scope.allows([project.id, project.identifier])) found.set(project.id, project);
    } catch (error) {
      // An archived or deleted project answers 403/404; it is simply not listed.
      if (error instanceof UpstreamError && (error.status === 403 || error.status === 404)) continue;
      throw error;
    }
  }
  return [...found.values()]
    .filter((project) => project.status === undefined || project.status === 1 || (includeClosed && project.status === 5))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export const listProjects = redmineTool({
  name: 'redmine_list_projects',
  title: 'List Redmine projects',
  description:
    'List the projects the key can see, to find the project identifier other tools take.',
  inputSchema: z.object({
    include_closed: z.boolean().default(false),
    offset: offsetSchema,
    limit: limitSchema(25),
  }),
  outputSchema: z.object({
    total_count: z.number(),
    offset: z.number(),
    projects: z.array(projectListItem),
    scope_note: scopeNoteOutput,
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    if (ctx.scope.active) {
      const projects = await scopedProjects(ctx, input.include_closed);
      // A parent outside the scope is not named.
      const inScope = (await ctx.client.projectFilter(ctx.scope, ctx.signal))!;
      const page = projects.slice(input.offset, input.offset + input.limit);
      const hidesParent = page.some((project) => project.parent && !inScope(project.parent));
      return {
        total_count: projects.length,
        offset: input.offset,
        projects: page.map((project) => listItem(project.parent && !inScope(project.parent) ? { ...project, parent: undefined } : project)),
        scope_note: scopeNote(ctx, hidesParent, 'Parent projects'),
      };
    }
    const body = await ctx.client.get<{ projects: RedmineProject[]; total_count?: number }>(
      '/projects.json',
      // Redmine's project list takes status as a filter; "1|5" is active or closed.
      { offset: input.offset, limit: input.limit, status: input.include_closed ? '1|5' : '1' },
      ctx.signal,
    );
    return {
      total_count: body.total_count ?? body.projects.length,
      offset: input.offset,
      projects: body.projects.map(listItem),
    };
  },
  render: (out) => {
    if (!out.projects.length) return `No projects (total ${out.total_count}).`;
    const lines = out.projects.map(
      (p) =>
        `- ${p.identifier} (#${p.id}) ${p.name}${p.status ? ` [${p.status}]` : ''}${p.parent ? `, parent ${p.parent.name}` : ''}` +
        (p.description ? `: ${p.description.replace(/\s+/g, ' ')}` : ''),
    );
    const end = out.offset + out.projects.length;
    const more = end < out.total_count ? `\nMore: call again with offset=${end}.` : '';
    return `Projects ${out.offset + 1}-${end} of ${out.total_count}:\n${lines.join('\n')}${more}${out.scope_note ? `\n${out.scope_note}` : ''}`;
  },
});

// ---------------------------------------------------------------- redmine_get_project

const PROJECT_INCLUDES = ['trackers', 'issue_categories', 'enabled_modules', 'time_entry_activities', 'issue_custom_fields', 'memberships'] as const;
const DEFAULT_INCLUDES = PROJECT_INCLUDES.filter((name) => name !== 'memberships');

interface RedmineMembership {
  id: number;
  user?: NamedRef;
  group?: NamedRef;
  roles: Array<NamedRef & { inherited?: boolean }>;
}

const customFieldOutput = z.object({
  id: z.number(),
  name: z.string(),
  format: z.string().optional(),
  required: z.boolean().optional(),
  multiple: z.boolean().optional(),
  possible_values: z.array(z.string()).optional(),
});

/** Field definitions by id, or undefined when the key is not an administrator's. */
async function customFieldDefinitions(ctx: RedmineContext): Promise<Map<number, RedmineCustomField> | undefined> {
  const fields = await ctx.client.customFieldDefinitions(ctx.signal);
  return fields && new Map(fields.map((field) => [field.id, field]));
}

export const getProject = redmineTool({
  name: 'redmine_get_project',
  title: 'Get a Redmine project',
  description:
    'A project\'s trackers, categories, activities, custom fields (for all projects: redmine_lookup) and, on request, members.',
  inputSchema: z.object({
    project: projectSchema,
    include: z
      .array(z.enum(PROJECT_INCLUDES))
      .max(PROJECT_INCLUDES.length)
      .optional()
      .describe(`Added to the sections always shown (${DEFAULT_INCLUDES.join(', ')})`),
    max_chars: maxCharsSchema(2000),
  }),
  outputSchema: z.object({
    id: z.number(),
    identifier: z.string(),
    name: z.string(),
    status: z.enum(['active', 'closed', 'archived']).optional(),
    is_public: z.boolean().optional(),
    parent: refOutput.optional(),
    homepage: z.string().optional(),
    description: z.string().optional(),
    url: z.string(),
    trackers: z.array(refOutput).optional(),
    issue_categories: z.array(refOutput).optional(),
    enabled_modules: z.array(z.string()).optional(),
    time_entry_activities: z.array(refOutput).optional(),
    issue_custom_fields: z.array(customFieldOutput).optional(),
    memberships: z
      .array(z.object({ user: refOutput.optional(), group: refOutput.optional(), roles: z.array(z.string()) }))
      .optional(),
    memberships_total: z.number().optional().describe('Set when there are more members than listed'),
    scope_note: scopeNoteOutput,
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    // Asking for one more section must not take the others away.
    const include = new Set([...DEFAULT_INCLUDES, ...(input.include ?? [])]);
    const projectPath = `/projects/${pathSegment(input.project)}`;
    const projectIncludes = [...include].filter((name) => name !== 'memberships');
    const [{ project }, members, definitions] = await Promise.all([
      ctx.client.get<{ project: RedmineProject & { homepage?: string; issue_custom_fields?: NamedRef[] } }>(
        `${projectPath}.json`,
        projectIncludes.length ? { include: projectIncludes.join(',') } : undefined,
        ctx.signal,
      ),
      include.has('memberships')
        ? ctx.client.get<{ memberships: RedmineMembership[]; total_count?: number }>(`${projectPath}/memberships.json`, { limit: 100 }, ctx.signal)
        : undefined,
      include.has('issue_custom_fields') ? customFieldDefinitions(ctx) : undefined,
    ]);
    const plain = (items: NamedRef[] | undefined) => (items ?? []).map((item) => ({ id: item.id, name: item.name }));
    const inScope = await ctx.client.projectFilter(ctx.scope, ctx.signal);
    // A parent outside the scope is not named.
    const hideParent = Boolean(project.parent && inScope && !inScope(project.parent));
    return {
      id: project.id,
      identifier: project.identifier,
      name: project.name,
      status: project.status === undefined ? undefined : PROJECT_STATUS[project.status],
      is_public: project.is_public,
      parent: hideParent ? undefined : ref(project.parent),
      homepage: project.homepage || undefined,
      description: project.description
        ? clip(project.description, input.max_chars, `call redmine_get_project again with max_chars=${Math.min(100_000, project.description.length)}`)
        : undefined,
      url: ctx.client.webUrl(`/projects/${pathSegment(project.identifier)}`),
      trackers: include.has('trackers') ? plain(project.trackers) : undefined,
      issue_categories: include.has('issue_categories') ? plain(project.issue_categories) : undefined,
      enabled_modules: include.has('enabled_modules') ? (project.enabled_modules ?? []).map((m) => m.name) : undefined,
      time_entry_activities: include.has('time_entry_activities') ? plain(project.time_entry_activities) : undefined,
      issue_custom_fields: include.has('issue_custom_fields')
        ? (project.issue_custom_fields ?? []).map((field) => {
            const definition = definitions?.get(field.id);
            return {
              id: field.id,
              name: field.name,
              format: definition?.field_format,
              required: definition?.is_required,
              multiple: definition?.multiple,
              possible_values: definition?.possible_values?.length ? definition.possible_values.map((v) => v.value) : undefined,
            };
          })
        : undefined,
      memberships: members?.memberships.map((m) => ({ user: ref(m.user), group: ref(m.group), roles: m.roles.map((r) => r.name) })),
      memberships_total:
        members && (members.total_count ?? 0) > members.memberships.length ? members.total_count : undefined,
      scope_note: scopeNote(ctx, hideParent, 'The parent project'),
    };
  },
  render: (out) => {
    const lines = [
      `${out.name} (${out.identifier}, #${out.id})${out.status && out.status !== 'active' ? ` [${out.status}]` : ''}${out.parent ? `, parent ${out.parent.name}` : ''} ${out.url}`,
    ];
    if (out.scope_note) lines.push(out.scope_note);
    if (out.description) lines.push(`Description: ${out.description}`);
    const names = (items: Array<{ id: number; name: string }>) => items.map((item) => `${item.name} (${item.id})`).join(', ') || 'none';
    if (out.trackers) lines.push(`Trackers: ${names(out.trackers)}`);
    if (out.issue_categories) lines.push(`Categories: ${names(out.issue_categories)}`);
    if (out.time_entry_activities) lines.push(`Activities: ${names(out.time_entry_activities)}`);
    if (out.enabled_modules) lines.push(`Modules: ${out.enabled_modules.join(', ') || 'none'}`);
    if (out.issue_custom_fields) {
      lines.push(
        `Issue custom fields: ${
          out.issue_custom_fields
            .map((f) => `${f.name} (${f.id}${f.format ? `, ${f.format}` : ''}${f.required ? ', required' : ''}${f.multiple ? ', multiple' : ''}${f.possible_values ? `: ${f.possible_values.join(' | ')}` : ''})`)
            .join('; ') || 'none enabled for this project specifically (Redmine does not list fields enabled for all projects here)'
        }`,
      );
    }
    if (out.memberships) {
      lines.push(`Members${out.memberships_total ? ` (first ${out.memberships.length} of ${out.memberships_total})` : ''}:`);
      for (const m of out.memberships) {
        const who = m.user ? `${m.user.name} (user ${m.user.id})` : m.group ? `${m.group.name} (group ${m.group.id})` : '?';
        lines.push(`- ${who}: ${m.roles.join(', ')}`);
      }
    }
    return lines.join('\n');
  },
});

// ---------------------------------------------------------------- versions

const VERSION_STATUSES = ['open', 'locked', 'closed'] as const;
const VERSION_SHARINGS = ['none', 'descendants', 'hierarchy', 'tree', 'system'] as const;

export interface RedmineVersion {
  id: number;
  project?: NamedRef;
  name: string;
  description?: string | null;
  status: string;
  due_date?: string | null;
  sharing: string;
  wiki_page_title?: string | null;
}

const versionNameSchema = z.string().max(60).trim().min(1);
const versionFields = {
  status: z.enum(VERSION_STATUSES).describe('locked: no new issues can target it'),
  due_date: dateSchema,
  sharing: z.enum(VERSION_SHARINGS).describe('Who may use it; system: all projects'),
  description: z.string().max(255),
  wiki_page_title: z.string().max(255),
};

export const listVersions = redmineTool({
  name: 'redmine_list_versions',
  title: 'List versions of a Redmine project',
  description:
    'List the versions (milestones) a project can use, shared ones included: the ids issues target.',
  inputSchema: z.object({ project: projectSchema }),
  outputSchema: z.object({
    total_count: z.number(),
    versions: z.array(
      z.object({
        id: z.number(),
        name: z.string(),
        status: z.string(),
        due_date: z.string().optional(),
        sharing: z.string(),
        project: refOutput.optional().describe('Set when the version is shared from another project'),
        description: z.string().optional(),
      }),
    ),
    scope_note: scopeNoteOutput,
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    const [{ versions }, owner] = await Promise.all([
      ctx.client.get<{ versions: RedmineVersion[] }>(`/projects/${pathSegment(input.project)}/versions.json`, undefined, ctx.signal),
      ctx.client.get<{ project: RedmineProject }>(`/projects/${pathSegment(input.project)}.json`, undefined, ctx.signal),
    ]);
    // Versions shared from projects outside the scope are left out.
    const { kept, leftOut } = await keepInScope(ctx, versions, (v) => v.project ?? owner.project);
    return {
      total_count: kept.length,
      scope_note: scopeNote(ctx, leftOut, 'Versions shared from projects'),
      versions: kept.map((v) => ({
        id: v.id,
        name: v.name,
        status: v.status,
        due_date: v.due_date ?? undefined,
        sharing: v.sharing,
        project: v.project && v.project.id !== owner.project.id ? ref(v.project) : undefined,
        description: v.description ? clip(v.description, 200, 'the description is at most 255 characters in Redmine') : undefined,
      })),
    };
  },
  render: (out) =>
    (out.versions.length
      ? out.versions
          .map(
            (v) =>
              `- #${v.id} ${v.name} [${v.status}]${v.due_date ? ` due ${v.due_date}` : ''}, sharing ${v.sharing}` +
              `${v.project ? `, from ${v.project.name}` : ''}${v.description ? `: ${v.description}` : ''}`,
          )
          .join('\n')
      : 'No versions.') + (out.scope_note ? `\n${out.scope_note}` : ''),
});

export const createVersion = redmineTool({
  name: 'redmine_create_version',
  title: 'Create a Redmine version',
  description:
    'Create a version (milestone, release) that issues can target; names are unique per project.',
  inputSchema: z.object({
    project: projectSchema,
    name: versionNameSchema,
    status: versionFields.status.optional(),
    due_date: versionFields.due_date.optional(),
    sharing: versionFields.sharing.optional(),
    description: versionFields.description.optional(),
    wiki_page_title: versionFields.wiki_page_title.optional(),
  }),
  outputSchema: z.object({
    id: z.number(),
    name: z.string(),
    project: z.string(),
    status: z.string(),
    due_date: z.string().optional(),
    sharing: z.string(),
    url: z.string(),
  }),
  annotations: creates,
  handler: async (input, ctx) => {
    await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    const { version } = await ctx.client.post<{ version: RedmineVersion }>(
      `/projects/${pathSegment(input.project)}/versions.json`,
      {
        version: {
          name: input.name,
          status: input.status,
          due_date: input.due_date,
          sharing: input.sharing,
          description: input.description,
          wiki_page_title: input.wiki_page_title,
        },
      },
      ctx.signal,
    );
    return {
      id: version.id,
      name: version.name,
      project: version.project?.name ?? input.project,
      status: version.status,
      due_date: version.due_date ?? undefined,
      sharing: version.sharing,
      url: ctx.client.webUrl(`/versions/${version.id}`),
    };
  },
  render: (out) =>
    done(`Created version #${out.id} ${out.name} in ${out.project} [${out.status}${out.due_date ? `, due ${out.due_date}` : ''}, sharing ${out.sharing}]`, out.url),
});

const VERSION_UPDATE_FIELDS = ['name', 'status', 'due_date', 'sharing', 'description', 'wiki_page_title'] as const;

export const updateVersion = redmineTool({
  name: 'redmine_update_version',
  title: 'Update a Redmine version',
  description:
    'Change a version, e.g. close it or move its due date; fields left out stay as they are.',
  inputSchema: z.object({
    version_id: idSchema(),
    name: versionNameSchema.optional(),
    status: versionFields.status.optional(),
    due_date: versionFields.due_date.optional(),
    sharing: versionFields.sharing.optional(),
    description: versionFields.description.optional(),
    wiki_page_title: versionFields.wiki_page_title.optional(),
  }),
  outputSchema: z.object({
    id: z.number(),
    name: z.string(),
    project: z.string().optional(),
    changes: z.array(z.object({ field: z.string(), from: z.string().optional(), to: z.string() })),
    url: z.string(),
  }),
  annotations: updates,
  handler: async (input, ctx) => {
    const given = VERSION_UPDATE_FIELDS.filter((field) => input[field] !== undefined);
    if (!given.length) throw new InputError(`Nothing to change: give at least one of ${VERSION_UPDATE_FIELDS.join(', ')}.`);
    const path = `/versions/${pathSegment(input.version_id)}.json`;
    const { version } = await ctx.client.get<{ version: RedmineVersion }>(path, undefined, ctx.signal);
    if (ctx.scope.active) {
      if (!version.project) throw new InputError(`Version #${input.version_id} has no project Bastion can check against REDMINE_PROJECTS.`);
      await ctx.client.assertProjectInScope(ctx.scope, version.project, `Version #${input.version_id} (project ${version.project.name})`, ctx.signal);
    }
    const fields: Record<string, string> = {};
    for (const field of given) fields[field] = input[field] as string;
    await ctx.client.put(path, { version: fields }, ctx.signal);
    const before = version as unknown as Record<string, string | null | undefined>;
    return {
      id: version.id,
      name: input.name ?? version.name,
      project: version.project?.name,
      changes: given
        .filter((field) => (before[field] ?? '') !== fields[field])
        .map((field) => ({ field, from: before[field] || undefined, to: fields[field] ?? '' })),
      url: ctx.client.webUrl(`/versions/${version.id}`),
    };
  },
  render: (out) => {
    const changes = out.changes.map((c) => `${c.field} ${c.from ? `"${c.from}"` : '(empty)'} → "${c.to}"`).join(', ');
    return done(`Updated version #${out.id} ${out.name}${out.project ? ` in ${out.project}` : ''}: ${changes || 'no field differed from its current value'}`, out.url);
  },
});
