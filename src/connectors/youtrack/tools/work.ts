// Time tracking: an issue's work items, and logging time with a duration, a day and a work type.
import { z } from 'zod';
import { InputError, UpstreamError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { dayIn, instantOn, isCalendarDay } from '../../../core/time.js';
import { clip } from '../../../core/untrusted.js';
import type { YouTrackClient, YtProject } from '../client.js';
import { creates, deletes, entityIdSchema, issueIdSchema, projectSchema, readOnly, skipSchema, topSchema, updates, userName, youtrackTool, type YtUser } from './shared.js';

interface YtWorkItem {
  id: string;
  date?: number;
  duration?: { minutes?: number; presentation?: string } | null;
  text?: string | null;
  type?: { name: string } | null;
  author?: YtUser | null;
}

const WORK_ITEM_FIELDS = 'id,date,duration(minutes,presentation),text,type(name),author(login,fullName)';

const workItemOutput = z.object({
  id: z.string(),
  date: z.string().optional(),
  minutes: z.number(),
  duration: z.string().optional(),
  type: z.string().optional(),
  author: z.string().optional(),
  text: z.string().optional(),
});

/** A work item's date is midnight of its day in the user's time zone, so the day is read in that zone, not in UTC. */
function workItem(item: YtWorkItem, maxChars: number, timeZone: string): z.input<typeof workItemOutput> {
  return {
    id: item.id,
    date: typeof item.date === 'number' ? dayIn(item.date, timeZone) : undefined,
    minutes: item.duration?.minutes ?? 0,
    duration: item.duration?.presentation,
    type: item.type?.name,
    author: userName(item.author),
    text: item.text ? clip(item.text, maxChars, 'call youtrack_list_work_items with a larger max_chars') : undefined,
  };
}

function workLine(w: z.output<typeof workItemOutput>): string {
  return `[${w.id}] ${w.date ?? ''} ${w.duration ?? `${w.minutes}m`}${w.type ? ` ${w.type}` : ''}${w.author ? ` by ${w.author}` : ''}${w.text ? `: ${w.text.replace(/\n/g, ' ')}` : ''}`;
}

export const listWorkItems = youtrackTool({
  name: 'youtrack_list_work_items',
  title: 'List work items of a YouTrack issue',
  description:
    'List the time logged on an issue (work items), with the total minutes of the page.',
  inputSchema: z.object({
    issue_id: issueIdSchema,
    skip: skipSchema,
    top: topSchema(50),
    max_chars: z.number().int().min(50).max(10_000).default(500),
  }),
  outputSchema: z.object({
    issue: z.string(),
    skip: z.number(),
    work_items: z.array(workItemOutput),
    page_minutes: z.number(),
    next_skip: z.number().optional(),
    time_zone: z.string(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const issue = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    const { items, more } = await ctx.client.page<YtWorkItem>(
      `/issues/${pathSegment(issue.id)}/timeTracking/workItems`,
      WORK_ITEM_FIELDS,
      {},
      input.skip,
      input.top,
      ctx.signal,
    );
    const zone = await ctx.client.timeZone(ctx.signal);
    const workItems = items.map((item) => workItem(item, input.max_chars, zone));
    return {
      issue: issue.idReadable,
      skip: input.skip,
      work_items: workItems,
      page_minutes: workItems.reduce((sum, w) => sum + w.minutes, 0),
      next_skip: more ? input.skip + items.length : undefined,
      time_zone: zone,
    };
  },
  render: (out) => {
    if (!out.work_items.length) return `No work items on ${out.issue}${out.skip ? ` after ${out.skip}` : ''}.`;
    const hours = Math.floor(out.page_minutes / 60);
    const head = `Work on ${out.issue}: ${out.work_items.length} item${out.work_items.length === 1 ? '' : 's'}, ${hours}h ${out.page_minutes % 60}m${out.next_skip !== undefined ? ` (this page; more: skip=${out.next_skip})` : ''}; days in ${out.time_zone}`;
    return [head, ...out.work_items.map(workLine)].join('\n');
  },
});

/** "1h30M" → "1h 30m": one space between units, as YouTrack writes durations. */
function presentation(duration: string): string {
  return (duration.match(/\d+\s*[wdhm]/gi) ?? []).map((part) => part.replace(/\s+/g, '').toLowerCase()).join(' ');
}

/** Minutes in a duration, with YouTrack's default working calendar (1w = 5d, 1d = 8h). */
function durationMinutes(duration: string): number {
  const unit: Record<string, number> = { w: 5 * 8 * 60, d: 8 * 60, h: 60, m: 1 };
  return (duration.match(/\d+\s*[wdhm]/gi) ?? []).reduce((sum, part) => sum + parseInt(part, 10) * unit[part.slice(-1).toLowerCase()]!, 0);
}

const MAX_MINUTES = 14_400;

/** A work item type of the project by name, as {id}; the project's types are named when it has none such. */
async function workItemType(client: YouTrackClient, project: YtProject, name: string, signal: AbortSignal): Promise<{ id: string }> {
  const types = await client.get<Array<{ id: string; name: string }>>(
    `/admin/projects/${pathSegment(project.id)}/timeTrackingSettings/workItemTypes`,
    'id,name',
    { $top: 200 },
    signal,
  );
  const found = types.find((t) => t.name.toLowerCase() === name.toLowerCase());
  if (!found) throw new InputError(`type: "${name}" is not a work item type of ${project.shortName}. Types: ${types.map((t) => t.name).join(', ') || 'none (leave type out)'}.`);
  return { id: found.id };
}

const minutesSchema = z.number().int().min(1).max(MAX_MINUTES).optional();
const durationSchema = z
  .string()
  .min(1)
  .max(50)
  // Units in either case, spelt out: a JSON Schema pattern has no flags.
  .regex(/^\s*(\d+\s*[wdhmWDHM]\s*)+$/, 'must be a duration like "1h 30m", "45m" or "2d"')
  .trim()
  .optional()
  .describe('e.g. "1h 30m" or "2d"');
const daySchema = z.string().max(10).regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');

/** The duration a write sends, from minutes or a duration text (checked against the 30-working-day cap). */
function durationBody(minutes: number | undefined, duration: string | undefined): { minutes: number } | { presentation: string } | undefined {
  if (minutes !== undefined && duration !== undefined) throw new InputError('minutes, duration: give at most one of them (e.g. minutes: 90 or duration: "1h 30m").');
  if (duration !== undefined && durationMinutes(duration) > MAX_MINUTES) {
    throw new InputError(`duration: "${duration}" is more than ${MAX_MINUTES} minutes (30 working days); log it in parts.`);
  }
  if (minutes !== undefined) return { minutes };
  return duration !== undefined ? { presentation: presentation(duration) } : undefined;
}


export const logWork = youtrackTool({
  name: 'youtrack_log_work',
  title: 'Log work on a YouTrack issue',
  description:
    'Log time spent on an issue: give exactly one of minutes and duration.',
  inputSchema: z.object({
    issue_id: issueIdSchema,
    minutes: minutesSchema,
    duration: durationSchema,
    date: daySchema.optional().describe("Default today in your YouTrack profile's time zone"),
    text: z.string().max(10_000).optional(),
    type: z.string().max(100).trim().min(1).optional().describe('Work item type (youtrack_get_project)'),
  }),
  outputSchema: workItemOutput.extend({ issue: z.string(), time_zone: z.string() }),
  annotations: creates,
  handler: async (input, ctx) => {
    if ((input.minutes === undefined) === (input.duration === undefined)) {
      throw new InputError('minutes, duration: give exactly one of them (e.g. minutes: 90 or duration: "1h 30m").');
    }
    if (input.duration !== undefined && durationMinutes(input.duration) > MAX_MINUTES) {
      throw new InputError(`duration: "${input.duration}" is more than ${MAX_MINUTES} minutes (30 working days); log it in parts.`);
    }
    if (input.date !== undefined && !isCalendarDay(input.date)) throw new InputError(`date: "${input.date}" is not a calendar date (YYYY-MM-DD).`);
    const issue = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    const type = input.type !== undefined ? await workItemType(ctx.client, issue.project, input.type, ctx.signal) : undefined;
    // YouTrack keeps the date as midnight of the day in the user's time zone; noon of the day in that zone is sent, so
    // that the day stays the same for a user west or east of UTC.
    const zone = await ctx.client.timeZone(ctx.signal);
    const day = input.date ?? dayIn(Date.now(), zone);
    const created = await ctx.client.post<YtWorkItem>(
      `/issues/${pathSegment(issue.id)}/timeTracking/workItems`,
      {
        date: instantOn(day, 12, zone),
        duration: input.minutes !== undefined ? { minutes: input.minutes } : { presentation: presentation(input.duration!) },
        text: input.text,
        type,
      },
      WORK_ITEM_FIELDS,
      ctx.signal,
    );
    return { issue: issue.idReadable, ...workItem(created, 10_000, zone), time_zone: zone };
  },
  render: (out) => `Logged ${out.duration ?? `${out.minutes}m`} on ${out.issue} for ${out.date ?? 'the day given'} (${out.time_zone})${out.type ? ` (${out.type})` : ''}: work item ${out.id}.`,
});

const workItemIdSchema = entityIdSchema('e.g. "8-12" (youtrack_list_work_items)');

/** A 404 on a work item path, once the issue is known to exist, means the item is not on that issue. */
function notOnIssue(error: unknown, itemId: string, issueKey: string): unknown {
  if (error instanceof UpstreamError && error.status === 404) {
    return new InputError(`work_item_id: there is no work item ${itemId} on issue ${issueKey} (or it is not visible to this token). youtrack_list_work_items lists them.`);
  }
  return error;
}

export const updateWorkItem = youtrackTool({
  name: 'youtrack_update_work_item',
  title: 'Edit a YouTrack work item',
  description: 'Change the duration, day, text or type of logged time (ids: youtrack_list_work_items).',
  inputSchema: z.object({
    issue_id: issueIdSchema,
    work_item_id: workItemIdSchema,
    minutes: minutesSchema,
    duration: durationSchema,
    date: daySchema.optional(),
    text: z.string().max(10_000).optional(),
    type: z.string().max(100).trim().min(1).optional().describe('Work item type (youtrack_get_project)'),
  }),
  outputSchema: workItemOutput.extend({ issue: z.string(), time_zone: z.string(), changed: z.array(z.string()) }),
  annotations: updates,
  handler: async (input, ctx) => {
    const changed = (['minutes', 'duration', 'date', 'text', 'type'] as const).filter((key) => input[key] !== undefined);
    if (!changed.length) throw new InputError('Nothing to change: give minutes or duration, date, text or type.');
    const duration = durationBody(input.minutes, input.duration);
    if (input.date !== undefined && !isCalendarDay(input.date)) throw new InputError(`date: "${input.date}" is not a calendar date (YYYY-MM-DD).`);
    const issue = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    const type = input.type !== undefined ? await workItemType(ctx.client, issue.project, input.type, ctx.signal) : undefined;
    const zone = await ctx.client.timeZone(ctx.signal);
    const updated = await ctx.client
      .post<YtWorkItem>(
        `/issues/${pathSegment(issue.id)}/timeTracking/workItems/${pathSegment(input.work_item_id)}`,
        { duration, date: input.date !== undefined ? instantOn(input.date, 12, zone) : undefined, text: input.text, type },
        WORK_ITEM_FIELDS,
        ctx.signal,
      )
      .catch((error: unknown) => {
        throw notOnIssue(error, input.work_item_id, issue.idReadable);
      });
    return { issue: issue.idReadable, ...workItem(updated, 10_000, zone), time_zone: zone, changed };
  },
  render: (out) => `Updated work item ${out.id} on ${out.issue} (${out.changed.join(', ')}): ${workLine(out)} (days in ${out.time_zone})`,
});

export const deleteWorkItem = youtrackTool({
  name: 'youtrack_delete_work_item',
  title: 'Delete a YouTrack work item',
  description: 'Delete logged time from an issue (ids: youtrack_list_work_items).',
  inputSchema: z.object({ issue_id: issueIdSchema, work_item_id: workItemIdSchema }),
  outputSchema: z.object({ issue: z.string(), work_item_id: z.string(), deleted: z.boolean() }),
  annotations: deletes,
  handler: async (input, ctx) => {
    const issue = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    await ctx.client.delete(`/issues/${pathSegment(issue.id)}/timeTracking/workItems/${pathSegment(input.work_item_id)}`, ctx.signal).catch((error: unknown) => {
      throw notOnIssue(error, input.work_item_id, issue.idReadable);
    });
    return { issue: issue.idReadable, work_item_id: input.work_item_id, deleted: true };
  },
  render: (out) => `Deleted work item ${out.work_item_id} from ${out.issue}.`,
});

interface YtReportItem extends YtWorkItem {
  issue?: { idReadable: string; project?: { id: string; shortName: string } | null } | null;
}

/** Work items read at most per report: beyond that the period or the project is to be narrowed. */
const MAX_REPORT_ITEMS = 5000;
const REPORT_PAGE = 500;

export const timeReport = youtrackTool({
  name: 'youtrack_time_report',
  title: 'YouTrack time report',
  description: 'Time logged in a period, per person with their issues; optionally one project or one person.',
  inputSchema: z.object({
    start_date: daySchema,
    end_date: daySchema.describe('Inclusive'),
    project: projectSchema.optional(),
    author: z.string().max(100).regex(/^[^\s,{}()]+$/, 'must be a login like "jane" (youtrack_find_users)').optional().describe('Login'),
  }),
  outputSchema: z.object({
    start_date: z.string(),
    end_date: z.string(),
    project: z.string().optional(),
    total_minutes: z.number(),
    people: z.array(z.object({ author: z.string(), login: z.string().optional(), minutes: z.number(), items: z.number(), issues: z.record(z.string(), z.number()) })),
    hidden_outside_scope: z.number(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    for (const [name, day] of [['start_date', input.start_date], ['end_date', input.end_date]] as const) {
      if (!isCalendarDay(day)) throw new InputError(`${name}: "${day}" is not a calendar date (YYYY-MM-DD).`);
    }
    if (input.end_date < input.start_date) throw new InputError(`end_date: ${input.end_date} is before start_date ${input.start_date}.`);
    let projects = ctx.scope.values;
    if (input.project) {
      const project = await ctx.client.project(input.project, ctx.signal);
      ctx.client.assertProjectInScope(ctx.scope, project, `Project ${project.shortName}`);
      projects = [project.shortName];
    }
    const query: Record<string, string> = { startDate: input.start_date, endDate: input.end_date };
    // Limited to the scope's projects by the issue query; the items are checked again below.
    if (projects.length) query.query = `project: ${projects.map((p) => `{${p}}`).join(', ')}`;
    if (input.author) query.author = input.author;
    const items: YtReportItem[] = [];
    for (;;) {
      const batch = await ctx.client.get<YtReportItem[]>(
        '/workItems',
        'id,date,duration(minutes),author(login,fullName),issue(idReadable,project(id,shortName))',
        { ...query, $skip: items.length, $top: REPORT_PAGE },
        ctx.signal,
      );
      items.push(...batch);
      if (batch.length < REPORT_PAGE) break;
      if (items.length >= MAX_REPORT_ITEMS) throw new InputError(`More than ${MAX_REPORT_ITEMS} work items in this period: give a shorter period, a project or an author.`);
    }
    const people = new Map<string, { author: string; login?: string; minutes: number; items: number; issues: Record<string, number> }>();
    let hidden = 0;
    for (const item of items) {
      const project = item.issue?.project;
      if (ctx.scope.active && !ctx.scope.allows([project?.shortName, project?.id])) {
        hidden += 1;
        continue;
      }
      const key = item.author?.login ?? userName(item.author) ?? '(unknown)';
      const person = people.get(key) ?? { author: userName(item.author) ?? key, login: item.author?.login, minutes: 0, items: 0, issues: {} };
      const minutes = item.duration?.minutes ?? 0;
      person.minutes += minutes;
      person.items += 1;
      const issue = item.issue?.idReadable ?? '?';
      person.issues[issue] = (person.issues[issue] ?? 0) + minutes;
      people.set(key, person);
    }
    const sorted = [...people.values()].sort((a, b) => b.minutes - a.minutes);
    return {
      start_date: input.start_date,
      end_date: input.end_date,
      project: input.project ? projects[0] : undefined,
      total_minutes: sorted.reduce((sum, p) => sum + p.minutes, 0),
      people: sorted,
      hidden_outside_scope: hidden,
    };
  },
  render: (out) => {
    const hm = (minutes: number) => `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
    const head = `Time ${out.start_date}..${out.end_date}${out.project ? ` in ${out.project}` : ''}: ${hm(out.total_minutes)}`;
    const lines = out.people.map(
      (p) => `${p.author}${p.login && p.login !== p.author ? ` (${p.login})` : ''}: ${hm(p.minutes)} in ${p.items} item${p.items === 1 ? '' : 's'} · ${Object.entries(p.issues).map(([issue, m]) => `${issue} ${hm(m)}`).join(', ')}`,
    );
    if (out.hidden_outside_scope) lines.push(`(${out.hidden_outside_scope} work items outside the allowed projects not counted)`);
    return [head, ...(lines.length ? lines : ['No time logged.'])].join('\n');
  },
});
