// Load and faults: two Bastion HTTP instances behind nginx (a private nginx process on free ports), one private Redis,
// the real Redmine behind the fault proxy of the tests; 12 callers with a realistic mix (95% reads, 5% writes that
// add a note with a unique marker). Each scenario runs a fault under that load and reports calls/s, latency
// percentiles, errors by kind, duplicate writes (journals per marker: must be 0) and audit completeness (one record
// per call that reached a tool; `bastion audit verify` on each log).
//
// Needs: `npm run build`, the test Redmine (scripts/redmine.sh up), redis-server and nginx (Debian: nginx-light).
// Run: npx tsx bench/load-faults.ts [seconds per scenario, default 20]. Writes its section of bench/RESULTS.md.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { CLI } from '../test/helpers/bastion.js';
import { startFaultProxy, type FaultProxy } from '../test/helpers/fault-proxy.js';
import { startHttpBastion, type HttpBastion } from '../test/helpers/http-server.js';
import { freePort, startRedis, type TestRedis } from '../test/helpers/redis.js';
import { ADMIN_KEY, REDMINE_URL, redmine } from '../test/helpers/redmine.js';
import { BENCH_HTTP_TOKEN, writeTokensFile } from './lib/http.js';

const SECONDS = Number(process.argv[2] ?? 20);
const CALLERS = 12;
const WRITE_SHARE = 0.05;
const REDIS_PASSWORD = 'canary-bench-redis-password-fake-8Lm';
const RESULTS = resolve(import.meta.dirname, 'RESULTS.md');
const START = '<!-- load-faults:start -->';
const END = '<!-- load-faults:end -->';

const dir = mkdtempSync(join(tmpdir(), 'bastion-load-faults-'));
const tokens = writeTokensFile(dir);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

interface Instance {
  port: number;
  audit: string;
  server?: HttpBastion;
}

let redis: TestRedis;
let proxy: FaultProxy;
let nginx: ChildProcess;
let frontUrl: string;
let rateLimit = '100000/min';
const instances: Instance[] = [];

function bastionEnv(instance: Instance): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    REDMINE_URL: proxy.url,
    REDMINE_API_KEY: ADMIN_KEY,
    REDMINE_TIMEOUT: '10',
    BASTION_KEYRING: 'false',
    BASTION_HTTP_TOKENS_FILE: tokens,
    BASTION_TOOL_SCHEMAS: 'compact',
    BASTION_RATE_LIMIT: rateLimit,
    BASTION_RATE_LIMIT_INSTANCES: '2',
    BASTION_HTTP_TRUSTED_PROXIES: '127.0.0.1',
    BASTION_AUDIT_LOG: instance.audit,
    BASTION_LOG_LEVEL: 'warn',
    REDIS_URL: redis.url,
    REDIS_PASSWORD,
  };
}

async function startInstance(instance: Instance): Promise<void> {
  instance.server = await startHttpBastion({ env: bastionEnv(instance), command: [CLI, 'serve', '--transport', 'http', '--port', String(instance.port)] });
}

