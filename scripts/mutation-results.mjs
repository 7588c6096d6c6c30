// Per-file mutation scores of the security core, from the mutation report (reports/stryker-incremental.json, which
// `npm run mutation` keeps up to date and which is committed): writes mutation/RESULTS.md and fails when a listed
// file is below its threshold, naming the mutants that survived.
//
// Usage: node scripts/mutation-results.mjs [--check]   (--check: compare only, do not rewrite RESULTS.md)
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import process from 'node:process';

const print = (line) => process.stdout.write(`${line}\n`);

const root = resolve(import.meta.dirname, '..');
const config = JSON.parse(readFileSync(resolve(root, 'stryker.config.json'), 'utf8'));
const reportPath = resolve(root, config.incrementalFile);
const report = JSON.parse(readFileSync(reportPath, 'utf8'));
// The committed report keeps what incremental runs need, not why a test failed: those reasons quote test data
// (fake keys and tokens of the scrubber's tests), which has no place in the repository.
let quoted = 0;
for (const file of Object.values(report.files)) {
  for (const mutant of file.mutants) {
    if (mutant.statusReason !== undefined) {
      delete mutant.statusReason;
      quoted += 1;
    }
  }
}
if (quoted > 0 && !process.argv.includes('--check')) writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
/** Every listed file must keep at least this share of its mutants detected. */
const THRESHOLD = 90;
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

const byFile = new Map(Object.entries(report.files).map(([name, file]) => [relative(root, resolve(root, name)), file]));
const rows = [];
const failures = [];
for (const name of config.mutate) {
  const file = byFile.get(name);
  if (!file) {
    failures.push(`${name}: not in the mutation report yet (run npm run mutation)`);
    rows.push({ name, detected: 0, undetected: 0, ignored: 0, score: undefined });
    continue;
  }
  const count = (statuses) => file.mutants.filter((m) => statuses.has(m.status)).length;
  const detected = count(DETECTED);
  const undetected = count(UNDETECTED);
  const ignored = file.mutants.length - detected - undetected;
  const score = detected + undetected === 0 ? 100 : (100 * detected) / (detected + undetected);
  rows.push({ name, detected, undetected, ignored, score });
  if (score < THRESHOLD) {
    const survivors = file.mutants
      .filter((m) => UNDETECTED.has(m.status))
      .map((m) => `    line ${m.location.start.line}: ${m.mutatorName}${m.replacement ? ` -> ${String(m.replacement).split('\n')[0].slice(0, 80)}` : ''} (${m.status})`);
    failures.push(`${name}: ${score.toFixed(1)}% is below ${THRESHOLD}%; undetected mutants:\n${survivors.join('\n')}`);
  }
}

const lines = [
  '# Mutation scores of the security core',
  '',
  'Written by `npm run mutation` (StrykerJS over the unit tests of these files, see `stryker.config.json` and',
  '`vitest.mutation.config.ts`) from `reports/stryker-incremental.json`. Score = killed and timed-out mutants /',
  `(those + survived + not covered). Threshold: ${THRESHOLD}% for every file; \`npm run mutation\` fails below it.`,
  'Ignored: static mutants (left out of the routine run, see `stryker.config.json`) and mutants marked equivalent',
  'in the source with `// Stryker disable ... : <reason>`.',
  '',
  '| File | Score | Detected | Undetected | Ignored |',
  '|---|---:|---:|---:|---:|',
  ...rows.map((r) => `| \`${r.name}\` | ${r.score === undefined ? 'not run' : `${r.score.toFixed(1)}%`} | ${r.detected} | ${r.undetected} | ${r.ignored} |`),
  '',
];
if (!process.argv.includes('--check')) writeFileSync(resolve(root, 'mutation/RESULTS.md'), lines.join('\n'));
print(lines.slice(8).join('\n'));
if (failures.length) {
  process.stderr.write(`\nMutation thresholds not met:\n${failures.join('\n')}\n`);
  process.exit(1);
}
