// Typed YouTrack REST client on the core HTTP client: /api paths, `fields` projections, error_description,
// entity-id lookups and the per-project custom-field schema.
import { HttpClient, pathSegment, type HttpClientOptions, type QueryValue } from '../../core/http.js';
import { InputError, PolicyError, UpstreamError } from '../../core/errors.js';
import type { Scope } from '../../core/policy.js';
import type { Secret } from '../../core/secrets.js';
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
  name: string;
  /** ProjectCustomField $type, e.g. EnumProjectCustomField. */
  projectType: string;
  /** The IssueCustomField $type a write must use, e.g. SingleEnumIssueCustomField. */
  issueType: string;
  valueType: string;
  multiple: boolean;
  canBeEmpty: boolean;
  values: string[];
}

interface YtProjectCustomField {
  $type: string;
  canBeEmpty?: boolean;
  field: { name: string; fieldType?: { id?: string; valueType?: string; isMultiValue?: boolean } };
  bundle?: { values?: Array<{ name: string; archived?: boolean }> } | null;
}

/** YouTrack's errors: {"error": "<code>", "error_description": "<text>", "error_children": [...]}; the text is what users need. */
function youtrackErrorDetails(_status: number, body: unknown): string[] {
  if (!body || typeof body !== 'object') return typeof body === 'string' && body.trim() ? [head(body.trim(), 300)] : [];
  const error = body as { error?: string; error_description?: string; error_children?: Array<{ error_description?: string; error?: string }> };
  const details = [error.error_description ?? error.error].filter((d): d is string => Boolean(d));
  for (const child of error.error_children ?? []) {
    const text = child.error_description ?? child.error;
    if (text && !details.includes(text)) details.push(text);
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

/** Maps a project field's $type, multiplicity and value type to the $type an issue write must use. */
function issueFieldType(projectType: string, multiple: boolean, valueType: string): string {
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
      // SimpleProjectCustomField covers strings, numbers and dates; dates have their own issue type.
      return valueType === 'date' || valueType === 'date and time' ? 'DateIssueCustomField' : 'SimpleIssueCustomField';
  }
}

export class YouTrackClient {
  readonly http: HttpClient;
  private readonly projects = new Map<string, Promise<YtProject>>();
  private readonly schemas = new Map<string, Promise<YtFieldSchema[]>>();

  constructor(options: { url: string; token: Secret; tls: HttpClientOptions['tls']; timeoutMs?: number; logger?: HttpClientOptions['logger']; onAuthFailure?: HttpClientOptions['onAuthFailure'] }) {
    this.http = new HttpClient({
      service: 'YouTrack',
      // Accept the URL with or without its /api suffix; paths below always start with /api.
      baseUrl: options.url.replace(/\/+$/, '').replace(/\/api$/, ''),
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

  /** The project's custom-field schema: the source of truth for value $types and allowed values. */
  fieldSchema(projectId: string, signal: AbortSignal): Promise<YtFieldSchema[]> {
    let cached = this.schemas.get(projectId);
    if (!cached) {
      cached = this.get<YtProjectCustomField[]>(
        `/admin/projects/${pathSegment(projectId)}/customFields`,
        '$type,canBeEmpty,field(name,fieldType(id,valueType,isMultiValue)),bundle(values(name,archived))',
        { $top: 500 },
        signal,
      ).then((fields) =>
        fields.map((f) => {
          const multiple = f.field.fieldType?.isMultiValue === true || /\[\*\]$/.test(f.field.fieldType?.id ?? '');
          const valueType = f.field.fieldType?.valueType ?? f.field.fieldType?.id?.replace(/\[[1*]\]$/, '') ?? 'string';
          return {
            name: f.field.name,
            projectType: f.$type,
            issueType: issueFieldType(f.$type, multiple, valueType),
            valueType,
            multiple,
            canBeEmpty: f.canBeEmpty !== false,
            values: (f.bundle?.values ?? []).filter((v) => !v.archived).map((v) => v.name),
          };
        }),
      );
      cached.catch(() => this.schemas.delete(projectId));
      this.schemas.set(projectId, cached);
    }
    return cached;
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
