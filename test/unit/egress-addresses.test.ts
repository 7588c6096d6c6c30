// Every way of writing a link-local or metadata IPv6 address is refused, Bastion refuses them before anyone
// configures it, and only names that really stay on this machine count as loopback.
import { describe, expect, it, vi } from 'vitest';
import { forbiddenAddress, isLoopbackHost } from '../../src/core/egress.js';

describe('IPv6 spellings of forbidden addresses', () => {
  it.each([
    ['fe80:0:0:0:0:0:0:1', 'a link-local address'],
    ['fe80:0000:0000:0000:0000:0000:0000:0001', 'a link-local address'],
    ['fe80:1:2:3:4:5::6', 'a link-local address'],
    ['fe80::1:2:3:4:5:6', 'a link-local address'],
    ['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'a link-local address'],
    ['fd00:ec2:0:0:0:0:0:254', 'a cloud metadata address'],
    ['FD00:0EC2:0000:0000:0000:0000:0000:0254', 'a cloud metadata address'],
    ['fd00:ec2::0:254', 'a cloud metadata address'],
    ['[fd00:ec2::254]', 'a cloud metadata address'],
    ['0:0:0:0:0:ffff:169.254.169.254', 'the cloud metadata address'],
    ['::ffff:100.100.100.200', 'a cloud metadata address'],
    ['64:ff9b:0:0:0:0:a9fe:a9fe', 'the cloud metadata address'],
  ])('refuses %s as %s', (address, reason) => {
    expect(forbiddenAddress(address)).toBe(reason);
  });

  it.each(['fec0::1', 'fe7f:ffff::1', 'fd00:ec2::1:254', 'fd00:ec3::254', '::ffff:1:169.254.169.254', '64:ff9b:1::169.254.169.254', '65:ff9b::169.254.169.254'])(
    'allows %s, which only looks close to one',
    (address) => {
      expect(forbiddenAddress(address)).toBeUndefined();
    },
  );

  it('does not guess at malformed addresses (they never reach a socket)', () => {
    expect(forbiddenAddress('fe80::1::2')).toBeUndefined();
    expect(forbiddenAddress('fe80:1:2:3:4:5:6:7:8')).toBeUndefined();
  });
});

describe('the fail-closed default', () => {
  it('refuses link-local and metadata hosts before BASTION_ALLOW_LINK_LOCAL is read', async () => {
    vi.resetModules();
    const fresh = await import('../../src/core/egress.js');
    const { ConfigError: FreshConfigError } = await import('../../src/core/errors.js');
    expect(() => fresh.assertEgressHost('REDMINE_URL', '169.254.169.254')).toThrow(FreshConfigError);
    expect(() => fresh.assertEgressHost('REDMINE_URL', 'fe80::1')).toThrow(/BASTION_ALLOW_LINK_LOCAL=true/);
    const answer = await new Promise<Error | null>((done) =>
      fresh.guardedLookup((_name, _options, callback) => callback(null, [{ address: '169.254.169.254', family: 4 }]))('keys.example.test', {}, (error) => done(error)),
    );
    expect(answer).toBeInstanceOf(fresh.EgressRefusedError);
  });
});

describe('isLoopbackHost', () => {
  it.each(['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '::1', '[::1]'])('counts %s as this machine', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['127.0.0.1.nip.io', 'x127.0.0.1', '127.0.0.1x', 'localhost.example.test', 'mylocalhost', '127.0.0', '128.0.0.1', '::2', '0.0.0.0', '[::]'])(
    'does not count %s, whose traffic can leave the machine',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );
});
