// Who the token belongs to, and finding other users (for assignees and commands).
import { z } from 'zod';
import type { YouTrackClient } from '../client.js';
import { InputError } from '../../../core/errors.js';
import { readOnly, youtrackTool, type YouTrackContext } from './shared.js';

const USER_PAGE = 200;
/** Users read at most per search: GET /users has no filter, so the instance's users are read and matched here. */
const MAX_SCANNED = 5000;

export const getCurrentUser = youtrackTool({
  name: 'youtrack_get_current_user',
  title: 'Get current YouTrack user',
  description: 'The user the token belongs to; its login is what Assignee values and "for <login>" commands take.',
  inputSchema: z.object({}),
  outputSchema: z.object({ id: z.string(), login: z.string(), name: z.string().optional(), email: z.string().optional(), guest: z.boolean(), banned: z.boolean() }),
  annotations: readOnly,
  handler: async (_input, ctx) => {
    const me = await ctx.client.get<{ id: string; login: string; fullName?: string; email?: string | null; guest?: boolean; banned?: boolean }>(
      '/users/me',
      'id,login,fullName,email,guest,banned',
      undefined,
      ctx.signal,
    );
    return { id: me.id, login: me.login, name: me.fullName, email: me.email ?? undefined, guest: me.guest === true, banned: me.banned === true };
  },
  render: (out) => `${out.name ?? out.login} (${out.login}, id ${out.id})${out.email ? ` <${out.email}>` : ''}${out.guest ? ', guest' : ''}${out.banned ? ', banned' : ''}`,
});

interface YtUserRow {
  id: string;
  login: string;
  fullName?: string;
  email?: string | null;
  banned?: boolean;
  guest?: boolean;
}

export const findUsers = youtrackTool({
  name: 'youtrack_find_users',
  title: 'Find YouTrack users',
  description:
    'Find users by part of a login, name or e-mail, for their login (Assignee values, "for <login>"). Only real matches are returned.',
  inputSchema: z.object({
    query: z.string().max(100).trim().min(1),
    top: z.number().int().min(1).max(50).default(10),
  }),
  outputSchema: z.object({
    users: z.array(z.object({ id: z.string(), login: z.string(), name: z.string().optional(), email: z.string().optional(), banned: z.boolean(), guest: z.boolean() })),
    more: z.boolean(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    // GET /users declares no `query` in YouTrack 2026.1: a server ignores it and answers with its first users, so the
    // users are read page by page and matched here; every result contains the text asked for.
    const wanted = input.query.toLowerCase();
    const matches = (u: YtUserRow) => [u.login, u.fullName, u.email].some((text) => text?.toLowerCase().includes(wanted));
    const found: YtUserRow[] = [];
    let scanned = 0;
    for (;;) {
      const batch = await ctx.client.get<YtUserRow[]>('/users', 'id,login,fullName,email,banned,guest', { $skip: scanned, $top: USER_PAGE }, ctx.signal);
      scanned += batch.length;
      found.push(...batch.filter(matches));
      if (found.length > input.top || batch.length < USER_PAGE || scanned >= MAX_SCANNED) break;
    }
    // An exact login first: it is what an assignee needs.
    found.sort((a, b) => Number(b.login.toLowerCase() === wanted) - Number(a.login.toLowerCase() === wanted));
    return {
      users: found.slice(0, input.top).map((u) => ({ id: u.id, login: u.login, name: u.fullName, email: u.email ?? undefined, banned: u.banned === true, guest: u.guest === true })),
      more: found.length > input.top,
    };
  },
  render: (out) => {
    if (!out.users.length) return 'No users found.';
    const lines = out.users.map((u) => `${u.login}${u.name ? ` (${u.name})` : ''}${u.email ? ` <${u.email}>` : ''}${u.banned ? ', banned' : ''}${u.guest ? ', guest' : ''}`);
    if (out.more) lines.push('(more match: narrow the query or raise top)');
    return lines.join('\n');
  },
});

interface YtGroup {
  id: string;
  name: string;
  usersCount?: number;
  allUsersGroup?: boolean;
  teamForProject?: { id: string; shortName: string } | null;
}

/** An instance has tens of groups: one page of 500 is all of them. */
export function readGroups(client: YouTrackClient, signal: AbortSignal): Promise<YtGroup[]> {
  return client.get<YtGroup[]>('/groups', 'id,name,usersCount,allUsersGroup,teamForProject(id,shortName)', { $top: 500 }, signal);
}

export const findGroups = youtrackTool({
  name: 'youtrack_find_groups',
  title: 'Find YouTrack groups',
  description: 'Find user groups by part of their name, with how many members each has (for visibility limits).',
  inputSchema: z.object({ query: z.string().max(100).trim().default('').describe('Empty lists every group'), top: z.number().int().min(1).max(100).default(20) }),
  outputSchema: z.object({
    groups: z.array(z.object({ id: z.string(), name: z.string(), members: z.number().optional(), all_users: z.boolean(), team_of: z.string().optional() })),
    more: z.boolean(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    // GET /groups declares no filter: the name is matched here. A project's team outside the scope is not shown.
    const wanted = input.query.toLowerCase();
    const found = (await readGroups(ctx.client, ctx.signal)).filter(
      (g) => g.name.toLowerCase().includes(wanted) && (!g.teamForProject || ctx.scope.allows([g.teamForProject.shortName, g.teamForProject.id])),
    );
    return {
      groups: found.slice(0, input.top).map((g) => ({ id: g.id, name: g.name, members: g.usersCount, all_users: g.allUsersGroup === true, team_of: g.teamForProject?.shortName })),
      more: found.length > input.top,
    };
  },
  render: (out) => {
    if (!out.groups.length) return 'No groups found.';
    const lines = out.groups.map((g) => `${g.name} [${g.id}]${g.members !== undefined ? `: ${g.members} member${g.members === 1 ? '' : 's'}` : ''}${g.all_users ? ' (all users)' : ''}${g.team_of ? ` (team of ${g.team_of})` : ''}`);
    if (out.more) lines.push('(more match: narrow the query or raise top)');
    return lines.join('\n');
  },
});

export const visibleToGroupsSchema = z
  .array(z.string().max(100).trim().min(1))
  .max(20)
  .describe('Group names (youtrack_find_groups); only their members will see it');

/**
 * A LimitedVisibility for groups given by name (any case), or UnlimitedVisibility for none. Unknown names, and teams of
 * projects outside the scope, are refused with the groups there are.
 */
export async function visibilityFor(ctx: YouTrackContext, names: string[]): Promise<{ body: Record<string, unknown>; groups: string[] }> {
  if (!names.length) return { body: { $type: 'UnlimitedVisibility' }, groups: [] };
  const groups = (await readGroups(ctx.client, ctx.signal)).filter((g) => !g.teamForProject || ctx.scope.allows([g.teamForProject.shortName, g.teamForProject.id]));
  const chosen = names.map((name) => {
    const group = groups.find((g) => g.name.toLowerCase() === name.toLowerCase());
    if (!group) throw new InputError(`visible_to_groups: there is no group "${name}". Groups: ${groups.map((g) => `"${g.name}"`).join(', ')}.`);
    return group;
  });
  return { body: { $type: 'LimitedVisibility', permittedGroups: chosen.map((g) => ({ id: g.id })) }, groups: chosen.map((g) => g.name) };
}
