// A loopback load balancer without affinity: each POST goes to the next of several targets in turn (GET and DELETE
// take turns of their own), so consecutive messages of one client land on different instances. Streams (SSE answers)
// are passed through as they come, and a client going away is passed on.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Routed {
  target: number;
  method: string;
  /** For a POST: the JSON-RPC method, or "response" for an answer to the server's request. */
  message?: string;
}

export interface RoundRobin {
  url: string;
  routed: Routed[];
  close(): Promise<void>;
}

function describeBody(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { method?: string; id?: unknown };
    return parsed.method ?? (parsed.id !== undefined ? 'response' : undefined);
  } catch {
    return undefined;
  }
}

export async function startRoundRobin(targets: string[]): Promise<RoundRobin> {
  const turns = new Map<string, number>();
  const routed: Routed[] = [];
  const server: Server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const lane = method === 'POST' ? 'POST' : 'other';
    const target = turns.get(lane) ?? 0;
    turns.set(lane, (target + 1) % targets.length);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      routed.push({ target, method, ...(method === 'POST' ? { message: describeBody(body) } : {}) });
      const upstream = new URL(targets[target]!);
      const forward = request({ host: upstream.hostname, port: upstream.port, method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
      res.once('close', () => forward.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    routed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
