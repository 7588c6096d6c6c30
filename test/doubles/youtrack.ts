// A loopback YouTrack REST API for integration tests: node:http only, seeded with deterministic data
// (see ./youtrack/seed.ts), strict where YouTrack is strict (`fields` projection, entity ids, custom-field
// `$type`s, bundle values, required fields, permissions), and recording every request for assertions.
//
//   const yt = await startYouTrackDouble();              // or { prefix: '/youtrack' } for a self-hosted layout
//   configure Bastion with url = yt.url and token = YOUTRACK_TEST_TOKEN
//   expect(yt.requests.filter((r) => r.method !== 'GET')).toEqual([]);
//   expect(findIssue(yt.state, 'DEMO-1')!.fields.State).toBe('Fixed');
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { catalogRoutes } from './youtrack/catalog-routes.js';
import { badRequest, defaultErrorBody, forbidden, HttpError, notFound, unauthorized, unsupportedMediaType } from './youtrack/errors.js';
import { parseFields } from './youtrack/fields.js';
import { issueRoutes } from './youtrack/issue-routes.js';
import type { UserRecord, YouTrackState } from './youtrack/model.js';
import { match, type FilePart, type Reply, type Route } from './youtrack/router.js';
import { activityRoutes, searchRoutes } from './youtrack/search-routes.js';
import { seed } from './youtrack/seed.js';
import { Views } from './youtrack/views.js';

export type * from './youtrack/model.js';
export { findArticle, findIssue, findProject, findUser, presentDuration } from './youtrack/model.js';
export { INJECTION_TEXT } from './youtrack/seed.js';

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Admin's permanent token, in the real format: perm:base64(login).base64(token name).random. The name contains "canary". */
export const YOUTRACK_TEST_TOKEN = `perm:${base64('admin')}.${base64('bastion-canary')}.X7kQ2mVb9RtL4pWz8NcJ`;
/** Jane's token (not an administrator). Accepted only when passed in `tokens`. */
export const YOUTRACK_USER_TOKEN = `perm:${base64('jane')}.${base64('bastion-canary-jane')}.Hq3Tz6YdP1sWc8LmR5vK`;

/** Seeded entity ids, for tests that need them without a lookup. */
export const YOUTRACK_IDS = {
  users: { admin: '1-1', jane: '1-2', john: '1-3' },
  projects: { DEMO: '0-1', OPS: '0-2' },
  issues: { 'DEMO-1': '2-1', 'DEMO-2': '2-2', 'DEMO-8': '2-8', 'OPS-1': '2-13' },
  comments: ['4-1', '4-2', '4-3'],
  tags: { regression: '6-1', ui: '6-2' },
  workItemTypes: { Development: '68-1', Testing: '68-2' },
  workItems: ['8-1', '8-2'],
  articles: { 'DEMO-A-1': '9-1', 'DEMO-A-2': '9-2' },
  agiles: { 'DEMO board': '120-1' },
  sprints: { 'Sprint 1': '121-1', 'Sprint 2': '121-2' },
  linkTypes: { Relates: '114-1', Depend: '114-2', Duplicate: '114-3', Subtask: '114-4' },
} as const;

export interface RecordedRequest {
  method: string;
  /** The path as received, including any service prefix, without the query string. */
  path: string;
  query: Record<string, string>;
  /** The parsed JSON body (or the raw text when it is not JSON); absent when the request had none or it was multipart. */
  body?: unknown;
  /** The parts of a multipart/form-data body (an upload), without their bytes. */
  multipart?: Array<{ name: string; filename: string; contentType: string; size: number }>;
  status: number;
}

export interface FaultRule {
  /** HTTP method, or "*" for any. */
  method: string;
  /** Matched against the full path and against the path below the service prefix (e.g. "/api/issues"). */
  pathPrefix: string;
  count: number;
  status: number;
  /** Answer body: an object is sent as JSON, a string as is; default: a YouTrack-style error body. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface YouTrackDouble {
  /** The service URL to configure (no trailing /api). */
  url: string;
  requests: RecordedRequest[];
  state: YouTrackState;
  failNext(rule: FaultRule): void;
  close(): Promise<void>;
}

export interface YouTrackDoubleOptions {
  /** '' for the cloud layout (default) or a path such as '/youtrack' for a self-hosted install. */
  prefix?: string;
  /** Accepted permanent tokens; default [YOUTRACK_TEST_TOKEN]. */
  tokens?: string[];
}

const ROUTES: Route[] = [...issueRoutes, ...catalogRoutes, ...searchRoutes, ...activityRoutes];
const JSON_HEADERS = { 'Content-Type': 'application/json;charset=UTF-8' };

