// Time tracking: reading, logging, correcting and removing spent time.
import { z } from 'zod';
import { InputError, UpstreamError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { parseHours } from '../../../core/time.js';
import { clip } from '../../../core/untrusted.js';
import type { NamedRef } from '../client.js';
import {
  creates,
  dateSchema,
  deletes,
  done,
  idSchema,
  limitSchema,
  nameOrIdSchema,
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

interface RedmineTimeEntry {
  id: number;
  project: NamedRef;
  issue?: { id: number };
  user?: NamedRef;
  activity?: NamedRef;
  hours: number;
  comments?: string | null;
  spent_on: string;
}

const hoursSchema = z.number().gt(0).max(24).multipleOf(0.01).describe('Decimal, e.g. 1.5 = 1 h 30 min; "1h30", "1:30" and "90m" are read too');
/** Hours as models write them ("1h30", "1:30", "90m", "1.5"), for ToolDefinition.coerce. */
const hoursCoercion = { hours: (value: unknown) => (typeof value === 'string' ? parseHours(value) ?? value : value) };
const commentsSchema = z.string().max(1024);
const activitySchema = nameOrIdSchema('Development');

const isId = (value: string) => /^\d+$/.test(value);

const entryUrl = (ctx: RedmineContext, id: number) => ctx.client.webUrl(`/time_entries/${id}/edit`);

interface ProjectActivities {
  id: number;
  name: string;
  time_entry_activities?: NamedRef[];
}

/** A project's id and its own activity list: a project can override a system activity with its own id. */
async function projectActivities(ctx: RedmineContext, project: string | number): Promise<ProjectActivities> {
  const { project: body } = await ctx.client.get<{ project: ProjectActivities }>(
    `/projects/${pathSegment(project)}.json`,
    { include: 'time_entry_activities' },
    ctx.signal,
  );
  return body;
}

/**
 * Activity name → id, against the project's list; Redmine rejects a system activity's id in a project
 * that overrides it ("Activity is not included in the list").
 */
async function resolveActivity(ctx: RedmineContext, value: string, project: string | number | ProjectActivities): Promise<NamedRef> {
  const body = typeof project === 'object' ? project : await projectActivities(ctx, project);
  const activities = body.time_entry_activities ?? [];
  const found = isId(value)
    ? activities.find((activity) => activity.id === Number(value))
    : activities.find((activity) => activity.name.toLowerCase() === value.toLowerCase());
  if (!found) {
    throw new InputError(
      activities.length
        ? `Unknown activity "${value}" for project ${body.name}. Choose one of: ${activities.map((a) => a.name).join(', ')}.`
        : `Project ${body.name} has no active time-entry activities; an administrator must enable one before time can be logged.`,
    );
  }
  return { id: found.id, name: found.name };
}

/** Reads a time entry and checks its project against the scope (before any change to it). */
async function readEntryInScope(ctx: RedmineContext, id: number): Promise<RedmineTimeEntry> {
  const { time_entry } = await ctx.client.get<{ time_entry: RedmineTimeEntry }>(`/time_entries/${pathSegment(id)}.json`, undefined, ctx.signal);
  await ctx.client.assertProjectInScope(ctx.scope, time_entry.project, `Time entry #${id} (project ${time_entry.project.name})`, ctx.signal);
  return time_entry;
}

/** Reads an issue's project and checks it against the scope. */
async function issueProject(ctx: RedmineContext, issueId: number): Promise<NamedRef> {
  const { issue } = await ctx.client.get<{ issue: { project: NamedRef } }>(`/issues/${pathSegment(issueId)}.json`, undefined, ctx.signal);
  await ctx.client.assertProjectInScope(ctx.scope, issue.project, `Issue #${issueId}`, ctx.signal);
  return issue.project;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

// ---------------------------------------------------------------- redmine_list_time_entries

const TIME_SORTS = ['spent_on:desc', 'spent_on', 'created_on:desc', 'created_on', 'hours:desc', 'hours'] as const;

const entryOutput = z.object({
  id: z.number(),
  spent_on: z.string(),
  hours: z.number(),
  project: z.string(),
  issue_id: z.number().optional(),
  user: z.string().optional(),
  user_id: z.number().optional(),
  activity: z.string().optional(),
  comments: z.string().optional(),
});

function entryItem(entry: RedmineTimeEntry): z.input<typeof entryOutput> {
  return {
    id: entry.id,
    spent_on: entry.spent_on,
    hours: entry.hours,
    project: entry.project.name,
    issue_id: entry.issue?.id,
    user: entry.user?.name,
    user_id: entry.user?.id,
    activity: entry.activity?.name,
    comments: entry.comments ? clip(entry.comments, 300, `redmine_list_time_entries shows 300 characters; the entry has ${entry.comments.length}`) : undefined,
  };
}

export const listTimeEntries = redmineTool({
  name: 'redmine_list_time_entries',
  title: 'List Redmine time entries',
  description:
    'List logged time, for timesheets or to find the id of an entry to correct or delete.',
  inputSchema: z.object({
    project: projectSchema.optional(),
    issue_id: idSchema().optional(),
    user_id: idSchema().optional(),
    me: z.boolean().default(false).describe('Only the key\'s own entries'),
    from: dateSchema.optional(),
    to: dateSchema.optional(),
    activity: activitySchema.optional(),
    sort: z.enum(TIME_SORTS).default('spent_on:desc'),
    offset: offsetSchema,
    limit: limitSchema(25),
  }),
  outputSchema: z.object({
    total_count: z.number(),
    offset: z.number(),
    hours_on_page: z.number(),
    entries: z.array(entryOutput),
    scope_note: scopeNoteOutput,
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    if (input.me && input.user_id !== undefined) throw new InputError('Give either user_id or me=true, not both.');
    if (input.from && input.to && input.from > input.to) throw new InputError(`from (${input.from}) is after to (${input.to}).`);
    let project = input.project;
    if (input.issue_id !== undefined && project === undefined) {
      // An issue's time entries all belong to the issue's project, so checking the issue is enough.
      await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    } else {
      project = await ctx.client.scopedProject(ctx.scope, input.project, ctx.signal);
    }
    const activityId =
      input.activity === undefined ? undefined : await ctx.client.resolveLookup('time_entry_activities', input.activity, 'activity', ctx.signal);
    const query = {
      project_id: project,
      // Under a scope, subprojects (which may be outside it) are left out.
      subproject_id: ctx.scope.active && project !== undefined ? '!*' : undefined,
      issue_id: input.issue_id,
      user_id: input.me ? 'me' : input.user_id,
      from: input.from,
      to: input.to,
      activity_id: activityId,
      sort: input.sort,
    };
    const page = await scopedPage(ctx, {
      offset: input.offset,
      limit: input.limit,
      exact: true,
      fetch: async (offset, limit) => {
        const body = await ctx.client.get<{ time_entries: RedmineTimeEntry[]; total_count?: number }>('/time_entries.json', { ...query, offset, limit }, ctx.signal);
        return { items: body.time_entries, total: body.total_count ?? offset + body.time_entries.length };
      },
      projectOf: (entry) => entry.project,
      narrow: 'give a shorter date range (from, to), a user or an activity.',
    });
    return {
      total_count: page.total,
      offset: input.offset,
      hours_on_page: round2(page.items.reduce((sum, entry) => sum + entry.hours, 0)),
      entries: page.items.map(entryItem),
      scope_note: scopeNote(ctx, page.leftOut, 'Time entries'),
    };
  },
  render: (out) => {
    if (!out.entries.length) return `No time entries (total ${out.total_count}).`;
    const end = out.offset + out.entries.length;
    const lines = out.entries.map(
      (e) =>
        `- #${e.id} ${e.spent_on} ${e.hours} h ${e.issue_id ? `issue #${e.issue_id}` : e.project}, ${e.user ?? '?'}, ${e.activity ?? '?'}` +
        (e.comments ? `: ${e.comments.replace(/\s+/g, ' ')}` : ''),
    );
    const more = end < out.total_count ? `\nMore: call again with offset=${end}.` : '';
    return `Time entries ${out.offset + 1}-${end} of ${out.total_count} (${out.hours_on_page} h on this page):\n${lines.join('\n')}${more}${out.scope_note ? `\n${out.scope_note}` : ''}`;
  },
});

// ---------------------------------------------------------------- redmine_log_time

const writtenEntryOutput = z.object({
  id: z.number(),
  hours: z.number(),
  spent_on: z.string(),
  project: z.string(),
  issue_id: z.number().optional(),
  activity: z.string().optional(),
  url: z.string(),
});

export const logTime = redmineTool({
  name: 'redmine_log_time',
  title: 'Log time in Redmine',
  description:
    'Log time spent on an issue or, without one, on a project: give exactly one of issue_id and project.',
  inputSchema: z.object({
    issue_id: idSchema().optional(),
    project: projectSchema.optional(),
    hours: hoursSchema,
    spent_on: dateSchema.optional().describe('Default today'),
    activity: activitySchema.optional(),
    comments: commentsSchema.optional(),
  }),
  outputSchema: writtenEntryOutput,
  coerce: hoursCoercion,
  annotations: creates,
  handler: async (input, ctx) => {
    if ((input.issue_id === undefined) === (input.project === undefined)) {
      throw new InputError('Give exactly one of issue_id (time on an issue) or project (time on the project itself).');
    }
    // The project decides which activities are valid (projects can override the system list).
    let activityProject: number | ProjectActivities;
    let projectId: number | undefined;
    if (input.issue_id !== undefined) {
      activityProject = (await issueProject(ctx, input.issue_id)).id;
    } else {
      await ctx.client.assertProjectInScope(ctx.scope, input.project!, `Project "${input.project}"`, ctx.signal);
      activityProject = await projectActivities(ctx, input.project!);
      // Redmine's time_entry.project_id takes only the numeric id ("Project is invalid" for an identifier).
      projectId = activityProject.id;
    }
    let activity = input.activity === undefined ? undefined : await resolveActivity(ctx, input.activity, activityProject);
    let activities: ProjectActivities | undefined;
    if (!activity) {
      // Without an activity Redmine uses its default one; where there is none, the only activity is the answer.
      activities = typeof activityProject === 'object' ? activityProject : await projectActivities(ctx, activityProject);
      if (activities.time_entry_activities?.length === 1) activity = activities.time_entry_activities[0];
    }
    let time_entry: RedmineTimeEntry;
    try {
      ({ time_entry } = await ctx.client.post<{ time_entry: RedmineTimeEntry }>(
        '/time_entries.json',
        {
          time_entry: {
            issue_id: input.issue_id,
            project_id: projectId,
            hours: input.hours,
            spent_on: input.spent_on,
            activity_id: activity?.id,
            comments: input.comments,
          },
        },
        ctx.signal,
      ));
    } catch (error) {
      // No default activity: say which ones the project has, so that the next call names one.
      if (activities && error instanceof UpstreamError && error.details.some((detail) => /^Activity /.test(detail))) {
        throw new InputError(
          `activity: project ${activities.name} has no default activity, so one must be given. Choose one of: ` +
            `${(activities.time_entry_activities ?? []).map((a) => a.name).join(', ') || 'none (an administrator must enable one)'}.`,
        );
      }
      throw error;
    }
    return {
      id: time_entry.id,
      hours: time_entry.hours,
      spent_on: time_entry.spent_on,
      project: time_entry.project.name,
      issue_id: time_entry.issue?.id,
      activity: time_entry.activity?.name,
      url: entryUrl(ctx, time_entry.id),
    };
  },
  render: (out) =>
    done(
      `Logged ${out.hours} h on ${out.spent_on} as time entry #${out.id}${out.issue_id ? ` on issue #${out.issue_id}` : ''} in ${out.project}` +
        (out.activity ? ` (${out.activity})` : ''),
      out.url,
    ),
});

// ---------------------------------------------------------------- redmine_update_time_entry

const ENTRY_UPDATE_FIELDS = ['hours', 'activity', 'spent_on', 'comments', 'issue_id'] as const;

export const updateTimeEntry = redmineTool({
  name: 'redmine_update_time_entry',
  title: 'Update a Redmine time entry',
  description:
    'Correct a logged time entry; fields left out stay as they are.',
  inputSchema: z.object({
    time_entry_id: idSchema(),
    hours: hoursSchema.optional(),
    activity: activitySchema.optional(),
    spent_on: dateSchema.optional(),
    comments: commentsSchema.optional(),
    issue_id: idSchema('Move the entry to this issue').optional(),
  }),
  outputSchema: z.object({
    id: z.number(),
    project: z.string(),
    changes: z.array(z.object({ field: z.string(), from: z.string().optional(), to: z.string() })),
    url: z.string(),
  }),
  coerce: hoursCoercion,
  annotations: updates,
  handler: async (input, ctx) => {
    const given = ENTRY_UPDATE_FIELDS.filter((field) => input[field] !== undefined);
    if (!given.length) throw new InputError(`Nothing to change: give at least one of ${ENTRY_UPDATE_FIELDS.join(', ')}.`);
    const entry = await readEntryInScope(ctx, input.time_entry_id);
    // Moving the entry to another issue must not move it out of the allowed projects.
    const target = input.issue_id !== undefined && input.issue_id !== entry.issue?.id ? await issueProject(ctx, input.issue_id) : entry.project;
    const activity = input.activity === undefined ? undefined : await resolveActivity(ctx, input.activity, target.id);
    await ctx.client.put(
      `/time_entries/${pathSegment(input.time_entry_id)}.json`,
      {
        time_entry: {
          hours: input.hours,
          activity_id: activity?.id,
          spent_on: input.spent_on,
          comments: input.comments,
          issue_id: input.issue_id,
        },
      },
      ctx.signal,
    );
    const before: Record<(typeof ENTRY_UPDATE_FIELDS)[number], string | undefined> = {
      hours: String(entry.hours),
      activity: entry.activity?.name,
      spent_on: entry.spent_on,
      comments: entry.comments ?? undefined,
      issue_id: entry.issue ? String(entry.issue.id) : undefined,
    };
    return {
      id: entry.id,
      project: target.name,
      changes: given
        .map((field) => ({ field, from: before[field] || undefined, to: field === 'activity' ? activity!.name : String(input[field]) }))
        .filter((change) => (change.from ?? '').toLowerCase() !== change.to.toLowerCase())
        .map((change) => ({
          field: change.field,
          from: change.from ? clip(change.from, 200, 'see redmine_list_time_entries') : undefined,
          to: clip(change.to, 200, 'as sent'),
        })),
      url: entryUrl(ctx, entry.id),
    };
  },
  render: (out) => {
    const changes = out.changes.map((c) => `${c.field} ${c.from ? `"${c.from}"` : '(empty)'} → "${c.to}"`).join(', ');
    return done(`Updated time entry #${out.id} in ${out.project}: ${changes || 'no field differed from its current value'}`, out.url);
  },
});

// ---------------------------------------------------------------- redmine_delete_time_entry

export const deleteTimeEntry = redmineTool({
  name: 'redmine_delete_time_entry',
  title: 'Delete a Redmine time entry',
  description:
    'Permanently delete a time entry logged by mistake (no history is kept); to correct one use redmine_update_time_entry.',
  inputSchema: z.object({ time_entry_id: idSchema() }),
  outputSchema: z.object({ deleted: entryOutput }),
  annotations: deletes,
  handler: async (input, ctx) => {
    const entry = await readEntryInScope(ctx, input.time_entry_id);
    await ctx.client.delete(`/time_entries/${pathSegment(input.time_entry_id)}.json`, ctx.signal);
    return { deleted: entryItem(entry) };
  },
  render: ({ deleted: e }) =>
    `Deleted time entry #${e.id}: ${e.hours} h on ${e.spent_on}${e.issue_id ? ` on issue #${e.issue_id}` : ''} in ${e.project}` +
    `${e.user ? ` by ${e.user}` : ''}${e.activity ? ` (${e.activity})` : ''}.`,
});
