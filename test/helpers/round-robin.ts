// A loopback load balancer without affinity: each HTTP request goes to the next of several targets in turn, so
// follow-up requests of one client land on different instances. Streams (SSE answers) are passed through as they come.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobin {
  url: string;
  /** Which target (index) each request went to, in order, with its method. */
  routed: Array<{ target: number; method: string }>;
  close(): Promise<void>;
}

export async function startRoundRobin(targets: string[]): Promise<RoundRobin> {
  let next = 0;
  const routed: RoundRobin['routed'] = [];
  const server: Server = createServer((req, res) => {
    const target = next;
    next = (next + 1) % targets.length;
    routed.push({ target, method: req.method ?? 'GET' });
    const upstream = new URL(targets[target]!);
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    // The client going away (a cancelled stream) goes on to the instance.
    res.once('close', () => forward.destroy());
    req.pipe(forward);
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
