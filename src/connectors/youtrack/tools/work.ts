// Time tracking: an issue's work items, and logging time with a duration, a day and a work type.
import { z } from 'zod';
import { InputError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { dayIn, instantOn, isCalendarDay } from '../../../core/time.js';
import { clip } from '../../../core/untrusted.js';
import { creates, issueIdSchema, readOnly, skipSchema, topSchema, userName, youtrackTool, type YtUser } from './shared.js';

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


export const logWork = youtrackTool({
  name: 'youtrack_log_work',
  title: 'Log work on a YouTrack issue',
  description:
    'Log time spent on an issue: give exactly one of minutes and duration.',
  inputSchema: z.object({
    issue_id: issueIdSchema,
    minutes: z.number().int().min(1).max(MAX_MINUTES).optional(),
    duration: z
      .string()
      .min(1)
      .max(50)
      // Units in either case, spelt out: a JSON Schema pattern has no flags.
      .regex(/^\s*(\d+\s*[wdhmWDHM]\s*)+$/, 'must be a duration like "1h 30m", "45m" or "2d"')
      .trim()
      .optional()
      .describe('e.g. "1h 30m" or "2d"'),
    date: z.string().max(10).regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').optional().describe("Default today in your YouTrack profile's time zone"),
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
    let type: { id: string } | undefined;
    if (input.type !== undefined) {
      const types = await ctx.client.get<Array<{ id: string; name: string }>>(
        `/admin/projects/${pathSegment(issue.project.id)}/timeTrackingSettings/workItemTypes`,
        'id,name',
        { $top: 200 },
        ctx.signal,
      );
      const found = types.find((t) => t.name.toLowerCase() === input.type!.toLowerCase());
      if (!found) {
        throw new InputError(`type: "${input.type}" is not a work item type of ${issue.project.shortName}. Types: ${types.map((t) => t.name).join(', ') || 'none (leave type out)'}.`);
      }
      type = { id: found.id };
    }
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
