// Measurement 10: the added time per call of per-user mode (BASTION_IDENTITY=per-user with Redmine impersonation)
// against shared mode, in the same run: two `serve --transport http` processes on the same replay backend, driven
// by the same SDK client code in alternating rounds. Per-user mode resolves the caller's login once (one upstream
// check), then only adds the X-Redmine-Switch-User header and a lookup per call.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { startHttpBastion, type HttpBastion } from '../test/helpers/http-server.js';
import { REDMINE_URL } from '../test/helpers/redmine.js';
import { callTool, SEARCH_ARGS, SEARCH_TOOL } from './lib/calls.js';
import { connectHttp, httpEnv } from './lib/http.js';
import { startRecordedReplay, type ReplayServer } from './lib/replay.js';
import type { Row, Section } from './lib/report.js';
import type { Services } from './lib/services.js';
import { fmt, fmtInt, median, pool, summarise } from './lib/stats.js';
import { cpuMs } from './http-throughput.js';

const CALLS = 400;
const WARMUP = 100;
const ROUNDS = 6;
const CONCURRENCY = [1, 8];

export async function benchPerUser(services: Services): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-bench-per-user-'));
  let replay: ReplayServer | undefined;
  const servers: Partial<Record<'shared' | 'per-user', HttpBastion>> = {};
  try {
    const redmineEnv = (url: string) => services.env(['redmine'], { REDMINE_URL: url, BASTION_AUDIT_LOG: join(dir, 'audit.jsonl') });
    replay = await startRecordedReplay(REDMINE_URL, redmineEnv, [[SEARCH_TOOL, SEARCH_ARGS]]);
    // The benchmark caller ("bench") acts as the key's own user: the replayed /users/current.json answers as admin.
    const logins = join(dir, 'logins.json');
    writeFileSync(logins, JSON.stringify({ bench: 'admin' }));
    chmodSync(logins, 0o600);
    const http = httpEnv(dir);
    servers.shared = await startHttpBastion({ env: { ...redmineEnv(replay.url), ...http } });
    servers['per-user'] = await startHttpBastion({
      env: { ...redmineEnv(replay.url), ...http, BASTION_IDENTITY: 'per-user', REDMINE_IMPERSONATE: 'true', BASTION_IDENTITY_MAP_FILE: logins },
    });

    const run = async (name: 'shared' | 'per-user', concurrency: number, calls: number) => {
      const server = servers[name]!;
      const workers: Client[] = await Promise.all(Array.from({ length: concurrency }, () => connectHttp(server.url)));
      try {
        const cpuBefore = cpuMs(server.child.pid!);
        const rate = await pool(calls, concurrency, async (worker) => {
          const out = await callTool(workers[worker]!, SEARCH_TOOL, SEARCH_ARGS);
          if (out.isError) throw new Error(`${SEARCH_TOOL} failed (${name}): ${out.text}`);
        });
        return { rate, cpu: (cpuMs(server.child.pid!) - cpuBefore) / calls };
      } finally {
        await Promise.allSettled(workers.map((client) => client.close()));
      }
    };

    const rows: Row[] = [];
    for (const concurrency of CONCURRENCY) {
      for (const name of ['shared', 'per-user'] as const) await run(name, concurrency, WARMUP);
      const figures = { shared: [] as Array<{ rate: number; cpu: number }>, 'per-user': [] as Array<{ rate: number; cpu: number }> };
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate which mode goes first, so drift favours neither.
        const order = round % 2 === 0 ? (['shared', 'per-user'] as const) : (['per-user', 'shared'] as const);
        for (const name of order) figures[name].push(await run(name, concurrency, CALLS));
      }
      const rates = (name: 'shared' | 'per-user') => figures[name].map((f) => f.rate);
      const triple = (values: number[]) => {
        const s = summarise(values);
        return `${fmtInt(s.min)} / ${fmtInt(s.p50)} / ${fmtInt(s.max)}`;
      };
      const msShared = (1000 * concurrency) / median(rates('shared'));
      const msPerUser = (1000 * concurrency) / median(rates('per-user'));
      const cpuShared = median(figures.shared.map((f) => f.cpu));
      const cpuPerUser = median(figures['per-user'].map((f) => f.cpu));
      rows.push({ figure: `calls/s at concurrency ${concurrency}, per-user vs shared (min/median/max)`, value: `${triple(rates('per-user'))} vs ${triple(rates('shared'))} calls/s` });
      rows.push({ figure: `time per call at concurrency ${concurrency}, per-user vs shared (median)`, value: `${fmt(msPerUser)} vs ${fmt(msShared)} ms: ${fmt(msPerUser - msShared)} ms added` });
      rows.push({ figure: `server CPU per call at concurrency ${concurrency}, per-user vs shared (median)`, value: `${fmt(cpuPerUser)} vs ${fmt(cpuShared)} ms: ${fmt(cpuPerUser - cpuShared)} ms added` });
    }
    if (replay.misses.length) throw new Error(`replay misses: ${[...new Set(replay.misses)].join(', ')}`);
    return {
      id: '10',
      title: 'Per-user mode (Redmine impersonation) vs shared mode, HTTP',
      rows,
      notes: [
        `${SEARCH_TOOL} ${JSON.stringify(SEARCH_ARGS)} over Streamable HTTP with a named bearer token, against the replay backend; per concurrency ${WARMUP} warm-up calls per server, ` +
          `then ${ROUNDS} rounds of ${CALLS} calls, the two modes alternating which goes first. Time per call = concurrency / median calls/s.`,
        'Per-user: BASTION_IDENTITY=per-user, REDMINE_IMPERSONATE=true, the caller mapped to a login by BASTION_IDENTITY_MAP_FILE; its login is confirmed upstream once ' +
          '(during the warm-up), so the timed calls measure the resolved path: a lookup of the confirmed login and the X-Redmine-Switch-User header.',
        'Server CPU per call (/proc/<pid>/stat) depends far less on other load than calls/s; both servers, the clients and the replay backend share 2 cores, and other work ran on the machine at the same time, so the calls/s and time figures carry its noise.',
      ],
    };
  } finally {
    await Promise.allSettled(Object.values(servers).map((server) => server.stop(5_000)));
    await replay?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
