// Loopback HTTP doubles for the two services around Coreflux that a client calls over HTTP: the Coreflux Copilot
// (LoT generation, an OpenAI-style chat-completions endpoint behind a bearer key) and the LoT verifier (syntax check
// of a snippet). node:http only; both record every request for assertions.
//
//   const copilot = await startCopilotDouble();      // configure base URL = copilot.url, key = COPILOT_TEST_KEY
//   copilot.setMode('slow');                         // the next calls hang: exercises the client's timeout
//   const verifier = await startVerifierDouble();    // configure verifier URL = verifier.url (the full POST URL)
//   expect(verifier.requests[0]!.body).toEqual({ code: 'DEFINE MODEL M', filename: 'snippet.lot' });
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseLotHeader } from './coreflux/lot.js';

/** Contains "canary" so that leak checks can look for it in logs and tool output. */
export const COPILOT_TEST_KEY = 'do-agent-canary-key-5Jw8nTq3Lr';
export const COPILOT_PATH = '/api/v1/chat/completions';
export const VERIFIER_PATH = '/validate/code';

/** The LoT the Copilot double generates, as it appears inside the answer's fence. */
export const COPILOT_LOT = [
  'DEFINE ACTION GeneratedHeartbeat',
  'DESCRIPTION "Publishes a heartbeat every 10 seconds"',
  'ON EVERY 10 SECONDS DO',
  '    PUBLISH TOPIC "demo/heartbeat" WITH "alive"',
].join('\n');
/** `choices[0].message.content` of every successful Copilot answer. */
export const COPILOT_CONTENT = `\`\`\`lot\n${COPILOT_LOT}\n\`\`\``;
/** The body of a 200 answer in 'non-json' mode. */
export const COPILOT_NON_JSON_BODY = '<html><body><h1>Copilot</h1><p>Generation queue is busy, try again later.</p></body></html>';

export interface RecordedHttpRequest {
  method: string;
  /** Without the query string. */
  path: string;
  /** Lower-case header names; repeated headers are joined with ", ". */
  headers: Record<string, string | undefined>;
  /** The parsed JSON body, the raw text when it is not JSON, undefined when the request had none. */
  body: unknown;
}

export type CopilotMode = 'ok' | 'unauthorized' | 'non-json' | 'slow' | 'server-error';

export interface CopilotDouble {
  /** Base URL, without the /api/v1/... path. */
  url: string;
  requests: RecordedHttpRequest[];
  /**
   * 'ok' (default) answers normally; 'unauthorized' answers 401 even to the right key; 'non-json' answers 200 with
   * an HTML body; 'slow' holds every request open until close() (never within 60 s); 'server-error' answers 500.
   */
  setMode(mode: CopilotMode): void;
  close(): Promise<void>;
}

export interface CopilotDoubleOptions {
  /** The accepted bearer key; default COPILOT_TEST_KEY. */
  apiKey?: string;
}

export interface VerifierDouble {
  /** The full URL to POST to, e.g. http://127.0.0.1:PORT/validate/code. */
  url: string;
  requests: RecordedHttpRequest[];
  /**
   * How `errors`, `warnings` and `suggestions` entries are written: `objects` (`{line, message}`, `{category,
   * message}`; default) or `strings` (plain text). Coreflux's reference client accepts both; which one a given
   * verifier version sends is not documented.
   */
  setEntryStyle(style: 'objects' | 'strings'): void;
  close(): Promise<void>;
}

const COPILOT_MODES: readonly CopilotMode[] = ['ok', 'unauthorized', 'non-json', 'slow', 'server-error'];
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

interface Reply {
  status: number;
  /** An object is sent as JSON, a string as text/plain (or `contentType`). */
  body: unknown;
  contentType?: string;
}

