// Measurement 1: what Bastion adds per call for redmine_search_issues and redmine_get_issue, with audit and
// redaction on. Redmine's answers are recorded once and replayed from memory on loopback; each tool call over
// stdio is timed against the same direct HTTP request to the replay server, interleaved.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { ADMIN_KEY, REDMINE_URL } from '../test/helpers/redmine.js';
import { benchIssueId, callTool, GET_TOOL, SEARCH_ARGS, SEARCH_TOOL } from './lib/calls.js';
import { recordedPath, startRecordedReplay, type ReplayServer } from './lib/replay.js';
import type { Section } from './lib/report.js';
import { spawnBastion, spawnMcp, type Services, type Spawned } from './lib/services.js';
import { fmt, fmtInt, nowMs, pool, summarise, type Summary } from './lib/stats.js';

const SEQUENTIAL = 300;
const CONCURRENT_CALLS = 400;
const CONCURRENCY = 8;
const WARMUP = 50;
const REAL_CALLS = 40;
const REAL_GAP_MS = 20;
const TARGET_SEARCH_MS = 0.8;
const TARGET_GET_MS = 0.5;
const TARGET_RPS = 900;

const TRIVIAL = resolve(import.meta.dirname, 'trivial-server.mjs');

function triple(s: Summary, digits = 2): string {
  return `${fmt(s.min, digits)} / ${fmt(s.p50, digits)} / ${fmt(s.p90, digits)} / ${fmt(s.max, digits)} ms`;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = nowMs();
  await fn();
  return nowMs() - start;
}

