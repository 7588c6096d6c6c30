// The credential chain: keyring, token file, environment (NAME / NAME_FILE), .env, config file; first found wins.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/core/audit.js';
import { loadSettings } from '../../src/core/config.js';
import { resolveCredential, type CredentialSpec } from '../../src/core/credentials.js';
import { KeyringUnavailableError, type KeyringStore } from '../../src/core/keyring.js';
import { clearRegisteredSecrets, redact } from '../../src/core/redact.js';
import { captureLogger } from './helpers/capture-logger.js';
import { makeTempDir, removeTempDirs } from './helpers/tmp.js';

const VALUE = 'canary-credential-value-1234567890';
const SPEC: CredentialSpec = { connector: 'demo', variable: 'DEMO_TOKEN', tokenFileVariable: 'DEMO_SECRET_PATH', keyringUsernameVariable: 'DEMO_KEYRING_USERNAME' };

afterEach(() => clearRegisteredSecrets());
afterAll(() => removeTempDirs());

/** A keyring kept in memory: the KeyringStore contract without an OS service (the real one is tested in integration). */
function memoryKeyring(entries: Record<string, string> = {}): KeyringStore {
  const store = new Map(Object.entries(entries));
  return {
    get: async (account) => store.get(account),
    set: async (account, value) => void store.set(account, value),
    delete: async (account) => store.delete(account),
    list: async () => [...store.keys()],
    describe: async () => ({ available: true, detail: 'memory' }),
  };
}

const brokenKeyring: KeyringStore = {
  get: async () => {
    throw new KeyringUnavailableError('no D-Bus session');
  },
  set: async () => undefined,
  delete: async () => false,
  list: async () => [],
  describe: async () => ({ available: false, detail: 'none' }),
};

