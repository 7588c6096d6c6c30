// Before the integration, e2e and security tests: the CLI must be built (tests spawn it as a user would), and this
// checkout's own Redmine and Mosquitto are started (scripts/redmine.sh, scripts/mosquitto.sh; ports picked on the
// first start). A service that cannot start does not stop the run: the tests that need it fail, naming it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { parseEnv, type ServiceName, type ServiceState } from './services.js';

const root = resolve(import.meta.dirname, '../..');

function run(script: string, command: string) {
  return spawnSync('bash', [resolve(root, 'scripts', script), command], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 });
}

function start(name: ServiceName): ServiceState {
  const script = `${name}.sh`;
  const up = run(script, 'up');
  if (up.status !== 0) {
    const reason = up.error?.message ?? `exit ${up.status ?? up.signal}`;
    const problem = `scripts/${script} up failed (${reason}):\n${up.stderr.trim().split('\n').slice(-15).join('\n')}`;
    console.warn(`\n${problem}\nThe tests that need the local ${name} will fail; the others run.\n`);
    return { ok: false, env: {}, problem };
  }
  const env = run(script, 'env');
  return { ok: env.status === 0, env: parseEnv(env.stdout), ...(env.status === 0 ? {} : { problem: `scripts/${script} env failed: ${env.stderr.trim()}` }) };
}

export default function setup(project: TestProject): void {
  if (!existsSync(resolve(root, 'dist/cli.js'))) {
    throw new Error('dist/cli.js is missing: run "npm run build" first (npm test does it for you).');
  }
  project.provide('services', { redmine: start('redmine'), mosquitto: start('mosquitto') });
}
