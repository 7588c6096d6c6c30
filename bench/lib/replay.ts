// A loopback HTTP server that first forwards to the real Redmine and records each answer, then replays
// the recorded answers from memory (keyed by method and URL), so per-call overhead is measured without Redmine's own time.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { callTool } from './calls.js';
import { spawnBastion } from './services.js';

interface Recorded {
  status: number;
  contentType: string;
  body: Buffer;
}

export interface ReplayServer {
  url: string;
  mode: 'record' | 'replay';
  /** Every request seen, in arrival order (method and URL). */
  seen: string[];
  /** Requests that arrived in replay mode without a recording. */
  misses: string[];
  recorded(): string[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startReplay(upstream: string): Promise<ReplayServer> {
  const store = new Map<string, Recorded>();
  const state: ReplayServer = {
    url: '',
    mode: 'record',
    seen: [],
    misses: [],
    recorded: () => [...store.keys()],
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const key = `${req.method} ${req.url}`;
    state.seen.push(key);
    if (state.mode === 'replay') {
      const hit = store.get(key);
      if (!hit) {
        state.misses.push(key);
        res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":["not recorded"]}');
        return;
      }
      res.writeHead(hit.status, { 'Content-Type': hit.contentType, 'Content-Length': hit.body.length });
      res.end(hit.body);
      return;
    }
    const body = await readBody(req);
    const headers: Record<string, string> = {};
    for (const name of ['x-redmine-api-key', 'content-type', 'accept', 'authorization']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const answer = await request(`${upstream}${req.url}`, { method: req.method as 'GET', headers, body: body.length ? body : undefined });
    const answerBody = Buffer.from(await answer.body.arrayBuffer());
    const contentType = String(answer.headers['content-type'] ?? 'application/json');
    if (req.method === 'GET') store.set(key, { status: answer.statusCode, contentType, body: answerBody });
    res.writeHead(answer.statusCode, { 'Content-Type': contentType, 'Content-Length': answerBody.length });
    res.end(answerBody);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(502, { 'Content-Type': 'text/plain' }).end(String(error));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

/**
 * A replay of the real Redmine holding what Bastion asks for `calls`: each call is made twice through a recording
 * Bastion (so follow-up lookups are stored too), then the server switches to replay. `env` gets the replay URL.
 */
export async function startRecordedReplay(
  upstream: string,
  env: (replayUrl: string) => Record<string, string>,
  calls: ReadonlyArray<readonly [string, Record<string, unknown>]>,
): Promise<ReplayServer> {
  const replay = await startReplay(upstream);
  try {
    const recorder = await spawnBastion(env(replay.url));
    try {
      for (let i = 0; i < 2; i++) {
        for (const [tool, args] of calls) {
          const out = await callTool(recorder.client, tool, args);
          if (out.isError) throw new Error(`${tool} failed while recording: ${out.text}`);
        }
      }
    } finally {
      await recorder.close();
    }
    replay.mode = 'replay';
    return replay;
  } catch (error) {
    await replay.close();
    throw error;
  }
}

/** The path of the recorded GET whose path starts with `prefix` (e.g. "/issues.json?"). */
export function recordedPath(replay: ReplayServer, prefix: string): string {
  const key = replay.recorded().find((recorded) => recorded.startsWith(`GET ${prefix}`));
  if (!key) throw new Error(`no GET ${prefix}... recorded: ${replay.recorded().join(', ')}`);
  return key.slice(4);
}
