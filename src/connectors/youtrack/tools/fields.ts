// Converts `{name: value}` custom fields into YouTrack's typed values, using the project's schema:
// the right $type for each field, values checked against the field's bundle, clear errors listing the choices.
// A field run by a state-machine workflow is a StateMachineIssueCustomField on the issue (the project schema cannot
// tell) and changes through an event, a transition by name: such fields are written against the issue's own fields.
import { InputError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { isCalendarDay } from '../../../core/time.js';
import type { YtFieldSchema, YouTrackClient } from '../client.js';

export type FieldInput = Record<string, string | number | string[] | null>;

export interface IssueFieldWrite {
  name: string;
  $type: string;
  value?: unknown;
  event?: { id: string; presentation?: string | null; $type: 'Event' };
}

const BUNDLE_KINDS = new Set(['Enum', 'State', 'Version', 'Build', 'Owned']);

function kindOf(field: YtFieldSchema): string {
  return field.projectType.replace(/ProjectCustomField$/, '');
}

function pickAllowed(field: YtFieldSchema, value: string): string {
  const found = field.values.find((allowed) => allowed.toLowerCase() === value.toLowerCase());
  if (!found) throw new InputError(`custom_fields: "${value}" is not a value of ${field.name}. Allowed: ${field.values.join(', ') || 'none'}.`);
  return found;
}

/** A date-only value: YouTrack keeps it at 12:00 UTC of the day, which is that day in every time zone. */
function toDay(field: YtFieldSchema, value: string | number): number {
  if (typeof value === 'number') return value;
  if (!isCalendarDay(value)) throw new InputError(`custom_fields: ${field.name} is a date: give the day as YYYY-MM-DD (e.g. 2026-11-30), not "${value}".`);
  return Date.parse(`${value}T12:00:00Z`);
}

/** A date-and-time value must say its time zone, or the same words would mean different instants for different users. */
function toInstant(field: YtFieldSchema, value: string | number): number {
  if (typeof value === 'number') return value;
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw new InputError(`custom_fields: ${field.name} is a date and time: give it with its time zone, e.g. 2026-11-30T09:30:00Z or 2026-11-30T09:30:00+02:00, not "${value}".`);
  }
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
      return toDay(field, single);
    case 'date and time':
      return toInstant(field, single);
    default:
      return String(single);
  }
}

interface IssueField {
  name: string;
  $type: string;
  value?: { name?: string } | null;
  possibleEvents?: Array<{ id: string; presentation?: string | null }> | null;
}

/** The event (transition) a state-machine field takes for the name given, or an error listing the transitions it has now. */
function transition(field: IssueField, issueKey: string, requested: string): NonNullable<IssueFieldWrite['event']> {
  const events = field.possibleEvents ?? [];
  const wanted = requested.toLowerCase();
  const event = events.find((e) => (e.presentation ?? e.id).toLowerCase() === wanted || e.id.toLowerCase() === wanted);
  if (!event) {
    const now = field.value?.name ? ` (${field.name} is ${field.value.name})` : '';
    throw new InputError(
      `custom_fields: ${field.name} on ${issueKey} is run by a workflow state machine and changes by transitions; "${requested}" is not one it can take now${now}. Transitions: ${events.map((e) => e.presentation ?? e.id).join(', ') || 'none'}.`,
    );
  }
  return { id: event.id, presentation: event.presentation, $type: 'Event' };
}

/** The project's schema, or a clear error when YouTrack sent an empty one (the token's user has no role in the project). */
async function schemaFor(client: YouTrackClient, project: { id: string; shortName: string }, signal: AbortSignal): Promise<YtFieldSchema[]> {
  const schema = await client.fieldSchema(project.id, signal);
  if (schema.length === 0) {
    throw new InputError(
      `custom_fields: YouTrack lists no fields of project ${project.shortName} for this token (it does so when the token's user has no role in the project). Ask a YouTrack administrator for a project role, or leave custom_fields out.`,
    );
  }
  return schema;
}

/**
 * The IssueCustomField list a create or update sends, or a clear InputError naming the field. With `issue` (an
 * update), fields the issue carries as StateMachineIssueCustomField are written as transitions by name.
 */
export async function toIssueCustomFields(
  client: YouTrackClient,
  project: { id: string; shortName: string },
  input: FieldInput | undefined,
  signal: AbortSignal,
  issue?: { id: string; idReadable: string },
): Promise<IssueFieldWrite[] | undefined> {
  if (!input || Object.keys(input).length === 0) return undefined;
  const schema = await schemaFor(client, project, signal);
  const needsMe = Object.values(input).some((value) => value === 'me' || (Array.isArray(value) && value.includes('me')));
  const me = needsMe ? await client.myLogin(signal) : undefined;
  const onIssue = issue
    ? await client.get<{ customFields: IssueField[] }>(`/issues/${pathSegment(issue.id)}`, 'customFields(name,$type,value(name),possibleEvents(id,presentation))', undefined, signal)
    : undefined;
  return Object.entries(input).map(([name, raw]) => {
    const field = schema.find((f) => f.name.toLowerCase() === name.toLowerCase());
    if (!field) throw new InputError(`custom_fields: the project has no field "${name}". Fields: ${schema.map((f) => f.name).join(', ')}.`);
    const current = onIssue?.customFields.find((f) => f.name === field.name);
    if (current?.$type === 'StateMachineIssueCustomField') {
      if (typeof raw !== 'string') throw new InputError(`custom_fields: ${field.name} changes by a transition: give its name as text.`);
      return { name: field.name, $type: current.$type, event: transition(current, issue!.idReadable, raw) };
    }
    if (raw === null || (Array.isArray(raw) && raw.length === 0)) {
      if (!field.canBeEmpty) throw new InputError(`custom_fields: ${field.name} cannot be empty in this project.`);
      return { name: field.name, $type: field.issueType, value: field.multiple ? [] : null };
    }
    return { name: field.name, $type: field.issueType, value: convertValue(field, raw, me) };
  });
}

/** Splits create input into what the create can carry and the state fields, which may be run by a state machine. */
export async function splitStateFields(
  client: YouTrackClient,
  project: { id: string; shortName: string },
  input: FieldInput | undefined,
  signal: AbortSignal,
): Promise<{ now: FieldInput | undefined; after: FieldInput | undefined }> {
  if (!input || Object.keys(input).length === 0) return { now: input, after: undefined };
  const schema = await schemaFor(client, project, signal);
  const isState = (name: string) => schema.find((f) => f.name.toLowerCase() === name.toLowerCase())?.projectType === 'StateProjectCustomField';
  const now = Object.fromEntries(Object.entries(input).filter(([name]) => !isState(name)));
  const after = Object.fromEntries(Object.entries(input).filter(([name]) => isState(name)));
  return { now, after: Object.keys(after).length ? after : undefined };
}
