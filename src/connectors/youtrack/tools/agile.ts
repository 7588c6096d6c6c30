// Agile boards and sprints: which boards exist, and what is in a sprint, limited to the allowed projects.
import { z } from 'zod';
import { InputError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { collectPage } from './projects.js';
import { fieldDisplay, isoTime, readOnly, skipSchema, topSchema, youtrackTool, type YouTrackContext } from './shared.js';

interface YtSprintRef {
  id: string;
  name: string;
  archived?: boolean;
}

interface YtBoard {
  id: string;
  name: string;
  projects?: Array<{ id: string; shortName: string }>;
  sprints?: YtSprintRef[];
  currentSprint?: YtSprintRef | null;
}

interface YtSprint extends YtSprintRef {
  goal?: string | null;
  start?: number | null;
  finish?: number | null;
  issues?: Array<{
    idReadable: string;
    summary: string;
    project?: { id?: string; shortName: string };
    customFields?: Array<{ name: string; $type?: string; value?: unknown }>;
  }>;
}

const BOARD_FIELDS = 'id,name,projects(id,shortName),sprints(id,name,archived),currentSprint(id,name)';
const SPRINT_FIELDS =
  'id,name,goal,start,finish,archived,issues(idReadable,summary,project(id,shortName),customFields(name,$type,value(name,login,fullName,presentation)))';

/** A board is usable when any of its projects is allowed (or no scope is set). */
function boardInScope(ctx: YouTrackContext, board: YtBoard): boolean {
  return !ctx.scope.active || (board.projects ?? []).some((p) => ctx.scope.allows([p.shortName, p.id]));
}

function visibleProjects(ctx: YouTrackContext, board: YtBoard): string[] {
  return (board.projects ?? []).filter((p) => ctx.scope.allows([p.shortName, p.id])).map((p) => p.shortName);
}

export const listAgileBoards = youtrackTool({
  name: 'youtrack_list_agile_boards',
  title: 'List YouTrack agile boards',
  description:
    'List agile boards with their current and open sprints; a sprint\'s issues: youtrack_get_sprint.',
  inputSchema: z.object({ skip: skipSchema, top: topSchema(20) }),
  outputSchema: z.object({
    boards: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        projects: z.array(z.string()),
        current_sprint: z.object({ id: z.string(), name: z.string() }).optional(),
        sprints: z.array(z.object({ id: z.string(), name: z.string() })),
        archived_sprints: z.number(),
      }),
    ),
    next_skip: z.number().optional(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const { items, nextSkip } = await collectPage<YtBoard>(ctx.client, '/agiles', BOARD_FIELDS, {}, input, (b) => boardInScope(ctx, b), ctx.signal);
    return {
      boards: items.map((b) => ({
        id: b.id,
        name: b.name,
        projects: visibleProjects(ctx, b),
        current_sprint: b.currentSprint ? { id: b.currentSprint.id, name: b.currentSprint.name } : undefined,
        sprints: (b.sprints ?? []).filter((s) => !s.archived).map((s) => ({ id: s.id, name: s.name })),
        archived_sprints: (b.sprints ?? []).filter((s) => s.archived).length,
      })),
      next_skip: nextSkip,
    };
  },
  render: (out) => {
    if (!out.boards.length) return 'No agile boards.';
    const lines = out.boards.map(
      (b) =>
        `${b.name} (id ${b.id}) · ${b.projects.join(', ') || 'no projects'}` +
        `${b.current_sprint ? ` · current: ${b.current_sprint.name}` : ''}` +
        `${b.sprints.length ? ` · sprints: ${b.sprints.map((s) => s.name).join(', ')}` : ''}${b.archived_sprints ? ` (+${b.archived_sprints} archived)` : ''}`,
    );
    if (out.next_skip !== undefined) lines.push(`(more: skip=${out.next_skip})`);
    return lines.join('\n');
  },
});

const ENTITY_ID = /^\d+-\d+$/;
const MAX_BOARDS_SCANNED = 1000;

/** Finds a board by entity id or by name (exact first, then ignoring case if that is unambiguous). */
async function resolveBoard(ctx: YouTrackContext, ref: string): Promise<YtBoard> {
  if (ENTITY_ID.test(ref)) return ctx.client.get<YtBoard>(`/agiles/${pathSegment(ref)}`, BOARD_FIELDS, undefined, ctx.signal);
  const boards: YtBoard[] = [];
  for (let skip = 0; skip < MAX_BOARDS_SCANNED; skip += 100) {
    const page = await ctx.client.get<YtBoard[]>('/agiles', BOARD_FIELDS, { $skip: skip, $top: 100 }, ctx.signal);
    boards.push(...page);
    if (page.length < 100) break;
  }
  const exact = boards.filter((b) => b.name === ref);
  const loose = exact.length ? exact : boards.filter((b) => b.name.toLowerCase() === ref.toLowerCase());
  if (loose.length === 1) return loose[0]!;
  const names = boards.filter((b) => boardInScope(ctx, b)).map((b) => `${b.name} (${b.id})`);
  if (loose.length > 1) throw new InputError(`board: several boards are named "${ref}"; give the board id: ${loose.map((b) => b.id).join(', ')}.`);
  throw new InputError(`board: no agile board named "${ref}". Boards: ${names.slice(0, 30).join(', ') || 'none'}${names.length > 30 ? ', ...' : ''}.`);
}