function startNginx(port: number): ChildProcess {
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub), { recursive: true });
  const conf = `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream bastion {
    server 127.0.0.1:${instances[0]!.port} max_fails=1 fail_timeout=2s;
    server 127.0.0.1:${instances[1]!.port} max_fails=1 fail_timeout=2s;
    keepalive 32;
    keepalive_timeout 4s;
  }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 2m;
    location / {
      proxy_pass http://bastion;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_buffering off;
      proxy_read_timeout 60s;
      proxy_next_upstream error timeout;
    }
  }
}`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  return spawn('nginx', ['-p', dir, '-e', join(dir, 'nginx-error.log'), '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((done) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        done(true);
      });
      socket.on('error', () => done(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on ${port}`);
}

async function newClient(): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${frontUrl}/mcp`), { authProvider: { token: async () => BENCH_HTTP_TOKEN } });
  const client = new Client({ name: 'bastion-load-faults', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' as const } } });
  await client.connect(transport);
  return client;
}

interface Tally {
  latencies: number[];
  errors: Map<string, number>;
  /** Calls answered by a tool (a result, an error result included): each must have one audit record. */
  toolAnswers: number;
  markers: string[];
  /** Markers of writes reported as successful. */
  okMarkers: Set<string>;
}

/** A short, stable name for what went wrong. */
function kindOf(text: string): string {
  const status = /HTTP (\d{3})|status code (\d{3})|\b(4\d\d|5\d\d)\b/.exec(text);
  if (/may or may not/i.test(text)) return 'tool: outcome unknown (not repeated)';
  if (/rate.?limit|too many/i.test(text)) return `refused: rate limited${status ? ` (${status[1] ?? status[2] ?? status[3]})` : ''}`;
  if (/timed out|timeout|did not answer/i.test(text)) return 'tool: upstream timeout';
  if (/fetch failed|ECONNRESET|ECONNREFUSED|socket|terminated/i.test(text)) return 'transport: connection failed';
  if (status) return `HTTP ${status[1] ?? status[2] ?? status[3]}`;
  return text.slice(0, 60);
}

async function runLoad(name: string, issueId: number, clients: Client[], seconds: number, until: { stop: boolean }): Promise<Tally> {
  const tally: Tally = { latencies: [], errors: new Map(), toolAnswers: 0, markers: [], okMarkers: new Set() };
  const count = (kind: string) => tally.errors.set(kind, (tally.errors.get(kind) ?? 0) + 1);
  let n = 0;
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    clients.map(async (client, callerIndex) => {
      while (Date.now() < deadline && !until.stop) {
        n += 1;
        const roll = Math.random();
        let marker: string | undefined;
        let call: { name: string; arguments: Record<string, unknown> };
        if (roll < WRITE_SHARE) {
          marker = `lf-${name}-${callerIndex}-${n}-${Math.random().toString(36).slice(2, 8)}`;
          tally.markers.push(marker);
          call = { name: 'redmine_update_issue', arguments: { issue_id: issueId, notes: `load-faults note ${marker}` } };
        } else if (roll < 0.55) call = { name: 'redmine_get_issue', arguments: { issue_id: issueId } };
        else call = { name: 'redmine_search_issues', arguments: { project: 'alpha', status: 'all', limit: 10 } };
        const started = performance.now();
        try {
          const result = (await client.callTool(call, { timeout: 30_000 })) as { isError?: boolean; content: Array<{ text?: string }> };
          tally.toolAnswers += 1;
          if (result.isError) count(kindOf(result.content.map((c) => c.text ?? '').join(' ')));
          else if (marker) tally.okMarkers.add(marker);
        } catch (error) {
          count(kindOf((error as Error).message));
        }
        tally.latencies.push(performance.now() - started);
      }
    }),
  );
  return tally;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function journalsPerMarker(issueId: number, markers: string[]): Promise<{ duplicates: number; missing: string[] }> {
  const { body } = await redmine<{ issue: { journals: Array<{ notes: string | null }> } }>('GET', `/issues/${issueId}.json?include=journals`);
  const notes = body.issue.journals.map((journal) => journal.notes ?? '');
  let duplicates = 0;
  const missing: string[] = [];
  for (const marker of markers) {
    const found = notes.filter((note) => note.includes(marker)).length;
    if (found > 1) duplicates += found - 1;
    if (found === 0) missing.push(marker);
  }
  return { duplicates, missing };
}

function auditRecords(): Array<{ type?: string; tool?: string; outcome?: string }> {
  return instances.flatMap((instance) =>
    existsSync(instance.audit)
      ? readFileSync(instance.audit, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { type?: string; tool?: string; outcome?: string })
      : [],
  );
}

function rssKiB(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** Hostile clients come from another loopback address than the callers, as they would from another host. */
const ATTACKER = '127.0.0.2';

/** One POST /mcp from the attacker's address; its status, or "closed" when the server closed the connection first. */
function attack(port: number, headers: Record<string, string>, body: string): Promise<string> {
  return new Promise((done) => {
    const req = request({ host: '127.0.0.1', port, localAddress: ATTACKER, path: '/mcp', method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => done(String(res.statusCode)));
    });
    req.on('error', () => done('closed'));
    req.end(body);
  });
}

/** Hostile clients straight at one instance: stalled 1 MB bodies without a token, oversized bodies, wrong tokens. */
async function hostile(instance: Instance): Promise<string> {
  const port = instance.port;
  const rssBefore = rssKiB(instance.server?.child.pid);
  const stalled = await Promise.all(
    Array.from(
      { length: 200 },
      () =>
        new Promise<string>((done) => {
          const socket = connect({ port, host: '127.0.0.1', localAddress: ATTACKER }, () => socket.write(`POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1048576\r\n\r\n`));
          let data = '';
          socket.setEncoding('utf8');
          socket.on('data', (chunk: string) => (data += chunk));
          socket.on('error', () => undefined);
          socket.on('close', () => done(data.slice(9, 12) || 'closed unanswered'));
          setTimeout(() => {
            socket.destroy();
            done('still open after 10 s');
          }, 10_000).unref();
        }),
    ),
  );
  const oversized = await Promise.all(
    Array.from({ length: 20 }, () =>
      attack(port, { authorization: `Bearer ${BENCH_HTTP_TOKEN}` }, 'x'.repeat(3 * 1024 * 1024)),
    ),
  );
  const wrong: string[] = [];
  for (let i = 0; i < 300; i++) {
    wrong.push(await attack(port, { authorization: 'Bearer wrong' }, '{}'));
  }
  const rssAfter = rssKiB(instance.server?.child.pid);
  const tallyOf = (list: string[]) => Object.entries(list.reduce<Record<string, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {})).map(([k, v]) => `${k} x${v}`).join(', ');
  return `200 stalled 1 MB unauthenticated bodies: ${tallyOf(stalled)}; 20 bodies of 3 MB with a valid token: ${tallyOf(oversized)}; 300 wrong-token requests: ${tallyOf(wrong)}; instance RSS ${Math.round(rssBefore / 1024)} -> ${Math.round(rssAfter / 1024)} MiB`;
}

