// Schema pieces and helpers shared by the YouTrack tools.
import { z } from 'zod';
import { defineTool, type ObjectSchema, type ToolContext, type ToolDefinition } from '../../../core/tool.js';
import { utcDateTime } from '../../../core/time.js';
import type { YouTrackClient } from '../client.js';

export type YouTrackContext = ToolContext<YouTrackClient>;

export function youtrackTool<Input extends ObjectSchema, Output extends ObjectSchema>(
  definition: ToolDefinition<YouTrackClient, Input, Output>,
): ToolDefinition<YouTrackClient, Input, Output> {
  return defineTool(definition);
}

export const issueIdSchema = z
  .string()
  .min(1)
  .max(50)
  .regex(/^(?:[A-Za-z][A-Za-z0-9_]*-\d+|\d+-\d+)$/, 'must be an issue key like "DEMO-12" (or a database id like "2-38")')
  .describe('e.g. "DEMO-12"');

export const projectSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be a project short name like "DEMO" (or an entity id like "0-1")')
  .describe('Short name, e.g. "DEMO"');

export const entityIdSchema = (what: string) =>
  z.string().min(1).max(50).regex(/^\d+-\d+$/, `must be a YouTrack entity id like "4-17"`).describe(what);

// Paging needs no description: the name, default and bounds say it all.
export const skipSchema = z.number().int().min(0).max(100_000).default(0);
export const topSchema = (defaultTop: number) => z.number().int().min(1).max(100).default(defaultTop);

/** `{name: value}` custom fields; values are converted to the field's real type from the project's schema. */
export const customFieldsSchema = z
  .record(
    z.string().min(1).max(100),
    z.union([z.string().max(10_000), z.number(), z.array(z.string().max(200)).max(50), z.null()]),
  )
  .describe('By name, e.g. {"Assignee": "jane", "Fix versions": ["1.0"], "Due Date": "2026-11-30"}; date-times with zone ("2026-11-30T09:30:00Z"); null clears');

export const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;
export const creates = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true } as const;
export const updates = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true } as const;
export const adds = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;
export const deletes = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true } as const;

/** YouTrack timestamps are epoch milliseconds; results show ISO 8601 UTC. */
export function isoTime(epochMs: number | null | undefined): string | undefined {
  return typeof epochMs === 'number' ? new Date(epochMs).toISOString().replace('.000Z', 'Z') : undefined;
}

export interface YtUser {
  login?: string;
  fullName?: string;
  name?: string;
}

export function userName(user: YtUser | null | undefined): string | undefined {
  return user ? (user.fullName ?? user.login ?? user.name) : undefined;
}

/** A readable rendering of any custom-field value (enum, user, period, text, version, list, scalar). */
export function displayValue(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    const parts = value.map(displayValue).filter((part): part is string => Boolean(part));
    return parts.length ? parts.join(', ') : undefined;
  }
  if (typeof value === 'object') {
    const v = value as { name?: string; fullName?: string; login?: string; presentation?: string; text?: string; minutes?: number };
    return v.presentation ?? v.name ?? v.fullName ?? v.login ?? v.text ?? (v.minutes !== undefined ? `${v.minutes}m` : undefined);
  }
  return String(value);
}

/** How custom fields are read for display: the value, and the value type that tells a date-time from a number. */
export const FIELD_READ = 'customFields(name,$type,value(name,login,fullName,presentation,minutes,text),projectCustomField(field(fieldType(valueType))))';

export interface YtIssueField {
  name: string;
  $type?: string;
  value?: unknown;
  projectCustomField?: { field?: { fieldType?: { valueType?: string } } } | null;
}

/** Custom fields as {name: display value}, leaving out empty ones. */
export function fieldsByName(customFields: ReadonlyArray<YtIssueField> | undefined): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const f of customFields ?? []) {
    const value = fieldDisplay(f);
    if (value !== undefined) fields[f.name] = value;
  }
  return fields;
}

/**
 * A custom field's value for display. Dates and date-times are epoch milliseconds: a date-only value is kept at
 * 12:00 UTC of its day, so its UTC day is the day in every time zone; a date-time is shown in UTC, saying so.
 */
export function fieldDisplay(field: YtIssueField): string | undefined {
  if (typeof field.value === 'number') {
    if (field.$type === 'DateIssueCustomField') return isoTime(field.value)?.slice(0, 10);
    if (field.projectCustomField?.field?.fieldType?.valueType === 'date and time') return utcDateTime(field.value);
  }
  return displayValue(field.value);
}
