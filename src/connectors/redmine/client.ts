// Typed Redmine REST client on the core HTTP client. Knows Redmine's paths, error bodies and quirks.
import { HttpClient, pathSegment, type HttpClientOptions, type QueryValue } from '../../core/http.js';
import { ConfigError, InputError, PolicyError, UpstreamError } from '../../core/errors.js';
import type { Scope } from '../../core/policy.js';
import type { Secret } from '../../core/secrets.js';

export interface NamedRef {
  id: number;
  name: string;
}

export interface RedmineProject {
  id: number;
  identifier: string;
  name: string;
  description?: string;
  status?: number;
  is_public?: boolean;
  parent?: NamedRef;
  created_on?: string;
  updated_on?: string;
  trackers?: NamedRef[];
  issue_categories?: NamedRef[];
  enabled_modules?: Array<{ id: number; name: string }>;
  time_entry_activities?: NamedRef[];
  issue_custom_fields?: Array<NamedRef & { field_format?: string; is_required?: boolean; multiple?: boolean; possible_values?: Array<{ value: string }> }>;
}

/** A custom field definition as /custom_fields.json (administrators only) describes it. */
export interface RedmineCustomField {
  id: number;
  name: string;
  customized_type?: string;
  field_format?: string;
  is_required?: boolean;
  is_filter?: boolean;
  multiple?: boolean;
  default_value?: string | null;
  possible_values?: Array<{ value: string; label?: string }>;
}

/** Redmine's 422 bodies are {"errors": ["Subject cannot be blank", ...]}; every other error body is empty. */
function redmineErrorDetails(_status: number, body: unknown): string[] {
  if (body && typeof body === 'object' && Array.isArray((body as { errors?: unknown }).errors)) {
    return ((body as { errors: unknown[] }).errors).map(String);
  }
  return [];
}

/** The project a request is about: the first segment of a /projects/… path, or a project_id filter. */
function projectOfRequest(path: string, query: Record<string, QueryValue> | undefined): string | undefined {
  const inPath = /^\/projects\/([^/]+?)(?:\.json$|\/)/.exec(path)?.[1];
  if (inPath !== undefined) return decodeURIComponent(inPath);
  const filter = query?.project_id;
  return typeof filter === 'string' || typeof filter === 'number' ? String(filter) : undefined;
}

const STATUS_HINTS: Partial<Record<number, string>> = {
  401: 'authentication failed: check REDMINE_API_KEY',
  403: "forbidden: the key's user lacks the permission for this, or the REST API is disabled in Redmine's settings (Administration > Settings > API)",
  404: 'not found, or not visible to the key\'s user',
  409: 'conflict: the page was changed since the version you sent; read it again and retry with its current version',
  412: 'precondition failed (unknown or locked user for impersonation)',
  422: 'Redmine rejected the values',
};

export class RedmineClient {
  readonly http: HttpClient;
  private allowedProjects?: Promise<Map<number, string>>;
  private readonly lookups = new Map<string, Promise<NamedRef[]>>();

  constructor(
    options:
      | {
          url: string;
          apiKey: Secret;
          extraHeaders?: HttpClientOptions['extraHeaders'];
          tls: HttpClientOptions['tls'];
          timeoutMs?: number;
          logger?: HttpClientOptions['logger'];
          onAuthFailure?: HttpClientOptions['onAuthFailure'];
        }
      | { http: HttpClient },
  ) {
    if ('http' in options) {
      this.http = options.http;
      return;
    }
    this.http = new HttpClient({
      service: 'Redmine',
      baseUrl: options.url,
      extraHeaders: options.extraHeaders,
      tls: options.tls,
      timeoutMs: options.timeoutMs,
      logger: options.logger,
      // The key travels in a header only, never in the query string where it would end up in access logs.
      authHeaders: () => ({ 'X-Redmine-API-Key': options.apiKey.reveal() }),
      onAuthFailure: options.onAuthFailure,
      errorDetails: redmineErrorDetails,
      statusHints: STATUS_HINTS,
    });
  }

