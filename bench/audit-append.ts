// `npx tsx bench/audit-append.ts`: the cost of one audit record (redaction, serialisation, hash, locked append),
// as a tool call pays it. A quick micro-benchmark, not part of `npm run bench`; timings are printed, never asserted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, type ToolCallEvent } from '../src/core/audit.js';

const CALLS = Number(process.env.CALLS ?? 20_000);
const ROUNDS = 5;
const event: ToolCallEvent = {
  type: 'tool_call',
  tool: 'redmine_search_issues',
  connector: 'redmine',
  caller: 'stdio',
  outcome: 'ok',
  duration_ms: 12,
  args: { project: 'alpha', status: 'all', limit: 25, query: 'printer on the second floor' },
  credential: 'a1b2c3d4',
};

const perCall: number[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-audit-bench-'));
  const log = new AuditLog(join(dir, 'audit.jsonl'));
  for (let i = 0; i < 500; i += 1) log.record(event);
  const started = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i += 1) log.record(event);
  perCall.push(Number(process.hrtime.bigint() - started) / 1e6 / CALLS);
  rmSync(dir, { recursive: true, force: true });
}
perCall.sort((a, b) => a - b);
const ms = (value: number): string => `${(value * 1000).toFixed(1)} µs`;
process.stdout.write(`audit record, ${CALLS} calls x ${ROUNDS} rounds: median ${ms(perCall[2]!)} (min ${ms(perCall[0]!)}, max ${ms(perCall[4]!)}) per record\n`);
