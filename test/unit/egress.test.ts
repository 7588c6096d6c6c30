// Link-local and cloud-metadata destinations: refused for literal addresses and metadata names at start, and after
// DNS at connect time (with a stand-in resolver) for the HTTP client and the MQTT connection.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttConnection, type MqttSettings } from '../../src/connectors/coreflux/mqtt.js';
import { RedisCache } from '../../src/core/cache.js';
import { assertEgressHost, configureEgress, EgressRefusedError, forbiddenAddress, forbiddenHost, guardedLookup, type Resolver } from '../../src/core/egress.js';
import { HttpClient } from '../../src/core/http.js';
import { silentLogger } from '../../src/core/logger.js';
import { JwtAuthenticator } from '../../src/server/http-auth.js';
import { ConfigError } from '../../src/core/errors.js';
import { configErrorOf } from './helpers/errors.js';
import { httpFixtures, upstreamFailure } from './helpers/http-client.js';
import { sendJson } from './helpers/http-server.js';
import { blockNonLoopback, type EgressBlock } from './helpers/no-egress.js';

const fx = httpFixtures();

afterEach(() => configureEgress({ allowLinkLocal: false }));

/** A resolver answering from a table (every name gets all its addresses), recording the names it was asked. */
function resolver(table: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve: Resolver = (hostname, _options, callback) => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (!addresses) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
    callback(null, addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return Object.assign(resolve, { asked });
}

/** Runs a guarded lookup and returns what it called back with. */
function lookupWith(resolve: Resolver, hostname: string, all = false): Promise<{ error: Error | null; address: unknown }> {
  return new Promise((done) => guardedLookup(resolve)(hostname, { all }, (error, address) => done({ error, address })));
}

describe('forbidden destinations', () => {
  it.each([
    '169.254.169.254',
    '169.254.0.1',
    '169.254.255.255',
    '100.100.100.200',
    'fe80::1',
    'FE80::A:B',
    'febf:ffff::1',
    '[fe80::1]',
    'fd00:ec2::254',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    '64:ff9b::169.254.169.254',
  ])('refuses %s', (address) => {
    expect(forbiddenAddress(address)).toMatch(/link-local|metadata/);
  });

  it.each(['127.0.0.1', '10.0.0.1', '172.16.0.1', '192.168.1.10', '100.100.100.201', '169.253.255.255', '169.255.0.1', '8.8.8.8', '::1', 'fec0::1', 'fd00:ec2::253', '::ffff:10.0.0.1', 'redmine.example.test'])(
    'allows %s (loopback, private and public addresses, host names)',
    (address) => {
      expect(forbiddenAddress(address)).toBeUndefined();
    },
  );

  it('refuses the metadata host names, in any case and with a trailing dot', () => {
    for (const host of ['metadata.google.internal', 'METADATA.google.internal.', 'metadata.goog']) expect(forbiddenHost(host)).toMatch(/metadata/);
    expect(forbiddenHost('metadata.example.test')).toBeUndefined();
  });
});

describe('start-up check of configured hosts', () => {
  it('names the setting, the address and the switch that allows it', () => {
    const error = configErrorOf(() => assertEgressHost('MQTT_BROKER', '169.254.169.254'));
    expect(error.message).toContain('MQTT_BROKER points at 169.254.169.254, the cloud metadata address');
    expect(error.message).toContain('BASTION_ALLOW_LINK_LOCAL=true');
  });

  it('lets everything through when BASTION_ALLOW_LINK_LOCAL is set', () => {
    configureEgress({ allowLinkLocal: true });
    expect(() => assertEgressHost('MQTT_BROKER', '169.254.169.254')).not.toThrow();
    expect(() => new HttpClient({ service: 'Redmine', baseUrl: 'http://169.254.169.254/' })).not.toThrow();
  });

  it.each([
    'http://169.254.169.254/latest',
    'http://2852039166/',
    'http://0xA9FEA9FE/',
    'http://169.254.43518/',
    'http://[::ffff:169.254.169.254]/',
    'https://[fe80::1]:8443/redmine',
    'http://metadata.google.internal/computeMetadata/v1',
    'http://100.100.100.200/',
  ])('refuses the base URL %s, whatever notation the address is written in', (url) => {
    const error = configErrorOf(() => new HttpClient({ service: 'Redmine', baseUrl: url }));
    expect(error.message).toMatch(/^The Redmine URL points at .+, (a|the) (link-local|cloud metadata)/);
  });

  it('refuses a JWKS URL there', () => {
    const error = configErrorOf(() => new JwtAuthenticator('https://id.example.test', 'https://bastion.example.test/mcp', 'http://169.254.169.254/jwks.json'));
    expect(error.message).toContain('BASTION_OAUTH_JWKS_URL');
  });

  it('refuses an MQTT broker there', () => {
    const settings: MqttSettings = { host: '[fe80::1]', port: 1883, tls: false, clientId: 'bastion-test' };
    expect(configErrorOf(() => new MqttConnection(settings, silentLogger)).message).toContain('MQTT_BROKER points at [fe80::1], a link-local address');
  });
});

describe('connect-time check after DNS', () => {
  it('passes an allowed answer on, as one address or all of them', async () => {
    const resolve = resolver({ 'tracker.test': ['127.0.0.1', '::1'] });
    expect(await lookupWith(resolve, 'tracker.test')).toEqual({ error: null, address: '127.0.0.1' });
    expect((await lookupWith(resolve, 'tracker.test', true)).address).toEqual([
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ]);
  });

  it('refuses a name when any of its addresses is link-local or metadata', async () => {
    for (const address of ['169.254.169.254', 'fe80::1', '::ffff:169.254.169.254', 'fd00:ec2::254']) {
      const { error } = await lookupWith(resolver({ 'tracker.test': ['127.0.0.1', address] }), 'tracker.test');
      expect(error).toBeInstanceOf(EgressRefusedError);
      expect(error!.message).toContain(`tracker.test resolves to ${address}`);
    }
  });

  it('refuses a metadata host name whatever it resolves to, and passes resolver errors on', async () => {
    expect((await lookupWith(resolver({ 'metadata.google.internal': ['10.1.2.3'] }), 'metadata.google.internal')).error).toBeInstanceOf(EgressRefusedError);
    expect((await lookupWith(resolver({}), 'nowhere.test')).error).toMatchObject({ code: 'ENOTFOUND' });
  });

  it('lets a link-local answer through when BASTION_ALLOW_LINK_LOCAL is set', async () => {
    configureEgress({ allowLinkLocal: true });
    expect(await lookupWith(resolver({ 'tracker.test': ['169.254.10.10'] }), 'tracker.test')).toEqual({ error: null, address: '169.254.10.10' });
  });

  it('HttpClient resolves through the check: an allowed name is reached', async () => {
    const server = await fx.server((_req, res) => sendJson(res, 200, { ok: true }));
    const port = new URL(server.url).port;
    const resolve = resolver({ 'redmine.test': ['127.0.0.1'] });
    const client = fx.client(`http://redmine.test:${port}`, { resolve });
    expect(await client.requestJson({ method: 'GET', path: '/issues.json' })).toEqual({ ok: true });
    expect(resolve.asked).toEqual(['redmine.test']);
    expect(server.requests).toHaveLength(1);
  });

  it('HttpClient refuses a name that resolves to the metadata address: nothing sent, not retried, a readable error', async () => {
    const resolve = resolver({ 'redmine.test': ['169.254.169.254'] });
    const client = fx.client('http://redmine.test:3100', { resolve });
    const error = await upstreamFailure(client.request({ method: 'GET', path: '/users/current.json' }));
    expect(error.kind).toBe('egress');
    expect(error.message).toBe(
      'Refused to connect to Redmine at http://redmine.test:3100: redmine.test resolves to 169.254.169.254, the cloud metadata address; ' +
        'Bastion does not connect there unless BASTION_ALLOW_LINK_LOCAL=true.',
    );
    expect(resolve.asked).toEqual(['redmine.test']);
    const post = await upstreamFailure(client.request({ method: 'POST', path: '/issues.json', json: {} }));
    expect(post.message).not.toContain('may or may not have been applied');
  });

  describe('MQTT connection', () => {
    const connections: MqttConnection[] = [];
    let listener: Server | undefined;
    afterEach(async () => {
      await Promise.all(connections.splice(0).map((connection) => connection.close()));
      await new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve()));
      listener = undefined;
    });

    function connect(settings: Partial<MqttSettings>, table: Record<string, string[]>): MqttConnection {
      const connection = new MqttConnection({ host: 'broker.test', port: 1883, tls: false, clientId: 'bastion-test', resolve: resolver(table), ...settings }, silentLogger);
      connections.push(connection);
      connection.start();
      return connection;
    }

    it('reaches a broker whose name resolves to an allowed address', async () => {
      let accepted!: () => void;
      const reached = new Promise<void>((resolve) => (accepted = resolve));
      listener = createServer((socket) => {
        accepted();
        socket.destroy();
      });
      await new Promise<void>((resolve) => listener!.listen(0, '127.0.0.1', resolve));
      const { port } = listener.address() as { port: number };
      connect({ port }, { 'broker.test': ['127.0.0.1'] });
      await reached;
    });

    it.each([false, true])('refuses a broker name that resolves to the metadata address (TLS %s) and says why', async (tls) => {
      const connection = connect({ tls }, { 'broker.test': ['169.254.169.254'] });
      await expect.poll(() => connection.status().last_error, { timeout: 10_000 }).toContain('broker.test resolves to 169.254.169.254, the cloud metadata address');
      expect(() => connection.requireConnected()).toThrow(/Not connected to the MQTT broker mqtts?:\/\/broker\.test:1883 .*resolves to 169\.254\.169\.254/);
    });
  });
});

