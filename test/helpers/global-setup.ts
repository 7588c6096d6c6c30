// Before any test: the CLI must be built (tests spawn it as a user would), and the local Redmine and Mosquitto must be up.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export default function setup(): void {
  const root = resolve(import.meta.dirname, '../..');
  if (!existsSync(resolve(root, 'dist/cli.js'))) {
    throw new Error('dist/cli.js is missing: run "npm run build" first (npm test does it for you).');
  }
  for (const script of ['redmine.sh', 'mosquitto.sh']) {
    const up = spawnSync('bash', [resolve(root, 'scripts', script), 'up'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 900_000 });
    if (up.status !== 0) throw new Error(`scripts/${script} up failed: the integration tests need the local Redmine and Mosquitto.`);
  }
}
