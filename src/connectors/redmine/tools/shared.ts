// Schema pieces and helpers shared by the Redmine tools.
import { z } from 'zod';
import { InputError } from '../../../core/errors.js';
import { defineTool, type ObjectSchema, type ToolContext, type ToolDefinition } from '../../../core/tool.js';
import type { RedmineClient } from '../client.js';

export type RedmineContext = ToolContext<RedmineClient>;

/** defineTool with the Redmine client as context, so handlers get a typed `ctx.client`. */
export function redmineTool<Input extends ObjectSchema, Output extends ObjectSchema>(
  definition: ToolDefinition<RedmineClient, Input, Output>,
): ToolDefinition<RedmineClient, Input, Output> {
  return defineTool(definition);
}

export const MAX_ID = 2_147_483_647;

/** A positive id; described only when its name does not say what it is. */
export const idSchema = (what?: string) => {
  const schema = z.number().int().min(1).max(MAX_ID);
  return what ? schema.describe(what) : schema;
};

export const projectSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^(?:[a-z][a-z0-9_-]*|\d+)$/, 'must be a project identifier (lowercase letters, digits, - and _) or a numeric id')
  .describe('Project identifier or id');

export const dateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');

/** A name or numeric id given as text ("Bug" or "1"), resolved against Redmine's lookup lists. */
export const nameOrIdSchema = (example?: string) =>
  z.string().min(1).max(100).describe(example ? `Name or id, e.g. "${example}"` : 'Name or id');

// Paging needs no description: the name, default and bounds say it all.
export const offsetSchema = z.number().int().min(0).max(1_000_000).default(0);
export const limitSchema = (defaultLimit: number) => z.number().int().min(1).max(100).default(defaultLimit);

export const refOutput = z.object({ id: z.number(), name: z.string() });

/** Redmine's reference objects ({id, name}), reduced to what a model needs. */
export function ref(value: { id: number; name?: string } | undefined | null): { id: number; name: string } | undefined {
  return value ? { id: value.id, name: value.name ?? `#${value.id}` } : undefined;
}

export const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;
/** Creates something new: not destructive, not idempotent (a repeat creates a second one). */
export const creates = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true } as const;
/** Changes existing data in place: overwrites values, so destructive; repeating gives the same state. */
export const updates = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true } as const;
/** Adds to existing data without overwriting (a watcher, a relation): repeating is harmless. */
export const adds = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;
export const deletes = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true } as const;

/** "Done: ..." line shared by write tools' text rendering. */
export function done(message: string, url?: string): string {
  return url ? `${message} (${url})` : message;
}

// ---------------------------------------------------------------- results under REDMINE_PROJECTS

/** The reference or id of the project an object belongs to. */
type ProjectOf<T> = (item: T) => { id: number } | number | undefined | null;

/** Result field saying that objects outside the scope were left out, without naming or counting them. */
export const scopeNoteOutput = z.string().optional().describe('Set when objects outside the allowed projects were left out');

export function scopeNote(ctx: RedmineContext, leftOut: boolean, what: string): string | undefined {
  return leftOut ? `${what} outside the allowed projects (${ctx.scope.setting}) were left out.` : undefined;
}

/**
 * The second check of every result under a scope: keeps the objects whose project is allowed, whatever request
 * produced them (a saved query, a subproject Redmine adds on its own, a shared version, a cross-project relation).
 */
export async function keepInScope<T>(ctx: RedmineContext, items: readonly T[], projectOf: ProjectOf<T>): Promise<{ kept: T[]; leftOut: boolean }> {
  const inScope = await ctx.client.projectFilter(ctx.scope, ctx.signal);
  if (!inScope) return { kept: [...items], leftOut: false };
  const kept = items.filter((item) => inScope(projectOf(item)));
  return { kept, leftOut: kept.length < items.length };
}

/** Objects read at most to count and page a list that mixes allowed and other projects. */
const SCAN_LIMIT = 2000;
const SCAN_PAGE = 100;

/**
 * One page of a paged Redmine list, holding only objects of allowed projects, with a total that counts only them.
 * `exact` says the request itself is limited to the allowed projects: its page is used as it is unless it holds an
 * object of another project. Otherwise the list is read from its start, so that offsets and the total count the
 * allowed objects only and reveal nothing about the others (up to SCAN_LIMIT objects; `narrow` says how to stay below).
 */
export async function scopedPage<T>(
  ctx: RedmineContext,
  options: {
    offset: number;
    limit: number;
    exact: boolean;
    fetch: (offset: number, limit: number) => Promise<{ items: T[]; total: number }>;
    projectOf: ProjectOf<T>;
    narrow: string;
  },
): Promise<{ items: T[]; total: number; leftOut: boolean }> {
  const inScope = await ctx.client.projectFilter(ctx.scope, ctx.signal);
  if (!inScope || options.exact) {
    const page = await options.fetch(options.offset, options.limit);
    if (!inScope || page.items.every((item) => inScope(options.projectOf(item)))) return { ...page, leftOut: false };
  }
  const kept: T[] = [];
  let leftOut = false;
  for (let offset = 0; ; ) {
    if (offset >= SCAN_LIMIT) {
      throw new InputError(
        `This list mixes projects inside and outside ${ctx.scope.setting}, and Bastion reads at most ${SCAN_LIMIT} entries of such a list ` +
          `to page the allowed ones without revealing the others: ${options.narrow}`,
      );
    }
    const page = await options.fetch(offset, SCAN_PAGE);
    for (const item of page.items) {
      if (inScope(options.projectOf(item))) kept.push(item);
      else leftOut = true;
    }
    offset += page.items.length;
    if (!page.items.length || offset >= page.total) break;
  }
  return { items: kept.slice(options.offset, options.offset + options.limit), total: kept.length, leftOut };
}
