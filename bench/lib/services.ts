// The upstream systems each connector is configured against during a benchmark run: the local Redmine
// (scripts/redmine.sh), the YouTrack and ETIM doubles (in-process) and the local Mosquitto (scripts/mosquitto.sh).
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { resolve } from 'node:path';
import { startEtimDouble, type EtimDouble } from '../../test/doubles/etim.js';
import { startYouTrackDouble, type YouTrackDouble } from '../../test/doubles/youtrack.js';
import { CLI, redmineEnv } from '../../test/helpers/bastion.js';
import { etimEnv } from '../../test/helpers/etim.js';
import { ensureMosquitto } from '../../test/helpers/mosquitto.js';
import { mosquittoEnv } from '../../test/helpers/coreflux.js';
import { YOUTRACK_TEST_TOKEN, YOUTRACK_USER_TOKEN, youtrackEnv } from '../../test/helpers/youtrack.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export { CLI };

export const CONNECTOR_NAMES = ['redmine', 'youtrack', 'etim', 'coreflux'] as const;
export type ConnectorName = (typeof CONNECTOR_NAMES)[number];

/** Settings every benchmarked Bastion gets: info logs (the default), no OS keyring, nothing inherited. */
const COMMON = { BASTION_LOG_LEVEL: 'info', BASTION_KEYRING: 'false' };

export interface Services {
  /** Environment that configures exactly these connectors. */
  env(connectors: readonly ConnectorName[], extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

export async function startServices(): Promise<Services> {
  const youtrack: YouTrackDouble = await startYouTrackDouble({ tokens: [YOUTRACK_TEST_TOKEN, YOUTRACK_USER_TOKEN] });
  const etim: EtimDouble = await startEtimDouble();
  const mosquitto = await ensureMosquitto();
  const parts: Record<ConnectorName, () => Record<string, string>> = {
    redmine: () => redmineEnv(COMMON),
    youtrack: () => youtrackEnv(youtrack, COMMON),
    etim: () => etimEnv(etim, COMMON),
    coreflux: () => mosquittoEnv(mosquitto, COMMON),
  };
  return {
    env(connectors, extra = {}) {
      const env: Record<string, string> = {};
      for (const name of connectors) Object.assign(env, parts[name]());
      return { ...env, BASTION_CONNECTORS: connectors.join(','), ...extra };
    },
    async close() {
      await Promise.allSettled([youtrack.close(), etim.close()]);
    },
  };
}

export interface Spawned {
  client: Client;
  /** The server process, e.g. to read its memory from /proc. */
  pid: number;
  stderr(): string;
  close(): Promise<void>;
}

/** Spawns a stdio MCP server (Bastion's CLI or another script) and connects the SDK client to it. */
export async function spawnMcp(args: string[], env: Record<string, string>): Promise<Spawned> {
  const transport = new StdioClientTransport({ command: process.execPath, args, env, stderr: 'pipe', cwd: ROOT });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'bastion-bench', version: '1.0.0' });
  try {
    await client.connect(transport);
  } catch (error) {
    throw new Error(`MCP server ${args.join(' ')} did not start: ${String(error)}\n${stderr.slice(-2000)}`, { cause: error });
  }
  const pid = transport.pid;
  if (pid === null) {
    await client.close();
    throw new Error(`MCP server ${args.join(' ')} has no process id`);
  }
  return { client, pid, stderr: () => stderr, close: () => client.close() };
}

export function spawnBastion(env: Record<string, string>, args: string[] = []): Promise<Spawned> {
  return spawnMcp([CLI, 'serve', ...args], env);
}
