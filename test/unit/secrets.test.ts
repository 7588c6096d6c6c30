import { inspect } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { clearRegisteredSecrets, redact } from '../../src/core/redact.js';
import { Secret, fingerprint, mask, readSecretFile } from '../../src/core/secrets.js';

import { makeTempDir, removeTempDirs } from './helpers/tmp.js';

const VALUE = 'canary-secret-value-1234567890';

afterEach(() => clearRegisteredSecrets());
afterAll(() => removeTempDirs());

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

describe('readSecretFile', () => {
  it.each([
    ['a missing path', '/run/secrets/redmine-key-missing'],
    ['a relative name', 'redmine-missing.key'],
    ['the secret itself', VALUE],
    ['the secret pasted after a slash', `/${VALUE}`],
    ['a secret with a slash in it', 'AbC/dEf+gHiJkLmN0123456789='],
  ])('never echoes a value that names no readable file (%s), naming the variable instead', (_case, value) => {
    let error: ConfigError | undefined;
    try {
      readSecretFile(value, { variable: 'REDMINE_API_KEY_FILE' });
    } catch (thrown) {
      error = thrown as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.message).toBe(
      'REDMINE_API_KEY_FILE does not name a readable file (ENOENT); it must hold the path of a file containing the secret, not the secret itself.',
    );
    expect(`${error!.message} ${error!.fix}`).not.toContain(value);
    expect(`${error!.message} ${error!.fix}`).not.toContain(value.slice(-4));
  });

  it('says the same of a directory, without its path', () => {
    const dir = makeTempDir();
    const message = (() => {
      try {
        readSecretFile(dir, { variable: 'MQTT_PASSWORD_FILE' });
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toContain('MQTT_PASSWORD_FILE does not name a readable file (EISDIR)');
    expect(message).not.toContain(dir);
  });
});
