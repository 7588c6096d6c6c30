// Where a credential came from is what doctor shows and what the audit log records: the variable and the file,
// never the value; and each credential event carries its detail only when there is one.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/core/audit.js';
import { loadSettings } from '../../src/core/config.js';
import { credentialEvents, requireCredential, resolveCredential, type CredentialSpec } from '../../src/core/credentials.js';
import { ConfigError } from '../../src/core/errors.js';
import { clearRegisteredSecrets } from '../../src/core/redact.js';
import { Secret } from '../../src/core/secrets.js';
import { captureLogger } from './helpers/capture-logger.js';
import { makeTempDir, removeTempDirs } from './helpers/tmp.js';

const VALUE = 'canary-credential-value-1234567890';
const SPEC: CredentialSpec = { connector: 'demo', variable: 'DEMO_TOKEN', tokenFileVariable: 'DEMO_SECRET_PATH' };

afterEach(() => clearRegisteredSecrets());
afterAll(() => removeTempDirs());

function setup(env: Record<string, string>, dotenv?: string) {
  const cwd = makeTempDir();
  if (dotenv) writeFileSync(join(cwd, '.env'), dotenv);
  const { logger } = captureLogger('debug');
  const events: AuditEvent[] = [];
  const ctx = {
    settings: loadSettings({ cwd, processEnv: { HOME: cwd, ...(dotenv ? { BASTION_ENV_FILE: '.env' } : {}), ...env } }),
    audit: { record: (event: AuditEvent) => void events.push(event), healthy: true },
    logger,
    keyring: undefined,
    allowInsecureSecretFiles: false,
  };
  return { ctx, events, cwd };
}

function tokenFile(): string {
  const path = join(makeTempDir(), 'token');
  writeFileSync(path, `${VALUE}\n`);
  chmodSync(path, 0o600);
  return path;
}

describe('which file a credential came from', () => {
  it('names NAME_FILE and its path, and keeps the path for the mode check', async () => {
    const path = tokenFile();
    const secret = await resolveCredential(SPEC, setup({ DEMO_TOKEN_FILE: path }).ctx);
    expect(secret).toMatchObject({ source: 'env-file', origin: `DEMO_TOKEN_FILE=${path}`, file: path });
    expect(secret?.reveal()).toBe(VALUE);
  });

  it('names the token-file setting and its path', async () => {
    const path = tokenFile();
    const secret = await resolveCredential(SPEC, setup({ DEMO_SECRET_PATH: path }).ctx);
    expect(secret).toMatchObject({ origin: `DEMO_SECRET_PATH=${path}`, file: path });
  });

  it('has no file for a value given directly in the environment', async () => {
    const secret = await resolveCredential(SPEC, setup({ DEMO_TOKEN: VALUE }).ctx);
    expect(secret?.source).toBe('env');
    expect(secret?.file).toBeUndefined();
    expect(JSON.stringify(secret)).not.toContain(VALUE);
  });
});

describe('credential events in the audit log', () => {
  const secret = () => new Secret(VALUE, 'env', 'DEMO_TOKEN');

  it('records each event with the connector, source and fingerprint, and a detail only when given', () => {
    const events: AuditEvent[] = [];
    const record = credentialEvents({ record: (event: AuditEvent) => void events.push(event), healthy: true } as never, 'demo', secret());
    record.accessed();
    record.validated('ok');
    record.validated('error', 'the server answered 401');
    record.initialized();
    record.authenticationFailed('token revoked');
    record.authenticationFailed();
    const base = { type: 'credential', connector: 'demo', source: 'env', credential: secret().fingerprint };
    expect(events).toEqual([
      { ...base, event: 'token_access', outcome: 'ok' },
      { ...base, event: 'token_validation', outcome: 'ok' },
      { ...base, event: 'token_validation', outcome: 'error', detail: 'the server answered 401' },
      { ...base, event: 'client_initialization', outcome: 'ok' },
      { ...base, event: 'authentication_failure', outcome: 'error', detail: 'token revoked' },
      { ...base, event: 'authentication_failure', outcome: 'error' },
    ]);
    expect(JSON.stringify(events)).not.toContain(VALUE);
  });
});

describe('requireCredential', () => {
  it('says what to set when no source has the credential', async () => {
    const error = await requireCredential(SPEC, setup({}).ctx, 'Set DEMO_TOKEN (or DEMO_TOKEN_FILE).').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe('Set DEMO_TOKEN (or DEMO_TOKEN_FILE).');
  });

  it('returns the credential and records that the client is being built', async () => {
    const { ctx, events } = setup({ DEMO_TOKEN: VALUE });
    const { secret } = await requireCredential(SPEC, ctx, 'unused');
    expect(secret.reveal()).toBe(VALUE);
    expect(events.map((event) => (event as { event?: string }).event)).toContain('client_initialization');
  });
});

describe('which settings file a credential written in one came from', () => {
  it('names the .env file for a value written in .env', async () => {
    const { ctx, cwd } = setup({}, `DEMO_TOKEN=${VALUE}\n`);
    const secret = await resolveCredential(SPEC, ctx);
    expect(secret).toMatchObject({ source: 'dotenv', file: join(cwd, '.env') });
  });

  it('names the config file for a value written in the config file', async () => {
    const cwd = makeTempDir();
    writeFileSync(join(cwd, 'config.json'), JSON.stringify({ DEMO_TOKEN: VALUE }));
    const ctx = { ...setup({}).ctx, settings: loadSettings({ cwd, processEnv: { HOME: cwd, BASTION_CONFIG: 'config.json' } }) };
    const secret = await resolveCredential(SPEC, ctx);
    expect(secret).toMatchObject({ source: 'config', file: join(cwd, 'config.json') });
  });

  it('names no file for a value from the environment, even when .env and a config file were read', async () => {
    const cwd = makeTempDir();
    writeFileSync(join(cwd, 'config.json'), JSON.stringify({ DEMO_KEYRING_USERNAME: 'jane' }));
    writeFileSync(join(cwd, '.env'), 'OTHER=1\n');
    const settings = loadSettings({ cwd, processEnv: { HOME: cwd, BASTION_CONFIG: 'config.json', BASTION_ENV_FILE: '.env', DEMO_TOKEN: VALUE } });
    expect(settings.files).toMatchObject({ dotenv: join(cwd, '.env'), config: join(cwd, 'config.json') });
    const secret = await resolveCredential(SPEC, { ...setup({}).ctx, settings });
    expect(secret).toMatchObject({ source: 'env' });
    expect(secret?.file).toBeUndefined();
  });
});
