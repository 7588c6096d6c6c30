// Measurement 7: OAuth2 token requests for 100 concurrent cold tool calls on the ETIM connector (client
// credentials against the ETIM double, which counts token requests): one instance, and two instances sharing
// one Redis with 50 calls each; two instances without Redis for comparison. Every round starts cold: fresh
// Bastion processes, Redis flushed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { etimEnv, startEtim } from '../test/helpers/etim.js';
import { startRedis, type TestRedis } from '../test/helpers/redis.js';
import type { EtimDouble } from '../test/doubles/etim.js';
import { callTool } from './lib/calls.js';
import type { Row, Section } from './lib/report.js';
import { spawnBastion, type Spawned } from './lib/services.js';
import { fmt, fmtInt, median, nowMs } from './lib/stats.js';

const ROUNDS = 5;
const CALLS = 100;
/** Token service latency: none (loopback), and a realistic one that widens the race between callers. */
const TOKEN_DELAYS_MS = [0, 200];
const TOOL = 'etim_list_languages';
const REDIS_PASSWORD = 'canary-bench-redis-password-fake';

interface Scenario {
  name: string;
  instances: number;
  redis: boolean;
  target: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: `1 instance, ${CALLS} concurrent cold calls`, instances: 1, redis: false, target: true },
  { name: `2 instances + Redis, ${CALLS / 2} concurrent cold calls each`, instances: 2, redis: true, target: true },
  { name: `2 instances, no Redis, ${CALLS / 2} each (comparison)`, instances: 2, redis: false, target: false },
];

interface Outcome {
  tokens: number;
  /** Token requests made while the instances started, before any call (expected 0: tokens are fetched on first use). */
  atStart: number;
  apiCalls: number;
  ms: number;
}

/** startRedis makes its data directory in os.tmpdir(): point that at `dir` for the call, so it goes away with `dir`. */
async function startRedisIn(dir: string): Promise<TestRedis> {
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return await startRedis(REDIS_PASSWORD);
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  }
}

interface SharedStore {
  url: string;
  flush(): Promise<unknown>;
  /** Keys holding an OAuth token, to check that the instances really shared Redis rather than falling back to memory. */
  tokenKeys(): Promise<string[]>;
}

async function runRound(double: EtimDouble, scenario: Scenario, redis: SharedStore): Promise<Outcome> {
  if (scenario.redis) await redis.flush();
  // ETIM_CACHE=off: every call goes to the API with a token, none is answered from the cache.
  const env = etimEnv(double, { BASTION_LOG_LEVEL: 'info', ETIM_CACHE: 'off', ...(scenario.redis ? { REDIS_URL: redis.url, REDIS_PASSWORD } : {}) });
  const beforeStart = double.tokenRequests.length;
  const servers: Spawned[] = [];
  try {
    const started = await Promise.allSettled(Array.from({ length: scenario.instances }, () => spawnBastion(env)));
    for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const tokensBefore = double.tokenRequests.length;
    const apiBefore = double.apiRequests.length;
    const start = nowMs();
    const results = await Promise.all(servers.flatMap((server) => Array.from({ length: CALLS / scenario.instances }, () => callTool(server.client, TOOL, {}))));
    const ms = nowMs() - start;
    const failures = results.filter((result) => result.isError);
    if (failures.length) throw new Error(`${failures.length} of ${CALLS} ${TOOL} calls failed: ${failures[0]!.text}`);
    if (scenario.redis && (await redis.tokenKeys()).length === 0) throw new Error('no OAuth token in Redis after the calls: the instances did not use it');
    return { tokens: double.tokenRequests.length - tokensBefore, atStart: tokensBefore - beforeStart, apiCalls: double.apiRequests.length - apiBefore, ms };
  } finally {
    await Promise.allSettled(servers.map((server) => server.close()));
  }
}

export async function benchOAuthLoad(): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-bench-'));
  let double: EtimDouble | undefined;
  let redis: TestRedis | undefined;
  let admin: ReturnType<typeof createClient> | undefined;
  try {
    double = await startEtim();
    redis = await startRedisIn(dir);
    admin = createClient({ url: redis.url, password: REDIS_PASSWORD });
    await admin.connect();
    const store: SharedStore = { url: redis.url, flush: () => admin!.flushAll(), tokenKeys: () => admin!.keys('*oauth:token*') };
    const outcomes = new Map<string, Outcome[]>();
    for (const delay of TOKEN_DELAYS_MS) {
      double.setTokenDelay(delay);
      for (let round = 0; round < ROUNDS; round++) {
        for (const scenario of SCENARIOS) {
          const key = `${scenario.name} ${delay}`;
          outcomes.set(key, [...(outcomes.get(key) ?? []), await runRound(double, scenario, store)]);
        }
      }
    }

    const rows: Row[] = [];
    const notes: string[] = [];
    for (const scenario of SCENARIOS) {
      const perDelay = TOKEN_DELAYS_MS.map((delay) => [delay, outcomes.get(`${scenario.name} ${delay}`)!] as const);
      const all = perDelay.flatMap(([, list]) => list);
      rows.push({
        figure: `token requests, ${scenario.name}`,
        value: perDelay.map(([delay, list]) => `${list.map((o) => o.tokens).join(', ')} (token delay ${delay} ms)`).join('; '),
        ...(scenario.target ? { target: 'exactly 1', met: all.every((o) => o.tokens === 1) } : {}),
      });
      notes.push(
        `${scenario.name}: median time from first call to last answer ${perDelay.map(([delay, list]) => `${fmt(median(list.map((o) => o.ms)), 0)} ms (token delay ${delay} ms)`).join(', ')}; ` +
          `ETIM API requests per round ${[...new Set(all.map((o) => o.apiCalls))].map(fmtInt).join('/')}; token requests while the instances started ${[...new Set(all.map((o) => o.atStart))].join('/')}.`,
      );
    }
    return {
      id: '7',
      title: 'OAuth under load (ETIM client credentials)',
      rows,
      notes: [
        `${ROUNDS} rounds per scenario and token delay; each round starts fresh Bastion processes over stdio (one SDK client each), flushes Redis where used, ` +
          `then fires all ${CALLS} ${TOOL} calls at once and counts the requests the ETIM double's token endpoint received.`,
        'ETIM_CACHE=off, so every call goes to the ETIM API with a bearer token; the token delay is how long the double takes to answer a token request.',
        ...notes,
      ],
    };
  } finally {
    await admin?.close().catch(() => undefined);
    await redis?.stop();
    await double?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
