// Managing projects themselves: create, change, archive, unarchive, delete. Mostly administrator work in Redmine.
import { z } from 'zod';
import { InputError, PolicyError, UpstreamError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import type { NamedRef, RedmineProject } from '../client.js';
import { creates, deletes, done, idSchema, projectSchema, readOnly, redmineTool, ref, refOutput, updates, type RedmineContext } from './shared.js';
import type { RedmineVersion } from './projects.js';

// Redmine 5.0's project modules.
const MODULES = ['issue_tracking', 'time_tracking', 'news', 'documents', 'files', 'wiki', 'repository', 'boards', 'calendar', 'gantt'] as const;

/** Redmine's identifier rule: 1-100 lowercase letters, digits, - and _, starting with a letter (not all digits). */
const identifierSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z][a-z0-9_-]*$/, 'must start with a lowercase letter and hold only lowercase letters, digits, - and _ (e.g. "team-web")');

const projectFields = {
  name: z.string().max(255).trim().min(1),
  description: z.string().max(65_535),
  homepage: z.string().max(255),
  is_public: z.boolean(),
  parent: projectSchema.describe('Parent project identifier or id'),
  inherit_members: z.boolean(),
  enabled_modules: z.array(z.enum(MODULES)).max(MODULES.length).describe('Replaces the enabled modules'),
  tracker_ids: z.array(idSchema()).max(50).describe('Replaces the trackers (ids: redmine_lookup)'),
};

type ProjectFields = { [K in keyof typeof projectFields]?: z.output<(typeof projectFields)[K]> };

type FullProject = RedmineProject & { homepage?: string; inherit_members?: boolean };

/** The project as Redmine has it, with the sections an update can change. */
async function readProject(ctx: RedmineContext, project: string | number): Promise<FullProject> {
  return (
    await ctx.client.get<{ project: FullProject }>(`/projects/${pathSegment(project)}.json`, { include: 'trackers,enabled_modules' }, ctx.signal)
  ).project;
}

/** Tool fields → Redmine's project attributes; the parent is resolved to its id (Redmine takes only ids there). */
async function projectPayload(ctx: RedmineContext, input: ProjectFields): Promise<Record<string, unknown>> {
  const parent = input.parent === undefined ? undefined : (await readProject(ctx, input.parent)).id;
  return {
    name: input.name,
    description: input.description,
    homepage: input.homepage,
    is_public: input.is_public,
    parent_id: parent,
    inherit_members: input.inherit_members,
    enabled_module_names: input.enabled_modules,
    tracker_ids: input.tracker_ids,
  };
}

/**
 * Archiving or deleting a project does the same to all its subprojects. Under a scope each of them must be allowed
 * too, or the change would reach projects outside it: they are found among the visible projects.
 */
async function assertSubprojectsInScope(ctx: RedmineContext, project: FullProject, action: string): Promise<void> {
  if (!ctx.scope.active) return;
  const inScope = (await ctx.client.projectFilter(ctx.scope, ctx.signal))!;
  const all: RedmineProject[] = [];
  for (let offset = 0; offset < 2000; offset += 100) {
    const page = await ctx.client.get<{ projects: RedmineProject[]; total_count?: number }>('/projects.json', { offset, limit: 100, status: '1|5' }, ctx.signal);
    all.push(...page.projects);
    if (page.projects.length < 100 || offset + 100 >= (page.total_count ?? 0)) break;
  }
  const below = new Set([project.id]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const candidate of all) {
      if (candidate.parent && below.has(candidate.parent.id) && !below.has(candidate.id)) grew = Boolean(below.add(candidate.id));
    }
  }
  below.delete(project.id);
  if ([...below].some((id) => !inScope(id))) {
    throw new PolicyError(
      `Project "${project.identifier}" has subprojects outside the allowed projects (${ctx.scope.setting}); ${action} it would ${action === 'deleting' ? 'delete' : 'archive'} them too, so nothing was done.`,
    );
  }
}

