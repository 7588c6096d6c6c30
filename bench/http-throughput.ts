// Measurement 6: calls/s of redmine_search_issues over Streamable HTTP with bearer authentication on, against the
// replay backend, at concurrency 1, 8 and 32, next to a bare node:http server doing the same JSON round trip
// (bench/bare-http-server.mjs). Both are driven by the same SDK client code; each runs in its own process.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { startHttpBastion, type HttpBastion } from '../test/helpers/http-server.js';
import { ADMIN_KEY, REDMINE_URL } from '../test/helpers/redmine.js';
import { callTool, SEARCH_ARGS, SEARCH_TOOL } from './lib/calls.js';
import { BENCH_HTTP_TOKEN, connectHttp, httpEnv } from './lib/http.js';
import { recordedPath, startRecordedReplay, type ReplayServer } from './lib/replay.js';
import type { Row, Section } from './lib/report.js';
import { ROOT, type Services } from './lib/services.js';
import { fmt, fmtInt, median, pool, summarise } from './lib/stats.js';

const CONCURRENCIES = [1, 8, 32];
const CALLS = 400;
const WARMUP = 100;
const ROUNDS = 5;

const BARE = resolve(import.meta.dirname, 'bare-http-server.mjs');

interface BareServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** CPU time (user + system) a process has used so far, in ms; /proc counts in USER_HZ ticks, 100 per second on Linux. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name start at field 3 (state); utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The benchmark process's own CPU time (the clients and the replay backend), in ms. */
function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

async function startBare(env: Record<string, string>): Promise<BareServer> {
  const child = spawn(process.execPath, [BARE], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  let output = '';
  try {
    const url = await new Promise<string>((done, fail) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const match = /listening on (\S+)/.exec(output);
        if (match) done(match[1]!);
      });
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.once('exit', (code) => fail(new Error(`bare server exited (${code}): ${output.slice(-1000)}`)));
      child.once('error', fail);
    });
    return { url, pid: child.pid!, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** One tools/call sent by hand, to keep Bastion's exact result and see how it answers on the wire. */
async function rawCall(url: string): Promise<{ result: unknown; contentType: string; bytes: number }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${BENCH_HTTP_TOKEN}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: SEARCH_TOOL, arguments: SEARCH_ARGS } }),
  });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  if (response.status !== 200) throw new Error(`tools/call over HTTP answered ${response.status}: ${text.slice(0, 500)}`);
  const json = contentType.startsWith('text/event-stream') ? text.split('\n').find((line) => line.startsWith('data: '))?.slice(6) : text;
  const message = JSON.parse(json ?? 'null') as { result?: { isError?: boolean } } | null;
  if (!message?.result || message.result.isError) throw new Error(`tools/call over HTTP failed: ${text.slice(0, 500)}`);
  return { result: message.result, contentType, bytes: Buffer.byteLength(text) };
}

async function search(client: Client): Promise<void> {
  const out = await callTool(client, SEARCH_TOOL, SEARCH_ARGS);
  if (out.isError) throw new Error(`${SEARCH_TOOL} failed: ${out.text}`);
}

