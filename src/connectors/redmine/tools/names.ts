// Names for the ids Redmine's history and answers carry (assignee, version, category, project), and users by
// login or name. Read once per kind and per call: a history of fifty changes costs at most one request per kind.
import { InputError, UpstreamError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import type { NamedRef } from '../client.js';
import type { RedmineContext } from './shared.js';

export type NamedKind = 'user' | 'version' | 'category' | 'project';

interface Membership {
  user?: NamedRef;
}

/** Per-call name lookups of one project's users, versions and categories, each read at most once. */
export class Names {
  private readonly known = new Map<NamedKind, Map<number, string>>();
  private readonly loaded = new Map<NamedKind, Promise<void>>();

  constructor(
    private readonly ctx: RedmineContext,
    /** The project whose members, versions and categories are looked up (numeric id or identifier), if any. */
    private readonly project: string | number | undefined,
  ) {}

  /** Names already at hand (an issue's own references, journal authors): no request needed for them. */
  add(kind: NamedKind, ...refs: Array<NamedRef | undefined | null>): void {
    const map = this.map(kind);
    for (const ref of refs) if (ref?.name) map.set(ref.id, ref.name);
  }

  /** The name of an id, "#id" when Redmine does not show it to this key. */
  async name(kind: NamedKind, id: number | string): Promise<string> {
    const key = Number(id);
    if (!this.map(kind).has(key)) await this.load(kind);
    return this.map(kind).get(key) ?? `#${id}`;
  }

  get hasProject(): boolean {
    return this.project !== undefined;
  }

  /** The project's members (users only), read once. */
  async members(): Promise<NamedRef[]> {
    await this.load('user');
    return this.memberList;
  }

  private memberList: NamedRef[] = [];

  private map(kind: NamedKind): Map<number, string> {
    let map = this.known.get(kind);
    if (!map) this.known.set(kind, (map = new Map()));
    return map;
  }

  private load(kind: NamedKind): Promise<void> {
    let loading = this.loaded.get(kind);
    if (!loading) {
      loading = this.fetch(kind).catch((error: unknown) => {
        // A list this key may not read (403) leaves the ids as they are; anything else is a real failure.
        if (!(error instanceof UpstreamError && (error.status === 403 || error.status === 404))) throw error;
      });
      this.loaded.set(kind, loading);
    }
    return loading;
  }

  private async fetch(kind: NamedKind): Promise<void> {
    const { client, signal } = this.ctx;
    if (this.project === undefined && kind !== 'project') return;
    const base = `/projects/${pathSegment(this.project ?? '')}`;
    if (kind === 'user') {
      const { memberships } = await client.get<{ memberships: Membership[] }>(`${base}/memberships.json`, { limit: 100 }, signal);
      this.memberList = memberships.flatMap((m) => (m.user ? [m.user] : []));
      this.add('user', ...this.memberList);
    } else if (kind === 'version') {
      this.add('version', ...(await client.get<{ versions: NamedRef[] }>(`${base}/versions.json`, undefined, signal)).versions);
    } else if (kind === 'category') {
      this.add('category', ...(await client.get<{ issue_categories: NamedRef[] }>(`${base}/issue_categories.json`, undefined, signal)).issue_categories);
    } else {
      this.add('project', ...(await client.get<{ projects: NamedRef[] }>('/projects.json', { limit: 100 }, signal)).projects);
    }
  }
}

/**
 * A user given as "me", an id, a login or a name, resolved among the project's members: "me" and ids as they are,
 * a login through the user list where the key may read it (administrators), a name (or a unique part of one) among
 * the members. Unknown or ambiguous: an error listing the members to choose from.
 */
export async function resolveUser(ctx: RedmineContext, names: Names, value: string, field: string): Promise<string> {
  if (value === 'me' || /^\d+$/.test(value)) return value;
  const wanted = value.toLowerCase();
  const members = await names.members();
  const exact = members.filter((m) => m.name.toLowerCase() === wanted);
  if (exact.length === 1) return String(exact[0]!.id);
  const byLogin = await usersByLogin(ctx, value);
  if (byLogin.length === 1) return String(byLogin[0]!.id);
  const partial = exact.length ? exact : members.filter((m) => m.name.toLowerCase().includes(wanted));
  if (partial.length === 1) return String(partial[0]!.id);
  const choices = (partial.length ? partial : members).map((m) => `${m.name} (${m.id})`).join(', ');
  throw new InputError(
    partial.length
      ? `${field}: "${value}" matches several members: ${choices}. Give one of their ids.`
      : members.length || names.hasProject
        ? `${field}: no member of the project is "${value}". Members: ${choices || 'none visible to this key'}; or give "me" or a user id.`
        : `${field}: "${value}" is not a login this key can look up; give "me", a user id, or the project so that the name is looked up among its members.`,
  );
}

/** Users whose login is exactly this (administrator keys only; others get none). */
async function usersByLogin(ctx: RedmineContext, login: string): Promise<NamedRef[]> {
  try {
    const { users } = await ctx.client.get<{ users: Array<{ id: number; login: string; firstname?: string; lastname?: string }> }>(
      '/users.json',
      { name: login, limit: 25 },
      ctx.signal,
    );
    return users
      .filter((u) => u.login.toLowerCase() === login.toLowerCase())
      .map((u) => ({ id: u.id, name: [u.firstname, u.lastname].filter(Boolean).join(' ') || u.login }));
  } catch (error) {
    if (error instanceof UpstreamError && error.status === 403) return [];
    throw error;
  }
}