  /**
   * This client acting as another Redmine user (the key must be an administrator's): every request carries
   * X-Redmine-Switch-User. It shares the connection pool but none of the answers remembered here (resolved scope
   * projects, lookups), since what a user sees depends on who the user is.
   */
  asUser(login: string): RedmineClient {
    return new RedmineClient({ http: this.http.withHeaders({ 'X-Redmine-Switch-User': login }) });
  }

  async get<T>(path: string, query: Record<string, QueryValue> | undefined, signal: AbortSignal): Promise<T> {
    try {
      return await this.http.requestJson<T>({ method: 'GET', path, query, signal });
    } catch (error) {
      // A 404 of a request about a project (its page, or a list filtered by it) most often means the project is
      // unknown: say which, and how to find the right one, instead of a bare "not found".
      const project = projectOfRequest(path, query);
      if (project !== undefined && error instanceof UpstreamError && error.status === 404) throw (await this.unknownProject(project, signal)) ?? error;
      throw error;
    }
  }

  /** An error naming a project Redmine does not know (with its identifier when it was given by name); undefined when it exists. */
  async unknownProject(project: string | number, signal: AbortSignal): Promise<InputError | undefined> {
    try {
      await this.http.requestJson({ method: 'GET', path: `/projects/${pathSegment(project)}.json`, signal });
      return undefined;
    } catch (error) {
      if (!(error instanceof UpstreamError && error.status === 404)) throw error;
    }
    const named = await this.projectNamed(String(project), signal);
    return new InputError(
      named
        ? `Project "${project}" is a project's name; its identifier is "${named.identifier}" (id ${named.id}): use that.`
        : `Project "${project}" does not exist or is not visible to this key: use an identifier or id from redmine_list_projects.`,
    );
  }

  /** The visible project with this name (case-insensitive), from the first pages of the project list. */
  async projectNamed(name: string, signal: AbortSignal): Promise<RedmineProject | undefined> {
    const wanted = name.toLowerCase();
    for (let offset = 0; offset < 500; offset += 100) {
      const page = await this.http.requestJson<{ projects: RedmineProject[]; total_count?: number }>({
        method: 'GET',
        path: '/projects.json',
        query: { offset, limit: 100 },
        signal,
      });
      const found = page.projects.find((project) => project.name.toLowerCase() === wanted);
      if (found) return found;
      if (page.projects.length < 100 || offset + 100 >= (page.total_count ?? 0)) return undefined;
    }
    return undefined;
  }

  post<T>(path: string, json: unknown, signal: AbortSignal): Promise<T> {
    return this.http.requestJson<T>({ method: 'POST', path, json, signal });
  }

  /**
   * `adds`: the PUT adds something (a note, attachments), which Redmine would add again if the PUT were repeated,
   * so it is never repeated once it may have reached Redmine; `howToCheck` then tells the user where to look.
   */
  async put(path: string, json: unknown, signal: AbortSignal, change: { adds: boolean; howToCheck?: string } = { adds: false }): Promise<void> {
    await this.http.request({ method: 'PUT', path, json, signal, idempotent: !change.adds, howToCheck: change.howToCheck });
  }

  async delete(path: string, signal: AbortSignal): Promise<void> {
    await this.http.request({ method: 'DELETE', path, signal });
  }

  /** Absolute web URL of a Redmine page (for links in results). */
  webUrl(path: string): string {
    return this.http.urlFor(path).toString();
  }

  /** The projects named in the scope setting, resolved once to id → identifier. */
  private resolveAllowedProjects(scope: Scope, signal: AbortSignal): Promise<Map<number, string>> {
    this.allowedProjects ??= (async () => {
      const map = new Map<number, string>();
      for (const ref of scope.values) {
        try {
          const { project } = await this.get<{ project: RedmineProject }>(`/projects/${pathSegment(ref)}.json`, undefined, signal);
          map.set(project.id, project.identifier);
        } catch (error) {
          if (error instanceof InputError) throw new PolicyError(await this.scopeProblem(scope, ref, signal));
          // Redmine answers 403 for an archived project, even to administrators.
          if (error instanceof UpstreamError && error.status === 403) {
            throw new PolicyError(
              `${scope.setting} names project "${ref}", which is archived or which the Redmine user this call runs as may not see (Redmine answers 403): ` +
                `unarchive it (redmine_unarchive_project with project "${ref}"), ask a Redmine administrator for access to it, or remove it from ${scope.setting}.`,
            );
          }
          throw error;
        }
      }
      return map;
    })();
    this.allowedProjects.catch(() => {
      this.allowedProjects = undefined;
    });
    return this.allowedProjects;
  }

