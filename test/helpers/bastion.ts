// Spawns the built CLI as a user's MCP client would, over stdio, and keeps everything it writes to stdout and stderr.
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { resolve } from 'node:path';
import { ADMIN_KEY, requireRedmine } from './redmine.js';

export const CLI = resolve(import.meta.dirname, '../../dist/cli.js');

export interface Bastion {
  client: Client;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Everything the server wrote to stdout so far: the raw JSON-RPC stream. */
  stdout(): string;
  /** The server process's id (to signal it), when Bastion runs as a child process over stdio. */
  pid?: number;
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  args?: string[];
  cwd?: string;
}

/** Default environment: the local Redmine with the admin (canary) key, debug logs, no inherited secrets. */
export function redmineEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    // A test that points Bastion elsewhere does not need the local Redmine.
    REDMINE_URL: extra.REDMINE_URL ?? requireRedmine(),
    REDMINE_API_KEY: ADMIN_KEY,
    BASTION_LOG_LEVEL: 'debug',
    ...extra,
  };
}

/**
 * Tests read results through their structured content, so they run with full tool schemas unless a test says
 * otherwise; the compact default (text results, lean tools/list) has its own tests in tool-listing.test.ts.
 */
export function withToolSchemas(env: Record<string, string>): Record<string, string> {
  return { BASTION_TOOL_SCHEMAS: 'full', ...env };
}

/** The SDK's stdio transport, also keeping a copy of the server's raw stdout. */
class RecordingStdioTransport extends StdioClientTransport {
  stdout = '';

  override async start(): Promise<void> {
    await super.start();
    // The SDK keeps the child private; it exists once start() resolves, before anything was sent to it.
    const child = (this as unknown as { _process?: ChildProcess })._process;
    child?.stdout?.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString('utf8');
    });
  }
}

export async function startBastion(options: StartOptions = {}): Promise<Bastion> {
  const transport = new RecordingStdioTransport({
    command: process.execPath,
    args: [CLI, 'serve', ...(options.args ?? [])],
    env: withToolSchemas(options.env ?? redmineEnv()),
    stderr: 'pipe',
    cwd: options.cwd ?? resolve(import.meta.dirname, '../..'),
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'bastion-tests', version: '1.0.0' });
  await client.connect(transport);
  return {
    client,
    stderr: () => stderr,
    stdout: () => transport.stdout,
    pid: transport.pid ?? undefined,
    close: () => client.close(),
  };
}

/**
 * Runs the CLI without blocking this process (tests that serve doubles in-process must not use spawnSync:
 * the double could not answer while the test waits).
 */
export function runCli(args: string[], env: Record<string, string>, input = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

export interface ToolResult {
  isError?: boolean;
  text: string;
  structured: any;
}

/** Calls a tool and returns its text and structured content in one object. */
export async function call(bastion: Bastion, name: string, args: Record<string, unknown> = {}): Promise<ToolResult> {
  const result = (await bastion.client.callTool({ name, arguments: args })) as {
    isError?: boolean;
    content: Array<{ type: string; text?: string }>;
    structuredContent?: unknown;
  };
  const text = result.content.map((block) => block.text ?? '').join('\n');
  return { isError: result.isError, text, structured: result.structuredContent };
}

/**
 * For a whole test file: starts a test double and a Bastion on it before the file's tests and stops both after.
 * `started` receives them (assign them to the file's variables); `prepare` may change the double's data first.
 */
export function useBastionOnDouble<Double extends { close(): Promise<void> }>(
  startDouble: () => Promise<Double>,
  startOn: (double: Double) => Promise<Bastion>,
  started: (running: { double: Double; bastion: Bastion }) => void,
  prepare?: (double: Double) => void,
): void {
  let double: Double | undefined;
  let bastion: Bastion | undefined;
  beforeAll(async () => {
    double = await startDouble();
    prepare?.(double);
    bastion = await startOn(double);
    started({ double, bastion });
  });
  afterAll(async () => {
    await bastion?.close();
    await double?.close();
  });
}
