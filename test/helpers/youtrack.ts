// Bastion against the YouTrack double: only the YouTrack connector configured, with the canary token.
import { startYouTrackDouble, YOUTRACK_TEST_TOKEN, YOUTRACK_USER_TOKEN, type YouTrackDouble } from '../doubles/youtrack.js';
import { afterAll, expect } from 'vitest';
import { call, startBastion, useBastionOnDouble, type Bastion, type StartOptions } from './bastion.js';
import { contractViolations } from './youtrack-contract.js';

export { YOUTRACK_TEST_TOKEN, YOUTRACK_USER_TOKEN };

export function youtrackEnv(double: YouTrackDouble, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    YOUTRACK_URL: double.url,
    YOUTRACK_API_TOKEN: YOUTRACK_TEST_TOKEN,
    BASTION_LOG_LEVEL: 'debug',
    BASTION_KEYRING: 'false',
    ...extra,
  };
}

/** Every double a test file started here; its requests are checked against YouTrack's OpenAPI description at the end. */
const started: YouTrackDouble[] = [];

export async function startYouTrack(options: { prefix?: string } = {}): Promise<YouTrackDouble> {
  const double = await startYouTrackDouble({ prefix: options.prefix, tokens: [YOUTRACK_TEST_TOKEN, YOUTRACK_USER_TOKEN] });
  started.push(double);
  return double;
}

// Registered once per test file that imports this helper: whatever its tests made Bastion send must be declared in
// YouTrack 2026.1's OpenAPI description (a real server ignores the rest and answers 200 anyway). Only inside a
// test run: the benchmarks import this helper too.
if (process.env.VITEST) {
  afterAll(() => {
    expect(contractViolations(started.flatMap((double) => double.requests))).toEqual([]);
  });
}

export async function startBastionOnYouTrack(double: YouTrackDouble, extra: Record<string, string> = {}, options: Omit<StartOptions, 'env'> = {}): Promise<Bastion> {
  return startBastion({ ...options, env: youtrackEnv(double, extra) });
}

/** Requests that could have changed something upstream (anything but GET and the count query). */
export function writes(double: YouTrackDouble): number {
  return double.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/issuesGetter/count')).length;
}

/** For a whole test file: the YouTrack double and a Bastion on it (see useBastionOnDouble). */
export function useYouTrackBastion(started: (running: { double: YouTrackDouble; bastion: Bastion }) => void, prepare?: (double: YouTrackDouble) => void): void {
  useBastionOnDouble(() => startYouTrack(), (double) => startBastionOnYouTrack(double), started, prepare);
}

/** A malformed issue key is refused naming `issue_id` before any request; a well-formed unknown one gets YouTrack's 404. */
export async function expectKeyChecks(bastion: Bastion, double: YouTrackDouble, tool: string, malformedKey: string, extra: Record<string, unknown> = {}): Promise<void> {
  const before = double.requests.length;
  const bad = await call(bastion, tool, { ...extra, issue_id: malformedKey });
  expect(bad.isError).toBe(true);
  expect(bad.text).toContain('issue_id');
  expect(double.requests.length).toBe(before);
  const missing = await call(bastion, tool, { ...extra, issue_id: 'DEMO-999' });
  expect(missing.isError).toBe(true);
  expect(missing.text).toContain('404');
}
