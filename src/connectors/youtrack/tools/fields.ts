// Converts `{name: value}` custom fields into YouTrack's typed values, using the project's schema:
// the right $type for each field, values checked against the field's bundle, clear errors listing the choices.
import { InputError } from '../../../core/errors.js';
import type { YtFieldSchema, YouTrackClient } from '../client.js';

export type FieldInput = Record<string, string | number | string[] | null>;

const BUNDLE_KINDS = new Set(['Enum', 'State', 'Version', 'Build', 'Owned']);

function kindOf(field: YtFieldSchema): string {
  return field.projectType.replace(/ProjectCustomField$/, '');
}

function pickAllowed(field: YtFieldSchema, value: string): string {
  const found = field.values.find((allowed) => allowed.toLowerCase() === value.toLowerCase());
  if (!found) throw new InputError(`custom_fields: "${value}" is not a value of ${field.name}. Allowed: ${field.values.join(', ') || 'none'}.`);
  return found;
}

/** Epoch milliseconds from "YYYY-MM-DD", an ISO date-time, or a number. */
function toEpoch(field: YtFieldSchema, value: string | number): number {
  if (typeof value === 'number') return value;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) throw new InputError(`custom_fields: ${field.name} needs a date like 2026-11-30, not "${value}".`);
  return ms;
}

function toNumber(field: YtFieldSchema, value: string | number, integer: boolean): number {
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(number) || (integer && !Number.isInteger(number))) {
    throw new InputError(`custom_fields: ${field.name} needs ${integer ? 'a whole number' : 'a number'}, not "${value}".`);
  }
  return number;
}

function convertValue(field: YtFieldSchema, raw: string | number | string[], meLogin: string | undefined): unknown {
  const kind = kindOf(field);
  const list = Array.isArray(raw) ? raw : [String(raw)];
  if (Array.isArray(raw) && !field.multiple && raw.length !== 1) throw new InputError(`custom_fields: ${field.name} takes one value, not a list.`);
  if (BUNDLE_KINDS.has(kind) || kind === 'Group') {
    const items = list.map((value) => ({ name: BUNDLE_KINDS.has(kind) ? pickAllowed(field, value) : value }));
    return field.multiple ? items : items[0];
  }
  if (kind === 'User') {
    const items = list.map((login) => ({ login: login === 'me' && meLogin ? meLogin : login }));
    return field.multiple ? items : items[0];
  }
  if (kind === 'Period') {
    // A number is minutes; text is YouTrack's duration syntax ("1w 2d 4h 30m").
    return typeof raw === 'number' ? { minutes: toNumber(field, raw, true) } : { presentation: list[0] };
  }
  if (kind === 'Text') return { text: list[0] };
  const single = Array.isArray(raw) ? raw[0]! : raw;
  switch (field.valueType) {
    case 'integer':
      return toNumber(field, single, true);
    case 'float':
      return toNumber(field, single, false);
    case 'date':
    case 'date and time':
      return toEpoch(field, single);
    default:
      return String(single);
  }
}

/** The IssueCustomField list a create or update sends, or a clear InputError naming the field. */
export async function toIssueCustomFields(
  client: YouTrackClient,
  projectId: string,
  input: FieldInput | undefined,
  signal: AbortSignal,
): Promise<Array<{ name: string; $type: string; value: unknown }> | undefined> {
  if (!input || Object.keys(input).length === 0) return undefined;
  const schema = await client.fieldSchema(projectId, signal);
  const needsMe = Object.values(input).some((value) => value === 'me' || (Array.isArray(value) && value.includes('me')));
  const me = needsMe ? (await client.get<{ login: string }>('/users/me', 'login', undefined, signal)).login : undefined;
  return Object.entries(input).map(([name, raw]) => {
    const field = schema.find((f) => f.name.toLowerCase() === name.toLowerCase());
    if (!field) throw new InputError(`custom_fields: the project has no field "${name}". Fields: ${schema.map((f) => f.name).join(', ')}.`);
    if (raw === null || (Array.isArray(raw) && raw.length === 0)) {
      if (!field.canBeEmpty) throw new InputError(`custom_fields: ${field.name} cannot be empty in this project.`);
      return { name: field.name, $type: field.issueType, value: field.multiple ? [] : null };
    }
    return { name: field.name, $type: field.issueType, value: convertValue(field, raw, me) };
  });
}