export async function benchOverhead(services: Services): Promise<Section> {
  const issueId = await benchIssueId();
  const getArgs = { issue_id: issueId };
  const auditDir = mkdtempSync(join(tmpdir(), 'bastion-bench-'));
  const agent = new Agent({ keepAliveTimeout: 60_000, connections: CONCURRENCY });
  let replay: ReplayServer | undefined;
  let bastion: Spawned | undefined;
  let trivial: Spawned | undefined;
  try {
    // Record: every request Bastion makes for these calls (lookups included) is stored.
    const envFor = (url: string) => services.env(['redmine'], { REDMINE_URL: url, BASTION_AUDIT_LOG: join(auditDir, 'audit.jsonl') });
    replay = await startRecordedReplay(REDMINE_URL, envFor, [[SEARCH_TOOL, SEARCH_ARGS], [GET_TOOL, getArgs]]);
    const env = envFor(replay.url);
    const searchPath = recordedPath(replay, '/issues.json?');
    const getPath = recordedPath(replay, `/issues/${issueId}.json`);
    const replayUrl = replay.url;
    const seen = replay.seen;

    const direct = async (path: string): Promise<unknown> => {
      const answer = await request(`${replayUrl}${path}`, { dispatcher: agent, headers: { 'X-Redmine-API-Key': ADMIN_KEY, Accept: 'application/json' } });
      if (answer.statusCode !== 200) throw new Error(`replay answered ${answer.statusCode} for ${path}`);
      return JSON.parse(await answer.body.text());
    };
    bastion = await spawnBastion(env);
    const client = bastion.client;
    const tool = async (name: string, args: Record<string, unknown>): Promise<void> => {
      const out = await callTool(client, name, args);
      if (out.isError) throw new Error(`${name} failed: ${out.text}`);
    };
    for (let i = 0; i < WARMUP; i++) {
      await direct(searchPath);
      await tool(SEARCH_TOOL, SEARCH_ARGS);
      await direct(getPath);
      await tool(GET_TOOL, getArgs);
    }

    const seenBefore = seen.length;
    const times = { searchMcp: [] as number[], searchDirect: [] as number[], getMcp: [] as number[], getDirect: [] as number[] };
    const added = { search: [] as number[], get: [] as number[] };
    for (let i = 0; i < SEQUENTIAL; i++) {
      // Alternate which of the pair goes first, so drift and warm caches favour neither.
      const mcpFirst = i % 2 === 0;
      const pair = async (mcp: () => Promise<unknown>, raw: () => Promise<unknown>): Promise<[number, number]> => {
        if (mcpFirst) {
          const m = await timed(mcp);
          return [m, await timed(raw)];
        }
        const r = await timed(raw);
        return [await timed(mcp), r];
      };
      const [sm, sd] = await pair(() => tool(SEARCH_TOOL, SEARCH_ARGS), () => direct(searchPath));
      const [gm, gd] = await pair(() => tool(GET_TOOL, getArgs), () => direct(getPath));
      times.searchMcp.push(sm);
      times.searchDirect.push(sd);
      times.getMcp.push(gm);
      times.getDirect.push(gd);
      added.search.push(sm - sd);
      added.get.push(gm - gd);
    }
    const upstreamPerCall = (seen.length - seenBefore - 4 * SEQUENTIAL) / (2 * SEQUENTIAL);
    const extraCounts = new Map<string, number>();
    for (const key of seen.slice(seenBefore)) extraCounts.set(key, (extraCounts.get(key) ?? 0) + 1);
    const extras = [...extraCounts]
      .filter(([key]) => key !== `GET ${searchPath}` && key !== `GET ${getPath}`)
      .map(([key, count]) => `\`${key}\` x${count}`);
    if (replay.misses.length) throw new Error(`replay misses: ${[...new Set(replay.misses)].join(', ')}`);

    // Throughput at concurrency 8, MCP and direct.
    const mcpRps = await pool(CONCURRENT_CALLS, CONCURRENCY, () => tool(SEARCH_TOOL, SEARCH_ARGS));
    const directRps = await pool(CONCURRENT_CALLS, CONCURRENCY, () => direct(searchPath));

    // A bare MCP round trip: the trivial SDK server's one tool, same client and transport.
    trivial = await spawnMcp([TRIVIAL], { PATH: process.env.PATH ?? '' });
    const trivialClient = trivial.client;
    for (let i = 0; i < WARMUP; i++) await trivialClient.callTool({ name: 'echo', arguments: { text: 'x' } });
    const bare: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) bare.push(await timed(() => trivialClient.callTool({ name: 'echo', arguments: { text: 'x' } })));

    // Against the real Redmine: ratio of tool call to direct request, with a gap (WEBrick keep-alive stalls).
    await bastion.close();
    bastion = await spawnBastion(services.env(['redmine'], { BASTION_AUDIT_LOG: join(auditDir, 'audit-real.jsonl') }));
    const realClient = bastion.client;
    const realDirect = async (path: string): Promise<unknown> => {
      const answer = await request(`${REDMINE_URL}${path}`, { dispatcher: agent, headers: { 'X-Redmine-API-Key': ADMIN_KEY, Accept: 'application/json' } });
      return JSON.parse(await answer.body.text());
    };
    await callTool(realClient, SEARCH_TOOL, SEARCH_ARGS);
    await callTool(realClient, GET_TOOL, getArgs);
    const real = { searchMcp: [] as number[], searchDirect: [] as number[], getMcp: [] as number[], getDirect: [] as number[] };
    for (let i = 0; i < REAL_CALLS; i++) {
      real.searchDirect.push(await timed(() => realDirect(searchPath)));
      await sleep(REAL_GAP_MS);
      real.searchMcp.push(await timed(() => callTool(realClient, SEARCH_TOOL, SEARCH_ARGS)));
      await sleep(REAL_GAP_MS);
      real.getDirect.push(await timed(() => realDirect(getPath)));
      await sleep(REAL_GAP_MS);
      real.getMcp.push(await timed(() => callTool(realClient, GET_TOOL, getArgs)));
      await sleep(REAL_GAP_MS);
    }

    const s = summarise(added.search);
    const g = summarise(added.get);
    const b = summarise(bare);
    const ratio = (m: number[], d: number[]) => summarise(m).p50 / summarise(d).p50;
    return {
      id: '1',
      title: 'Per-call overhead (replay backend, stdio, audit + redaction on)',
      rows: [
        { figure: `added time ${SEARCH_TOOL} (min/p50/p90/max)`, value: triple(s), target: `p50 <= ${TARGET_SEARCH_MS} ms`, met: s.p50 <= TARGET_SEARCH_MS },
        { figure: `added time ${GET_TOOL} (min/p50/p90/max)`, value: triple(g), target: `p50 <= ${TARGET_GET_MS} ms`, met: g.p50 <= TARGET_GET_MS },
        { figure: `${SEARCH_TOOL} calls/s at concurrency ${CONCURRENCY}`, value: `${fmtInt(mcpRps)} calls/s (direct: ${fmtInt(directRps)})`, target: `>= ${TARGET_RPS} calls/s`, met: mcpRps >= TARGET_RPS },
        { figure: 'bare MCP round trip (trivial server)', value: triple(b) },
        { figure: 'ratio vs real Redmine, search (p50 tool / p50 direct)', value: `${fmt(ratio(real.searchMcp, real.searchDirect))}x`, target: '1.00-1.04x (existing servers)' },
        { figure: 'ratio vs real Redmine, get (p50 tool / p50 direct)', value: `${fmt(ratio(real.getMcp, real.getDirect))}x`, target: '1.00-1.04x (existing servers)' },
      ],
      notes: [
        `${SEQUENTIAL} sequential pairs per tool after ${WARMUP} warm-up pairs; added time = tool call over stdio minus the same direct request (undici, keep-alive, body parsed as JSON), pair by pair.`,
        `Tool call (replay): search ${triple(summarise(times.searchMcp))}, get ${triple(summarise(times.getMcp))}; ` +
          `direct: search ${triple(summarise(times.searchDirect))}, get ${triple(summarise(times.getDirect))}.`,
        `Upstream requests per tool call beyond the main one during the timed loop: ${fmt(upstreamPerCall)}${extras.length ? ` (${extras.join(', ')})` : ''}.`,
        `Direct requests: \`GET ${searchPath}\` and \`GET ${getPath}\`.`,
        'What was done: results are text only by default (the SDK no longer validates and sends a second, structured copy), plain ASCII values skip the hidden-character scan, ' +
          'markup escaping runs only on values with a "<", the audit record is serialised once into a file kept open, and the result is scrubbed as one text. ' +
          'This took added p50 from 1.9 / 2.2 ms to the figures above and concurrency-8 throughput from 574-673 to the figure above.',
        'Where the rest goes (CPU profile of the server, 5,200 calls): Bastion\'s own steps (policy, output shaping, cleaning, fencing, redaction, the audit line) take about 0.3 ms a call; ' +
          'the SDK\'s JSON-RPC framing and validation and the pipe writes take most of the remainder, and the bare MCP round trip row above is the floor any server on this SDK pays. ' +
          'The existing servers were measured at 1.4-1.6 ms (list) and 0.8-1.2 ms (get) added on a machine whose bare round trip was 0.25 ms, without policy, audit or redaction.',
        `Real Redmine (${REAL_CALLS} each, ${REAL_GAP_MS} ms gap): search tool ${triple(summarise(real.searchMcp), 1)} vs direct ${triple(summarise(real.searchDirect), 1)}; ` +
          `get tool ${triple(summarise(real.getMcp), 1)} vs direct ${triple(summarise(real.getDirect), 1)}.`,
      ],
    };
  } finally {
    await bastion?.close();
    await trivial?.close();
    await agent.close();
    await replay?.close();
    rmSync(auditDir, { recursive: true, force: true });
  }
}
