// Checks requests sent to the ETIM double against ETIM's API v2 contract (test/fixtures/etim): the operation (method
// and path), the body's keys for that operation's input model, the keys inside `include`, `filters` and `classes`
// and their enumerated values, and that the double answered only with a status the API documents (200, 400, 401,
// 500). A key the API does not know is ignored by it, so a misspelt one is a silent bug.
import { readFileSync } from 'node:fs';

interface Contract {
  statuses: number[];
  models: Record<string, string[]>;
  nested: Record<string, string[]>;
  operations: Record<string, string | null>;
}

export interface EtimSentRequest {
  method: string;
  path: string;
  body?: unknown;
  status: number;
  injected?: true;
}

const contract = JSON.parse(readFileSync(new URL('../fixtures/etim/etim-api-v2-contract.json', import.meta.url), 'utf8')) as Contract;
// ASP.NET Core routes without regard to case.
const operations = new Map(Object.entries(contract.operations).map(([operation, model]) => [operation.toLowerCase(), { operation, model }]));

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function unknownKeys(value: unknown, allowed: string[], where: string, problems: string[]): void {
  if (!isRecord(value)) return;
  for (const key of Object.keys(value)) if (!allowed.includes(key)) problems.push(`${where}.${key}`);
}

function unknownValues(value: unknown, allowed: string[], where: string, problems: string[]): void {
  if (!Array.isArray(value)) return;
  for (const item of value) if (typeof item !== 'string' || !allowed.includes(item)) problems.push(`${where} value ${JSON.stringify(item)}`);
}

/** What in one request ETIM's API v2 does not declare; empty when all of it is declared. */
export function undeclared(request: EtimSentRequest): string[] {
  const below = request.path.replace(/^\/api\/v2/i, '');
  const found = operations.get(`${request.method} ${below}`.toLowerCase());
  if (!found) return [`${request.method} ${below}: no such operation`];
  const problems: string[] = [];
  const body = request.body;
  if (found.model === null) {
    if (body !== undefined) problems.push('a body');
  } else if (!isRecord(body)) {
    problems.push('a body that is not a JSON object');
  } else {
    unknownKeys(body, contract.models[found.model]!, 'body', problems);
    unknownKeys(body.include, contract.nested.include!, 'body.include', problems);
    if (isRecord(body.include)) unknownValues(body.include.fields, contract.nested['include.fields']!, 'body.include.fields', problems);
    if (Array.isArray(body.filters)) {
      for (const filter of body.filters) {
        unknownKeys(filter, contract.nested['filters[]']!, 'body.filters[]', problems);
        if (isRecord(filter)) unknownValues([filter.code], contract.nested['filters[].code']!, 'body.filters[].code', problems);
      }
    }
    if (Array.isArray(body.classes)) for (const entry of body.classes) unknownKeys(entry, contract.nested['classes[]']!, 'body.classes[]', problems);
  }
  // Faults a test injects on purpose (gateways, rate limits) are not the API's answers.
  if (!request.injected && !contract.statuses.includes(request.status)) problems.push(`an answer with status ${request.status}`);
  return problems.map((problem) => `${found.operation}: ${problem} is not declared`);
}

/** Everything undeclared across requests, each listed once. */
export function contractViolations(requests: EtimSentRequest[]): string[] {
  return [...new Set(requests.flatMap(undeclared))].sort();
}