const projectResult = z.object({ id: z.number(), identifier: z.string(), name: z.string(), parent: refOutput.optional(), url: z.string() });

// ---------------------------------------------------------------- redmine_create_project

export const createProject = redmineTool({
  name: 'redmine_create_project',
  title: 'Create a Redmine project',
  description: 'Create a project or subproject (parent). Needs the right to add projects (administrators, or subprojects).',
  inputSchema: z.object({
    ...projectFields,
    identifier: identifierSchema,
  }).partial({
    description: true, homepage: true, is_public: true, parent: true, inherit_members: true, enabled_modules: true, tracker_ids: true,
  }),
  outputSchema: projectResult,
  annotations: creates,
  handler: async (input, ctx) => {
    if (ctx.scope.active) {
      if (input.parent === undefined) {
        throw new PolicyError(`Only subprojects of the allowed projects can be created (${ctx.scope.setting}=${ctx.scope.values.join(',')}): give one of them as parent.`);
      }
      await ctx.client.assertProjectInScope(ctx.scope, input.parent, `Parent project "${input.parent}"`, ctx.signal);
    }
    const payload = { identifier: input.identifier, ...(await projectPayload(ctx, input)) };
    const { project } = await ctx.client.post<{ project: FullProject }>('/projects.json', { project: payload }, ctx.signal);
    return {
      id: project.id,
      identifier: project.identifier,
      name: project.name,
      parent: ref(project.parent),
      url: ctx.client.webUrl(`/projects/${pathSegment(project.identifier)}`),
    };
  },
  render: (out) => done(`Created project ${out.identifier} (#${out.id}) ${out.name}${out.parent ? `, under ${out.parent.name}` : ''}`, out.url),
});

// ---------------------------------------------------------------- redmine_update_project

const UPDATE_FIELDS = ['name', 'description', 'homepage', 'is_public', 'parent', 'inherit_members', 'enabled_modules', 'tracker_ids'] as const;

/** A field's value for the change list: text, or names joined. */
function shown(project: FullProject, field: (typeof UPDATE_FIELDS)[number]): string {
  switch (field) {
    case 'parent':
      return project.parent ? project.parent.name : '(none)';
    case 'enabled_modules':
      return (project.enabled_modules ?? []).map((m) => m.name).sort().join(', ');
    case 'tracker_ids':
      return (project.trackers ?? []).map((t: NamedRef) => `${t.name} (${t.id})`).join(', ');
    case 'description':
      return `${(project.description ?? '').length} chars`;
    default: {
      const value = (project as unknown as Record<string, unknown>)[field];
      return value === undefined || value === null || value === '' ? '(none)' : String(value);
    }
  }
}

export const updateProject = redmineTool({
  name: 'redmine_update_project',
  title: 'Update a Redmine project',
  description: 'Change a project\'s name, description, visibility, parent, modules or trackers; fields left out stay.',
  inputSchema: z.object({ project: projectSchema, ...projectFields }).partial({
    name: true, description: true, homepage: true, is_public: true, parent: true, inherit_members: true, enabled_modules: true, tracker_ids: true,
  }),
  outputSchema: z.object({
    id: z.number(),
    identifier: z.string(),
    changes: z.array(z.object({ field: z.string(), from: z.string(), to: z.string() })),
    url: z.string(),
  }),
  annotations: updates,
  handler: async (input, ctx) => {
    const given = UPDATE_FIELDS.filter((field) => input[field] !== undefined);
    if (!given.length) throw new InputError(`Nothing to change: give at least one of ${UPDATE_FIELDS.join(', ')}.`);
    await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    if (input.parent !== undefined) await ctx.client.assertProjectInScope(ctx.scope, input.parent, `Parent project "${input.parent}"`, ctx.signal);
    const before = await readProject(ctx, input.project);
    await ctx.client.put(`/projects/${pathSegment(before.id)}.json`, { project: await projectPayload(ctx, input) }, ctx.signal);
    const after = await readProject(ctx, before.id);
    return {
      id: after.id,
      identifier: after.identifier,
      changes: given.map((field) => ({ field, from: shown(before, field), to: shown(after, field) })).filter((c) => c.from !== c.to),
      url: ctx.client.webUrl(`/projects/${pathSegment(after.identifier)}`),
    };
  },
  render: (out) =>
    done(`Updated project ${out.identifier}: ${out.changes.map((c) => `${c.field} ${c.from} → ${c.to}`).join('; ') || 'no field differed from its current value'}`, out.url),
});

