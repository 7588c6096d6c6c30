// MCP over HTTP through the SDK's real HTTP client: authentication (named tokens and JWTs), scopes, Host and Origin
// checks, rate limits, body cap, TLS, metrics, and every connector's read tools.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ETIM_TEST_CLIENT_ID, ETIM_TEST_CLIENT_SECRET, startEtimDouble, type EtimDouble } from '../doubles/etim.js';
import { startYouTrackDouble, YOUTRACK_TEST_TOKEN, type YouTrackDouble } from '../doubles/youtrack.js';
import { CLI, redmineEnv } from '../helpers/bastion.js';
import { startHttpBastion, writeTokensFile, type HttpBastion } from '../helpers/http-server.js';
import { ensureMosquitto } from '../helpers/mosquitto.js';
import { makeSelfSignedCert } from '../unit/helpers/tls-cert.js';

const dir = mkdtempSync(join(tmpdir(), 'bastion-http-'));
const READ_TOKEN = 'canary-http-read-token-41x';
const WRITE_TOKEN = 'canary-http-write-token-73y';
const NO_SCOPE_TOKEN = 'canary-http-noscope-token-9q';
const REDMINE_ONLY_TOKEN = 'canary-http-redmine-token-5z';

const running: HttpBastion[] = [];
afterAll(async () => {
  await Promise.all(running.map((server) => server.stop(2_000)));
});

function tokensFile(): string {
  return writeTokensFile(join(dir, 'tokens.json'), [
    { name: 'reader', token: READ_TOKEN, scopes: ['bastion:read'] },
    { name: 'writer', token: WRITE_TOKEN, scopes: ['bastion:write'] },
    { name: 'nobody', token: NO_SCOPE_TOKEN, scopes: ['profile'] },
    { name: 'redmine-only', token: REDMINE_ONLY_TOKEN, scopes: ['bastion:write', 'bastion:connector:redmine'] },
  ]);
}

/** Starts `bastion serve --transport http` on a free port; every instance is stopped after the file. */
async function serveHttp(env: Record<string, string>): Promise<HttpBastion> {
  const server = await startHttpBastion({ env: { BASTION_KEYRING: 'false', ...env } });
  running.push(server);
  return server;
}

async function connect(url: string, token?: string, extra: RequestInit = {}): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    ...(token ? { authProvider: { token: async () => token } } : {}),
    requestInit: extra,
  });
  const client = new Client({ name: 'bastion-http-tests', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

/** A raw request with a Host header of our choosing (fetch does not let a caller set Host). */
function rawPost(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end('{"jsonrpc":"2.0","id":1,"method":"ping"}');
  });
}

async function post(url: string, headers: Record<string, string>, body = '{"jsonrpc":"2.0","id":1,"method":"ping"}'): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body });
}