export async function benchHttpThroughput(services: Services): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-bench-'));
  let replay: ReplayServer | undefined;
  let bastion: HttpBastion | undefined;
  let bare: BareServer | undefined;
  /** Clients still open, closed in `finally` if a round fails. */
  const open = new Set<Client>();
  try {
    const redmineEnv = (url: string) => services.env(['redmine'], { REDMINE_URL: url, BASTION_AUDIT_LOG: join(dir, 'audit.jsonl') });
    replay = await startRecordedReplay(REDMINE_URL, redmineEnv, [[SEARCH_TOOL, SEARCH_ARGS]]);
    const searchPath = recordedPath(replay, '/issues.json?');
    bastion = await startHttpBastion({ env: { ...redmineEnv(replay.url), ...httpEnv(dir) } });
    const wire = await rawCall(bastion.url);
    bare = await startBare({ BARE_UPSTREAM: `${replay.url}${searchPath}`, BARE_API_KEY: ADMIN_KEY, BARE_RESULT: JSON.stringify(wire.result) });
    const servers = { bastion: { url: bastion.url, pid: bastion.child.pid! }, bare: { url: bare.url, pid: bare.pid } };
    const seen = replay.seen;

    /** CALLS calls at `concurrency`, one client per worker, connected before timing and closed after. */
    const run = async (name: keyof typeof servers, concurrency: number, calls: number) => {
      const workers: Client[] = [];
      try {
        await Promise.all(
          Array.from({ length: concurrency }, async (_, worker) => {
            workers[worker] = await connectHttp(servers[name].url);
            open.add(workers[worker]);
          }),
        );
        const seenBefore = seen.length;
        const cpuBefore = cpuMs(servers[name].pid);
        const ownBefore = ownCpuMs();
        const rate = await pool(calls, concurrency, (worker) => search(workers[worker]!));
        return {
          rate,
          serverCpu: (cpuMs(servers[name].pid) - cpuBefore) / calls,
          benchCpu: (ownCpuMs() - ownBefore) / calls,
          upstream: (seen.length - seenBefore) / calls,
        };
      } finally {
        const connected = workers.filter(Boolean);
        for (const client of connected) open.delete(client);
        await Promise.allSettled(connected.map((client) => client.close()));
      }
    };
    const figures = new Map<string, Array<Awaited<ReturnType<typeof run>>>>();
    for (const concurrency of CONCURRENCIES) {
      for (const name of ['bastion', 'bare'] as const) await run(name, concurrency, WARMUP);
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate which server goes first, so drift favours neither. Fresh clients each round: the SDK's HTTP
        // transport keeps one abort listener per request it sent, so a long-lived client slowly gets heavier.
        const order = round % 2 === 0 ? (['bastion', 'bare'] as const) : (['bare', 'bastion'] as const);
        for (const name of order) {
          const key = `${name} ${concurrency}`;
          figures.set(key, [...(figures.get(key) ?? []), await run(name, concurrency, CALLS)]);
        }
      }
    }
    if (replay.misses.length) throw new Error(`replay misses: ${[...new Set(replay.misses)].join(', ')}`);

    const rows: Row[] = [];
    const triple = (values: number[]) => {
      const s = summarise(values);
      return `${fmtInt(s.min)} / ${fmtInt(s.p50)} / ${fmtInt(s.max)}`;
    };
    const of = (name: string, concurrency: number, key: 'rate' | 'serverCpu' | 'benchCpu') => figures.get(`${name} ${concurrency}`)!.map((f) => f[key]);
    for (const concurrency of CONCURRENCIES) {
      const ours = of('bastion', concurrency, 'rate');
      const base = of('bare', concurrency, 'rate');
      rows.push({
        figure: `calls/s at concurrency ${concurrency}, bastion vs bare (min/median/max)`,
        value: `${triple(ours)} vs ${triple(base)} calls/s = ${fmt(summarise(ours).p50 / summarise(base).p50)}x`,
      });
    }
    const cpu = (name: string) => CONCURRENCIES.map((c) => fmt(median(of(name, c, 'serverCpu')))).join(' / ');
    rows.push({ figure: `server CPU per call at concurrency ${CONCURRENCIES.join('/')}, bastion vs bare (median)`, value: `${cpu('bastion')} vs ${cpu('bare')} ms` });
    const perCall = summarise([...figures.values()].flat().map((f) => f.upstream));
    return {
      id: '6',
      title: 'HTTP throughput (Streamable HTTP, bearer auth, replay backend)',
      rows,
      notes: [
        `${SEARCH_TOOL} ${JSON.stringify(SEARCH_ARGS)}; per concurrency ${WARMUP} warm-up calls per server, then ${ROUNDS} rounds of ${CALLS} calls, ` +
          'Bastion and the bare server alternating which goes first; ratio = median Bastion / median bare.',
        'Client: the SDK client with its Streamable HTTP transport, one client per concurrent worker (connected before timing), in the benchmark process, which also serves the replay backend; ' +
          'each server is its own process (2 cores shared by all three).',
        'Bastion: `serve --transport http`, Redmine connector only, a named bearer token (tokens file, sha256), rate limit raised to 1000000/s, audit log on, info logs. ' +
          'Bare server: node:http, no authentication, same upstream GET (undici, keep-alive), upstream body parsed as JSON, reply = the same JSON-RPC result re-serialised.',
        `Bastion answers a tools/call as ${wire.contentType} (${fmtInt(wire.bytes)} B with the SSE framing); the bare server answers application/json with the same result ` +
          `(${fmtInt(Buffer.byteLength(JSON.stringify(wire.result)))} B of result). Upstream requests per call: ${fmt(perCall.min)}-${fmt(perCall.max)}.`,
        'Server CPU per call = the server process\'s user + system time (/proc/<pid>/stat) over a round divided by its calls: unlike calls/s it hardly depends on what else runs on the machine. ' +
          `The benchmark process itself (SDK clients + replay backend) used ${CONCURRENCIES.map((c) => fmt(median(of('bastion', c, 'benchCpu')))).join(' / ')} ms per call ` +
          `with Bastion and ${CONCURRENCIES.map((c) => fmt(median(of('bare', c, 'benchCpu')))).join(' / ')} ms with the bare server.`,
        'Where Bastion\'s server time goes (CPU profile, 2,100 calls at concurrency 1 and 8): its own pipeline (policy, output shaping, cleaning, fencing, redaction, audit) about 0.3 ms a call, the same as over stdio; ' +
          'building the per-request MCP server (stateless HTTP needs one per request) about 0.13 ms; the rest is the SDK\'s HTTP layer: turning each Node request into a web Request, a transport per request for 2025-era clients, ' +
          'and the SSE response, whose end alone costs about 0.3 ms of socket writes. The SSE answer is kept because it carries progress notifications of long calls (mqtt_read_topic); the SDK\'s JSON response mode would drop them.',
      ],
    };
  } finally {
    await Promise.allSettled([...open].map((client) => client.close()));
    await bastion?.stop(5_000);
    await bare?.stop();
    await replay?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
