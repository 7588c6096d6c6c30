// Typed YouTrack REST client on the core HTTP client: /api paths, `fields` projections, error_description,
// entity-id lookups and the per-project custom-field schema.
import { HttpClient, pathSegment, type HttpClientOptions, type QueryValue } from '../../core/http.js';
import { InputError, PolicyError, UpstreamError } from '../../core/errors.js';
import type { Scope } from '../../core/policy.js';
import type { Secret } from '../../core/secrets.js';
import { isTimeZone } from '../../core/time.js';
import { head } from '../../core/untrusted.js';

export interface YtProject {
  id: string;
  name: string;
  shortName: string;
  description?: string | null;
  archived?: boolean;
  leader?: { login: string; fullName?: string } | null;
}

/** A field of a project's schema: its name, the $type an issue value must carry, and the allowed values. */
export interface YtFieldSchema {
  /** The ProjectCustomField id (conditions refer to fields by it). */
  id?: string;
  name: string;
  /** ProjectCustomField $type, e.g. EnumProjectCustomField. */
  projectType: string;
  /** The IssueCustomField $type a write must use, e.g. SingleEnumIssueCustomField. */
  issueType: string;
  valueType: string;
  multiple: boolean;
  canBeEmpty: boolean;
  values: string[];
  /** A conditional field exists on an issue only while another field has one of these values, e.g. "State is Rejected". */
  shownWhen?: string;
}

/** A ProjectCustomField as `GET /admin/projects/{id}/customFields` returns it with FIELD_SCHEMA_FIELDS. */
export interface YtProjectCustomField {
  id?: string;
  $type: string;
  canBeEmpty?: boolean;
  field: { name: string; fieldType?: { id?: string; valueType?: string; isMultiValue?: boolean } };
  bundle?: { values?: Array<{ name: string; archived?: boolean }> } | null;
  condition?: { $type?: string; field?: { id?: string } | null; values?: Array<{ name: string }> | null } | null;
}

export const FIELD_SCHEMA_FIELDS =
  'id,$type,canBeEmpty,field(name,fieldType(id,valueType,isMultiValue)),bundle(values(name,archived)),condition($type,field(id),values(name))';

/** YouTrack's errors: {"error": "<code>", "error_description": "<text>", "error_children": [...]}; the text is what users need. */
export function youtrackErrorDetails(_status: number, body: unknown): string[] {
  if (!body || typeof body !== 'object') return typeof body === 'string' && body.trim() ? [head(body.trim(), 300)] : [];
  type ErrorBody = { error?: string; error_description?: string; error_developer_message?: string; error_children?: ErrorBody[] };
  const error = body as ErrorBody;
  const details: string[] = [];
  // error_description may be localised; error_developer_message is English (e.g. "Can't tag issue"), so both are kept.
  for (const entry of [error, ...(error.error_children ?? [])]) {
    for (const text of [entry.error_description || entry.error, entry.error_developer_message]) {
      if (text && !details.includes(text)) details.push(text);
    }
  }
  return details;
}

const STATUS_HINTS: Partial<Record<number, string>> = {
  400: 'YouTrack rejected the request',
  401: 'authentication failed: check YOUTRACK_API_TOKEN (a permanent token with the YouTrack scope)',
  403: "forbidden: the token's user lacks the permission for this",
  404: 'not found, or not visible to the token\'s user',
  500: 'YouTrack failed (a custom-field value of the wrong type also causes this; it is not retried)',
};

/**
 * The IssueCustomField $type a write must use for a project field, as a real YouTrack 2026.1 names them (see the
 * recorded issue in test/fixtures/youtrack): a Simple field is a DateIssueCustomField only for valueType "date";
 * "date and time", integer, float and string values are SimpleIssueCustomField. A state field run by a state-machine
 * workflow is a StateMachineIssueCustomField on the issue, which the project schema cannot tell: see tools/fields.ts.
 */
export function issueFieldType(projectType: string, multiple: boolean, valueType: string): string {
  const kind = projectType.replace(/ProjectCustomField$/, '');
  switch (kind) {
    case 'Enum':
    case 'User':
    case 'Version':
    case 'Build':
    case 'Owned':
    case 'Group':
      return `${multiple ? 'Multi' : 'Single'}${kind}IssueCustomField`;
    case 'State':
      return 'StateIssueCustomField';
    case 'Period':
      return 'PeriodIssueCustomField';
    case 'Text':
      return 'TextIssueCustomField';
    default:
      return valueType === 'date' ? 'DateIssueCustomField' : 'SimpleIssueCustomField';
  }
}

/** The project's fields as the tools use them: names, the $types writes need, allowed values and conditions. */
export function toFieldSchema(fields: YtProjectCustomField[]): YtFieldSchema[] {
  const names = new Map(fields.map((f) => [f.id, f.field.name]));
  return fields.map((f) => {
    const multiple = f.field.fieldType?.isMultiValue === true || /\[\*\]$/.test(f.field.fieldType?.id ?? '');
    const valueType = f.field.fieldType?.valueType ?? f.field.fieldType?.id?.replace(/\[[1*]\]$/, '') ?? 'string';
    const condition = f.condition?.field?.id ? `${names.get(f.condition.field.id) ?? f.condition.field.id} is ${(f.condition.values ?? []).map((v) => v.name).join(' or ')}` : undefined;
    return {
      id: f.id,
      name: f.field.name,
      projectType: f.$type,
      issueType: issueFieldType(f.$type, multiple, valueType),
      valueType,
      multiple,
      canBeEmpty: f.canBeEmpty !== false,
      values: (f.bundle?.values ?? []).filter((v) => !v.archived).map((v) => v.name),
      shownWhen: condition,
    };
  });
}

