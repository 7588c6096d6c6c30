// The data model of the YouTrack test double: plain records that tests can read and change directly.
// Entity ids follow YouTrack's "<type>-<n>" form; references between records are by entity id.

/** A field's kind is YouTrack's FieldType.valueType, so that the recorded project's fields map one to one. */
export type FieldKind =
  | 'enum'
  | 'state'
  | 'user'
  | 'version'
  | 'build'
  | 'ownedField'
  | 'group'
  | 'period'
  | 'date'
  | 'date and time'
  | 'integer'
  | 'float'
  | 'string'
  | 'text';

/** Kinds whose values are elements of the field's bundle, written as {"name": "..."}. */
export const BUNDLE_KINDS: ReadonlySet<FieldKind> = new Set(['enum', 'state', 'version', 'build', 'ownedField', 'group']);

/** One transition of a state-machine workflow rule: the event `event` moves the field from `from` to `to`. */
export interface Transition {
  from: string;
  event: string;
  to: string;
}

export interface UserRecord {
  id: string; // 1-N
  login: string;
  fullName: string;
  email: string;
  ringId: string;
  /** The time zone of the user's profile (GeneralUserProfile.timezone), an IANA id. */
  timezone: string;
  /** System administrator: may write under /api/admin and delete issues. */
  admin: boolean;
  banned: boolean;
  guest: boolean;
}

export interface BundleElement {
  id: string;
  name: string;
  description: string | null;
  ordinal: number;
  archived: boolean;
  /** State bundles only. */
  isResolved?: boolean;
  /** Version bundles only. */
  released?: boolean;
  releaseDate?: number | null;
}

/** A custom field as attached to one project (YouTrack's ProjectCustomField). */
export interface ProjectField {
  id: string; // 92-N, also the id of the matching IssueCustomField in issues
  fieldId: string; // 58-N, the global CustomField
  name: string;
  kind: FieldKind;
  multi: boolean;
  canBeEmpty: boolean;
  emptyFieldText: string;
  bundleId: string | null;
  values: BundleElement[];
  /** Name (or login) set on new issues when the create request leaves the field out. */
  defaultValue: string | null;
  ordinal: number;
  localizedName?: string | null;
  /** A conditional field: present on an issue only while the named field has one of the values. */
  condition?: { fieldName: string; values: string[]; showForNullValue: boolean };
  /** A state field run by a state-machine rule: StateMachineIssueCustomField on issues, changed by events only. */
  stateMachine?: Transition[];
}

/**
 * The value of one custom field in an issue:
 * enum/state/version: element name (multi: list of names); user: login; period: minutes;
 * date: epoch ms; integer: number; empty: null (multi: []).
 */
export type FieldValue = string | string[] | number | null;

export interface ProjectRecord {
  id: string; // 0-N
  shortName: string;
  name: string;
  description: string | null;
  archived: boolean;
  leaderId: string;
  createdById: string;
  fields: ProjectField[];
  workItemTypeIds: string[];
  nextIssueNumber: number;
  nextArticleNumber: number;
  /** Users with a role in the project; undefined: everyone. Others get its field list as `200 []`, as a real server does. */
  memberLogins?: string[];
}

export interface IssueRecord {
  id: string; // 2-N
  idReadable: string; // KEY-N
  projectId: string;
  numberInProject: number;
  summary: string;
  description: string | null;
  usesMarkdown: boolean;
  created: number;
  updated: number;
  resolved: number | null;
  reporterId: string;
  updaterId: string;
  /** Custom field values by field name. */
  fields: Record<string, FieldValue>;
  tagIds: string[];
  /** LimitedVisibility: only these groups (ids) see the issue; absent: UnlimitedVisibility. */
  visibleToGroupIds?: string[];
}

export interface CommentRecord {
  id: string; // 4-N
  issueId: string;
  /** null once the comment is taken back (deleted: true), as a real server lists it. */
  text: string | null;
  usesMarkdown: boolean;
  authorId: string;
  created: number;
  updated: number | null;
  deleted: boolean;
  /** LimitedVisibility: only these groups (ids) see the comment; absent: UnlimitedVisibility. */
  visibleToGroupIds?: string[];
}

/** A file attached to an issue (IssueAttachment); its bytes are served at `url`. */
export interface AttachmentRecord {
  id: string; // 74-N
  issueId: string;
  name: string;
  mimeType: string;
  content: Buffer;
  authorId: string;
  created: number;
  /** The signature in `url` (a real server signs attachment URLs so that they work without a token). */
  sign: string;
}

export interface LinkTypeRecord {
  id: string;
  name: string;
  directed: boolean;
  aggregation: boolean;
  sourceToTarget: string;
  targetToSource: string;
  readOnly: boolean;
}