function resolveSprint(board: YtBoard, ref: string): YtSprintRef {
  const sprints = board.sprints ?? [];
  const choices = () => sprints.filter((s) => !s.archived).map((s) => `${s.name} (${s.id})`).join(', ') || 'none';
  if (ref.toLowerCase() === 'current') {
    if (!board.currentSprint) throw new InputError(`sprint: board "${board.name}" has no current sprint. Sprints: ${choices()}.`);
    return board.currentSprint;
  }
  if (ENTITY_ID.test(ref)) {
    const found = sprints.find((s) => s.id === ref);
    if (!found) throw new InputError(`sprint: board "${board.name}" has no sprint ${ref}. Sprints: ${choices()}.`);
    return found;
  }
  const found = sprints.find((s) => s.name === ref) ?? sprints.find((s) => s.name.toLowerCase() === ref.toLowerCase());
  if (!found) throw new InputError(`sprint: board "${board.name}" has no sprint named "${ref}". Sprints: ${choices()}.`);
  return found;
}

export const getSprint = youtrackTool({
  name: 'youtrack_get_sprint',
  title: 'Get a YouTrack sprint',
  description:
    'A sprint of an agile board with its goal, dates and issues.',
  inputSchema: z.object({
    board: z.string().max(200).trim().min(1).describe('Board id (e.g. "120-1") or exact name'),
    sprint: z.string().max(200).trim().min(1).default('current').describe('Sprint id, name or "current"'),
    top: z.number().int().min(1).max(200).default(50).describe('Most issues listed'),
  }),
  outputSchema: z.object({
    board: z.object({ id: z.string(), name: z.string() }),
    sprint: z.object({
      id: z.string(),
      name: z.string(),
      goal: z.string().optional(),
      start: z.string().optional(),
      finish: z.string().optional(),
      archived: z.boolean(),
    }),
    issues: z.array(
      z.object({ id: z.string(), summary: z.string(), state: z.string().optional(), priority: z.string().optional(), assignee: z.string().optional() }),
    ),
    not_listed: z.number(),
    hidden_outside_scope: z.number(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const board = await resolveBoard(ctx, input.board);
    ctx.scope.assert((board.projects ?? []).flatMap((p) => [p.shortName, p.id]), `Board "${board.name}"`);
    const ref = resolveSprint(board, input.sprint);
    const sprint = await ctx.client.get<YtSprint>(`/agiles/${pathSegment(board.id)}/sprints/${pathSegment(ref.id)}`, SPRINT_FIELDS, undefined, ctx.signal);
    const all = sprint.issues ?? [];
    const visible = all.filter((i) => !ctx.scope.active || (i.project !== undefined && ctx.scope.allows([i.project.shortName, i.project.id])));
    const field = (issue: (typeof all)[number], name: string) => {
      const found = issue.customFields?.find((f) => f.name === name);
      return found ? fieldDisplay(found) : undefined;
    };
    return {
      board: { id: board.id, name: board.name },
      sprint: {
        id: sprint.id,
        name: sprint.name,
        goal: sprint.goal ?? undefined,
        start: isoTime(sprint.start)?.slice(0, 10),
        finish: isoTime(sprint.finish)?.slice(0, 10),
        archived: sprint.archived === true,
      },
      issues: visible.slice(0, input.top).map((i) => ({
        id: i.idReadable,
        summary: i.summary,
        state: field(i, 'State'),
        priority: field(i, 'Priority'),
        assignee: field(i, 'Assignee'),
      })),
      not_listed: Math.max(0, visible.length - input.top),
      hidden_outside_scope: all.length - visible.length,
    };
  },
  render: (out) => {
    const s = out.sprint;
    const lines = [
      `${s.name} (id ${s.id}) on ${out.board.name}${s.start || s.finish ? ` · ${s.start ?? '?'} – ${s.finish ?? '?'}` : ''}${s.archived ? ' · archived' : ''}`,
    ];
    if (s.goal) lines.push(`Goal: ${s.goal}`);
    lines.push(`Issues (${out.issues.length + out.not_listed}):`);
    for (const i of out.issues) lines.push(`${i.id} [${[i.state, i.priority].filter(Boolean).join('/')}] ${i.summary}${i.assignee ? ` → ${i.assignee}` : ''}`);
    if (out.not_listed) lines.push(`(+${out.not_listed} more not listed; raise top)`);
    if (out.hidden_outside_scope) lines.push(`(${out.hidden_outside_scope} issue${out.hidden_outside_scope === 1 ? '' : 's'} outside the allowed projects not shown)`);
    return lines.join('\n');
  },
});
