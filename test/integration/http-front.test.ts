// The HTTP front under hostile or faulty clients, against the built CLI over raw sockets: refusals are answered from
// the headers alone and the connection closed, stalled bodies are cut, connections are bounded, refusals are limited
// and counted, and a draining instance closes its keep-alive connections.
import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/redis.js';
import { ensureMosquitto } from '../helpers/mosquitto.js';
import { redmineEnv } from '../helpers/bastion.js';
import { startHttpBastion, writeTokensFile, type HttpBastion } from '../helpers/http-server.js';

const dir = mkdtempSync(join(tmpdir(), 'bastion-http-front-'));
const TOKEN = 'canary-http-front-token-62k';
const tokensFile = writeTokensFile(join(dir, 'tokens.json'), [{ name: 'writer', token: TOKEN, scopes: ['bastion:write'] }]);

const running: HttpBastion[] = [];
afterAll(async () => {
  await Promise.all(running.map((server) => server.stop(2_000)));
});

async function serve(extra: Record<string, string> = {}): Promise<HttpBastion> {
  const server = await startHttpBastion({
    env: redmineEnv({ BASTION_KEYRING: 'false', BASTION_HTTP_TOKENS_FILE: tokensFile, BASTION_RATE_LIMIT: '10000/min', BASTION_AUDIT_LOG: join(dir, `audit-${running.length}.jsonl`), ...extra }),
  });
  running.push(server);
  return server;
}

/** A raw connection: what the server sent, and whether (and how) it closed the connection. */
interface Raw {
  socket: Socket;
  data(): string;
  closed: Promise<string>;
}

async function open(server: HttpBastion): Promise<Raw> {
  const { hostname, port } = new URL(server.baseUrl);
  const socket = connect(Number(port), hostname);
  let data = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (data += chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(data)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, data: () => data, closed };
}