function secretFile(content: string, mode: number): string {
  const path = join(makeTempDir(), 'token');
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

interface Setup {
  env?: Record<string, string>;
  dotenv?: string;
  config?: Record<string, string>;
  keyring?: KeyringStore;
  allowInsecureFiles?: boolean;
}

function context(setup: Setup) {
  const cwd = makeTempDir();
  const processEnv: Record<string, string> = { HOME: cwd, ...setup.env };
  if (setup.dotenv) {
    writeFileSync(join(cwd, '.env'), setup.dotenv);
    processEnv.BASTION_ENV_FILE = '.env';
  }
  if (setup.config) {
    writeFileSync(join(cwd, 'config.json'), JSON.stringify(setup.config));
    processEnv.BASTION_CONFIG = 'config.json';
  }
  const events: AuditEvent[] = [];
  const { logger, lines } = captureLogger('debug');
  return {
    ctx: {
      settings: loadSettings({ cwd, processEnv }),
      audit: { record: (event: AuditEvent) => void events.push(event), healthy: true },
      logger,
      keyring: setup.keyring,
      allowInsecureSecretFiles: setup.allowInsecureFiles ?? false,
    },
    events,
    lines,
  };
}

describe('resolveCredential: order of sources', () => {
  it('returns undefined when no source has the credential', async () => {
    const { ctx } = context({ keyring: memoryKeyring() });
    expect(await resolveCredential(SPEC, ctx)).toBeUndefined();
  });

  it('prefers the keyring (account <connector>:<username>) over everything else', async () => {
    const file = secretFile('from-file-value', 0o600);
    const { ctx } = context({
      keyring: memoryKeyring({ 'demo:jane': VALUE }),
      env: { DEMO_KEYRING_USERNAME: 'jane', DEMO_SECRET_PATH: file, DEMO_TOKEN: 'from-env-value' },
    });
    const secret = await resolveCredential(SPEC, ctx);
    expect(secret?.reveal()).toBe(VALUE);
    expect(secret?.source).toBe('keyring');
    expect(secret?.origin).toBe('keyring bastion/demo:jane');
  });

  it('uses the account <connector>:default without a username', async () => {
    const { ctx } = context({ keyring: memoryKeyring({ 'demo:default': VALUE }) });
    expect((await resolveCredential(SPEC, ctx))?.source).toBe('keyring');
  });

  it('falls through when the keyring is unavailable, never failing', async () => {
    const { ctx, lines } = context({ keyring: brokenKeyring, env: { DEMO_TOKEN: VALUE } });
    const secret = await resolveCredential(SPEC, ctx);
    expect(secret?.source).toBe('env');
    expect(lines().join('\n')).toContain('keyring not used');
  });

  it('takes the token file before the environment', async () => {
    const file = secretFile(`${VALUE}\n`, 0o600);
    const { ctx } = context({ env: { DEMO_SECRET_PATH: file, DEMO_TOKEN: 'from-env-value' } });
    const secret = await resolveCredential(SPEC, ctx);
    expect(secret?.reveal()).toBe(VALUE);
    expect(secret?.source).toBe('file');
    expect(secret?.origin).toBe(`DEMO_SECRET_PATH=${file}`);
  });

  it('takes the process environment (NAME or NAME_FILE) before .env and the config file', async () => {
    const file = secretFile(VALUE, 0o600);
    const { ctx } = context({ env: { DEMO_TOKEN_FILE: file }, dotenv: 'DEMO_TOKEN=from-dotenv-value\n', config: { DEMO_TOKEN: 'from-config-value' } });
    const secret = await resolveCredential(SPEC, ctx);
    expect(secret?.reveal()).toBe(VALUE);
    expect(secret?.source).toBe('env-file');
  });

  it('takes .env before the config file, and the config file last', async () => {
    const both = context({ dotenv: `DEMO_TOKEN=${VALUE}\n`, config: { DEMO_TOKEN: 'from-config-value' } });
    expect((await resolveCredential(SPEC, both.ctx))?.source).toBe('dotenv');
    const configOnly = context({ config: { DEMO_TOKEN: VALUE } });
    expect((await resolveCredential(SPEC, configOnly.ctx))?.source).toBe('config');
  });

  it('trims values and refuses a blank one', async () => {
    const { ctx } = context({ env: { DEMO_TOKEN: `  ${VALUE}\n` } });
    expect((await resolveCredential(SPEC, ctx))?.reveal()).toBe(VALUE);
    const blank = context({ env: { DEMO_TOKEN: '   ' } });
    await expect(resolveCredential(SPEC, blank.ctx)).rejects.toThrow('DEMO_TOKEN is set but blank');
  });

  it('refuses NAME and NAME_FILE set in the same source', async () => {
    const file = secretFile(VALUE, 0o600);
    const { ctx } = context({ env: { DEMO_TOKEN: VALUE, DEMO_TOKEN_FILE: file } });
    const error = await resolveCredential(SPEC, ctx).catch((e: Error) => e);
    expect(String(error)).toContain('Both DEMO_TOKEN and DEMO_TOKEN_FILE are set');
    expect(String(error)).not.toContain(VALUE);
  });
});

describe('resolveCredential: files', () => {
  it.each([0o644, 0o640, 0o604])('refuses a file with mode %s, with the chmod fix and without the content', async (mode) => {
    const file = secretFile(VALUE, mode);
    const { ctx } = context({ env: { DEMO_TOKEN_FILE: file } });
    const thrown = await resolveCredential(SPEC, ctx).catch((e: Error) => e);
    expect(String(thrown)).toContain(`chmod 600 ${file}`);
    expect(String(thrown)).not.toContain(VALUE);
  });

  it('accepts a readable file when explicitly allowed, with a warning naming it', async () => {
    const file = secretFile(VALUE, 0o644);
    const { ctx, lines } = context({ env: { DEMO_TOKEN_FILE: file }, allowInsecureFiles: true });
    expect((await resolveCredential(SPEC, ctx))?.reveal()).toBe(VALUE);
    const log = lines().join('\n');
    expect(log).toContain(file);
    expect(log).toContain('chmod 600');
    expect(log).not.toContain(VALUE);
  });

  it('names the variable, never its value, when it names no readable file; names an empty file by path', async () => {
    const missing = join(makeTempDir(), 'missing-token');
    const gone = await resolveCredential(SPEC, context({ env: { DEMO_TOKEN_FILE: missing } }).ctx).catch((e: Error) => e);
    expect(String(gone)).toContain('DEMO_TOKEN_FILE does not name a readable file (ENOENT); it must hold the path of a file containing the secret');
    expect(String(gone)).not.toContain(missing);
    // A secret pasted into the variable by mistake is scrubbed from any later output too.
    const pasted = `/${VALUE}`;
    const wrong = await resolveCredential(SPEC, context({ env: { DEMO_TOKEN_FILE: pasted } }).ctx).catch((e: Error) => e);
    expect(String(wrong)).not.toContain(VALUE);
    expect(redact(`value: ${pasted}`)).not.toContain(VALUE);
    const empty = secretFile(' \n\t\n', 0o600);
    const blank = await resolveCredential(SPEC, context({ env: { DEMO_TOKEN_FILE: empty } }).ctx).catch((e: Error) => e);
    expect(String(blank)).toContain(empty);
    expect(String(blank)).toMatch(/empty/);
  });
});

describe('resolveCredential: validation and audit events', () => {
  const validating: CredentialSpec = { ...SPEC, validate: (value) => (value.startsWith('canary-') ? undefined : 'must start with canary-') };

  it('records token_access and token_validation with the source and fingerprint, never the value', async () => {
    const { ctx, events } = context({ env: { DEMO_TOKEN: VALUE } });
    const secret = await resolveCredential(validating, ctx);
    expect(events).toEqual([
      { type: 'credential', event: 'token_access', connector: 'demo', source: 'env', credential: secret!.fingerprint, outcome: 'ok' },
      { type: 'credential', event: 'token_validation', connector: 'demo', source: 'env', credential: secret!.fingerprint, outcome: 'ok' },
    ]);
    expect(JSON.stringify(events)).not.toContain(VALUE);
  });

  it('refuses an invalid value with a masked message and records the failed validation', async () => {
    const bad = 'wrong-format-value-abcd';
    const { ctx, events } = context({ env: { DEMO_TOKEN: bad } });
    const error = await resolveCredential(validating, ctx).catch((e: Error) => e);
    expect(String(error)).toContain('DEMO_TOKEN from DEMO_TOKEN (***abcd) is invalid: must start with canary-');
    expect(String(error)).not.toContain(bad);
    expect(events.at(-1)).toMatchObject({ event: 'token_validation', outcome: 'error' });
  });
});

describe('resolveCredential: keyring values and failures', () => {
  it('trims a keyring value stored with a line break', async () => {
    const { ctx } = context({ keyring: memoryKeyring({ 'demo:default': `  ${VALUE}\n` }) });
    expect((await resolveCredential(SPEC, ctx))?.reveal()).toBe(VALUE);
  });

  it('names the keyring account it could not use in the debug log', async () => {
    const { ctx, lines } = context({ keyring: brokenKeyring, env: { DEMO_TOKEN: VALUE } });
    await resolveCredential(SPEC, ctx);
    const line = lines().find((text) => text.includes('keyring not used'));
    expect(JSON.parse(line!)).toMatchObject({ account: 'demo:default' });
  });

  it('stops on a keyring error other than an unavailable keyring, rather than quietly using another source', async () => {
    const failing: KeyringStore = { ...memoryKeyring(), get: async () => Promise.reject(new Error('keyring answered garbage')) };
    const { ctx } = context({ keyring: failing, env: { DEMO_TOKEN: VALUE } });
    await expect(resolveCredential(SPEC, ctx)).rejects.toThrow('keyring answered garbage');
  });
});

describe('resolveCredential: what a refused file leaves behind', () => {
  it('warns about a readable file only when its mode is open to others, not for a private one', async () => {
    const file = secretFile(VALUE, 0o600);
    const { ctx, lines } = context({ env: { DEMO_TOKEN_FILE: file }, allowInsecureFiles: true });
    expect((await resolveCredential(SPEC, ctx))?.reveal()).toBe(VALUE);
    expect(lines().join('\n')).not.toContain('chmod 600');
  });

  it('keeps the path of a real file refused for its mode visible in later output: a path is not a secret', async () => {
    const file = secretFile(VALUE, 0o644);
    await resolveCredential(SPEC, context({ env: { DEMO_TOKEN_FILE: file } }).ctx).catch(() => undefined);
    expect(redact(`fix: chmod 600 ${file}`)).toBe(`fix: chmod 600 ${file}`);
  });

  it('scrubs a secret pasted into NAME_FILE with surrounding blanks from later output', async () => {
    const pasted = `/${VALUE}`;
    await resolveCredential(SPEC, context({ env: { DEMO_TOKEN_FILE: `  ${pasted}\n` } }).ctx).catch(() => undefined);
    expect(redact(`value: ${pasted}`)).not.toContain(VALUE);
  });
});
