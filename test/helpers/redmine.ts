// Facts about the local test Redmine (scripts/redmine.sh), and direct REST access to check what tools changed.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const keys = Object.fromEntries(
  readFileSync(resolve(import.meta.dirname, '../../scripts/redmine/test-keys.env'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => line.split('=') as [string, string]),
);

export const REDMINE_PORT = Number(process.env.REDMINE_PORT ?? 3100);
export const REDMINE_URL = `http://127.0.0.1:${REDMINE_PORT}`;
/** The admin key doubles as the canary: it must never appear in any output Bastion produces. */
export const ADMIN_KEY: string = keys.REDMINE_TEST_ADMIN_API_KEY!;
export const USER_KEY: string = keys.REDMINE_TEST_USER_API_KEY!;

/** Calls Redmine directly (not through Bastion), to set up or verify state. */
export async function redmine<T = any>(method: string, path: string, body?: unknown, key = ADMIN_KEY): Promise<{ status: number; body: T }> {
  const response = await fetch(`${REDMINE_URL}${path}`, {
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
