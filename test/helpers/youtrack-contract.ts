// Checks requests sent to the YouTrack double against YouTrack's own OpenAPI description (2026.1, in
// test/fixtures/youtrack): the operation (method and path), the query parameter names, and the body's attribute
// names and `$type` values, following `$ref`, `allOf` and discriminator mappings. A real server ignores what it
// does not declare and answers 200 anyway, so anything undeclared is a silent bug.
import { readFileSync } from 'node:fs';

interface Schema {
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  items?: Schema;
  discriminator?: { propertyName: string; mapping?: Record<string, string> };
}
interface Parameter {
  $ref?: string;
  name: string;
  in: string;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}
interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; parameters?: Record<string, Parameter> };
}

export interface SentRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
  /** The parts of a multipart/form-data body (an upload). */
  multipart?: Array<{ name: string }>;
}

const spec = JSON.parse(readFileSync(new URL('../fixtures/youtrack/youtrack-openapi-2026.1.json', import.meta.url), 'utf8')) as Spec;
const templates = Object.keys(spec.paths).map((template) => ({ template, parts: template.split('/').filter(Boolean) }));

function schemaName(ref: string): string {
  return ref.split('/').pop()!;
}

function resolve(schema: Schema): { name?: string; schema: Schema } {
  return schema.$ref ? { name: schemaName(schema.$ref), schema: spec.components.schemas[schemaName(schema.$ref)]! } : { schema };
}

/** Every property a schema declares, its own and its allOf parents'. */
function properties(schema: Schema): Record<string, Schema> {
  let out: Record<string, Schema> = {};
  for (const part of schema.allOf ?? []) out = { ...out, ...properties(resolve(part).schema) };
  return { ...out, ...(schema.properties ?? {}) };
}

/** The discriminator mappings of a schema and of its allOf parents ($type name → schema name). */
function mapping(schema: Schema): Record<string, string> {
  let out: Record<string, string> = {};
  for (const part of schema.allOf ?? []) out = { ...out, ...mapping(resolve(part).schema) };
  for (const [type, ref] of Object.entries(schema.discriminator?.mapping ?? {})) out[type] = schemaName(ref);
  return out;
}

/** The operation template for a path below /api; literal segments win over `{parameters}` (`/users/me` over `/users/{id}`). */
function findTemplate(path: string): string | undefined {
  const segments = path.split('/').filter(Boolean);
  const candidates = templates.filter(({ parts }) => parts.length === segments.length && parts.every((part, i) => part.startsWith('{') || part === segments[i]));
  const literal = (parts: string[]) => parts.filter((part) => !part.startsWith('{')).length;
  return candidates.sort((a, b) => literal(b.parts) - literal(a.parts))[0]?.template;
}

function checkBody(value: unknown, declared: Schema, where: string, problems: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) checkBody(item, declared, where, problems);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  let { name, schema } = resolve(declared);
  const record = value as Record<string, unknown>;
  if (typeof record.$type === 'string') {
    const subtypes = mapping(schema);
    if (subtypes[record.$type]) {
      name = subtypes[record.$type];
      schema = spec.components.schemas[name!]!;
    } else if (record.$type !== name) {
      problems.push(`${where}.$type "${record.$type}" (not ${name ?? 'the declared schema'} or a subtype)`);
      return;
    }
  }
  const declaredProperties = properties(schema);
  for (const [key, inner] of Object.entries(record)) {
    if (key === '$type') continue;
    const property = declaredProperties[key];
    if (!property) {
      problems.push(`${where}.${key} (not an attribute of ${name ?? 'the declared schema'})`);
      continue;
    }
    // Values of custom fields are declared as plain objects (their shape depends on the field): not followed.
    const target = property.items ?? property;
    if (target.$ref || target.allOf) checkBody(inner, target, `${where}.${key}`, problems);
  }
}

/** What in one request YouTrack 2026.1 does not declare; empty when all of it is declared. */
export function undeclared(request: SentRequest): string[] {
  const below = request.path.replace(/^.*?\/api(?=\/)/, '');
  const label = `${request.method} ${below}`;
  const template = findTemplate(below);
  const operation = template ? spec.paths[template]![request.method.toLowerCase()] : undefined;
  if (!template || !operation) return [`${label}: no such operation`];
  const problems: string[] = [];
  const parameters = (operation.parameters ?? []).map((p) => (p.$ref ? spec.components.parameters![schemaName(p.$ref)]! : p));
  const queryNames = new Set(parameters.filter((p) => p.in === 'query').map((p) => p.name));
  for (const name of Object.keys(request.query)) if (!queryNames.has(name)) problems.push(`query parameter ${name}`);
  if (request.body !== undefined) {
    const declared = operation.requestBody?.content?.['application/json']?.schema;
    if (!declared) problems.push('a body');
    else checkBody(request.body, declared, 'body', problems);
  }
  if (request.multipart !== undefined) {
    const declared = operation.requestBody?.content?.['multipart/form-data']?.schema;
    if (!declared) problems.push('a multipart body');
    else for (const part of request.multipart) if (!properties(resolve(declared).schema)[part.name]) problems.push(`multipart part "${part.name}"`);
  }
  return problems.map((problem) => `${request.method} ${template}: ${problem} is not declared`);
}

/**
 * Undeclared on purpose, each with its reason. `GET /permissions/cache` is what JetBrains' own apps read a user's
 * permissions from (the description's notes name it as undeclared); only `bastion doctor` reads it, and says it cannot
 * tell when it fails.
 */
export const KNOWN_UNDECLARED: Record<string, string> = {
  'GET /permissions/cache: no such operation': 'doctor privileges check, as JetBrains\' own apps do',
};

/**
 * Undeclared paths on purpose, each with its reason. An attachment's content is read from the signed `url` YouTrack
 * gives the attachment (`/api/files/{id}?sign=…`), which the description does not list as an operation.
 */
export const KNOWN_UNDECLARED_PATHS: Array<{ problem: RegExp; reason: string }> = [
  { problem: /^GET \/files\/[^/]+: no such operation$/, reason: 'attachment content, at the URL YouTrack gives each attachment' },
];

/** Everything undeclared across requests, each listed once, apart from KNOWN_UNDECLARED and KNOWN_UNDECLARED_PATHS. */
export function contractViolations(requests: SentRequest[]): string[] {
  return [...new Set(requests.flatMap(undeclared))]
    .filter((problem) => !(problem in KNOWN_UNDECLARED) && !KNOWN_UNDECLARED_PATHS.some((known) => known.problem.test(problem)))
    .sort();
}

/** Collection reads sent without `$top`: a real 2026.1 then returns up to 1000 records, a page Bastion never means. */
export function readsWithoutTop(requests: SentRequest[]): string[] {
  const problems = requests
    .filter((request) => request.method === 'GET' && !('$top' in request.query))
    .map((request) => {
      const template = findTemplate(request.path.replace(/^.*?\/api(?=\/)/, ''));
      const parameters = template ? (spec.paths[template]!.get?.parameters ?? []) : [];
      return parameters.some((p) => p.name === '$top') ? `GET ${template} without $top` : undefined;
    })
    .filter((problem): problem is string => problem !== undefined);
  return [...new Set(problems)].sort();
}
