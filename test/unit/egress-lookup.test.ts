// What the connect-time check answers in each case (the refusal names the host, the address and the switch; resolver
// failures pass through unchanged), and the helpers the start-up check and link rendering rely on.
import { afterEach, describe, expect, it } from 'vitest';
import {
  assertEgressHost,
  canonicalHost,
  clearUpstreamOrigins,
  EgressRefusedError,
  forbiddenAddress,
  guardedLookup,
  isUpstreamUrl,
  registerUpstreamOrigin,
  type Resolver,
} from '../../src/core/egress.js';
import { configErrorOf } from './helpers/errors.js';

afterEach(() => clearUpstreamOrigins());

function lookup(resolve: Resolver, hostname: string): Promise<{ error: NodeJS.ErrnoException | null; address: unknown }> {
  return new Promise((done) => guardedLookup(resolve)(hostname, {}, (error, address) => done({ error, address })));
}
const answering = (addresses: string[]): Resolver => (_name, _options, callback) => callback(null, addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

describe('connect-time answers', () => {
  it('refuses with a readable EgressRefusedError naming the host, the address and the switch', async () => {
    const { error } = await lookup(answering(['10.0.0.1', '169.254.169.254']), 'keys.example.test');
    expect(error).toBeInstanceOf(EgressRefusedError);
    expect(error!.name).toBe('EgressRefusedError');
    expect(error!.code).toBe('ERR_BASTION_EGRESS_REFUSED');
    expect(error!.message).toBe('keys.example.test resolves to 169.254.169.254, the cloud metadata address; Bastion does not connect there unless BASTION_ALLOW_LINK_LOCAL=true.');
  });

  it('names a metadata host name as such', async () => {
    const { error } = await lookup(answering(['10.0.0.1']), 'metadata.google.internal');
    expect(error!.message).toBe('metadata.google.internal is a cloud metadata host name; Bastion does not connect there unless BASTION_ALLOW_LINK_LOCAL=true.');
  });

  it('passes a resolver failure on unchanged', async () => {
    const failure = Object.assign(new Error('getaddrinfo EAI_AGAIN keys.example.test'), { code: 'EAI_AGAIN' });
    const { error } = await lookup((_name, _options, callback) => callback(failure, []), 'keys.example.test');
    expect(error).toBe(failure);
  });

  it('says a name without addresses has none (ENOTFOUND)', async () => {
    const { error } = await lookup(answering([]), 'empty.example.test');
    expect(error!.message).toBe('empty.example.test has no address');
    expect(error!.code).toBe('ENOTFOUND');
  });
});

describe('addresses that only resemble the mapped and translated forms', () => {
  it.each(['1:0:0:0:0:ffff:a9fe:a9fe', '64:1::169.254.169.254', '0:0:0:0:1:ffff:a9fe:a9fe'])('allows %s', (address) => {
    expect(forbiddenAddress(address)).toBeUndefined();
  });
});

describe('start-up check', () => {
  it('gives the fix on its own, for doctor', () => {
    expect(configErrorOf(() => assertEgressHost('REDMINE_URL', '169.254.169.254')).fix).toBe('point REDMINE_URL at the service\'s own address, or set BASTION_ALLOW_LINK_LOCAL=true');
  });
});

describe('canonicalHost', () => {
  it.each([
    ['2852039166', '169.254.169.254'],
    ['0xa9fea9fe', '169.254.169.254'],
    ['169.254.43518', '169.254.169.254'],
    ['[FE80::1]', 'fe80::1'],
    ['fe80::1', 'fe80::1'],
    ['Redmine.Example.Test', 'redmine.example.test'],
  ])('reads %s as %s', (host, expected) => {
    expect(canonicalHost(host)).toBe(expected);
  });

  it('returns a host the URL parser refuses as it was given', () => {
    expect(canonicalHost('exa mple')).toBe('exa mple');
  });
});

describe('upstream origins', () => {
  it('forgets the configured upstreams when cleared', () => {
    registerUpstreamOrigin(new URL('https://redmine.example.test/'));
    expect(isUpstreamUrl(new URL('https://REDMINE.example.test/issues/1'))).toBe(true);
    expect(isUpstreamUrl(new URL('https://redmine.example.test:8443/issues/1'))).toBe(false);
    clearUpstreamOrigins();
    expect(isUpstreamUrl(new URL('https://redmine.example.test/issues/1'))).toBe(false);
  });
});
