// Per-user mode's resolver: who a call runs as upstream, from the verified caller, with no fallback to the shared
// credential; and the settings that turn it on.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/core/audit.js';
import { ConfigError } from '../../src/core/errors.js';
import { Secret } from '../../src/core/secrets.js';
import {
  checkImpersonationSource,
  IdentityRefusedError,
  IdentityRequiredError,
  identityFromSettings,
  readIdentityMap,
  UpstreamIdentityResolver,
  loginFinder,
  type LinkedCredential,
  type LinkedCredentialStore,
  type PerUserSupport,
} from '../../src/core/upstream-identity.js';
import { makeTempDir, removeTempDirs } from './helpers/tmp.js';

afterAll(() => removeTempDirs());

const signal = new AbortController().signal;

function auditLog(): { events: AuditEvent[]; sink: { record: (event: AuditEvent) => void; healthy: boolean } } {
  const events: AuditEvent[] = [];
  return { events, sink: { record: (event) => void events.push(event), healthy: true } };
}

/** A Redmine-like connector whose upstream knows some active logins (spelt as upstream spells them). */
function impersonating(active: Record<string, string>): PerUserSupport & { checks: string[] } {
  const checks: string[] = [];
  return {
    checks,
    service: 'Redmine',
    clientFor: (identity) => identity,
    impersonate: async (login, refuse) => {
      checks.push(login);
      const found = active[login.toLowerCase()];
      if (!found) throw refuse('Redmine has no active user with that login');
      return found;
    },
  };
}

const base = { BASTION_IDENTITY: 'per-user' as const, BASTION_TRANSPORT: 'http' as const, BASTION_ALLOW_INSECURE_SECRET_FILES: false };

describe('UpstreamIdentityResolver', () => {
  it('keeps the shared credential in shared mode and for connectors without a per-person identity (ETIM, MQTT)', async () => {
    const { sink } = auditLog();
    const shared = new UpstreamIdentityResolver({ mode: 'shared', audit: sink });
    expect(await shared.resolve({ name: 'redmine', perUser: impersonating({ alice: 'alice' }) }, { name: 'alice' }, signal)).toEqual({ kind: 'shared' });
    const perUser = new UpstreamIdentityResolver({ mode: 'per-user', audit: sink, loginOf: () => 'alice' });
    expect(await perUser.resolve({ name: 'etim' }, { name: 'alice' }, signal)).toEqual({ kind: 'shared' });
  });

  it('impersonates the login of the mapping, checked upstream once and then remembered', async () => {
    const { sink } = auditLog();
    const redmine = impersonating({ alice: 'alice', bob: 'Bob' });
    const resolver = new UpstreamIdentityResolver({ mode: 'per-user', audit: sink, loginOf: loginFinder({ map: new Map([['alice-token', 'alice'], ['bob-token', 'bob']]) }) });
    const target = { name: 'redmine', perUser: redmine };
    expect(await resolver.resolve(target, { name: 'alice-token' }, signal)).toEqual({ kind: 'impersonated', login: 'alice' });
    expect(await resolver.resolve(target, { name: 'alice-token' }, signal)).toEqual({ kind: 'impersonated', login: 'alice' });
    // The login as upstream spells it.
    expect(await resolver.resolve(target, { name: 'bob-token' }, signal)).toEqual({ kind: 'impersonated', login: 'Bob' });
    expect(redmine.checks).toEqual(['alice', 'bob']);
    // Forgotten (upstream refused it since): checked again.
    resolver.forget('redmine', 'alice');
    await resolver.resolve(target, { name: 'alice-token' }, signal);
    expect(redmine.checks).toEqual(['alice', 'bob', 'alice']);
  });

  it('takes the login from the JWT claim, and refuses a caller without one as a credential event naming the caller', async () => {
    const { events, sink } = auditLog();
    const redmine = impersonating({ alice: 'alice' });
    const resolver = new UpstreamIdentityResolver({
      mode: 'per-user',
      audit: sink,
      loginSource: 'claim preferred_username',
      loginOf: loginFinder({ claim: 'preferred_username' }),
      missingLogin: () => 'its token has no usable preferred_username claim',
    });
    const target = { name: 'redmine', perUser: redmine, credential: new Secret('service-key-canary-0123456789', 'env', 'REDMINE_API_KEY') };
    expect(await resolver.resolve(target, { name: 'app', person: 'alice' }, signal)).toEqual({ kind: 'impersonated', login: 'alice' });
    for (const person of [undefined, '', 'two\nlines', ' alice']) {
      const refused = resolver.resolve(target, { name: 'app', person }, signal);
      await expect(refused).rejects.toBeInstanceOf(IdentityRefusedError);
      await expect(refused).rejects.toThrow(/^Caller app has no Redmine login \(its token has no usable preferred_username claim\).*never falls back/);
    }
    expect(redmine.checks).toEqual(['alice']);
    expect(events).toHaveLength(4);
    expect(events[0]).toMatchObject({ type: 'credential', event: 'impersonation_refused', connector: 'redmine', caller: 'app', outcome: 'denied', source: 'claim preferred_username' });
    expect(JSON.stringify(events)).not.toContain('service-key-canary');
  });

  it('refuses an unknown login with an error naming the caller and the login, audited, and never remembers it', async () => {
    const { events, sink } = auditLog();
    const redmine = impersonating({});
    const resolver = new UpstreamIdentityResolver({ mode: 'per-user', audit: sink, loginOf: () => 'carol' });
    const target = { name: 'redmine', perUser: redmine };
    for (let i = 0; i < 2; i++) {
      await expect(resolver.resolve(target, { name: 'carol-token' }, signal)).rejects.toThrow('Caller carol-token cannot act in Redmine as "carol": Redmine has no active user with that login.');
    }
    expect(redmine.checks).toEqual(['carol', 'carol']);
    expect(events.map((e) => e.type === 'credential' && [e.event, e.caller, e.upstream])).toEqual([
      ['impersonation_refused', 'carol-token', 'carol'],
      ['impersonation_refused', 'carol-token', 'carol'],
    ]);
  });

  it('uses a linked personal credential, and without one asks for it instead of using the shared credential', async () => {
    const { sink } = auditLog();
    const links = new Map<string, LinkedCredential>();
    const store: LinkedCredentialStore = {
      get: async (connector, caller) => links.get(`${connector}/${caller}`),
      link: async (connector, caller, credential) => void links.set(`${connector}/${caller}`, credential),
      unlink: async (connector, caller) => links.delete(`${connector}/${caller}`),
      list: async () => [],
    };
    const youtrack: PerUserSupport = { service: 'YouTrack', clientFor: (identity) => identity };
    const secret = new Secret('perm:personal-token-canary', 'file', 'vault');
    await store.link('youtrack', 'alice', { secret, login: 'alice', linkedAt: '2026-12-07T00:00:00Z' });
    const resolver = new UpstreamIdentityResolver({ mode: 'per-user', audit: sink, store });
    expect(await resolver.resolve({ name: 'youtrack', perUser: youtrack }, { name: 'alice' }, signal)).toEqual({ kind: 'linked', login: 'alice', secret });
    const missing = resolver.resolve({ name: 'youtrack', perUser: youtrack }, { name: 'carol' }, signal);
    await expect(missing).rejects.toBeInstanceOf(IdentityRequiredError);
    await expect(missing).rejects.toMatchObject({ connector: 'youtrack', caller: 'carol' });
    await expect(missing).rejects.toThrow('Caller carol has no linked YouTrack account');
    // No store at all (nothing linked yet): the same refusal.
    const bare = new UpstreamIdentityResolver({ mode: 'per-user', audit: sink });
    await expect(bare.resolve({ name: 'redmine', perUser: { service: 'Redmine', clientFor: (i) => i } }, { name: 'bob' }, signal)).rejects.toThrow(
      /^Caller bob has no linked Redmine account.*REDMINE_IMPERSONATE/,
    );
  });
});

