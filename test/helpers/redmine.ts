// Facts about this checkout's test Redmine (scripts/redmine.sh, started by the global set-up on the port it picked),
// and direct REST access to check what tools changed.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { serviceEnv, serviceEnvIfUp } from './services.js';

const keys = Object.fromEntries(
  readFileSync(resolve(import.meta.dirname, '../../scripts/redmine/test-keys.env'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => line.split('=') as [string, string]),
);

// Read when a file loads, so files that import this only for the keys still load when Redmine is down; the
// functions below (and redmineEnv in bastion.ts) fail naming the service instead.
export const REDMINE_URL = serviceEnvIfUp('redmine').REDMINE_URL ?? 'http://127.0.0.1:9/redmine-is-not-running';
export const REDMINE_PORT = Number(new URL(REDMINE_URL).port);

/** The test Redmine's URL; throws, naming the service, when it did not start. */
export function requireRedmine(): string {
  return serviceEnv('redmine').REDMINE_URL!;
}
/** The admin key doubles as the canary: it must never appear in any output Bastion produces. */
export const ADMIN_KEY: string = keys.REDMINE_TEST_ADMIN_API_KEY!;
export const USER_KEY: string = keys.REDMINE_TEST_USER_API_KEY!;

/** Calls Redmine directly (not through Bastion), to set up or verify state. */
export async function redmine<T = any>(method: string, path: string, body?: unknown, key = ADMIN_KEY): Promise<{ status: number; body: T }> {
  const response = await fetch(`${requireRedmine()}${path}`, {
    method,
    headers: { 'X-Redmine-API-Key': key, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export async function issueIdBySubject(subject: string): Promise<number> {
  const { body } = await redmine<{ issues: Array<{ id: number; subject: string }> }>(
    'GET',
    `/issues.json?status_id=*&subject=${encodeURIComponent(subject)}&limit=100`,
  );
  const found = body.issues.find((issue) => issue.subject === subject);
  if (!found) throw new Error(`seeded issue "${subject}" not found`);
  return found.id;
}
