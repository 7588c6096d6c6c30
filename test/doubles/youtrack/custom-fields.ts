// Checks custom-field values sent in issue create/update bodies against the project's schema.
// A `$type` that names a real IssueCustomField type but not this field's type answers 500, as YouTrack does
// ("500 Server Error When Updating a Custom Field"); a value outside the bundle or a missing required value is a 400.
import { badRequest, invalidProperties, serverError } from './errors.js';
import { dayIn, findUser, parseDuration, type FieldValue, type IssueRecord, type ProjectField, type ProjectRecord, type UserRecord, type YouTrackState } from './model.js';
import { issueFieldType } from './views.js';

const KNOWN_ISSUE_FIELD_TYPES = new Set([
  'SingleEnumIssueCustomField',
  'MultiEnumIssueCustomField',
  'StateIssueCustomField',
  'StateMachineIssueCustomField',
  'SingleUserIssueCustomField',
  'MultiUserIssueCustomField',
  'SingleGroupIssueCustomField',
  'MultiGroupIssueCustomField',
  'SingleVersionIssueCustomField',
  'MultiVersionIssueCustomField',
  'SingleBuildIssueCustomField',
  'MultiBuildIssueCustomField',
  'SingleOwnedIssueCustomField',
  'MultiOwnedIssueCustomField',
  'PeriodIssueCustomField',
  'DateIssueCustomField',
  'SimpleIssueCustomField',
  'TextIssueCustomField',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Finds the project field an IssueCustomField in a request body refers to (by `name` or `id`). */
export function fieldFor(project: ProjectRecord, item: Record<string, unknown>): ProjectField {
  const name = typeof item.name === 'string' ? item.name : undefined;
  const id = typeof item.id === 'string' ? item.id : undefined;
  const field = project.fields.find((candidate) => (name !== undefined ? candidate.name === name : candidate.id === id));
  if (!field) throw badRequest(`Unknown custom field ${describe(name ?? id)} in project ${project.shortName}`);
  return field;
}

/** What a write is made in: the caller (whose time zone places a date on its day) and the issue it changes, if any. */
export interface WriteContext {
  me: UserRecord;
  issue?: IssueRecord;
}

/** Validates one IssueCustomField object from a request body and returns the value to store. */
export function readFieldValue(state: YouTrackState, project: ProjectRecord, field: ProjectField, item: Record<string, unknown>, write: WriteContext): FieldValue {
  const type = item.$type;
  if (typeof type !== 'string') throw badRequest(`Custom field "${field.name}": $type is missing`);
  if (!KNOWN_ISSUE_FIELD_TYPES.has(type)) throw badRequest(`Unknown entity type: ${type}`);
  const expected = issueFieldType(field);
  if (type !== expected) {
    throw serverError(`Incompatible field type: ${type} cannot be used for field "${field.name}" of type ${expected}`);
  }
  if (field.stateMachine) return applyEvent(field, item, write);
  if (!('value' in item)) throw badRequest(`Custom field "${field.name}": value is missing`);
  const raw = item.value;
  const value = convert(state, project, field, raw, write);
  const empty = value === null || (Array.isArray(value) && value.length === 0);
  if (empty && !field.canBeEmpty) throw invalidProperties(`${field.name} is required`);
  return value;
}

/**
 * A state-machine field changes through an event (a transition from the current value), never through a value.
 * Assumption: the error texts; YouTrack's documentation says only that such fields need an event.
 */
function applyEvent(field: ProjectField, item: Record<string, unknown>, write: WriteContext): FieldValue {
  if (!write.issue) throw badRequest(`Field "${field.name}" is managed by a state machine and is set by its workflow when the issue is created`);
  const event = item.event;
  if (!isRecord(event)) throw badRequest(`Field "${field.name}" is managed by a state machine: send an "event" to change it, not a value`);
  const current = write.issue.fields[field.name];
  const key = typeof event.id === 'string' ? event.id : typeof event.presentation === 'string' ? event.presentation : undefined;
  const transition = field.stateMachine!.find((t) => t.from === current && t.event === key);
  if (!transition) throw badRequest(`Event ${describe(key)} is not possible for field "${field.name}" in state ${describe(current)}`);
  return transition.to;
}

function convert(state: YouTrackState, project: ProjectRecord, field: ProjectField, raw: unknown, write: WriteContext): FieldValue {
  if (field.multi) {
    if (raw === null) return [];
    if (!Array.isArray(raw)) throw badRequest(`Custom field "${field.name}" takes a list of values, got ${describe(raw)}`);
    return raw.map((item) => single(state, project, field, item, write)).filter((item): item is string => typeof item === 'string');
  }
  if (Array.isArray(raw)) throw badRequest(`Custom field "${field.name}" takes a single value, got a list`);
  return single(state, project, field, raw, write);
}

function single(state: YouTrackState, project: ProjectRecord, field: ProjectField, raw: unknown, write: WriteContext): string | number | null {
  if (raw === null) return null;
  switch (field.kind) {
    case 'enum':
    case 'state':
    case 'version':
    case 'build':
    case 'ownedField':
    case 'group': {
      if (!isRecord(raw)) throw badRequest(`Custom field "${field.name}" takes an object such as {"name": "..."}, got ${describe(raw)}`);
      const element = field.values.find((candidate) => (typeof raw.name === 'string' ? candidate.name === raw.name : candidate.id === raw.id));
      if (!element) {
        throw badRequest(`Value ${describe(raw.name ?? raw.id)} is not in the bundle of field "${field.name}" in project ${project.shortName}`);
      }
      return element.name;
    }
    case 'user': {
      if (!isRecord(raw)) throw badRequest(`Custom field "${field.name}" takes a user object such as {"login": "..."}, got ${describe(raw)}`);
      const key = typeof raw.login === 'string' ? raw.login : typeof raw.id === 'string' ? raw.id : undefined;
      const user = key === undefined ? undefined : findUser(state, key);
      if (!user) throw badRequest(`User ${describe(raw.login ?? raw.id)} is not a valid value of field "${field.name}"`);
      return user.login;
    }
    case 'period': {
      if (!isRecord(raw)) throw badRequest(`Custom field "${field.name}" takes {"minutes": n} or {"presentation": "1h 30m"}, got ${describe(raw)}`);
      if (typeof raw.minutes === 'number' && Number.isInteger(raw.minutes) && raw.minutes >= 0) return raw.minutes;
      const minutes = typeof raw.presentation === 'string' ? parseDuration(raw.presentation) : undefined;
      if (minutes === undefined) throw badRequest(`Invalid period value ${describe(raw)} for field "${field.name}"`);
      return minutes;
    }
    case 'date': {
      // Stored at 12:00 UTC of the day (measured on 2026.1). Assumption: the day is the one the instant falls on in the
      // caller's time zone, so a client that sends midnight UTC lands on the day before for a user west of UTC.
      if (typeof raw !== 'number' || !Number.isInteger(raw)) throw badRequest(`Field "${field.name}" takes a timestamp in milliseconds, got ${describe(raw)}`);
      return Date.parse(`${dayIn(raw, write.me.timezone)}T12:00:00Z`);
    }
    case 'date and time':
      if (typeof raw !== 'number' || !Number.isInteger(raw)) throw badRequest(`Field "${field.name}" takes a timestamp in milliseconds, got ${describe(raw)}`);
      return raw;
    case 'integer':
      if (typeof raw !== 'number' || !Number.isInteger(raw)) throw badRequest(`Field "${field.name}" takes an integer, got ${describe(raw)}`);
      return raw;
    case 'float':
      if (typeof raw !== 'number' || !Number.isFinite(raw)) throw badRequest(`Field "${field.name}" takes a number, got ${describe(raw)}`);
      return raw;
    case 'string':
      if (typeof raw !== 'string') throw badRequest(`Field "${field.name}" takes a string, got ${describe(raw)}`);
      return raw;
    case 'text':
      if (!isRecord(raw) || typeof raw.text !== 'string') throw badRequest(`Field "${field.name}" takes {"text": "..."}, got ${describe(raw)}`);
      return raw.text;
  }
}

/** Reads the `customFields` list of a create/update body into field values by name. */
export function readCustomFields(state: YouTrackState, project: ProjectRecord, list: unknown, write: WriteContext): Map<ProjectField, FieldValue> {
  const out = new Map<ProjectField, FieldValue>();
  if (list === undefined) return out;
  if (!Array.isArray(list)) throw badRequest('customFields must be a list');
  for (const item of list) {
    if (!isRecord(item)) throw badRequest(`Invalid custom field entry ${describe(item)}`);
    const field = fieldFor(project, item);
    out.set(field, readFieldValue(state, project, field, item, write));
  }
  return out;
}
