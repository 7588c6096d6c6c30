// Bastion against the ETIM double: only the ETIM connector configured, with the canary client secret.
import { ETIM_TEST_CLIENT_ID, ETIM_TEST_CLIENT_SECRET, startEtimDouble, type EtimDouble, type EtimDoubleOptions } from '../doubles/etim.js';
import { afterAll, expect, it } from 'vitest';
import { call, startBastion, useBastionOnDouble, type Bastion, type StartOptions } from './bastion.js';
import { contractViolations } from './etim-contract.js';

export { secretForms } from './canary.js';

export { ETIM_TEST_CLIENT_ID, ETIM_TEST_CLIENT_SECRET };

export function etimEnv(double: EtimDouble, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    ETIM_CLIENT_ID: ETIM_TEST_CLIENT_ID,
    ETIM_CLIENT_SECRET: ETIM_TEST_CLIENT_SECRET,
    ETIM_AUTH_URL: double.authUrl,
    ETIM_API_URL: double.apiUrl,
    BASTION_KEYRING: 'false',
    BASTION_LOG_LEVEL: 'debug',
    ...extra,
  };
}

const started: EtimDouble[] = [];

export async function startEtim(options: EtimDoubleOptions = {}): Promise<EtimDouble> {
  const double = await startEtimDouble(options);
  started.push(double);
  return double;
}

// Registered once per test file that imports this helper: whatever its tests made Bastion send must be declared in
// ETIM's API v2 contract, and the double may answer only with statuses the API documents. Only inside a test run.
if (process.env.VITEST) {
  afterAll(() => {
    expect(contractViolations(started.flatMap((double) => double.apiRequests))).toEqual([]);
  });
}

export async function startBastionOnEtim(double: EtimDouble, extra: Record<string, string> = {}, options: Omit<StartOptions, 'env'> = {}): Promise<Bastion> {
  return startBastion({ ...options, env: etimEnv(double, extra) });
}

/** API requests to one endpoint below /api/v2 (e.g. "/Class/Search"), in arrival order. */
export function apiCalls(double: EtimDouble, endpoint: string): EtimDouble['apiRequests'] {
  return double.apiRequests.filter((request) => request.path.toLowerCase() === `/api/v2${endpoint}`.toLowerCase());
}

/** The body of the latest request to an endpoint. */
export function lastBody(double: EtimDouble, endpoint: string): Record<string, unknown> {
  const last = apiCalls(double, endpoint).at(-1);
  if (!last) throw new Error(`no request to ${endpoint} yet`);
  return last.body as Record<string, unknown>;
}

/** Every access token the double saw presented (the issued ones Bastion used). */
export function presentedTokens(double: EtimDouble): string[] {
  return [...new Set(double.apiRequests.map((request) => request.token).filter((token): token is string => Boolean(token)))];
}

/** For a whole test file: an ETIM double and a Bastion on it (see useBastionOnDouble). */
export function useEtimBastion(started: (running: { double: EtimDouble; bastion: Bastion }) => void): void {
  useBastionOnDouble(() => startEtim(), (double) => startBastionOnEtim(double), started);
}

/** [tool, what is wrong, arguments, the field the error must name] */
export type RefusedCase = [string, string, Record<string, unknown>, string];

/**
 * One test per case: the tool refuses the arguments, naming the field, before any token or API request. Run these
 * first in a file, on a Bastion that has not fetched a token yet, so that a refused call fetching one would show.
 */
export function itRefusesBeforeAnyRequest(cases: RefusedCase[], running: () => { double: EtimDouble; bastion: Bastion }): void {
  it.each(cases)('%s refuses %s, naming the field, with no token or API request', async (tool, _what, args, field) => {
    const { double, bastion } = running();
    const result = await call(bastion, tool, args);
    expect(result.isError).toBe(true);
    expect(result.text).toContain(field);
    expect(double.apiRequests).toHaveLength(0);
    expect(double.tokenRequests).toHaveLength(0);
  });
}
