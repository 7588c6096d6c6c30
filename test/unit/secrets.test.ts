import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { clearRegisteredSecrets, redact } from '../../src/core/redact.js';
import { Secret, fingerprint, mask, readSecret, type SecretLookup } from '../../src/core/secrets.js';
import { makeTempDir, removeTempDirs } from './helpers/tmp.js';
import { configErrorOf } from './helpers/errors.js';

const VALUE = 'canary-secret-value-1234567890';

afterEach(() => clearRegisteredSecrets());
afterAll(() => removeTempDirs());

function lookup(env: Record<string, string | undefined>, extra: Partial<SecretLookup> = {}): SecretLookup {
  return { env, sourceOf: () => 'env', ...extra };
}

function secretFile(content: string, mode: number): string {
  const path = join(makeTempDir(), 'token');
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

describe('Secret', () => {
  const secret = new Secret(VALUE, 'env', 'REDMINE_API_KEY');

  it('prints as [REDACTED] however it is turned into text', () => {
    expect(String(secret)).toBe('[REDACTED]');
    expect(`${secret}`).toBe('[REDACTED]');
    expect(JSON.stringify({ key: secret })).toBe('{"key":"[REDACTED]"}');
    expect(inspect(secret)).not.toContain(VALUE);
    expect(inspect({ nested: { secret } }, { depth: 5 })).not.toContain(VALUE);
    expect(inspect(secret)).toContain('[REDACTED]');
  });

  it('gives the value only through reveal()', () => {
    expect(secret.reveal()).toBe(VALUE);
  });

  it('keeps where it came from without the value', () => {
    expect(secret.source).toBe('env');
    expect(secret.origin).toBe('REDMINE_API_KEY');
  });

  it('has a stable 8-hex fingerprint that differs between values', () => {
    expect(secret.fingerprint).toMatch(/^[0-9a-f]{8}$/);
    expect(new Secret(VALUE, 'file', '/x').fingerprint).toBe(secret.fingerprint);
    expect(fingerprint(VALUE)).toBe(secret.fingerprint);
    expect(fingerprint('canary-other-value-0987654321')).not.toBe(secret.fingerprint);
    expect(VALUE).not.toContain(secret.fingerprint);
  });

  it('registers its value for redaction', () => {
    new Secret('canary-registered-by-constructor', 'env', 'X');
    expect(redact('leaked canary-registered-by-constructor here')).toBe('leaked [REDACTED] here');
  });

  it('masks to *** plus the last four characters', () => {
    expect(secret.masked).toBe('***7890');
  });
});

describe('mask', () => {
  it.each([
    ['', '***'],
    ['abcd', '***'],
    ['12345678', '***'],
    ['123456789', '***6789'],
    ['canary-secret-value-1234567890', '***7890'],
  ])('mask(%j) is %j', (value, expected) => {
    expect(mask(value)).toBe(expected);
  });
});

describe('readSecret', () => {
  it('returns undefined when neither NAME nor NAME_FILE is set', () => {
    expect(readSecret('REDMINE_API_KEY', lookup({}))).toBeUndefined();
  });

  it('reads NAME from the settings, trimmed, with its source', () => {
    const secret = readSecret('REDMINE_API_KEY', lookup({ REDMINE_API_KEY: `  ${VALUE}\n` }, { sourceOf: () => 'dotenv' }));
    expect(secret?.reveal()).toBe(VALUE);
    expect(secret?.source).toBe('dotenv');
    expect(secret?.origin).toBe('REDMINE_API_KEY');
  });

  it('reads NAME_FILE from a mode 600 file, trimmed', () => {
    const path = secretFile(`${VALUE}\n\n`, 0o600);
    const secret = readSecret('REDMINE_API_KEY', lookup({ REDMINE_API_KEY_FILE: path }));
    expect(secret?.reveal()).toBe(VALUE);
    expect(secret?.source).toBe('env-file');
    expect(secret?.origin).toBe(`REDMINE_API_KEY_FILE=${path}`);
  });

  it('refuses NAME and NAME_FILE set together', () => {
    const path = secretFile(VALUE, 0o600);
    const error = configErrorOf(() => readSecret('REDMINE_API_KEY', lookup({ REDMINE_API_KEY: VALUE, REDMINE_API_KEY_FILE: path })));
    expect(error.message).toContain('REDMINE_API_KEY');
    expect(error.message).toContain('REDMINE_API_KEY_FILE');
    expect(error.message).not.toContain(VALUE);
  });

  it.each([0o644, 0o640, 0o604])('refuses a file with mode %s, saying how to fix it without showing the content', (mode) => {
    const path = secretFile(VALUE, mode);
    const error = configErrorOf(() => readSecret('REDMINE_API_KEY', lookup({ REDMINE_API_KEY_FILE: path })));
    expect(error.message).toContain(`chmod 600 ${path}`);
    expect(error.message).toContain(path);
    expect(error.message).not.toContain(VALUE);
  });

  it('accepts a group-readable file when allowed, with a warning naming the file', () => {
    const path = secretFile(VALUE, 0o644);
    const warnings: string[] = [];
    const secret = readSecret(
      'REDMINE_API_KEY',
      lookup({ REDMINE_API_KEY_FILE: path }, { allowInsecureFiles: true, onWarning: (message) => warnings.push(message) }),
    );
    expect(secret?.reveal()).toBe(VALUE);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(path);
    expect(warnings[0]).toContain('chmod 600');
    expect(warnings[0]).not.toContain(VALUE);
  });

  it('does not warn about a mode 600 file', () => {
    const path = secretFile(VALUE, 0o600);
    const warnings: string[] = [];
    readSecret('REDMINE_API_KEY', lookup({ REDMINE_API_KEY_FILE: path }, { allowInsecureFiles: true, onWarning: (m) => warnings.push(m) }));
    expect(warnings).toEqual([]);
  });

  it('names the path when the file does not exist', () => {
    const path = join(makeTempDir(), 'missing-token');
    const error = configErrorOf(() => readSecret('REDMINE_API_KEY', lookup({ REDMINE_API_KEY_FILE: path })));
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/does not exist/);
  });

  it('refuses an empty or whitespace-only file', () => {
    const path = secretFile(' \n\t\n', 0o600);
    const error = configErrorOf(() => readSecret('REDMINE_API_KEY', lookup({ REDMINE_API_KEY_FILE: path })));
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/empty/);
  });
});
