// Starts the built CLI as `bastion serve --transport http --port 0` in a child process, reads the address it chose
// from its stderr line `bastion: listening on <url>/mcp`, and stops it with SIGTERM as a supervisor would.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CLI, withToolSchemas } from './bastion.js';

const ROOT = resolve(import.meta.dirname, '../..');
const LISTENING = /^bastion: listening on (\S+)\/mcp$/m;

export interface HttpBastion {
  /** The server's base URL, e.g. http://127.0.0.1:41234. */
  baseUrl: string;
  /** The MCP endpoint: `${baseUrl}/mcp`. */
  url: string;
  child: ChildProcess;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Sends SIGTERM and waits for the process to exit (SIGKILL after `graceMs`); resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface HttpBastionOptions {
  /** The server's complete environment (nothing is inherited). */
  env: Record<string, string>;
  /** Extra `serve` arguments. */
  args?: string[];
  /** The whole command after node, instead of `cli.js serve --transport http --port 0 ...args` (e.g. an image's entry command). */
  command?: string[];
  /** Working directory (default: the repository). */
  cwd?: string;
  /** How long to wait for the listening line. */
  startTimeoutMs?: number;
}

export function startHttpBastion(options: HttpBastionOptions): Promise<HttpBastion> {
  const child = spawn(process.execPath, options.command ?? [CLI, 'serve', '--transport', 'http', '--port', '0', ...(options.args ?? [])], {
    env: withToolSchemas(options.env),
    cwd: options.cwd ?? ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode);
    else child.once('exit', (code) => done(code));
  });

  const stop = async (graceMs = 15_000): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return child.exitCode;
  };

  return new Promise<HttpBastion>((resolvePromise, reject) => {
    const fail = (message: string): void => {
      cleanup();
      void stop(1_000);
      reject(new Error(`${message}\n--- bastion stderr ---\n${stderr}`));
    };
    const onData = (): void => {
      const match = LISTENING.exec(stderr);
      if (!match) return;
      cleanup();
      const baseUrl = match[1]!;
      resolvePromise({ baseUrl, url: `${baseUrl}/mcp`, child, stderr: () => stderr, stop });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => fail(`bastion exited (code ${code}, signal ${signal}) before listening`);
    const onError = (error: Error): void => fail(`bastion could not be started: ${error.message}`);
    const timer = setTimeout(() => fail(`bastion did not print its listening line within ${options.startTimeoutMs ?? 20_000} ms`), options.startTimeoutMs ?? 20_000);
    function cleanup(): void {
      clearTimeout(timer);
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** Writes a BASTION_HTTP_TOKENS_FILE (mode 600): each token by name, as the SHA-256 Bastion compares against. */
export function writeTokensFile(path: string, tokens: Array<{ name: string; token: string; scopes: string[] }>): string {
  const entries = tokens.map(({ name, token, scopes }) => ({ name, sha256: createHash('sha256').update(token).digest('hex'), scopes }));
  writeFileSync(path, JSON.stringify({ tokens: entries }));
  chmodSync(path, 0o600);
  return path;
}