// ---------------------------------------------------------------- archive / unarchive / delete

const stateResult = z.object({ id: z.number().optional(), identifier: z.string(), name: z.string().optional(), status: z.enum(['active', 'closed', 'archived', 'deleted']) });

export const archiveProject = redmineTool({
  name: 'redmine_archive_project',
  title: 'Archive a Redmine project',
  description: 'Archive a project and its subprojects: hidden and read-only until unarchived. Administrators only.',
  inputSchema: z.object({ project: projectSchema }),
  outputSchema: stateResult,
  annotations: updates,
  handler: async (input, ctx) => {
    await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    const project = await readProject(ctx, input.project);
    await assertSubprojectsInScope(ctx, project, 'archiving');
    try {
      await ctx.client.put(`/projects/${pathSegment(project.id)}/archive.json`, {}, ctx.signal);
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 422) {
        throw new UpstreamError(
          `Redmine did not archive "${project.identifier}": issues of other projects target one of its versions (${error.details.join('; ') || 'no details'}). ` +
            'Move those issues to another version first.',
          'http',
          422,
          error.details,
        );
      }
      throw error;
    }
    return { id: project.id, identifier: project.identifier, name: project.name, status: 'archived' as const };
  },
  render: (out) => `Archived project ${out.identifier} (#${out.id}) ${out.name} and its subprojects; redmine_unarchive_project brings them back.`,
});

export const unarchiveProject = redmineTool({
  name: 'redmine_unarchive_project',
  title: 'Unarchive a Redmine project',
  description: 'Make an archived project (and its archived parents) usable again. Administrators only.',
  inputSchema: z.object({ project: projectSchema }),
  outputSchema: stateResult,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: async (input, ctx) => {
    // An archived project cannot be read (404), so under a scope it must be named as REDMINE_PROJECTS names it.
    if (ctx.scope.active && !ctx.scope.allows([input.project])) {
      await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal).catch((error: unknown) => {
        if (error instanceof UpstreamError && error.status === 403) {
          throw new PolicyError(`Project "${input.project}" cannot be checked against ${ctx.scope.setting} while archived: name it exactly as ${ctx.scope.setting} does.`);
        }
        throw error;
      });
    }
    try {
      await ctx.client.put(`/projects/${pathSegment(input.project)}/unarchive.json`, {}, ctx.signal);
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 404) {
        throw new InputError(`Project "${input.project}" does not exist: give an archived project's identifier or id.`);
      }
      throw error;
    }
    const project = await readProject(ctx, input.project);
    return { id: project.id, identifier: project.identifier, name: project.name, status: project.status === 5 ? ('closed' as const) : ('active' as const) };
  },
  render: (out) => `Project ${out.identifier} (#${out.id}) ${out.name} is ${out.status} again.`,
});

export const deleteProject = redmineTool({
  name: 'redmine_delete_project',
  title: 'Delete a Redmine project',
  description: 'Permanently delete a project with its subprojects, issues, wiki and files; cannot be undone, prefer archiving.',
  inputSchema: z.object({ project: projectSchema }),
  outputSchema: stateResult,
  annotations: deletes,
  handler: async (input, ctx) => {
    await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    const project = await readProject(ctx, input.project);
    await assertSubprojectsInScope(ctx, project, 'deleting');
    await ctx.client.delete(`/projects/${pathSegment(project.id)}.json`, ctx.signal);
    return { id: project.id, identifier: project.identifier, name: project.name, status: 'deleted' as const };
  },
  render: (out) => `Deleted project ${out.identifier} (#${out.id}) ${out.name} with everything in it.`,
});

