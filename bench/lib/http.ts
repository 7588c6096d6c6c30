// Bastion over Streamable HTTP for the benchmarks: a tokens file with one caller, and the SDK client connected with it.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createHash } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The benchmark caller's bearer token (fake, only ever sent to loopback). */
export const BENCH_HTTP_TOKEN = 'canary-bench-http-token-fake-4Tq';

/** A tokens file (mode 600) in `dir` that lets the benchmark caller use every tool. */
export function writeTokensFile(dir: string): string {
  const path = join(dir, 'tokens.json');
  const sha256 = createHash('sha256').update(BENCH_HTTP_TOKEN).digest('hex');
  writeFileSync(path, JSON.stringify({ tokens: [{ name: 'bench', sha256, scopes: ['bastion:write'] }] }));
  chmodSync(path, 0o600);
  return path;
}

/**
 * The settings that serve HTTP with that caller; the rate limit is raised so it never throttles a benchmark, and
 * tool schemas stay at the product default as on stdio (the test helper that starts the server turns them to full).
 */
export function httpEnv(dir: string): Record<string, string> {
  return { BASTION_HTTP_TOKENS_FILE: writeTokensFile(dir), BASTION_RATE_LIMIT: '1000000/s', BASTION_TOOL_SCHEMAS: 'compact' };
}

export async function connectHttp(url: string, token: string | undefined = BENCH_HTTP_TOKEN): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), token ? { authProvider: { token: async () => token } } : {});
  const client = new Client({ name: 'bastion-bench', version: '1.0.0' });
  await client.connect(transport);
  return client;
}