describe('identity settings', () => {
  const { sink } = auditLog();

  it('refuses per-user mode over stdio, naming the setting', () => {
    expect(() => identityFromSettings({ ...base, BASTION_TRANSPORT: 'stdio' }, sink)).toThrow(/^BASTION_IDENTITY=per-user needs the HTTP transport.*--transport http/);
    expect(identityFromSettings({ ...base, BASTION_IDENTITY: 'shared', BASTION_TRANSPORT: 'stdio' }, sink).settings).toEqual({ mode: 'shared' });
  });

  it('refuses a claim without JWTs, a claim with a mapping, and impersonation without a source of logins', () => {
    expect(() => identityFromSettings({ ...base, BASTION_IDENTITY_CLAIM: 'email' }, sink)).toThrow(/BASTION_IDENTITY_CLAIM=email .*BASTION_OAUTH_ISSUER is not set/);
    expect(() => identityFromSettings({ ...base, BASTION_IDENTITY_CLAIM: 'email', BASTION_IDENTITY_MAP_FILE: '/x', BASTION_OAUTH_ISSUER: 'https://idp' }, sink)).toThrow(
      'Set either BASTION_IDENTITY_CLAIM',
    );
    const { settings } = identityFromSettings({ ...base, BASTION_IDENTITY_CLAIM: 'email', BASTION_OAUTH_ISSUER: 'https://idp' }, sink);
    expect(settings).toEqual({ mode: 'per-user', claim: 'email' });
    expect(() => checkImpersonationSource({ mode: 'per-user' }, [{ name: 'redmine', perUser: impersonating({}) }])).toThrow(/Redmine impersonation is on.*BASTION_IDENTITY_CLAIM/);
    expect(() => checkImpersonationSource({ mode: 'per-user', claim: 'email' }, [{ name: 'redmine', perUser: impersonating({}) }])).not.toThrow();
  });

  it('reads a mode-600 mapping file and names what is wrong with a bad one', () => {
    const dir = makeTempDir();
    const file = join(dir, 'logins.json');
    writeFileSync(file, JSON.stringify({ 'alice-laptop': 'alice', 'bob-ci': 'bob' }), { mode: 0o600 });
    expect([...readIdentityMap(file).logins]).toEqual([['alice-laptop', 'alice'], ['bob-ci', 'bob']]);
    expect(identityFromSettings({ ...base, BASTION_IDENTITY_MAP_FILE: file }, sink).settings).toEqual({ mode: 'per-user', mapFile: { path: file, mode: 0o600, entries: 2 } });
    chmodSync(file, 0o644);
    expect(() => readIdentityMap(file)).toThrow(`readable by group or others (mode 644). Fix it with: chmod 600 ${file}`);
    chmodSync(file, 0o600);
    writeFileSync(file, '{"alice-laptop": "alice",}');
    expect(() => readIdentityMap(file)).toThrow(/is not valid JSON: write an object of token names to logins/);
    writeFileSync(file, JSON.stringify({ 'alice-laptop': 'alice\r\nX-Evil: 1', bob: 7 }));
    expect(() => readIdentityMap(file)).toThrow(/"alice-laptop": must be an upstream login.*"bob": /);
    expect(() => readIdentityMap(join(dir, 'missing.json'))).toThrow(ConfigError);
  });
});