describe('named tokens, scopes, Host and Origin', () => {
  let server: Awaited<ReturnType<typeof serveHttp>>;
  beforeAll(async () => {
    server = await serveHttp(redmineEnv({ BASTION_HTTP_TOKENS_FILE: tokensFile(), BASTION_RATE_LIMIT: '1000/min', BASTION_AUDIT_LOG: join(dir, 'http-audit.jsonl') }));
  });

  it('refuses a request without a token with 401, pointing at no OAuth metadata (static tokens have none)', async () => {
    const response = await post(server.url, {});
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate')!;
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).not.toContain('resource_metadata');
    await expect(connect(server.url)).rejects.toThrow('bearer token missing or wrong');
  });

  it('refuses an unknown token (401) and a token without Bastion scopes (403 insufficient_scope)', async () => {
    expect((await post(server.url, { authorization: 'Bearer canary-not-a-known-token' })).status).toBe(401);
    const forbidden = await post(server.url, { authorization: `Bearer ${NO_SCOPE_TOKEN}` });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('refuses a foreign Host and a foreign Origin with 403, before authentication', async () => {
    expect(await rawPost(server.url, { host: 'evil.example', authorization: `Bearer ${WRITE_TOKEN}` })).toBe(403);
    expect(await rawPost(server.url, { host: `127.0.0.1:${new URL(server.url).port}`, authorization: `Bearer ${WRITE_TOKEN}` })).not.toBe(403);
    expect((await post(server.url, { origin: 'https://evil.example', authorization: `Bearer ${WRITE_TOKEN}` })).status).toBe(403);
    expect((await post(server.url, { origin: 'http://localhost:5173', authorization: `Bearer ${WRITE_TOKEN}` })).status).not.toBe(403);
  });

  it('shows a read-only caller only read tools and refuses write tools it calls anyway', async () => {
    const reader = await connect(server.url, READ_TOKEN);
    try {
      const { tools } = await reader.listTools();
      expect(tools.length).toBeGreaterThan(10);
      expect(tools.every((tool) => tool.annotations?.readOnlyHint)).toBe(true);
      await expect(reader.callTool({ name: 'redmine_delete_issue', arguments: { issue_id: 1 } })).rejects.toThrow(/redmine_delete_issue/);
      const me = (await reader.callTool({ name: 'redmine_get_current_user', arguments: {} })) as { structuredContent: { login: string } };
      expect(me.structuredContent.login).toBe('admin');
      // The audit log names the caller by its token's name.
      const calls = readFileSync(join(dir, 'http-audit.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line)).filter((r) => r.type === 'tool_call');
      expect(calls.at(-1)).toMatchObject({ tool: 'redmine_get_current_user', caller: 'reader', outcome: 'ok' });
    } finally {
      await reader.close();
    }
    const writer = await connect(server.url, WRITE_TOKEN);
    try {
      expect((await writer.listTools()).tools.some((tool) => tool.name === 'redmine_create_issue')).toBe(true);
    } finally {
      await writer.close();
    }
  });

  it('serves health without a token, metrics only with one, and never leaks the tokens', async () => {
    expect(await (await fetch(server.url.replace('/mcp', '/healthz'))).json()).toEqual({ status: 'ok' });
    const ready = await fetch(server.url.replace('/mcp', '/readyz'));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', connectors: { redmine: 'ok' } });
    expect((await fetch(server.url.replace('/mcp', '/metrics'))).status).toBe(401);
    const metrics = await (await fetch(server.url.replace('/mcp', '/metrics'), { headers: { authorization: `Bearer ${READ_TOKEN}` } })).text();
    expect(metrics).toMatch(/bastion_tool_calls_total\{tool="redmine_get_current_user",connector="redmine",outcome="ok"\} \d+/);
    expect(metrics).toContain('bastion_upstream_requests_total{service="Redmine"');
    for (const token of [READ_TOKEN, WRITE_TOKEN, NO_SCOPE_TOKEN]) expect(server.stderr()).not.toContain(token);
  });

  it('rejects a body over the cap with 413', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(1_200_000) } });
    const response = await post(server.url, { authorization: `Bearer ${WRITE_TOKEN}` }, big);
    expect(response.status).toBe(413);
  });
});

