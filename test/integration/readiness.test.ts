// /readyz is anonymous, so it must be cheap: one light check per connector however many probes arrive at once,
// and nothing written anywhere (no MQTT publish, no upstream change), even in read-only mode with narrow topics.
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EtimDouble } from '../doubles/etim.js';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import { redmineEnv } from '../helpers/bastion.js';
import { mosquittoEnv, mosquittoObserver, pollUntil, type Observer } from '../helpers/coreflux.js';
import { etimEnv, startEtim } from '../helpers/etim.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { startHttpBastion, type HttpBastion } from '../helpers/http-server.js';
import { ensureMosquitto } from '../helpers/mosquitto.js';
import { REDMINE_URL } from '../helpers/redmine.js';
import { startYouTrack, youtrackEnv } from '../helpers/youtrack.js';

const dir = mkdtempSync(join(tmpdir(), 'bastion-readiness-'));
let proxy: FaultProxy;
let youtrack: YouTrackDouble;
let etim: EtimDouble;
let observer: Observer;
let server: HttpBastion;

beforeAll(async () => {
  const mosquitto = await ensureMosquitto();
  [proxy, youtrack, etim] = await Promise.all([startFaultProxy(REDMINE_URL), startYouTrack(), startEtim()]);
  observer = await mosquittoObserver(mosquitto);
  await observer.client.subscribeAsync('#', { qos: 1 });
  const tokens = join(dir, 'tokens.json');
  writeFileSync(tokens, JSON.stringify({ tokens: [{ name: 'ops', sha256: createHash('sha256').update('canary-readiness-token').digest('hex'), scopes: ['bastion:read'] }] }));
  chmodSync(tokens, 0o600);
  server = await startHttpBastion({
    env: {
      ...redmineEnv({ REDMINE_URL: proxy.url }),
      ...youtrackEnv(youtrack),
      ...etimEnv(etim),
      ...mosquittoEnv(mosquitto, { MQTT_TOPICS: 'sensors/#' }),
      BASTION_READ_ONLY: 'true',
      BASTION_HTTP_TOKENS_FILE: tokens,
    },
  });
  // Readiness is not asked before the test: the first probes find no answer to reuse.
  await pollUntil(() => server.stderr(), (text) => text.includes('connected to the MQTT broker'), 'the MQTT connection');
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await observer?.close();
  await Promise.all([proxy?.close(), youtrack?.close(), etim?.close()]);
});

describe('/readyz', () => {
  it('answers 30 concurrent anonymous probes with one light check per connector, and publishes nothing', async () => {
    const redmineMark = proxy.seen.length;
    const youtrackMark = youtrack.requests.length;
    const etimMark = etim.apiRequests.length;
    const tokenMark = etim.tokenRequests.length;
    const inboxMark = observer.inbox.length;

    const answers = await Promise.all(Array.from({ length: 30 }, () => fetch(`${server.baseUrl}/readyz`).then(async (response) => ({ status: response.status, body: await response.json() }))));

    for (const answer of answers) {
      expect(answer).toEqual({ status: 200, body: { status: 'ready', connectors: { redmine: 'ok', youtrack: 'ok', etim: 'ok', coreflux: 'ok' } } });
    }
    // One identity request to Redmine and to YouTrack, one API request to ETIM (and at most one token). Soft, so
    // that every connector's count is reported.
    expect.soft(proxy.seen.slice(redmineMark).map((request) => `${request.method} ${request.path}`)).toEqual(['GET /users/current.json']);
    expect.soft(youtrack.requests.slice(youtrackMark).map((request) => `${request.method} ${request.path}`)).toEqual([expect.stringMatching(/^GET \/api\/users\/me\b/)]);
    expect.soft(etim.apiRequests.length - etimMark).toBe(1);
    expect.soft(etim.tokenRequests.length - tokenMark).toBeLessThanOrEqual(1);
    // Doctor's privilege probe would publish on bastion-probe-*/doctor, outside MQTT_TOPICS and in read-only mode.
    // (Other processes may use the shared broker, so only what Bastion could have sent is looked for.)
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(observer.inbox.slice(inboxMark).filter((message) => message.topic.startsWith('bastion-probe-'))).toEqual([]);
  });
});
