// Route table matching for the YouTrack double, and the helpers every handler shares.
import { badRequest, methodNotAllowed, notFound } from './errors.js';
import { project, type FieldSpec } from './fields.js';
import type { UserRecord, YouTrackState } from './model.js';
import type { Views } from './views.js';

export interface RequestContext {
  state: YouTrackState;
  me: UserRecord;
  views: Views;
  params: Record<string, string>;
  query: Record<string, string>;
  /** The parsed JSON body, undefined when the request had none. */
  body: unknown;
  /** The file parts of a multipart/form-data body (an attachment upload). */
  files?: FilePart[];
  fields: FieldSpec | undefined;
}

export interface FilePart {
  /** The form field name. */
  name: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface Reply {
  status: number;
  /** Serialised as JSON; undefined answers with an empty body. */
  body?: unknown;
  /** Bytes sent as they are (a file's content), with their type. */
  file?: { data: Buffer; contentType: string };
}

export type Handler = (context: RequestContext) => Reply;

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path below /api, with `:name` segments, e.g. `/issues/:issue/comments/:comment`. */
  pattern: string;
  handler: Handler;
}

/** Finds the route for a path below /api: 404 when no pattern matches, 405 when only the method is wrong. */
export function match(routes: Route[], method: string, segments: string[]): { route: Route; params: Record<string, string> } {
  let pathKnown = false;
  for (const route of routes) {
    const parts = route.pattern.split('/').filter(Boolean);
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const fits = parts.every((part, index) => {
      if (part.startsWith(':')) {
        params[part.slice(1)] = segments[index]!;
        return true;
      }
      return part === segments[index];
    });
    if (!fits) continue;
    pathKnown = true;
    if (route.method === method) return { route, params };
  }
  throw pathKnown ? methodNotAllowed() : notFound();
}

/** One entity, projected by `fields`. */
export function entity(context: RequestContext, value: unknown): Reply {
  return { status: 200, body: project(value, context.fields) };
}

/**
 * A collection page: `$skip`/`$top` (-1 for all), projected by `fields`; no totals. Without `$top` a real 2026.1
 * returned exactly 1000 issues; assumption: every collection has that default.
 */
export function page(context: RequestContext, items: unknown[]): Reply {
  const skip = integerParameter(context, '$skip', 0);
  const top = integerParameter(context, '$top', 1000);
  const slice = top < 0 ? items.slice(skip) : items.slice(skip, skip + top);
  return { status: 200, body: project(slice, context.fields) };
}

function integerParameter(context: RequestContext, name: string, fallback: number): number {
  const raw = context.query[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw badRequest(`Invalid value of parameter ${name}: ${raw}`);
  const value = Number(raw);
  if (name === '$skip' && value < 0) throw badRequest(`Invalid value of parameter ${name}: ${raw}`);
  return value;
}

export const EMPTY: Reply = { status: 200 };

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON object body of a write; a missing or non-object body is a 400. */
export function objectBody(context: RequestContext): Record<string, unknown> {
  if (context.body === undefined) throw badRequest('Request body is empty');
  if (!isRecord(context.body)) throw badRequest('Request body must be a JSON object');
  return context.body;
}

export function optionalString(body: Record<string, unknown>, name: string): string | null | undefined {
  const value = body[name];
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') throw badRequest(`${name} must be a string`);
  return value;
}