describe('rate limits', () => {
  it('answer 429 with Retry-After once a caller is over its rate, and recover', async () => {
    const server = await serveHttp(redmineEnv({ BASTION_HTTP_TOKENS_FILE: tokensFile(), BASTION_RATE_LIMIT: '6/min' }));
    // A token back every 10 s: the calls below run out of the bucket however slowly the machine answers them.
    const statuses: number[] = [];
    for (let i = 0; i < 8; i += 1) statuses.push((await post(server.url, { authorization: `Bearer ${READ_TOKEN}` })).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const refused = await post(server.url, { authorization: `Bearer ${READ_TOKEN}` });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another caller has its own bucket.
    expect((await post(server.url, { authorization: `Bearer ${WRITE_TOKEN}` })).status).not.toBe(429);
    await expect.poll(async () => (await post(server.url, { authorization: `Bearer ${READ_TOKEN}` })).status, { timeout: 25_000, interval: 1_000 }).not.toBe(429);
  }, 60_000);
});

describe('JWTs from an issuer', () => {
  let jwks: Server;
  let issuer: string;
  let sign: (claims: Record<string, unknown>, expiresIn: string) => Promise<string>;
  let server: Awaited<ReturnType<typeof serveHttp>>;
  const audience = 'https://bastion.example/mcp';

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    jwks = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(jwks.address() as { port: number }).port}`;
    sign = (claims, expiresIn) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).setIssuer(issuer).setAudience(audience).setIssuedAt().setExpirationTime(expiresIn).sign(privateKey);
    server = await serveHttp(redmineEnv({ BASTION_OAUTH_ISSUER: issuer, BASTION_OAUTH_JWKS_URL: `${issuer}/jwks`, BASTION_OAUTH_AUDIENCE: audience }));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => jwks?.close(() => resolve()));
  });

  it('accepts a valid token, and names the caller after its client id', async () => {
    const client = await connect(server.url, await sign({ scope: 'bastion:read', client_id: 'ci-agent' }, '5m'));
    try {
      expect((await client.listTools()).tools.every((tool) => tool.annotations?.readOnlyHint)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('refuses an expired token, a wrong audience and a missing scope', async () => {
    const expired = await sign({ scope: 'bastion:read' }, '-1m');
    const expiredAnswer = await post(server.url, { authorization: `Bearer ${expired}` });
    expect(expiredAnswer.status).toBe(401);
    expect(expiredAnswer.headers.get('www-authenticate')).toContain('expired');
    const wrongAudience = await new SignJWT({ scope: 'bastion:read' })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setIssuer(issuer)
      .setAudience('https://other.example/mcp')
      .setExpirationTime('5m')
      .sign((await generateKeyPair('RS256')).privateKey);
    expect((await post(server.url, { authorization: `Bearer ${wrongAudience}` })).status).toBe(401);
    expect((await post(server.url, { authorization: `Bearer ${await sign({ scope: 'openid' }, '5m')}` })).status).toBe(403);
  });
});

describe('TLS and every connector over HTTP', () => {
  let youtrack: YouTrackDouble;
  let etim: EtimDouble;
  beforeAll(async () => {
    youtrack = await startYouTrackDouble();
    etim = await startEtimDouble();
  });
  afterAll(async () => {
    await youtrack?.close();
    await etim?.close();
  });

  it('serves HTTPS with a self-made certificate and answers every connector\'s read tools', async () => {
    const cert = makeSelfSignedCert(dir);
    const mosquitto = await ensureMosquitto();
    const server = await serveHttp(
      redmineEnv({
        BASTION_HTTP_TOKENS_FILE: tokensFile(),
        BASTION_TLS_CERT: cert.certFile,
        BASTION_TLS_KEY: cert.keyFile,
        YOUTRACK_URL: youtrack.url,
        YOUTRACK_API_TOKEN: YOUTRACK_TEST_TOKEN,
        ETIM_CLIENT_ID: ETIM_TEST_CLIENT_ID,
        ETIM_CLIENT_SECRET: ETIM_TEST_CLIENT_SECRET,
        ETIM_AUTH_URL: etim.authUrl,
        ETIM_API_URL: etim.apiUrl,
        MQTT_BROKER: mosquitto.host,
        MQTT_PORT: String(mosquitto.port),
        MQTT_USER: mosquitto.user,
        MQTT_PASSWORD: mosquitto.password,
      }),
    );
    expect(server.url).toMatch(/^https:\/\//);
    // The SDK client uses fetch; trust the test certificate for this process only.
    const { Agent, setGlobalDispatcher, getGlobalDispatcher } = await import('undici');
    const previous = getGlobalDispatcher();
    setGlobalDispatcher(new Agent({ connect: { ca: cert.cert } }));
    try {
      const client = await connect(server.url, READ_TOKEN);
      try {
        const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as { isError?: boolean; structuredContent?: any };
        expect((await call('redmine_search_issues', { project: 'alpha', limit: 1 })).isError).toBeFalsy();
        expect((await call('youtrack_get_issue', { issue_id: 'DEMO-1', comments: 0 })).structuredContent.id).toBe('DEMO-1');
        expect((await call('etim_get_feature', { code: 'EF990001' })).structuredContent.code).toBe('EF990001');
        await expect.poll(async () => (await call('mqtt_broker_status', {})).structuredContent.state, { timeout: 10_000 }).toBe('connected');
      } finally {
        await client.close();
      }
    } finally {
      setGlobalDispatcher(previous);
    }
    // Only this connector's token: it sees Redmine tools and nothing else.
    setGlobalDispatcher(new Agent({ connect: { ca: cert.cert } }));
    try {
      const limited = await connect(server.url, REDMINE_ONLY_TOKEN);
      try {
        const names = (await limited.listTools()).tools.map((tool) => tool.name);
        expect(names.length).toBeGreaterThan(0);
        expect(names.every((name) => name.startsWith('redmine_'))).toBe(true);
      } finally {
        await limited.close();
      }
    } finally {
      setGlobalDispatcher(previous);
    }
    expect(server.stderr()).not.toContain(YOUTRACK_TEST_TOKEN);
    expect(server.stderr()).not.toContain(ETIM_TEST_CLIENT_SECRET);
  });

  it('audits a call of a tool hidden by the caller\'s scopes as denied, with the caller and the tool', async () => {
    const audit = join(dir, 'hidden-audit.jsonl');
    const server = await serveHttp(
      redmineEnv({ BASTION_HTTP_TOKENS_FILE: tokensFile(), BASTION_AUDIT_LOG: audit, YOUTRACK_URL: youtrack.url, YOUTRACK_API_TOKEN: YOUTRACK_TEST_TOKEN }),
    );
    const reader = await connect(server.url, READ_TOKEN);
    const redmineOnly = await connect(server.url, REDMINE_ONLY_TOKEN);
    try {
      // Answered as an unknown tool, as before: the caller learns nothing about tools it may not use.
      await expect(reader.callTool({ name: 'redmine_delete_issue', arguments: { issue_id: 1 } })).rejects.toThrow(/redmine_delete_issue/);
      await expect(redmineOnly.callTool({ name: 'youtrack_get_issue', arguments: { issue_id: 'DEMO-1' } })).rejects.toThrow(/youtrack_get_issue/);
    } finally {
      await reader.close();
      await redmineOnly.close();
    }
    const calls = readFileSync(audit, 'utf8').trim().split('\n').map((line) => JSON.parse(line)).filter((r) => r.type === 'tool_call');
    expect(calls).toEqual([
      expect.objectContaining({ tool: 'redmine_delete_issue', connector: 'redmine', caller: 'reader', outcome: 'denied', args: { issue_id: 1 } }),
      expect.objectContaining({ tool: 'youtrack_get_issue', connector: 'youtrack', caller: 'redmine-only', outcome: 'denied', args: { issue_id: 'DEMO-1' } }),
    ]);
    expect(calls[0].error).toContain('may only read');
    expect(calls[1].error).toContain('which this caller may not use');
  });

  it('refuses to listen beyond loopback without TLS and authentication', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--transport', 'http', '--host', '0.0.0.0', '--port', '0'], {
      env: { ...redmineEnv({ BASTION_KEYRING: 'false', BASTION_HTTP_AUTH: 'false' }) },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('exposes every enabled tool to the network');
  });
});

describe('graceful shutdown', () => {
  it('lets a call in flight finish on SIGTERM, refuses new ones, and exits cleanly', async () => {
    const mosquitto = await ensureMosquitto();
    const server = await serveHttp({
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      BASTION_HTTP_TOKENS_FILE: tokensFile(),
      MQTT_BROKER: mosquitto.host,
      MQTT_PORT: String(mosquitto.port),
      MQTT_USER: mosquitto.user,
      MQTT_PASSWORD: mosquitto.password,
    });
    const client = await connect(server.url, READ_TOKEN);
    await expect.poll(async () => ((await client.callTool({ name: 'mqtt_broker_status', arguments: {} })) as { structuredContent: { state: string } }).structuredContent.state, { timeout: 10_000 }).toBe('connected');
    // A read that waits 2 s for messages that never come: it is in flight when the signal arrives.
    const inFlight = client.callTool({ name: 'mqtt_read_topic', arguments: { topic: 'bastion/shutdown/none', timeout_seconds: 2 } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    const result = (await inFlight) as { isError?: boolean; structuredContent: { messages: unknown[] } };
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent.messages).toEqual([]);
    expect(await exited).toBe(0);
    expect(server.stderr()).toContain('shutting down');
    await client.close().catch(() => undefined);
  });
});

describe('two instances on one Redis', () => {
  it('share the rate limit and fetch one ETIM token between them', async () => {
    const { startRedis } = await import('../helpers/redis.js');
    const redis = await startRedis('canary-http-redis-pass');
    const etim = await startEtimDouble();
    try {
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        BASTION_HTTP_TOKENS_FILE: tokensFile(),
        BASTION_RATE_LIMIT: '10/min',
        REDIS_URL: redis.url,
        REDIS_PASSWORD: redis.password,
        ETIM_CLIENT_ID: ETIM_TEST_CLIENT_ID,
        ETIM_CLIENT_SECRET: ETIM_TEST_CLIENT_SECRET,
        ETIM_AUTH_URL: etim.authUrl,
        ETIM_API_URL: etim.apiUrl,
      };
      const [a, b] = await Promise.all([serveHttp(env), serveHttp(env)]);
      expect(a.url).not.toBe(b.url);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) {
        statuses.push((await post(a.url, { authorization: `Bearer ${WRITE_TOKEN}` })).status);
        statuses.push((await post(b.url, { authorization: `Bearer ${WRITE_TOKEN}` })).status);
      }
      // 10 per minute for the caller across both instances: the last two of twelve are refused.
      expect(statuses.filter((s) => s === 429)).toHaveLength(2);

      const [ca, cb] = await Promise.all([connect(a.url, READ_TOKEN), connect(b.url, READ_TOKEN)]);
      try {
        etim.setTokenDelay(300);
        const results = await Promise.all([
          ca.callTool({ name: 'etim_get_unit', arguments: { code: 'EU990001' } }),
          cb.callTool({ name: 'etim_get_unit', arguments: { code: 'EU990002' } }),
        ]);
        expect(results.every((r) => !(r as { isError?: boolean }).isError)).toBe(true);
        expect(etim.tokenRequests).toHaveLength(1);
      } finally {
        await Promise.all([ca.close(), cb.close()]);
      }
    } finally {
      await etim.close();
      await redis.stop();
    }
  });
});
