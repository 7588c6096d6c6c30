// Bastion against the YouTrack double: only the YouTrack connector configured, with the canary token.
import { startYouTrackDouble, YOUTRACK_TEST_TOKEN, YOUTRACK_USER_TOKEN, type YouTrackDouble } from '../doubles/youtrack.js';
import { startBastion, type Bastion, type StartOptions } from './bastion.js';

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

export async function startYouTrack(options: { prefix?: string } = {}): Promise<YouTrackDouble> {
  return startYouTrackDouble({ prefix: options.prefix, tokens: [YOUTRACK_TEST_TOKEN, YOUTRACK_USER_TOKEN] });
}

export async function startBastionOnYouTrack(double: YouTrackDouble, extra: Record<string, string> = {}, options: Omit<StartOptions, 'env'> = {}): Promise<Bastion> {
  return startBastion({ ...options, env: youtrackEnv(double, extra) });
}

/** Requests that could have changed something upstream (anything but GET and the count query). */
export function writes(double: YouTrackDouble): number {
  return double.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/issuesGetter/count')).length;
}