/** One link between two issues; for undirected types source and target are interchangeable. */
export interface LinkRecord {
  typeId: string;
  sourceId: string;
  targetId: string;
}

export interface TagRecord {
  id: string; // 6-N
  name: string;
  ownerId: string;
  untagOnResolve: boolean;
  /** Users (ids) the tag is shared with for reading only (readSharingSettings), and for tagging (tagSharingSettings). */
  readers?: string[];
  taggers?: string[];
}

export interface WorkItemTypeRecord {
  id: string;
  name: string;
  autoAttached: boolean;
}

export interface WorkItemRecord {
  id: string; // 8-N
  issueId: string;
  authorId: string;
  creatorId: string;
  /** Midnight UTC of the work day, epoch ms. */
  date: number;
  minutes: number;
  text: string | null;
  usesMarkdown: boolean;
  typeId: string | null;
  created: number;
  updated: number | null;
}

export interface ArticleRecord {
  id: string; // 9-N
  idReadable: string; // KEY-A-N
  projectId: string;
  summary: string;
  content: string;
  reporterId: string;
  created: number;
  updated: number;
  parentId: string | null;
  ordinal: number;
}

export interface AgileRecord {
  id: string; // 120-N
  name: string;
  ownerId: string;
  projectIds: string[];
  sprintIds: string[];
}

export interface SprintRecord {
  id: string; // 121-N
  agileId: string;
  name: string;
  goal: string | null;
  start: number | null;
  finish: number | null;
  archived: boolean;
  isDefault: boolean;
  issueIds: string[];
}

/** A user group (UserGroup, AllUsersGroup, RegisteredUsersGroup or a project's team, ProjectTeam). */
export interface GroupRecord {
  id: string; // 3-N
  name: string;
  $type: 'UserGroup' | 'AllUsersGroup' | 'RegisteredUsersGroup' | 'ProjectTeam';
  memberIds: string[];
  /** The project whose team this group is (ProjectTeam only). */
  projectId?: string;
}

/** A saved search: its owner sees it, and everybody when it is shared with all users. */
export interface SavedQueryRecord {
  id: string; // 79-N
  name: string;
  query: string;
  ownerId: string;
  sharedWithAll: boolean;
}

/** A recorded change of an issue's summary, description or custom field (the rest of its history is derived). */
export interface ActivityRecord {
  id: string; // 105-N
  issueId: string;
  category: 'SummaryCategory' | 'DescriptionCategory' | 'CustomFieldCategory';
  /** The custom field's name (CustomFieldCategory). */
  field?: string;
  removed: FieldValue;
  added: FieldValue;
  authorId: string;
  timestamp: number;
}

export interface YouTrackState {
  users: UserRecord[];
  projects: ProjectRecord[];
  issues: IssueRecord[];
  comments: CommentRecord[];
  attachments: AttachmentRecord[];
  /** The service's path prefix ('' in the cloud layout, e.g. '/youtrack' self-hosted): attachment URLs start with it. */
  servicePrefix: string;
  linkTypes: LinkTypeRecord[];
  links: LinkRecord[];
  tags: TagRecord[];
  workItemTypes: WorkItemTypeRecord[];
  workItems: WorkItemRecord[];
  articles: ArticleRecord[];
  agiles: AgileRecord[];
  sprints: SprintRecord[];
  groups: GroupRecord[];
  savedQueries: SavedQueryRecord[];
  activities: ActivityRecord[];
  /** Last number handed out per id prefix ("2" for issues, ...). */
  sequences: Record<string, number>;
  /** Last timestamp handed out, so that writes within one millisecond still move `updated` forward. */
  clock: number;
  /** Queries already counted by POST /issuesGetter/count: a real server answers -1 for a new query, then the number. */
  countedQueries: Set<string>;
}

export const ENTITY_ID = /^\d+-\d+$/;

export function nextId(state: YouTrackState, prefix: string): string {
  const next = (state.sequences[prefix] ?? 0) + 1;
  state.sequences[prefix] = next;
  return `${prefix}-${next}`;
}

/** A timestamp strictly greater than any handed out before. */
export function tick(state: YouTrackState): number {
  state.clock = Math.max(Date.now(), state.clock + 1);
  return state.clock;
}

/** Removes matching items in place, so that references to the state's arrays stay valid. */
export function removeWhere<T>(items: T[], matches: (item: T) => boolean): void {
  for (let index = items.length - 1; index >= 0; index -= 1) if (matches(items[index]!)) items.splice(index, 1);
}

export function findUser(state: YouTrackState, idOrLogin: string): UserRecord | undefined {
  return state.users.find((user) => user.id === idOrLogin || user.login === idOrLogin);
}

