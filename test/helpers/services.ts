// The local services the integration tests use (this checkout's own Redmine and Mosquitto, on ports picked when
// they were first started). The global set-up starts them and hands their settings to every test file; a service
// that did not start fails only the tests that need it, with a message that names it.
import { inject } from 'vitest';

export type ServiceName = 'redmine' | 'mosquitto';

export interface ServiceState {
  ok: boolean;
  /** KEY=value settings the service's script printed (`scripts/<name>.sh env`). */
  env: Record<string, string>;
  /** Why it did not start (the script's last lines). */
  problem?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: Partial<Record<ServiceName, ServiceState>>;
  }
}

const LABELS: Record<ServiceName, string> = {
  redmine: 'the local test Redmine (scripts/redmine.sh)',
  mosquitto: 'the local test Mosquitto (scripts/mosquitto.sh)',
};

/** Parses KEY=value lines; values are bare or single-quoted ('\'' for a quote), as the scripts print them. */
export function parseEnv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!match) continue;
    const raw = match[2]!;
    values[match[1]!] = raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2 ? raw.slice(1, -1).replaceAll("'\\''", "'") : raw;
  }
  return values;
}

function state(name: ServiceName): ServiceState | undefined {
  try {
    return inject('services')?.[name];
  } catch {
    return undefined;
  }
}

/** Why the service cannot be used, or undefined when it is up. */
export function serviceProblem(name: ServiceName): string | undefined {
  const found = state(name);
  if (found?.ok) return undefined;
  const reason = found ? `did not start:\n${found.problem ?? '(no output)'}` : 'was not started by the test set-up (run the tests with npm test or scripts/test.sh)';
  return `This test needs ${LABELS[name]}, which ${reason}\nStart it with: sudo bash scripts/${name}.sh up`;
}

/** The service's settings; throws, naming the service, when it is not up. */
export function serviceEnv(name: ServiceName): Record<string, string> {
  const problem = serviceProblem(name);
  if (problem) throw new Error(problem);
  return state(name)!.env;
}

/** The service's settings if it is up, else an empty record (for values read when a module loads). */
export function serviceEnvIfUp(name: ServiceName): Record<string, string> {
  return state(name)?.ok ? state(name)!.env : {};
}
