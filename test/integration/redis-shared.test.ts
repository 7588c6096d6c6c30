// The shared cache on a real Redis: two Bastion instances share one OAuth token and cached answers,
// Redis going away never stops serving, and Redis coming back is used again.
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ETIM_TEST_CLIENT_ID, ETIM_TEST_CLIENT_SECRET, startEtimDouble, type EtimDouble } from '../doubles/etim.js';
import { call, runCli, startBastion, type Bastion } from '../helpers/bastion.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const REDIS_PASSWORD = 'canary-redis-password-5Kq';

let redis: TestRedis;
let double: EtimDouble;

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    BASTION_KEYRING: 'false',
    BASTION_LOG_LEVEL: 'debug',
    ETIM_CLIENT_ID: ETIM_TEST_CLIENT_ID,
    ETIM_CLIENT_SECRET: ETIM_TEST_CLIENT_SECRET,
    ETIM_AUTH_URL: double.authUrl,
    ETIM_API_URL: double.apiUrl,
    REDIS_URL: redis.url,
    REDIS_PASSWORD,
    ...extra,
  };
}

async function redisContents(): Promise<Array<[string, string]>> {
  const client = createClient({ url: redis.url, password: REDIS_PASSWORD });
  await client.connect();
  try {
    const keys = await client.keys('*');
    return Promise.all(keys.map(async (key) => [key, String((await client.get(key)) ?? '')] as [string, string]));
  } finally {
    await client.close();
  }
}

async function flush(): Promise<void> {
  const client = createClient({ url: redis.url, password: REDIS_PASSWORD });
  await client.connect();
  await client.flushAll();
  await client.close();
}

beforeAll(async () => {
  redis = await startRedis(REDIS_PASSWORD);
  double = await startEtimDouble();
});
afterAll(async () => {
  await redis?.stop();
  await double?.close();
});

describe('two instances on one Redis', () => {
  let a: Bastion;
  let b: Bastion;
  beforeAll(async () => {
    await flush();
    [a, b] = await Promise.all([startBastion({ env: env() }), startBastion({ env: env() })]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('fetch one OAuth token between them, even when called at the same moment', async () => {
    double.setTokenDelay(400);
    const before = double.tokenRequests.length;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => call(i % 2 ? a : b, 'etim_get_feature', { code: `EF99000${(i % 5) + 1}` })),
    );
    double.setTokenDelay(0);
    expect(results.every((r) => !r.isError)).toBe(true);
    expect(double.tokenRequests.length - before).toBe(1);
  });

  it('share cached answers: the second instance does not call ETIM again', async () => {
    const before = double.apiRequests.length;
    const first = await call(a, 'etim_search_classes', { text: 'cable' });
    const second = await call(b, 'etim_search_classes', { text: 'cable' });
    expect(second.structured).toEqual(first.structured);
    expect(double.apiRequests.length - before).toBe(1);
  });

  it('keep keys namespaced per connector and credential, and never store the client secret or Redis password', async () => {
    const contents = await redisContents();
    expect(contents.length).toBeGreaterThan(0);
    for (const [key, value] of contents) {
      expect(key).toMatch(/^(lock:)?etim:[0-9a-f]{8}:/);
      expect(value).not.toContain(ETIM_TEST_CLIENT_SECRET);
      expect(value).not.toContain(REDIS_PASSWORD);
    }
    expect(a.stderr() + b.stderr()).not.toContain(REDIS_PASSWORD);
  });
});

describe('Redis going away and coming back', () => {
  it('keeps serving from memory while Redis is down, says so, and uses Redis again when it is back', async () => {
    await flush();
    const bastion = await startBastion({ env: env() });
    try {
      expect((await call(bastion, 'etim_get_unit', { code: 'EU990001' })).isError).toBeFalsy();
      await redis.stop();
      const whileDown = await call(bastion, 'etim_get_unit', { code: 'EU990002' });
      expect(whileDown.isError).toBeFalsy();
      const again = await call(bastion, 'etim_get_unit', { code: 'EU990002' });
      expect(again.isError).toBeFalsy();
      await expect.poll(() => bastion.stderr()).toContain('Redis is unreachable: serving from memory');

      await redis.start();
      await expect.poll(() => bastion.stderr().lastIndexOf('Redis is reachable'), { timeout: 15_000 }).toBeGreaterThan(bastion.stderr().lastIndexOf('Redis is unreachable'));
      expect((await call(bastion, 'etim_get_unit', { code: 'EU990003' })).isError).toBeFalsy();
      const keys = (await redisContents()).map(([key]) => key);
      expect(keys.some((key) => key.includes(':response:details:'))).toBe(true);
    } finally {
      await bastion.close();
    }
    expect(bastion.stderr()).not.toContain(REDIS_PASSWORD);
  });

  it('starts and serves with Redis unreachable, and doctor warns about it', async () => {
    const unreachable = env({ REDIS_URL: 'redis://127.0.0.1:9' });
    const bastion = await startBastion({ env: unreachable });
    try {
      expect((await call(bastion, 'etim_list_releases')).isError).toBeFalsy();
    } finally {
      await bastion.close();
    }
    const doctor = await runCli(['doctor'], unreachable);
    expect(doctor.stdout).toMatch(/\[WARN\] shared cache: Redis at redis:\/\/127\.0\.0\.1:9 unreachable .*serving from memory/);
    expect(doctor.status).toBe(1);
  });

  it('refuses a wrong password quietly: serving continues from memory, and no password is printed', async () => {
    const wrong = env({ REDIS_PASSWORD: 'canary-wrong-redis-password' });
    const doctor = await runCli(['doctor'], wrong);
    expect(doctor.stdout).toContain('shared cache: Redis at');
    expect(doctor.stdout).toContain('serving from memory');
    expect(doctor.stdout + doctor.stderr).not.toContain('canary-wrong-redis-password');
  });
});