export function findProject(state: YouTrackState, idOrShortName: string): ProjectRecord | undefined {
  const upper = idOrShortName.toUpperCase();
  return state.projects.find((project) => project.id === idOrShortName || project.shortName.toUpperCase() === upper);
}

/** Finds an issue by entity id (2-N) or readable id (KEY-N, any case). */
export function findIssue(state: YouTrackState, idOrKey: string): IssueRecord | undefined {
  const upper = idOrKey.toUpperCase();
  return state.issues.find((issue) => issue.id === idOrKey || issue.idReadable.toUpperCase() === upper);
}

export function findArticle(state: YouTrackState, idOrKey: string): ArticleRecord | undefined {
  const upper = idOrKey.toUpperCase();
  return state.articles.find((article) => article.id === idOrKey || article.idReadable.toUpperCase() === upper);
}

export function projectOf(state: YouTrackState, issue: IssueRecord): ProjectRecord {
  const project = state.projects.find((candidate) => candidate.id === issue.projectId);
  if (!project) throw new Error(`issue ${issue.idReadable} points at missing project ${issue.projectId}`);
  return project;
}

export function stateIsResolved(project: ProjectRecord, stateName: FieldValue): boolean {
  const field = project.fields.find((candidate) => candidate.kind === 'state' && candidate.name === 'State') ?? project.fields.find((candidate) => candidate.kind === 'state');
  return field?.values.find((value) => value.name === stateName)?.isResolved === true;
}

/** Sets `resolved` when the issue's State turns resolved and clears it when it turns unresolved. */
export function refreshResolved(state: YouTrackState, issue: IssueRecord, at: number): void {
  const project = projectOf(state, issue);
  const stateField = project.fields.find((field) => field.kind === 'state' && field.name === 'State') ?? project.fields.find((field) => field.kind === 'state');
  if (!stateField) return;
  const resolvedNow = stateIsResolved(project, issue.fields[stateField.name] ?? null);
  if (resolvedNow && issue.resolved === null) issue.resolved = at;
  if (!resolvedNow) issue.resolved = null;
}

/** Records a write on an issue: `updated` moves forward and `updater` is the caller. */
export function touch(state: YouTrackState, issue: IssueRecord, user: UserRecord): number {
  const at = tick(state);
  issue.updated = at;
  issue.updaterId = user.id;
  return at;
}

const MINUTES_PER_HOUR = 60;
const HOURS_PER_DAY = 8;
const DAYS_PER_WEEK = 5;

/** Formats minutes the way YouTrack presents durations with default settings (8h days, 5d weeks). */
export function presentDuration(minutes: number): string {
  if (minutes === 0) return '0m';
  const units: Array<[string, number]> = [
    ['w', MINUTES_PER_HOUR * HOURS_PER_DAY * DAYS_PER_WEEK],
    ['d', MINUTES_PER_HOUR * HOURS_PER_DAY],
    ['h', MINUTES_PER_HOUR],
    ['m', 1],
  ];
  const parts: string[] = [];
  let rest = minutes;
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.join(' ');
}

/** Parses "1w 2d 3h 30m" style durations; undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  if (!/^(\d+\s*[wdhm]\s*)+$/.test(trimmed)) return undefined;
  const sizes: Record<string, number> = { w: 2400, d: 480, h: 60, m: 1 };
  let total = 0;
  for (const match of trimmed.matchAll(/(\d+)\s*([wdhm])/g)) total += Number(match[1]) * sizes[match[2]!]!;
  return total;
}

export function midnightUtc(epochMs: number): number {
  const day = new Date(epochMs);
  return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate());
}

/** The calendar day (YYYY-MM-DD) of an instant in a time zone. */
export function dayIn(epochMs: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(epochMs));
}

/** Milliseconds the zone is ahead of UTC at an instant. */
export function zoneOffset(epochMs: number, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
      .formatToParts(new Date(epochMs))
      .map((part) => [part.type, Number(part.value)]),
  );
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!) - Math.floor(epochMs / 1000) * 1000;
}

/** Midnight of a day (YYYY-MM-DD) in a time zone, as epoch milliseconds. */
export function midnightIn(day: string, timeZone: string): number {
  const utc = Date.parse(`${day}T00:00:00Z`);
  const first = utc - zoneOffset(utc, timeZone);
  return utc - zoneOffset(first, timeZone);
}

/** A field condition holds when the controlling field has one of the values (or is empty and showForNullValue). */
export function conditionHolds(issue: IssueRecord, field: ProjectField): boolean {
  if (!field.condition) return true;
  const current = issue.fields[field.condition.fieldName] ?? null;
  const values = Array.isArray(current) ? current : current === null ? [] : [String(current)];
  if (values.length === 0) return field.condition.showForNullValue;
  return values.some((value) => field.condition!.values.includes(value));
}