describe('Redis (REDIS_URL)', () => {
  let block: EgressBlock;
  const caches: RedisCache[] = [];
  afterEach(async () => {
    await Promise.all(caches.splice(0).map((cache) => cache.close()));
    block?.restore();
  });

  async function connect(url: string, table: Record<string, string[]> = {}): Promise<RedisCache> {
    const cache = await RedisCache.connect({ url, resolve: resolver(table) });
    caches.push(cache);
    return cache;
  }

  it.each([
    ['redis://169.254.169.254:6379', '169.254.169.254, the cloud metadata address'],
    ['rediss://[fe80::1]:6380', 'fe80::1, a link-local address'],
    ['redis://2852039166:6379', '2852039166 (169.254.169.254), the cloud metadata address'],
    ['redis://0xa9fea9fe:6379', '0xa9fea9fe (169.254.169.254), the cloud metadata address'],
    ['redis://169.254.43518:6379', '169.254.43518 (169.254.169.254), the cloud metadata address'],
    ['redis://metadata.google.internal:6379', 'metadata.google.internal, a cloud metadata host name'],
    ['redis://100.100.100.200:6379', '100.100.100.200, a cloud metadata address'],
  ])('refuses %s before connecting, naming REDIS_URL and the switch', async (url, what) => {
    block = blockNonLoopback();
    const error = await RedisCache.connect({ url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(`REDIS_URL points at ${what}: Bastion does not connect there`);
    expect((error as ConfigError).message).toContain('Set BASTION_ALLOW_LINK_LOCAL=true only if the service really lives there.');
    expect(block.attempts).toEqual([]);
  });

  it('refuses a Redis host name that resolves to the metadata address, and says why', async () => {
    block = blockNonLoopback();
    const cache = await connect('redis://redis.test:6379', { 'redis.test': ['10.0.0.5', '169.254.169.254'] });
    await expect.poll(() => cache.status().detail, { timeout: 10_000 }).toContain('redis.test resolves to 169.254.169.254, the cloud metadata address');
    expect(cache.status().healthy).toBe(false);
    expect(block.attempts).toEqual([]);
  });

  it('connects there when BASTION_ALLOW_LINK_LOCAL is set', async () => {
    configureEgress({ allowLinkLocal: true });
    block = blockNonLoopback();
    const cache = await connect('redis://redis.test:6379', { 'redis.test': ['169.254.169.254'] });
    expect(cache.status().kind).toBe('redis');
    await expect.poll(() => block.attempts, { timeout: 10_000 }).toContain('redis.test -> 169.254.169.254');
    const literal = await connect('redis://169.254.169.254:6379');
    expect(literal.status().kind).toBe('redis');
    await expect.poll(() => block.attempts, { timeout: 10_000 }).toContain('169.254.169.254');
  });

  it('reaches a Redis whose name resolves to an allowed address', async () => {
    block = blockNonLoopback();
    let accepted!: () => void;
    const reached = new Promise<void>((resolve) => (accepted = resolve));
    const listener = createServer((socket) => {
      accepted();
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = listener.address() as { port: number };
      await connect(`redis://redis.test:${port}`, { 'redis.test': ['127.0.0.1'] });
      await reached;
      expect(block.attempts).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
  });
});