interface Scenario {
  name: string;
  what: string;
  /** Runs alongside the load; returns a note for the report. */
  fault?: (ctx: { issueId: number }) => Promise<string | void>;
  before?: () => Promise<void>;
}

async function restartBoth(): Promise<void> {
  await Promise.all(instances.map((instance) => instance.server?.stop(15_000)));
  await Promise.all(instances.map((instance) => startInstance(instance)));
}

const scenarios: Scenario[] = [
  { name: 'steady', what: 'no fault' },
  {
    name: 'upstream-faults',
    what: 'the fault proxy answers 503 to 3 GETs, holds 1 GET past REDMINE_TIMEOUT (10 s) and answers 503 to 1 PUT after Redmine applied it, every 3 s',
    fault: async () => {
      for (let t = 0; t < SECONDS - 3; t += 3) {
        proxy.failNext({ method: 'GET', pathPrefix: '/issues', count: 3, status: 503 });
        proxy.holdNext({ method: 'GET', pathPrefix: '/issues', count: 1 });
        proxy.forwardThenFail({ method: 'PUT', pathPrefix: '/issues', count: 1, status: 503 });
        await sleep(3000);
      }
    },
  },
  {
    name: 'redis-stopped',
    what: 'Redis killed at 3 s, started again (empty) at 60% of the run',
    fault: async () => {
      await sleep(3000);
      await redis.stop();
      await sleep(SECONDS * 600 - 3000);
      await redis.start();
    },
  },
  {
    name: 'redis-frozen',
    what: 'Redis paused (SIGSTOP) at 3 s, resumed (SIGCONT) at 60% of the run',
    fault: async () => {
      await sleep(3000);
      process.kill(redis.pid()!, 'SIGSTOP');
      await sleep(SECONDS * 600 - 3000);
      process.kill(redis.pid()!, 'SIGCONT');
    },
  },
  {
    name: 'kill-9',
    what: 'instance A killed with SIGKILL at 5 s, restarted on its port 3 s later',
    fault: async () => {
      await sleep(5000);
      instances[0]!.server!.child.kill('SIGKILL');
      await sleep(3000);
      await startInstance(instances[0]!);
    },
  },
  {
    name: 'hostile-clients',
    what: 'straight at instance A: 200 unauthenticated connections with stalled 1 MB bodies, 20 oversized bodies, 300 wrong tokens',
    fault: async () => {
      await sleep(2000);
      return hostile(instances[0]!);
    },
  },
  {
    name: 'sigterm-slow-writes',
    what: 'the proxy holds the next 3 PUTs (slow writes); instance A gets SIGTERM at 5 s and is restarted when it has exited',
    fault: async () => {
      await sleep(4000);
      proxy.holdNext({ method: 'PUT', pathPrefix: '/issues', count: 3 });
      await sleep(1000);
      const code = await instances[0]!.server!.stop(20_000);
      await startInstance(instances[0]!);
      return `instance A exited with code ${code}`;
    },
  },
  {
    name: 'rate-limit-shared',
    what: 'both instances restarted with BASTION_RATE_LIMIT=20/min for the one caller; 12 callers hammer it through both',
    before: async () => {
      rateLimit = '20/min';
      await restartBoth();
    },
  },
];