// ---------------------------------------------------------------- versions: one by id, delete

interface RedmineVersionDetails extends RedmineVersion {
  estimated_hours?: number | null;
  spent_hours?: number | null;
  created_on?: string;
  updated_on?: string;
}

/** A version, after checking its project against the scope (a version id names no project). */
async function readVersion(ctx: RedmineContext, id: number): Promise<RedmineVersionDetails> {
  const { version } = await ctx.client.get<{ version: RedmineVersionDetails }>(`/versions/${pathSegment(id)}.json`, undefined, ctx.signal);
  if (ctx.scope.active) {
    if (!version.project) throw new PolicyError(`Version #${id} has no project Bastion can check against ${ctx.scope.setting}.`);
    await ctx.client.assertProjectInScope(ctx.scope, version.project, `Version #${id}`, ctx.signal);
  }
  return version;
}

export const getVersion = redmineTool({
  name: 'redmine_get_version',
  title: 'Get a Redmine version',
  description: 'One version by id: status, due date, sharing, description, estimated and spent hours.',
  inputSchema: z.object({ version_id: idSchema() }),
  outputSchema: z.object({
    id: z.number(),
    name: z.string(),
    project: refOutput.optional(),
    status: z.string(),
    due_date: z.string().optional(),
    sharing: z.string(),
    description: z.string().optional(),
    wiki_page_title: z.string().optional(),
    estimated_hours: z.number().optional(),
    spent_hours: z.number().optional(),
    updated_on: z.string().optional(),
    url: z.string(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const version = await readVersion(ctx, input.version_id);
    return {
      id: version.id,
      name: version.name,
      project: ref(version.project),
      status: version.status,
      due_date: version.due_date ?? undefined,
      sharing: version.sharing,
      description: version.description || undefined,
      wiki_page_title: version.wiki_page_title || undefined,
      estimated_hours: version.estimated_hours ?? undefined,
      spent_hours: version.spent_hours ?? undefined,
      updated_on: version.updated_on,
      url: ctx.client.webUrl(`/versions/${version.id}`),
    };
  },
  render: (out) =>
    [
      `Version #${out.id} ${out.name}${out.project ? ` of ${out.project.name}` : ''} [${out.status}]${out.due_date ? `, due ${out.due_date}` : ''}, sharing ${out.sharing} ${out.url}`,
      out.estimated_hours !== undefined || out.spent_hours !== undefined ? `Estimated ${out.estimated_hours ?? 0} h, spent ${out.spent_hours ?? 0} h` : '',
      out.wiki_page_title ? `Wiki page: ${out.wiki_page_title}` : '',
      out.description ? `Description: ${out.description}` : '',
    ].filter(Boolean).join('\n'),
});

export const deleteVersion = redmineTool({
  name: 'redmine_delete_version',
  title: 'Delete a Redmine version',
  description: 'Delete a version no issue targets any more (else Redmine refuses: move or clear them first).',
  inputSchema: z.object({ version_id: idSchema() }),
  outputSchema: z.object({ id: z.number(), name: z.string(), project: z.string().optional(), deleted: z.boolean() }),
  annotations: deletes,
  handler: async (input, ctx) => {
    const version = await readVersion(ctx, input.version_id);
    try {
      await ctx.client.delete(`/versions/${pathSegment(version.id)}.json`, ctx.signal);
    } catch (error) {
      // Redmine answers 422 without a body when issues still target the version.
      if (error instanceof UpstreamError && error.status === 422) {
        throw new UpstreamError(
          `Redmine did not delete version #${version.id} ${version.name}: issues still target it. ` +
            `Find them with redmine_search_issues (version_id=${version.id}, status "all") and move them to another version, or remove it with redmine_update_issue clear ["version"].`,
          'http',
          422,
        );
      }
      throw error;
    }
    return { id: version.id, name: version.name, project: version.project?.name, deleted: true };
  },
  render: (out) => `Deleted version #${out.id} ${out.name}${out.project ? ` from ${out.project}` : ''}.`,
});