/** The user a token belongs to: the login is the token's first segment; unknown logins act as admin. */
function userForToken(state: YouTrackState, token: string): UserRecord {
  const segment = token.replace(/^perm[:-]/, '').split('.')[0] ?? '';
  const login = Buffer.from(segment, 'base64').toString('utf8');
  return state.users.find((user) => user.login === login) ?? state.users.find((user) => user.admin)!;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The parts of a multipart/form-data body; undefined when the boundary is missing or does not frame the body. */
function parseMultipart(body: Buffer, contentType: string): FilePart[] | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const parts: FilePart[] = [];
  let at = body.indexOf(delimiter);
  if (at !== 0) return undefined;
  for (;;) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') return parts;
    const next = body.indexOf(delimiter, start);
    if (next < 0) return undefined;
    // Each part: CRLF, headers, CRLF CRLF, content, CRLF before the next delimiter.
    const part = body.subarray(start + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) return undefined;
    const headers = part.subarray(0, split).toString('utf8');
    const disposition = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(headers)?.[1] ?? '';
    parts.push({
      name: /\bname="([^"]*)"/.exec(disposition)?.[1] ?? '',
      filename: /\bfilename="([^"]*)"/.exec(disposition)?.[1] ?? '',
      contentType: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim() ?? 'application/octet-stream',
      data: part.subarray(split + 4),
    });
    at = next;
  }
}

export async function startYouTrackDouble(options: YouTrackDoubleOptions = {}): Promise<YouTrackDouble> {
  const prefix = (options.prefix ?? '').replace(/\/+$/, '').replace(/^(?=[^/])/, '/');
  const accepted = new Set(options.tokens ?? [YOUTRACK_TEST_TOKEN]);
  const state = seed();
  state.servicePrefix = prefix;
  const requests: RecordedRequest[] = [];
  const rules: Array<FaultRule & { remaining: number }> = [];
  const apiRoot = `${prefix}/api`;

  function takeFault(method: string, path: string): FaultRule | undefined {
    const below = path.startsWith(prefix) ? path.slice(prefix.length) : path;
    const rule = rules.find(
      (candidate) =>
        candidate.remaining > 0 &&
        (candidate.method === '*' || candidate.method.toUpperCase() === method) &&
        (path.startsWith(candidate.pathPrefix) || below.startsWith(candidate.pathPrefix)),
    );
    if (rule) rule.remaining -= 1;
    return rule;
  }

  function authenticate(header: string | undefined): UserRecord {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match || !accepted.has(match[1]!)) throw unauthorized();
    return userForToken(state, match[1]!);
  }

  function dispatch(req: IncomingMessage, method: string, url: URL, raw: string, files: FilePart[] | undefined): Reply {
    const path = url.pathname;
    if (path !== apiRoot && !path.startsWith(`${apiRoot}/`)) throw notFound();
    const me = authenticate(req.headers.authorization);
    let segments: string[];
    try {
      segments = path.slice(apiRoot.length).split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw notFound();
    }
    if (segments[0] === 'admin' && method !== 'GET' && !me.admin) throw forbidden('You have no permission to change the settings of this YouTrack');
    const { route, params } = match(ROUTES, method, segments);
    let body: unknown;
    if (files) {
      // A multipart upload: its files are the request's content.
    } else if (raw.trim()) {
      if (!/json/i.test(req.headers['content-type'] ?? '')) throw unsupportedMediaType();
      body = parseJson(raw);
      if (body === undefined) throw badRequest('Malformed JSON in request body');
    }
    const fieldsParameter = url.searchParams.get('fields');
    return route.handler({
      state,
      me,
      views: new Views(state, me),
      params,
      query: Object.fromEntries(url.searchParams),
      body,
      files,
      fields: fieldsParameter ? parseFields(fieldsParameter) : undefined,
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const raw = bytes.toString('utf8');
    const url = new URL(req.url ?? '/', 'http://youtrack.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: RecordedRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0 };
    let files: FilePart[] | undefined;
    let badMultipart = false;
    if (/^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) {
      files = parseMultipart(bytes, req.headers['content-type']!);
      badMultipart = files === undefined;
      entry.multipart = (files ?? []).map((part) => ({ name: part.name, filename: part.filename, contentType: part.contentType, size: part.data.length }));
    } else if (raw) {
      entry.body = parseJson(raw) ?? raw;
    }

    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      requests.push(entry);
      if (body === undefined) {
        res.writeHead(status, { 'Content-Length': '0', ...headers }).end();
        return;
      }
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const type = typeof body === 'string' ? { 'Content-Type': 'text/plain;charset=UTF-8' } : JSON_HEADERS;
      res.writeHead(status, { ...type, 'Content-Length': String(Buffer.byteLength(text)), ...headers }).end(text);
    };

    const fault = takeFault(method, url.pathname);
    if (fault) {
      send(fault.status, fault.body ?? defaultErrorBody(fault.status), fault.headers);
      return;
    }
    try {
      if (badMultipart) throw badRequest('Bad multipart boundary');
      const reply = dispatch(req, method, url, raw, files);
      if (reply.file) {
        entry.status = reply.status;
        requests.push(entry);
        res.writeHead(reply.status, { 'Content-Type': reply.file.contentType, 'Content-Length': String(reply.file.data.length) }).end(reply.file.data);
        return;
      }
      send(reply.status, reply.body);
    } catch (error) {
      if (error instanceof HttpError) send(error.status, error.body);
      else send(500, { error: 'server_error', error_description: error instanceof Error ? error.message : String(error) });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests,
    state,
    failNext: (rule) => {
      rules.push({ ...rule, remaining: rule.count });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
