// scripts/check-licenses.mjs on made-up lockfiles: which licenses and SPDX expressions pass, and that
// development-only packages are left out.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '../../scripts/check-licenses.mjs');

/** Writes a package-lock.json (v3) with these packages, plus optional installed package.json files. */
function lockfile(packages: Record<string, Record<string, unknown>>, installed: Record<string, Record<string, unknown>> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-licenses-'));
  const entries = Object.fromEntries(Object.entries(packages).map(([name, entry]) => [`node_modules/${name}`, { version: '1.0.0', ...entry }]));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'app', license: 'Apache-2.0' }, ...entries } }));
  for (const [name, manifest] of Object.entries(installed)) {
    mkdirSync(join(dir, 'node_modules', name), { recursive: true });
    writeFileSync(join(dir, 'node_modules', name, 'package.json'), JSON.stringify(manifest));
  }
  return join(dir, 'package-lock.json');
}

function check(file: string) {
  return spawnSync(process.execPath, [SCRIPT, file], { encoding: 'utf8', timeout: 10_000 });
}

describe('check-licenses', () => {
  it('passes allowed licenses and SPDX expressions, and leaves development packages out', () => {
    const result = check(
      lockfile({
        plain: { license: 'MIT' },
        'either-one': { license: '(GPL-3.0-only OR MIT)' },
        both: { license: 'Apache-2.0 AND BSD-3-Clause' },
        exception: { license: 'Apache-2.0 WITH LLVM-exception' },
        nested: { license: '(MIT OR (GPL-2.0-only AND ISC))' },
        'only-for-tests': { license: 'GPL-3.0-only', dev: true },
        '@scope/legacy': {},
      }, { '@scope/legacy': { licenses: [{ type: 'ISC' }, { type: 'MIT' }] } }),
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    for (const name of ['plain', 'either-one', 'both', 'exception', 'nested', '@scope/legacy']) expect(result.stdout).toMatch(new RegExp(`^${name} .* ok$`, 'm'));
    expect(result.stdout).toContain('ISC OR MIT');
    expect(result.stdout).not.toContain('only-for-tests');
    expect(result.stdout).toContain('6 runtime packages');
  });

  it('fails on a license outside the allowlist, an AND with one, a missing license and a malformed expression', () => {
    const result = check(
      lockfile({
        fine: { license: 'MIT' },
        copyleft: { license: 'GPL-3.0-only' },
        'half-copyleft': { license: 'MIT AND AGPL-3.0-only' },
        unlicensed: {},
        broken: { license: '(MIT OR' },
        'unknown-exception': { license: 'GPL-2.0-only WITH Classpath-exception-2.0' },
      }),
    );
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^fine .* ok$/m);
    for (const name of ['copyleft', 'half-copyleft', 'unlicensed', 'broken', 'unknown-exception']) {
      expect(result.stdout).toMatch(new RegExp(`^${name} .* NOT ALLOWED$`, 'm'));
      expect(result.stderr).toContain(`${name}@1.0.0`);
    }
    expect(result.stdout).toMatch(/^unlicensed +1\.0\.0 +\(none\)/m);
  });
});
