// The vault keeps people's own upstream keys sealed at rest: round trip, tampering, records moved to another person,
// the key file's mode and length, and the raw file holding nothing readable.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { Secret } from '../../src/core/secrets.js';
import type { AuditEvent } from '../../src/core/audit.js';
import { IdentityRequiredError } from '../../src/core/upstream-identity.js';
import { FileVaultBackend, openVault, readVaultKey, retireRefusedCredential, Vault, VaultIntegrityError } from '../../src/core/vault.js';

const KEY_CANARY = 'vault-canary-key-3f9a1c7e5b2d4f60a8c1';

function keyFile(dir: string, content = randomBytes(32).toString('hex'), mode = 0o600): string {
  const file = join(dir, 'vault.key');
  writeFileSync(file, `${content}\n`, { mode });
  chmodSync(file, mode);
  return file;
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-vault-'));
  const keyText = randomBytes(32).toString('hex');
  const file = join(dir, 'state', 'vault.json');
  return { dir, keyText, file, keyFile: keyFile(dir, keyText) };
}

const credential = (key = KEY_CANARY, login = 'alice.upstream') => ({ secret: new Secret(key, 'vault', 'test'), login, linkedAt: '2026-12-07T10:00:00.000Z' });

describe('vault', () => {
  it('gives back what was linked, for that connector and caller only, and forgets it when unlinked', async () => {
    const { keyFile: key, file } = setup();
    const vault = await openVault({ keyFile: key, file });
    await vault.link('redmine', 'alice', credential());
    const got = await vault.get('redmine', 'alice');
    expect(got?.secret.reveal()).toBe(KEY_CANARY);
    expect(got?.login).toBe('alice.upstream');
    expect(got?.linkedAt).toBe('2026-12-07T10:00:00.000Z');
    // The Secret prints as redacted like every other credential.
    expect(JSON.stringify(got)).not.toContain(KEY_CANARY);
    expect(await vault.get('redmine', 'bob')).toBeUndefined();
    expect(await vault.get('youtrack', 'alice')).toBeUndefined();
    // Another process opening the same file with the same key sees the same link.
    const other = await openVault({ keyFile: key, file });
    expect((await other.get('redmine', 'alice'))?.secret.reveal()).toBe(KEY_CANARY);
    expect(await other.list()).toEqual([{ connector: 'redmine', caller: 'alice', login: 'alice.upstream', linkedAt: '2026-12-07T10:00:00.000Z' }]);
    expect(await vault.unlink('redmine', 'alice')).toBe(true);
    expect(await vault.unlink('redmine', 'alice')).toBe(false);
    expect(await other.get('redmine', 'alice')).toBeUndefined();
  });

  it('writes the vault file with mode 600 and nothing readable in it: no key, caller, login or vault key', async () => {
    const { keyFile: key, file, keyText } = setup();
    const vault = await openVault({ keyFile: key, file });
    await vault.link('redmine', 'alice@example.com', credential(KEY_CANARY, 'alice-login-canary'));
    await vault.link('youtrack', 'alice@example.com', credential(`perm:${KEY_CANARY}`, 'alice-login-canary'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const raw = readFileSync(file, 'utf8');
    for (const needle of [KEY_CANARY, 'alice@example.com', 'alice', 'alice-login-canary', keyText, Buffer.from(KEY_CANARY).toString('base64').slice(0, 16)]) {
      expect(raw, needle).not.toContain(needle);
    }
  });

  it('refuses a record that was altered', async () => {
    const { keyFile: key, file } = setup();
    const vault = await openVault({ keyFile: key, file });
    await vault.link('redmine', 'alice', credential());
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { records: Record<string, string> };
    const [slot, record] = Object.entries(stored.records)[0]!;
    // One bit of the sealed body flipped.
    const body = Buffer.from(record.split('.')[2]!, 'base64url');
    body[3]! ^= 0x01;
    stored.records[slot] = `${record.split('.').slice(0, 2).join('.')}.${body.toString('base64url')}`;
    writeFileSync(file, JSON.stringify(stored));
    await expect(vault.get('redmine', 'alice')).rejects.toThrow(VaultIntegrityError);
    await expect(vault.get('redmine', 'alice')).rejects.toThrow(/altered, copied from another person's slot.*alice must link the account again/);
    expect((await vault.inventory()).unreadable).toBe(1);
    expect(await vault.list()).toEqual([]);
  });

  it("refuses a record copied into another person's slot", async () => {
    const { keyFile: key, file } = setup();
    const vault = await openVault({ keyFile: key, file });
    await vault.link('redmine', 'alice', credential(KEY_CANARY, 'alice'));
    await vault.link('redmine', 'mallory', credential('mallory-own-key-0000000000', 'mallory'));
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { records: Record<string, string> };
    const entries = Object.entries(stored.records);
    const alice = entries.find(([, record]) => record === entries[0]![1])!;
    const mallorySlot = entries.find(([slot]) => slot !== alice[0])![0];
    // Which record is whose is unknown from the file: copy each over the other and check both directions.
    stored.records[mallorySlot] = stored.records[alice[0]]!;
    writeFileSync(file, JSON.stringify(stored));
    const results = await Promise.allSettled([vault.get('redmine', 'alice'), vault.get('redmine', 'mallory')]);
    const refused = results.filter((result) => result.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(VaultIntegrityError);
    // The copy never yields Alice's key to Mallory.
    const mallory = await vault.get('redmine', 'mallory').catch(() => undefined);
    expect(mallory?.secret.reveal() ?? 'refused').not.toBe(KEY_CANARY);
  });

  it('refuses records sealed under another vault key', async () => {
    const { keyFile: key, file, dir } = setup();
    await (await openVault({ keyFile: key, file })).link('redmine', 'alice', credential());
    const otherKey = join(dir, 'other.key');
    writeFileSync(otherKey, randomBytes(32).toString('base64'), { mode: 0o600 });
    const vault = await openVault({ keyFile: otherKey, file });
    await expect(vault.get('redmine', 'alice')).resolves.toBeUndefined();
    expect((await vault.inventory()).unreadable).toBe(1);
  });

  it('refuses a key file readable by group or others, naming the fix', () => {
    const { dir } = setup();
    const file = keyFile(dir, randomBytes(32).toString('hex'), 0o644);
    expect(() => readVaultKey(file)).toThrow(ConfigError);
    expect(() => readVaultKey(file)).toThrow(`chmod 600 ${file}`);
  });

  it('refuses a key of the wrong length or format, without echoing it', () => {
    const { dir } = setup();
    for (const content of ['abcd1234', randomBytes(16).toString('hex'), randomBytes(48).toString('base64'), 'not a key at all!']) {
      const file = keyFile(dir, content);
      let message = '';
      try {
        readVaultKey(file);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        message = `${(error as ConfigError).message} ${(error as ConfigError).fix}`;
      }
      expect(message).toContain('BASTION_VAULT_KEY_FILE');
      expect(message).toContain('openssl rand -hex 32');
      expect(message).not.toContain(content);
    }
  });

  it('accepts the key as 64 hex digits or as base64 of 32 bytes, to the same effect', async () => {
    const { dir, file } = setup();
    const raw = randomBytes(32);
    const hex = join(dir, 'hex.key');
    const b64 = join(dir, 'b64.key');
    writeFileSync(hex, raw.toString('hex'), { mode: 0o600 });
    writeFileSync(b64, raw.toString('base64'), { mode: 0o600 });
    await new Vault(readVaultKey(hex), new FileVaultBackend(file)).link('redmine', 'alice', credential());
    expect((await new Vault(readVaultKey(b64), new FileVaultBackend(file)).get('redmine', 'alice'))?.secret.reveal()).toBe(KEY_CANARY);
  });
});

describe('a linked key refused upstream', () => {
  it('is removed, audited without the key, and the person is asked to connect again', async () => {
    const { keyFile: key, file } = setup();
    const vault = await openVault({ keyFile: key, file });
    await vault.link('redmine', 'alice', credential());
    const linked = (await vault.get('redmine', 'alice'))!;
    const records: AuditEvent[] = [];
    const error = await retireRefusedCredential(vault, { record: (event) => records.push(event), healthy: true }, { connector: 'redmine', caller: 'alice', login: linked.login, secret: linked.secret });
    expect(error).toBeInstanceOf(IdentityRequiredError);
    expect(error).toMatchObject({ connector: 'redmine', caller: 'alice' });
    expect(error.message).toContain('Redmine no longer accepts the API key that caller "alice" connected (Redmine user alice.upstream)');
    expect(error.message).toContain('did not run the call as anyone else. Connect your Redmine account again');
    expect(await vault.get('redmine', 'alice')).toBeUndefined();
    expect(records).toEqual([
      expect.objectContaining({ type: 'credential', event: 'identity_key_refused', connector: 'redmine', caller: 'alice', upstream_login: 'alice.upstream', outcome: 'denied', credential: linked.secret.fingerprint }),
    ]);
    expect(JSON.stringify(records)).not.toContain(KEY_CANARY);
  });

  it('leaves a key the person linked again meanwhile', async () => {
    const { keyFile: key, file } = setup();
    const vault = await openVault({ keyFile: key, file });
    await vault.link('redmine', 'alice', credential());
    const old = (await vault.get('redmine', 'alice'))!;
    await vault.link('redmine', 'alice', credential('a-newer-key-linked-since-000000'));
    await retireRefusedCredential(vault, { record: () => undefined, healthy: true }, { connector: 'redmine', caller: 'alice', login: old.login, secret: old.secret });
    expect((await vault.get('redmine', 'alice'))?.secret.reveal()).toBe('a-newer-key-linked-since-000000');
  });
});
