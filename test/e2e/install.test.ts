// The install paths README gives work from this repository, and README names no command that does not exist here
// (no `npx <package>`: this package is not published, and whoever claimed the name would receive readers' keys).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; bin: Record<string, string>; license: string; repository?: unknown };

/** npm without network: every step here must work from the checkout alone. */
function npm(args: string[], cwd: string) {
  return spawnSync('npm', [...args, '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', timeout: 180_000, env: { ...process.env, npm_config_update_notifier: 'false' } });
}

describe('README install paths', () => {
  it('runs nothing through npx and starts Bastion only through commands this repository provides', () => {
    expect(readme).not.toMatch(/\bnpx\b[^\n`]*\bbastion/);
    expect(Object.keys(pkg.bin)).toEqual(['bastion']);
    // Every "command" of a client configuration snippet.
    const commands = [...readme.matchAll(/"command":\s*"([^"]+)"/g)].map((match) => match[1]);
    expect(commands.length).toBeGreaterThan(2);
    for (const command of commands) expect(['bastion', 'node', 'docker'], command).toContain(command);
    expect(readme).toContain('npm install -g');
    expect(readme).toContain('docker run -i');
  });

  it('npm install -g of the built checkout puts a working bastion on PATH, offline', () => {
    const prefix = mkdtempSync(join(tmpdir(), 'bastion-prefix-'));
    const installed = npm(['install', '-g', '--prefix', prefix, root], prefix);
    expect(installed.status, installed.stderr).toBe(0);
    const help = spawnSync(join(prefix, 'bin', 'bastion'), ['--help'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: bastion');
  }, 240_000);

  it('npm pack gives a tarball whose CLI runs on its own, with the license and the bin README names', () => {
    const out = mkdtempSync(join(tmpdir(), 'bastion-pack-'));
    const packed = npm(['pack', '--pack-destination', out], root);
    expect(packed.status, packed.stderr).toBe(0);
    const tarball = readdirSync(out).find((name) => name.endsWith('.tgz'));
    expect(tarball).toBe(`${pkg.name}-${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}.tgz`);
    expect(spawnSync('tar', ['-xzf', join(out, tarball!), '-C', out]).status).toBe(0);
    const inside = JSON.parse(readFileSync(join(out, 'package', 'package.json'), 'utf8')) as typeof pkg;
    expect(inside.bin).toEqual({ bastion: 'dist/cli.js' });
    expect(existsSync(join(out, 'package', 'LICENSE'))).toBe(true);
    expect(readFileSync(join(out, 'package', 'dist', 'cli.js'), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
    // The bundle carries its dependencies (the keyring module loads only when used).
    const help = spawnSync(process.execPath, [join(out, 'package', 'dist', 'cli.js'), '--help'], { cwd: out, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: bastion');
  }, 120_000);
});

describe('package metadata', () => {
  it('ships the Apache-2.0 text package.json names, and says where the source is without naming a host', () => {
    expect(pkg.license).toBe('Apache-2.0');
    const license = readFileSync(join(root, 'LICENSE'), 'utf8');
    expect(license).toContain('Apache License');
    expect(license).toContain('Version 2.0, January 2004');
    expect(license).toContain('END OF TERMS AND CONDITIONS');
    expect(pkg.repository).toEqual({ type: 'git', url: 'git+file:.' });
  });
});
