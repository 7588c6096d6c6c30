#!/usr/bin/env node
// License check of the runtime dependency tree: every package package-lock.json installs for production (not marked
// dev) must carry a license from the allowlist. SPDX expressions count: "A OR B" passes when one of them is allowed,
// "A AND B" only when both are. Prints a table; exits 1 on any other license or a missing one.
// Usage: node scripts/check-licenses.mjs [path/to/package-lock.json]
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';

const print = (line) => process.stdout.write(`${line}\n`);

export const ALLOWED = new Set([
  'MIT',
  'MIT-0',
  'ISC',
  'Apache-2.0',
  'BSD-2-Clause',
  'BSD-3-Clause',
  '0BSD',
  'BlueOak-1.0.0',
  'CC0-1.0',
  'Unlicense',
  'Python-2.0',
  'Zlib',
]);
/** Exceptions that only widen what their license allows (used as "Apache-2.0 WITH LLVM-exception"). */
const ALLOWED_EXCEPTIONS = new Set(['LLVM-exception']);

/** Splits an SPDX expression into identifiers, operators and parentheses. */
function tokenize(expression) {
  return expression.replace(/[()]/g, ' $& ').trim().split(/\s+/).filter(Boolean);
}

/** True when the SPDX expression is satisfied by allowed licenses (AND binds tighter than OR). */
export function isAllowed(expression) {
  const tokens = tokenize(expression);
  let position = 0;
  const peek = () => tokens[position];
  const next = () => tokens[position++];
  function primary() {
    const token = next();
    if (token === '(') {
      const value = or();
      if (next() !== ')') throw new Error('unbalanced parentheses');
      return value;
    }
    if (!token || ['AND', 'OR', 'WITH', ')'].includes(token)) throw new Error(`unexpected "${token ?? 'end'}"`);
    let allowed = ALLOWED.has(token);
    if (peek() === 'WITH') {
      next();
      allowed = allowed && ALLOWED_EXCEPTIONS.has(next() ?? '');
    }
    return allowed;
  }
  function and() {
    let value = primary();
    while (peek() === 'AND') {
      next();
      value = primary() && value;
    }
    return value;
  }
  function or() {
    let value = and();
    while (peek() === 'OR') {
      next();
      value = and() || value;
    }
    return value;
  }
  try {
    const value = or();
    return position === tokens.length && value;
  } catch {
    return false;
  }
}

/** The license of a lockfile entry, falling back to the installed package.json (legacy `licenses` lists are OR). */
function licenseOf(root, path, entry) {
  if (typeof entry.license === 'string') return entry.license;
  const manifest = join(root, path, 'package.json');
  if (!existsSync(manifest)) return undefined;
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  if (typeof pkg.license === 'string') return pkg.license;
  if (pkg.license && typeof pkg.license.type === 'string') return pkg.license.type;
  if (Array.isArray(pkg.licenses)) return pkg.licenses.map((l) => (typeof l === 'string' ? l : l.type)).join(' OR ');
  return undefined;
}

export function checkLockfile(lockfile) {
  const root = dirname(lockfile);
  const lock = JSON.parse(readFileSync(lockfile, 'utf8'));
  if (!lock.packages) throw new Error(`${lockfile} has no "packages" map (lockfileVersion 2 or later is needed).`);
  const rows = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    // "" is the project itself; links point at workspace folders, which are checked as their own entries.
    if (path === '' || entry.dev || entry.link) continue;
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const license = licenseOf(root, path, entry);
    rows.push({ name, version: entry.version ?? '', license: license ?? '(none)', ok: license !== undefined && isAllowed(license) });
  }
  return rows.sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

function printTable(rows) {
  const headers = ['package', 'version', 'license', 'verdict'];
  const cells = rows.map((row) => [row.name, row.version, row.license, row.ok ? 'ok' : 'NOT ALLOWED']);
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((line) => line[i].length)));
  const line = (values) => values.map((value, i) => value.padEnd(widths[i])).join('  ').trimEnd();
  print(line(headers));
  print(line(widths.map((width) => '-'.repeat(width))));
  for (const values of cells) print(line(values));
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const lockfile = resolve(process.argv[2] ?? join(import.meta.dirname, '..', 'package-lock.json'));
  const rows = checkLockfile(lockfile);
  printTable(rows);
  const refused = rows.filter((row) => !row.ok);
  const counts = new Map();
  for (const row of rows) counts.set(row.license, (counts.get(row.license) ?? 0) + 1);
  const summary = [...counts].sort((a, b) => b[1] - a[1]).map(([license, count]) => `${license} ${count}`).join(', ');
  print(`\n${rows.length} runtime packages: ${summary}.`);
  if (refused.length) {
    process.stderr.write(`License check FAILED: ${refused.map((row) => `${row.name}@${row.version} (${row.license})`).join(', ')} not in the allowlist (${[...ALLOWED].join(', ')}).\n`);
    process.exit(1);
  }
  print('License check passed: every runtime dependency has an allowed license.');
}