async function main(): Promise<void> {
  if (spawnSync('nginx', ['-v']).error) throw new Error('nginx is not installed (Debian: apt-get install -y nginx-light)');
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run npm run build first');
  redis = await startRedis(REDIS_PASSWORD);
  proxy = await startFaultProxy(REDMINE_URL);
  for (const name of ['a', 'b']) instances.push({ port: await freePort(), audit: join(dir, `audit-${name}.jsonl`) });
  await Promise.all(instances.map((instance) => startInstance(instance)));
  const frontPort = await freePort();
  nginx = startNginx(frontPort);
  await waitForPort(frontPort);
  frontUrl = `http://127.0.0.1:${frontPort}`;
  const created = await redmine<{ issue: { id: number } }>('POST', '/issues.json', { issue: { project_id: 'alpha', subject: `Load and faults ${new Date().toISOString()}` } });
  const issueId = created.body.issue.id;

  const rows: string[] = [];
  const notes: string[] = [];
  const began = Date.now();
  const loadAtStart = loadavg();
  try {
    for (const scenario of scenarios) {
      await scenario.before?.();
      const clients = await Promise.all(Array.from({ length: CALLERS }, () => newClient()));
      const auditBefore = auditRecords().filter((r) => r.type === 'tool_call').length;
      const until = { stop: false };
      const started = Date.now();
      const [tally, note] = await Promise.all([runLoad(scenario.name, issueId, clients, SECONDS, until), scenario.fault?.({ issueId }) ?? Promise.resolve()]);
      const seconds = (Date.now() - started) / 1000;
      await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
      await sleep(1500);
      const calls = auditRecords().filter((r) => r.type === 'tool_call');
      const audited = calls.length - auditBefore;
      const { duplicates, missing } = await journalsPerMarker(issueId, tally.markers);
      const lostOk = missing.filter((marker) => tally.okMarkers.has(marker)).length;
      const sorted = [...tally.latencies].sort((x, y) => x - y);
      const errors = [...tally.errors.entries()].sort((x, y) => y[1] - x[1]).map(([kind, count]) => `${kind}: ${count}`).join('; ') || 'none';
      // Each client's connection probe is one request to /mcp too, and spends a token like a call.
      const admitted =
        scenario.name === 'rate-limit-shared'
          ? `; admitted ${tally.toolAnswers} calls + ${CALLERS} connection probes = ${tally.toolAnswers + CALLERS} requests of ${tally.latencies.length + CALLERS} (due across both instances: 20 burst + 1 per 3 s = ${Math.floor(20 + seconds / 3)})`
          : '';
      rows.push(
        `| ${scenario.name} | ${(tally.latencies.length / seconds).toFixed(1)} | ${percentile(sorted, 50).toFixed(0)} / ${percentile(sorted, 95).toFixed(0)} / ${percentile(sorted, 99).toFixed(0)} | ${errors}${admitted} | ${duplicates} (writes ${tally.markers.length}, ok ${tally.okMarkers.size}, ok but missing ${lostOk}) | ${audited} records / ${tally.toolAnswers} tool answers |`,
      );
      notes.push(`- **${scenario.name}**: ${scenario.what}.${note ? ` ${note}.` : ''}`);
      process.stderr.write(`${rows.at(-1)}\n`);
    }
  } finally {
    await Promise.all(instances.map((instance) => instance.server?.stop(15_000)));
    nginx.kill('SIGTERM');
    await proxy.close();
    await redis.stop();
  }
  const verify = instances.map((instance) => spawnSync(process.execPath, [CLI, 'audit', 'verify', instance.audit], { encoding: 'utf8' }).stdout.trim().replace(dir, '<tmp>'));

  const section = [
    START,
    '## 9. Load and faults (two instances behind nginx, one Redis, Redmine behind a fault proxy)',
    '',
    `Written by \`npx tsx bench/load-faults.ts ${SECONDS}\` on ${new Date().toISOString()} (took ${Math.round((Date.now() - began) / 1000)} s); ${cpus().length} cores, Node ${process.version}; load average at start ${loadAtStart.map((l) => l.toFixed(1)).join(' / ')} (the machine is shared: Redmine's own answers, not Bastion, set the pace).`,
    `Needs nginx (Debian: \`apt-get install -y nginx-light\`, run as a private process on free ports), redis-server and the test Redmine; not part of \`npm test\`.`,
    `${CALLERS} callers (SDK client, protocol 2026-07-28) through nginx, ${SECONDS} s per scenario; mix: 45% redmine_get_issue, 50% redmine_search_issues, 5% redmine_update_issue adding a note with a unique marker.`,
    '',
    '| scenario | calls/s | p50 / p95 / p99 ms | errors by kind | duplicate writes | audit: tool_call records / calls answered by a tool |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    ...notes,
    `- Audit chains: ${verify.join('; ')}`,
    '- Duplicate writes count journals beyond the first per marker; "ok but missing" counts writes reported as successful whose note is not in the issue (must be 0).',
    END,
  ].join('\n');
  const current = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
  const kept = current.includes(START) ? current.slice(0, current.indexOf(START)) + current.slice(current.indexOf(END) + END.length).replace(/^\n/, '') : current;
  writeFileSync(RESULTS, `${kept.trimEnd()}\n\n${section}\n`);
  process.stdout.write(`${section}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
