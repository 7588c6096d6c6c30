// Schema pieces and helpers shared by the Redmine tools.
import { z } from 'zod';
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