/** The request line and headers of a POST /mcp whose body of `length` bytes is still to come. */
function head(server: HttpBastion, length: number, headers: Record<string, string> = {}): string {
  const host = new URL(server.baseUrl).host;
  const lines = Object.entries({ host, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': String(length), ...headers });
  return `POST /mcp HTTP/1.1\r\n${lines.map(([name, value]) => `${name}: ${value}`).join('\r\n')}\r\n\r\n`;
}

/** Sends a GET on an open keep-alive connection and resolves with the whole response once it has arrived. */
async function getOn(raw: Raw, server: HttpBastion, path: string): Promise<string> {
  const before = raw.data().length;
  raw.socket.write(`GET ${path} HTTP/1.1\r\nhost: ${new URL(server.baseUrl).host}\r\n\r\n`);
  for (;;) {
    const text = raw.data().slice(before);
    const length = /content-length: (\d+)/i.exec(text);
    const end = text.indexOf('\r\n\r\n');
    if (length && end >= 0 && text.length >= end + 4 + Number(length[1])) return text;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('refusals from the headers alone', () => {
  let server: HttpBastion;
  beforeAll(async () => {
    server = await serve({ BASTION_HTTP_REQUEST_TIMEOUT: '2', BASTION_HTTP_REFUSAL_LIMIT: '10000/min' });
  });

  it('answers many unauthenticated requests with stalled 1 MB bodies at once, and closes each connection before any body byte is sent', async () => {
    const clients = await Promise.all(Array.from({ length: 50 }, () => open(server)));
    for (const [index, client] of clients.entries()) client.socket.write(head(server, 1_000_000, index % 2 ? { authorization: 'Bearer wrong-token' } : {}));
    const answers = await Promise.all(clients.map((client) => client.closed));
    for (const answer of answers) {
      expect(answer).toMatch(/^HTTP\/1\.1 401 /);
      expect(answer.toLowerCase()).toContain('connection: close');
    }
  });

  it('refuses a declared body over BASTION_HTTP_MAX_BODY with 413 before reading it, even with a valid token', async () => {
    const client = await open(server);
    client.socket.write(head(server, 50 * 1024 * 1024, { authorization: `Bearer ${TOKEN}` }));
    const answer = await client.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('BASTION_HTTP_MAX_BODY');
  });

  it('refuses a wrong Host before reading the body', async () => {
    const client = await open(server);
    client.socket.write(head(server, 1_000_000, { host: 'evil.example', authorization: `Bearer ${TOKEN}` }));
    expect(await client.closed).toMatch(/^HTTP\/1\.1 403 /);
  });

  it('cuts an authenticated request whose body stalls with 408 once BASTION_HTTP_REQUEST_TIMEOUT has passed', async () => {
    const client = await open(server);
    client.socket.write(head(server, 1000, { authorization: `Bearer ${TOKEN}` }));
    client.socket.write('{"jsonrpc":"2.0",');
    const answer = await client.closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('the connection bound', () => {
  it('closes the connection beyond BASTION_HTTP_MAX_CONNECTIONS unanswered, while the others keep working', async () => {
    const server = await serve({ BASTION_HTTP_MAX_CONNECTIONS: '3' });
    const held = await Promise.all([open(server), open(server), open(server)]);
    // Each answered once: the server has accepted all three and holds them open (keep-alive).
    for (const client of held) expect(await getOn(client, server, '/healthz')).toMatch(/^HTTP\/1\.1 200 /);
    const extra = await open(server);
    extra.socket.write(`GET /healthz HTTP/1.1\r\nhost: ${new URL(server.baseUrl).host}\r\n\r\n`);
    expect(await extra.closed).toBe('');
    expect(await getOn(held[0]!, server, '/healthz')).toMatch(/^HTTP\/1\.1 200 /);
    for (const client of held) client.socket.destroy();
  });
});

describe('refused requests', () => {
  it('limits refusals per address, counts every one in /metrics by reason, and logs them in aggregate', async () => {
    const metricsPort = await freePort();
    const server = await serve({ BASTION_HTTP_REFUSAL_LIMIT: '20/hour', BASTION_METRICS_PORT: String(metricsPort), BASTION_LOG_LEVEL: 'info' });
    const statuses: number[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => fetch(server.url, { method: 'POST', headers: { authorization: 'Bearer wrong-token', 'content-type': 'application/json' }, body: '{}' })),
      );
      for (const answer of answers) {
        statuses.push(answer.status);
        await answer.arrayBuffer();
      }
    }
    // The first 20 are judged (401); the address has then used up its refusals and the rest are refused unread.
    expect(statuses.filter((status) => status === 401)).toHaveLength(20);
    expect(statuses.filter((status) => status === 429)).toHaveLength(480);
    const last = await fetch(server.url, { method: 'POST', headers: { authorization: 'Bearer wrong-token' }, body: '{}' });
    expect(last.status).toBe(429);
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await last.json()).toMatchObject({ error: 'too_many_refusals' });

    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^bastion_http_refused_total\{reason="bad_token"\} 20$/m);
    expect(metrics).toMatch(/^bastion_http_refused_total\{reason="too_many_refusals"\} 481$/m);
    expect(metrics).not.toContain('wrong-token');

    await server.stop();
    const lines = server.stderr().split('\n').filter((line) => line.includes('refused'));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(3);
    expect(lines.join('\n')).toContain('"bad_token":20');
    expect(server.stderr()).not.toContain('wrong-token');
  });
});

describe('draining on SIGTERM', () => {
  interface Answer {
    status: number;
    connection: string | undefined;
    body: string;
    /** The socket had carried an earlier request. */
    reused: boolean;
    session: string | undefined;
  }

  /** One JSON-RPC POST through a keep-alive agent, as a balancer's pooled connection sends it. */
  function postVia(agent: Agent, server: HttpBastion, body: object, session?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const target = new URL(server.url);
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: '/mcp',
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${TOKEN}`, ...(session ? { 'mcp-session-id': session } : {}) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text, reused: req.reusedSocket, session: res.headers['mcp-session-id'] as string | undefined }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  }

  it('ends a keep-alive connection with its answer while draining, so the next request is never a 503 on a reused connection', async () => {
    const mosquitto = await ensureMosquitto();
    const server = await serve({ MQTT_BROKER: mosquitto.host, MQTT_PORT: String(mosquitto.port), MQTT_USER: mosquitto.user, MQTT_PASSWORD: mosquitto.password });
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    try {
      const init = await postVia(agent, server, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
      expect(init.status).toBe(200);
      const session = init.session;
      await postVia(agent, server, { jsonrpc: '2.0', method: 'notifications/initialized' }, session);
      // Two reads that wait for messages that never come, on two pooled connections: both are in flight when the
      // signal arrives; the shorter one ends first while the other keeps the instance draining.
      const read = (id: number, seconds: number) =>
        postVia(agent, server, { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'mqtt_read_topic', arguments: { topic: 'bastion/drain/none', timeout_seconds: seconds } } }, session);
      const short = read(1, 1);
      const long = read(2, 4);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const exited = new Promise<number | null>((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      expect((await short).status).toBe(200);
      // The agent's free connection is the one that carried the short read: the next request goes there if it is open.
      const next = await postVia(agent, server, { jsonrpc: '2.0', id: 3, method: 'ping' }, session).catch((error: Error) => error);
      if (!(next instanceof Error)) expect({ status: next.status, reused: next.reused }).not.toEqual({ status: 503, reused: true });
      expect((await long).status).toBe(200);
      expect(await exited).toBe(0);
    } finally {
      agent.destroy();
    }
  });
});