export class YouTrackClient {
  readonly http: HttpClient;
  private readonly projects = new Map<string, Promise<YtProject>>();
  private readonly schemas = new Map<string, Promise<YtFieldSchema[]>>();
  private zone: Promise<string> | undefined;
  private login: Promise<string> | undefined;

  constructor(options: { url: string; token: Secret; extraHeaders?: HttpClientOptions['extraHeaders']; tls: HttpClientOptions['tls']; timeoutMs?: number; logger?: HttpClientOptions['logger']; onAuthFailure?: HttpClientOptions['onAuthFailure'] }) {
    this.http = new HttpClient({
      service: 'YouTrack',
      // Accept the URL with or without its /api suffix; paths below always start with /api.
      baseUrl: options.url.replace(/\/+$/, '').replace(/\/api$/, ''),
      extraHeaders: options.extraHeaders,
      tls: options.tls,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      onAuthFailure: options.onAuthFailure,
      authHeaders: () => ({ Authorization: `Bearer ${options.token.reveal()}` }),
      errorDetails: youtrackErrorDetails,
      statusHints: STATUS_HINTS,
    });
  }

  /** GET with a `fields` projection (without one YouTrack returns only ids). */
  get<T>(path: string, fields: string, query: Record<string, QueryValue> | undefined, signal: AbortSignal): Promise<T> {
    return this.http.requestJson<T>({ method: 'GET', path: `/api${path}`, query: { fields, ...query }, signal });
  }

  /** POST (creates and updates alike); `fields` chooses what the answer contains. */
  post<T>(path: string, body: unknown, fields: string | undefined, signal: AbortSignal): Promise<T> {
    return this.http.requestJson<T>({ method: 'POST', path: `/api${path}`, query: fields ? { fields } : undefined, json: body, signal });
  }

  async delete(path: string, signal: AbortSignal): Promise<void> {
    await this.http.request({ method: 'DELETE', path: `/api${path}`, signal });
  }

  /** Reads a page of a collection; asks for one extra item to know whether there is more (YouTrack gives no totals). */
  async page<T>(path: string, fields: string, query: Record<string, QueryValue>, skip: number, top: number, signal: AbortSignal): Promise<{ items: T[]; more: boolean }> {
    const items = await this.get<T[]>(path, fields, { ...query, $skip: skip, $top: top + 1 }, signal);
    return { items: items.slice(0, top), more: items.length > top };
  }

  webUrl(path: string): string {
    return this.http.urlFor(path).toString();
  }

  /** A project by short name, entity id or name; cached for the process. */
  project(ref: string, signal: AbortSignal): Promise<YtProject> {
    const key = ref.toLowerCase();
    let cached = this.projects.get(key);
    if (!cached) {
      cached = this.get<YtProject>(`/admin/projects/${pathSegment(ref)}`, 'id,name,shortName,description,archived,leader(login,fullName)', undefined, signal).catch(
        (error: unknown) => {
          this.projects.delete(key);
          if (error instanceof UpstreamError && error.status === 404) throw new InputError(`project: no YouTrack project "${ref}" is visible to this token.`);
          throw error;
        },
      );
      this.projects.set(key, cached);
    }
    return cached;
  }

  /** Forgets the cached projects after one was changed (its name, description or archived flag). */
  forgetProjects(): void {
    this.projects.clear();
  }

  /** The project's custom-field schema: the source of truth for value $types and allowed values. */
  fieldSchema(projectId: string, signal: AbortSignal): Promise<YtFieldSchema[]> {
    let cached = this.schemas.get(projectId);
    if (!cached) {
      cached = this.get<YtProjectCustomField[]>(`/admin/projects/${pathSegment(projectId)}/customFields`, FIELD_SCHEMA_FIELDS, { $top: 500 }, signal).then(toFieldSchema);
      cached.catch(() => this.schemas.delete(projectId));
      this.schemas.set(projectId, cached);
    }
    return cached;
  }

  /**
   * The time zone of the token's user (its general profile): work-item dates are midnight of their day there.
   * UTC when the profile names a zone this runtime does not know.
   */
  timeZone(signal: AbortSignal): Promise<string> {
    if (!this.zone) {
      this.zone = this.get<{ timezone?: { id?: string } | null }>('/users/me/profiles/general', 'timezone(id)', undefined, signal).then((profile) => {
        const id = profile.timezone?.id;
        return id && isTimeZone(id) ? id : 'UTC';
      });
      this.zone.catch(() => (this.zone = undefined));
    }
    return this.zone;
  }

  /** The login of the token's user. */
  myLogin(signal: AbortSignal): Promise<string> {
    if (!this.login) {
      this.login = this.get<{ login: string }>('/users/me', 'login', undefined, signal).then((me) => me.login);
      this.login.catch(() => (this.login = undefined));
    }
    return this.login;
  }

  /** Throws a PolicyError unless the project (short name or entity id) is in the scope. */
  assertProjectInScope(scope: Scope, project: { shortName: string; id?: string }, what: string): void {
    if (scope.active && !scope.allows([project.shortName, project.id])) {
      throw new PolicyError(`${what} is outside the allowed projects (${scope.setting}=${scope.values.join(',')}).`);
    }
  }

  /** Reads an issue's project and checks it against the scope (for tools that take only an issue id). */
  async assertIssueInScope(scope: Scope, issueId: string, signal: AbortSignal): Promise<{ id: string; idReadable: string; project: YtProject }> {
    const issue = await this.get<{ id: string; idReadable: string; project: YtProject }>(
      `/issues/${pathSegment(issueId)}`,
      'id,idReadable,project(id,name,shortName)',
      undefined,
      signal,
    );
    this.assertProjectInScope(scope, issue.project, `Issue ${issue.idReadable}`);
    return issue;
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