class HttpFailure extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`);
  }
}

function recordHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}

function send(res: ServerResponse, reply: Reply): void {
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  const type = reply.contentType ?? (typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json');
  res.writeHead(reply.status, { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(text)) }).end(text);
}

/** Reads and records a request; the JSON body is required to be an object with a JSON content type. */
async function readRequest(req: IncomingMessage, requests: RecordedHttpRequest[]): Promise<{ path: string; json: () => Record<string, unknown> }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  let parsed: unknown;
  let isJson = false;
  try {
    parsed = raw ? JSON.parse(raw) : undefined;
    isJson = raw !== '';
  } catch {
    parsed = raw;
  }
  const path = new URL(req.url ?? '/', 'http://double.invalid').pathname;
  requests.push({ method: (req.method ?? 'GET').toUpperCase(), path, headers: recordHeaders(req), body: raw ? parsed : undefined });
  return {
    path,
    json: () => {
      if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(req.headers['content-type'] ?? '')) {
        throw new HttpFailure({ status: 415, body: { message: 'Unsupported Media Type: send application/json' } });
      }
      if (!isJson || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new HttpFailure({ status: 400, body: { message: 'Request body must be a JSON object' } });
      }
      return parsed as Record<string, unknown>;
    },
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

function validateMessages(body: Record<string, unknown>): void {
  const invalid = (message: string) => new HttpFailure({ status: 400, body: { error: { message, type: 'invalid_request_error' } } });
  const { messages } = body;
  if (!Array.isArray(messages) || messages.length === 0) throw invalid("'messages' must be a non-empty array");
  messages.forEach((message: unknown, index) => {
    const entry = message as { role?: unknown; content?: unknown } | null;
    if (typeof entry !== 'object' || entry === null) throw invalid(`messages[${index}] must be an object`);
    if (typeof entry.role !== 'string' || !ROLES.has(entry.role)) throw invalid(`messages[${index}].role must be one of ${[...ROLES].join(', ')}`);
    if (typeof entry.content !== 'string' || entry.content.trim() === '') throw invalid(`messages[${index}].content must be a non-empty string`);
  });
  if (body.stream === true) throw invalid('Streaming is not supported by this endpoint');
}

export async function startCopilotDouble(options: CopilotDoubleOptions = {}): Promise<CopilotDouble> {
  const apiKey = options.apiKey ?? COPILOT_TEST_KEY;
  const requests: RecordedHttpRequest[] = [];
  let mode: CopilotMode = 'ok';
  let answers = 0;

  async function answer(req: IncomingMessage): Promise<Reply | undefined> {
    const request = await readRequest(req, requests);
    if (request.path !== COPILOT_PATH) return { status: 404, body: { error: { message: 'Not found', type: 'not_found' } } };
    if (req.method !== 'POST') return { status: 405, body: { error: { message: 'Method not allowed', type: 'invalid_request_error' } } };
    if (mode === 'slow') return undefined;
    if (mode === 'server-error') return { status: 500, body: { error: { message: 'Internal server error', type: 'server_error' } } };
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (mode === 'unauthorized' || !bearer || bearer[1] !== apiKey) {
      return { status: 401, body: { error: { message: 'Unauthorized: missing or invalid API key', type: 'authentication_error' } } };
    }
    const body = request.json();
    validateMessages(body);
    if (mode === 'non-json') return { status: 200, body: COPILOT_NON_JSON_BODY, contentType: 'text/html; charset=utf-8' };
    answers += 1;
    return {
      status: 200,
      body: {
        id: `chatcmpl-double-${answers}`,
        object: 'chat.completion',
        created: 1_735_689_600 + answers,
        model: 'coreflux-copilot-double',
        choices: [{ index: 0, message: { role: 'assistant', content: COPILOT_CONTENT }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 42, completion_tokens: 36, total_tokens: 78 },
      },
    };
  }

  const server = createServer((req, res) => {
    answer(req)
      .then((reply) => {
        // 'slow': the response stays open until the client gives up or close() ends the connection.
        if (reply) send(res, reply);
      })
      .catch((error: unknown) => {
        if (error instanceof HttpFailure) send(res, error.reply);
        else res.destroy();
      });
  });
  const port = await listen(server);

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setMode(next) {
      if (!COPILOT_MODES.includes(next)) throw new Error(`Unknown mode '${String(next)}'; expected ${COPILOT_MODES.join(', ')}`);
      mode = next;
    },
    close: () => closeServer(server),
  };
}

/** What the verifier double reports about a snippet that passed the header check. */
function assess(code: string, kind: string): Record<string, unknown> {
  const lines = code.split(/\r?\n/).filter((line) => line.trim() !== '').length;
  const suggestions: Array<{ category: string; message: string }> = [];
  if (kind === 'ACTION' && !/^[ \t]*DESCRIPTION[ \t]+"/im.test(code)) {
    suggestions.push({ category: 'documentation', message: 'Add a DESCRIPTION "..." line so that the action can be discovered' });
  }
  suggestions.push({ category: 'style', message: 'Keep one statement per line and indent the body of the definition' });
  return {
    valid: true,
    warnings: [],
    suggestions,
    complexity: { score: lines, level: lines <= 5 ? 'low' : lines <= 20 ? 'medium' : 'high' },
    best_practices: ['Use PascalCase names for models, actions, routes and rules', 'Deploy models before the actions and rules that use them'],
  };
}

/** Header problems plus unterminated string literals, one entry per offending line. */
function problems(code: string): Array<{ line: number; message: string }> {
  const errors: Array<{ line: number; message: string }> = [];
  const header = parseLotHeader(code);
  if (!header.ok) errors.push({ line: header.problem.line, message: header.problem.message });
  code.split(/\r?\n/).forEach((text, index) => {
    const quotes = text.replace(/\\./g, '').split('"').length - 1;
    if (quotes % 2 === 1) errors.push({ line: index + 1, message: 'Unterminated string literal' });
  });
  return errors;
}

export async function startVerifierDouble(): Promise<VerifierDouble> {
  const requests: RecordedHttpRequest[] = [];
  let style: 'objects' | 'strings' = 'objects';

  async function answer(req: IncomingMessage): Promise<Reply> {
    const request = await readRequest(req, requests);
    if (request.path !== VERIFIER_PATH) return { status: 404, body: { detail: 'Not Found' } };
    if (req.method !== 'POST') return { status: 405, body: { detail: 'Method Not Allowed' } };
    const invalid: Reply = { status: 400, body: { message: 'Invalid LOT syntax' } };
    let body: Record<string, unknown>;
    try {
      body = request.json();
    } catch (error) {
      // A body that is empty, not JSON or not an object counts as a snippet without code.
      if (error instanceof HttpFailure && error.reply.status === 400) return invalid;
      throw error;
    }
    const { code } = body;
    if (typeof code !== 'string' || code.trim() === '') return invalid;
    const errors = problems(code);
    const header = parseLotHeader(code);
    const verdict = errors.length > 0 ? { valid: false, errors } : assess(code, header.ok ? header.kind : '');
    if (style === 'strings') {
      const text = (entry: unknown) => {
        const { line, category, message } = entry as { line?: number; category?: string; message: string };
        return `${line !== undefined ? `Line ${line}: ` : ''}${category ? `[${category}] ` : ''}${message}`;
      };
      for (const key of ['errors', 'warnings', 'suggestions'] as const) {
        const list = (verdict as Record<string, unknown>)[key];
        if (Array.isArray(list)) (verdict as Record<string, unknown>)[key] = list.map(text);
      }
    }
    return { status: 200, body: verdict };
  }

  const server = createServer((req, res) => {
    answer(req)
      .then((reply) => send(res, reply))
      .catch((error: unknown) => {
        if (error instanceof HttpFailure) send(res, error.reply);
        else res.destroy();
      });
  });
  const port = await listen(server);

  return {
    url: `http://127.0.0.1:${port}${VERIFIER_PATH}`,
    requests,
    setEntryStyle(next) {
      style = next;
    },
    close: () => closeServer(server),
  };
}