  /** Why a project of the scope setting cannot be used, with the setting's fix. */
  private async scopeProblem(scope: Scope, ref: string, signal: AbortSignal): Promise<string> {
    const named = await this.projectNamed(ref, signal);
    return named
      ? `${scope.setting} names "${ref}", which is a project's name, not its identifier: set ${scope.setting} to identifiers or ids (here "${named.identifier}").`
      : `${scope.setting} names project "${ref}", which does not exist or is not visible to this key: set ${scope.setting} to identifiers or ids from redmine_list_projects.`;
  }

  /**
   * That Redmine answers at the configured URL and every project of the scope setting exists (readiness and doctor):
   * a wrong base path or a project given by name fails here, naming the setting, instead of on every call.
   */
  async checkSettings(scope: Scope, signal: AbortSignal): Promise<void> {
    try {
      await this.http.requestJson({ method: 'GET', path: '/users/current.json', signal });
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 404) {
        throw new ConfigError(
          `REDMINE_URL=${this.http.baseUrl.toString()}: Redmine's API is not there (404 for /users/current.json), so the URL's path is probably wrong. ` +
            'Set REDMINE_URL to the address of Redmine\'s home page, with its sub-path if it has one (https://host/redmine).',
        );
      }
      throw error;
    }
    for (const ref of scope.values) {
      const problem = await this.unknownProject(ref, signal);
      if (problem) throw new ConfigError(await this.scopeProblem(scope, ref, signal));
    }
  }

  /**
   * With a scope, a check of an object's project (its {id, name} reference or numeric id) against the allowed
   * projects; undefined without a scope. An object without a project is outside.
   */
  async projectFilter(scope: Scope, signal: AbortSignal): Promise<((project: { id: number } | number | undefined | null) => boolean) | undefined> {
    if (!scope.active) return undefined;
    const allowed = await this.resolveAllowedProjects(scope, signal);
    return (project) => {
      const id = typeof project === 'number' ? project : project?.id;
      return id !== undefined && allowed.has(id);
    };
  }

  /**
   * Of the given issues, the ids of those the key can see and whose project is in scope (all visible ones without
   * a scope). Read in one list request per 100 ids: an issue reference (child, relation, parent) names no project.
   */
  async issuesInScope(scope: Scope, ids: readonly number[], signal: AbortSignal): Promise<Set<number>> {
    const inScope = await this.projectFilter(scope, signal);
    const unique = [...new Set(ids)];
    const found = new Set<number>();
    for (let start = 0; start < unique.length; start += 100) {
      const chunk = unique.slice(start, start + 100);
      const { issues } = await this.get<{ issues: Array<{ id: number; project: NamedRef }> }>(
        '/issues.json',
        { issue_id: chunk.join(','), status_id: '*', limit: 100 },
        signal,
      );
      for (const issue of issues) if (!inScope || inScope(issue.project)) found.add(issue.id);
    }
    return found;
  }

  /** Throws a PolicyError unless the project (by numeric id or identifier) is in scope. */
  async assertProjectInScope(scope: Scope, project: number | string | { id: number }, what: string, signal: AbortSignal): Promise<void> {
    if (!scope.active) return;
    const allowed = await this.resolveAllowedProjects(scope, signal);
    const ref = typeof project === 'object' ? project.id : project;
    const ok = typeof ref === 'number' || /^\d+$/.test(ref)
      ? allowed.has(Number(ref))
      : [...allowed.values()].includes(ref);
    if (!ok) throw new PolicyError(`${what} is outside the allowed projects (${scope.setting}=${scope.values.join(',')}).`);
  }

  /** With a scope, the project a listing must be limited to: the one given, or the only allowed one. */
  async scopedProject(scope: Scope, project: string | undefined, signal: AbortSignal): Promise<string | undefined> {
    if (!scope.active) return project;
    if (project) {
      await this.assertProjectInScope(scope, project, `Project "${project}"`, signal);
      return project;
    }
    const values = scope.values;
    if (values.length === 1) {
      await this.resolveAllowedProjects(scope, signal);
      return values[0];
    }
    throw new InputError(`Bastion is limited to the projects ${values.join(', ')} (${scope.setting}); name one of them with "project".`);
  }

  /** Reads an issue's project and checks it against the scope (for tools that take only an issue id). */
  async assertIssueInScope(scope: Scope, issueId: number, signal: AbortSignal): Promise<void> {
    if (!scope.active) return;
    const { issue } = await this.get<{ issue: { project: NamedRef } }>(`/issues/${pathSegment(issueId)}.json`, undefined, signal);
    await this.assertProjectInScope(scope, issue.project, `Issue #${issueId}`, signal);
  }

  /** Every custom field definition, or undefined when the key is not an administrator's (403). */
  async customFieldDefinitions(signal: AbortSignal): Promise<RedmineCustomField[] | undefined> {
    try {
      return (await this.get<{ custom_fields: RedmineCustomField[] }>('/custom_fields.json', undefined, signal)).custom_fields;
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 403) return undefined;
      throw error;
    }
  }

  /**
   * The issue custom fields of a project as a non-administrator can see them. The project's own list leaves out
   * fields enabled for all projects (Redmine 5.0), so the fields carried by one of its issues are added.
   */
  async projectIssueCustomFields(project: string | number, signal: AbortSignal): Promise<NamedRef[]> {
    const fields = new Map<number, NamedRef>();
    const { project: details } = await this.get<{ project: { issue_custom_fields?: NamedRef[] } }>(
      `/projects/${pathSegment(project)}.json`,
      { include: 'issue_custom_fields' },
      signal,
    );
    for (const cf of details.issue_custom_fields ?? []) fields.set(cf.id, { id: cf.id, name: cf.name });
    const { issues } = await this.get<{ issues: Array<{ custom_fields?: NamedRef[] }> }>(
      '/issues.json',
      { project_id: project, subproject_id: '!*', status_id: '*', limit: 1 },
      signal,
    );
    for (const cf of issues[0]?.custom_fields ?? []) fields.set(cf.id, { id: cf.id, name: cf.name });
    return [...fields.values()];
  }

  /** Trackers, statuses and priorities change rarely: fetched once per process. */
  lookup(kind: 'trackers' | 'issue_statuses' | 'issue_priorities' | 'time_entry_activities', signal: AbortSignal): Promise<NamedRef[]> {
    const paths = {
      trackers: '/trackers.json',
      issue_statuses: '/issue_statuses.json',
      issue_priorities: '/enumerations/issue_priorities.json',
      time_entry_activities: '/enumerations/time_entry_activities.json',
    } as const;
    let cached = this.lookups.get(kind);
    if (!cached) {
      cached = this.get<Record<string, NamedRef[]>>(paths[kind], undefined, signal).then((body) => body[kind] ?? []);
      cached.catch(() => this.lookups.delete(kind));
      this.lookups.set(kind, cached);
    }
    return cached;
  }

  /** Resolves a name or numeric id against a lookup list (case-insensitive); a clear error lists the choices. */
  async resolveLookup(kind: Parameters<RedmineClient['lookup']>[0], value: string | number, label: string, signal: AbortSignal): Promise<number> {
    if (typeof value === 'number' || /^\d+$/.test(value)) return Number(value);
    const items = await this.lookup(kind, signal);
    const found = items.find((item) => item.name.toLowerCase() === value.toLowerCase());
    if (!found) throw new InputError(`Unknown ${label} "${value}". Choose one of: ${items.map((item) => item.name).join(', ')}.`);
    return found.id;
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
