// A small loopback proxy in front of the real Redmine that records every request and can answer
// the next N matching requests with an error status instead of forwarding them, or hold them unanswered (a slow
// upstream) and note when Bastion gives up on them.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  /**
   * What the proxy did: forwarded to Redmine, answered itself with a status, held it unanswered, or forwarded it and
   * then answered a status of its own instead of Redmine's answer (a gateway failing after the upstream applied it).
   */
  outcome: 'forwarded' | 'held' | number | `forwarded, answered ${number}`;
  /** For a held request: Bastion closed it (gave up on the answer). */
  closed?: boolean;
}

export interface FaultProxy {
  url: string;
  seen: SeenRequest[];
  /** Answers the next `count` requests with this method (and path prefix) with `status` instead of forwarding. */
  failNext(rule: { method: string; pathPrefix?: string; count: number; status: number; headers?: Record<string, string> }): void;
  /** Holds the next `count` requests with this method (and path prefix) unanswered until Bastion closes them. */
  holdNext(rule: { method: string; pathPrefix?: string; count: number }): void;
  /** Forwards the next `count` matching requests to Redmine, waits for its answer, then answers `status` instead. */
  forwardThenFail(rule: { method: string; pathPrefix?: string; count: number; status: number }): void;
  close(): Promise<void>;
}

const HOLD = 0;

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const rules: Array<{ method: string; pathPrefix: string; remaining: number; status: number; headers: Record<string, string>; afterForwarding?: boolean }> = [];
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const rule = rules.find((r) => r.remaining > 0 && r.method === method && path.startsWith(r.pathPrefix));
    if (rule?.status === HOLD) {
      rule.remaining -= 1;
      const seenRequest: SeenRequest = { method, path, outcome: 'held' };
      seen.push(seenRequest);
      req.resume();
      res.once('close', () => (seenRequest.closed = true));
      return;
    }
    if (rule?.afterForwarding) {
      rule.remaining -= 1;
      seen.push({ method, path, outcome: `forwarded, answered ${rule.status}` });
      const forward = request({ host: upstream.hostname, port: upstream.port, method, path, headers: { ...req.headers, host: upstream.host } }, (answer) => {
        // Redmine's answer is read to the end (the change is applied), then replaced by the failure.
        answer.resume();
        answer.once('end', () => res.writeHead(rule.status).end());
      });
      forward.on('error', () => res.writeHead(502).end());
      req.pipe(forward);
      return;
    }
    if (rule) {
      rule.remaining -= 1;
      seen.push({ method, path, outcome: rule.status });
      req.resume();
      res.writeHead(rule.status, rule.headers).end();
      return;
    }
    seen.push({ method, path, outcome: 'forwarded' });
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method, path, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    failNext: ({ method, pathPrefix = '/', count, status, headers = {} }) => {
      rules.push({ method, pathPrefix, remaining: count, status, headers });
    },
    forwardThenFail: ({ method, pathPrefix = '/', count, status }) => {
      rules.push({ method, pathPrefix, remaining: count, status, headers: {}, afterForwarding: true });
    },
    holdNext: ({ method, pathPrefix = '/', count }) => {
      rules.push({ method, pathPrefix, remaining: count, status: HOLD, headers: {} });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
