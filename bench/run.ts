// `npm run bench`: runs the benchmarks in order, prints a table and writes bench/RESULTS.md.
// Needs the built CLI (npm run build), the local Redmine (scripts/redmine.sh up, which also installs redis-server for
// measurement 7) and Mosquitto (scripts/mosquitto.sh up).
// Timings are reported, never asserted; nothing here runs in the test suite.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { benchColdStart } from './cold-start.js';
import { benchContextCost } from './context-cost.js';
import { benchHttpThroughput } from './http-throughput.js';
import { benchMemory } from './memory.js';
import { benchOAuthLoad } from './oauth-load.js';
import { benchOverhead } from './overhead.js';
import { benchPerUser } from './per-user.js';
import { benchRedaction } from './redaction.js';
import { benchResultSize } from './result-size.js';
import { markdown, printTable, type Section } from './lib/report.js';
import { CLI, startServices } from './lib/services.js';

const OUT = resolve(import.meta.dirname, 'RESULTS.md');
const only = new Set((process.env.BENCH_ONLY ?? '').split(',').filter(Boolean));

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const started = new Date();
  // Other work on the machine skews timings; the load average says how busy it was.
  const loadAtStart = loadavg();
  const services = await startServices();
  const sections: Section[] = [];
  const steps: Array<[string, () => Promise<Section>]> = [
    ['4', () => benchContextCost(services)],
    ['2', () => benchResultSize(services)],
    ['8', () => benchRedaction()],
    ['1', () => benchOverhead(services)],
    ['3', () => benchColdStart(services)],
    ['5', () => benchMemory(services)],
    ['6', () => benchHttpThroughput(services)],
    ['7', () => benchOAuthLoad()],
    ['10', () => benchPerUser(services)],
  ];
  try {
    for (const [id, step] of steps) {
      if (only.size && !only.has(id)) continue;
      process.stderr.write(`bench: measurement ${id}...\n`);
      try {
        sections.push(await step());
      } catch (error) {
        sections.push({ id, title: 'failed', rows: [{ figure: 'error', value: String(error).split('\n')[0]! }], notes: [String(error)] });
      }
    }
  } finally {
    await services.close();
  }
  const cpu = cpus();
  const header = [
    '# Bastion benchmarks',
    '',
    `Written by \`npm run bench\` on ${started.toISOString()} (took ${Math.round((Date.now() - started.getTime()) / 1000)} s).`,
    '',
    `Machine: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
      `Node ${process.version}, ${process.platform}/${process.arch}.`,
    `Load average (1/5/15 min) at start ${loadAtStart.map((l) => l.toFixed(1)).join(' / ')}, at end ${loadavg().map((l) => l.toFixed(1)).join(' / ')}.`,
    '',
    'Distributions are given as min / median / max (p90 where the issue asks for it). Tokens = bytes / 4.',
    ...(only.size ? [`Partial run: only measurements ${[...only].join(', ')} (BENCH_ONLY).`] : []),
  ];
  const table = printTable(sections);
  process.stdout.write(`${table}\n`);
  // The load-and-fault section is written by bench/load-faults.ts (it needs nginx): kept as it is.
  const previous = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
  const loadFaults = /<!-- load-faults:start -->[\s\S]*<!-- load-faults:end -->/.exec(previous)?.[0];
  if (!only.size) writeFileSync(OUT, `${markdown(sections, header)}\n## Table\n\n\`\`\`\n${table}\n\`\`\`\n${loadFaults ? `\n${loadFaults}\n` : ''}`);
  else writeFileSync(OUT.replace(/\.md$/, '.partial.md'), markdown(sections, header));
}

await main();
