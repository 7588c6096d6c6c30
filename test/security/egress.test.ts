// Egress through the built CLI: settings that point at link-local or cloud-metadata addresses stop start-up (exit 2)
// unless explicitly allowed, and every connector's upstream refuses redirects (to another host, or the metadata
// address) and oversized answers with a readable tool error, sending nothing to the redirect target.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COPILOT_TEST_KEY } from '../doubles/copilot.js';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import { startEtimDouble, type EtimDouble } from '../doubles/etim.js';
import { call, redmineEnv, runCli, startBastion, type Bastion, type ToolResult } from '../helpers/bastion.js';
import { mosquittoEnv } from '../helpers/coreflux.js';
import { BLOCKED_MARK, NO_EGRESS_ENV } from '../helpers/no-egress-env.js';
import { etimEnv } from '../helpers/etim.js';
import { ensureMosquitto, type MosquittoEnv } from '../helpers/mosquitto.js';
import { youtrackEnv } from '../helpers/youtrack.js';
import { startServer, sendJson, type ScriptedServer } from '../unit/helpers/http-server.js';

/** The client's default response cap (10 MiB); the oversized answers go past it. */
const CAP = 10 * 1024 * 1024;
const OVER_CAP = CAP + 1024 * 1024;

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

/** A loopback upstream whose answer each test chooses; it records every request it gets. */
interface HostileUpstream {
  server: ScriptedServer;
  answer: Answer;
}

async function hostileUpstream(): Promise<HostileUpstream> {
  const upstream: HostileUpstream = { server: undefined as unknown as ScriptedServer, answer: (_req, res) => sendJson(res, 404, {}) };
  upstream.server = await startServer((req, res) => {
    // Bastion hangs up on oversized answers mid-body; the resulting write errors are expected.
    res.on('error', () => {});
    upstream.answer(req, res);
  });
  return upstream;
}

const redirectTo =
  (location: string): Answer =>
  (_req, res) =>
    res.writeHead(302, { location, 'content-length': '0' }).end();

/** Declares a body over the cap and starts sending it: refused on the header alone. */
const declaredTooLarge: Answer = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(OVER_CAP) });
  res.write('{"padding":"');
};

/** Streams a chunked body past the cap without declaring its length: refused once the cap is crossed. */
const streamedTooLarge: Answer = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  const chunk = Buffer.alloc(1024 * 1024, 'a');
  let sent = 0;
  const pump = (): void => {
    while (sent < OVER_CAP && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end();
  };
  res.write('{"padding":"');
  pump();
};

/** Answers token requests like an OAuth2 server and everything else with `answer`. */
const withToken =
  (answer: Answer): Answer =>
  (req, res) =>
    req.url?.startsWith('/connect/token') ? sendJson(res, 200, { access_token: 'fake-test-access-token', token_type: 'Bearer', expires_in: 3600 }) : answer(req, res);

let target: ScriptedServer;
let broker: MosquittoEnv;

beforeAll(async () => {
  // Where the redirects point: a different origin that must never be contacted.
  target = await startServer((_req, res) => sendJson(res, 200, { followed: true }));
  broker = await ensureMosquitto();
});
afterAll(async () => {
  await target?.close();
});

function expectRedirectRefused(result: ToolResult, service: string, host: string): void {
  expect(result.isError).toBe(true);
  expect(result.text).toMatch(new RegExp(`^${service} redirected (GET|POST) \\S+ to another host \\(${host.replace(/[.[\]]/g, '\\$&')}\\); Bastion does not follow redirects\\.`));
}

function expectTooLarge(result: ToolResult, service: string): void {
  expect(result.isError).toBe(true);
  expect(result.text).toContain(`${service}'s response is larger than the ${CAP}-byte cap`);
}

/**
 * One connector's upstream answering a redirect to another host, a redirect to the metadata address, a declared and
 * a streamed oversized body: each refused, the redirecting upstream asked exactly once, the target never.
 */
function egressSuite(
  name: string,
  setup: () => Promise<{ bastion: Bastion; upstream: HostileUpstream; service: string; wrap?: (answer: Answer) => Answer; close?: () => Promise<void> }>,
  tool: string,
  args: Record<string, unknown>,
): void {
  describe(`${name}: redirects and oversized answers`, () => {
    let context: Awaited<ReturnType<typeof setup>>;
    const answer = (next: Answer): void => {
      context.upstream.answer = context.wrap ? context.wrap(next) : next;
    };
    /** Calls the tool and returns the result with the requests the upstream got for it. */
    const callOnce = async (): Promise<{ result: ToolResult; requests: number }> => {
      const before = context.upstream.server.requests.length;
      const result = await call(context.bastion, tool, args);
      // Token requests answered by `wrap` are the way in, not the request under test.
      const requests = context.upstream.server.requests.slice(before).filter((request) => !(context.wrap && request.url.startsWith('/connect/token')));
      return { result, requests: requests.length };
    };

    beforeAll(async () => {
      context = await setup();
    });
    afterAll(async () => {
      await context?.bastion.close();
      await context?.upstream.server.close();
      await context?.close?.();
    });

    it('refuses a redirect to another host and never contacts it', async () => {
      answer(redirectTo(`${target.url}/elsewhere`));
      const { result, requests } = await callOnce();
      expectRedirectRefused(result, context.service, target.host);
      expect(requests).toBe(1);
      expect(target.requests).toEqual([]);
    });

    it('refuses a redirect to the cloud metadata address', async () => {
      answer(redirectTo('http://169.254.169.254/latest/meta-data/iam/security-credentials/'));
      const { result, requests } = await callOnce();
      expectRedirectRefused(result, context.service, '169.254.169.254');
      expect(requests).toBe(1);
    });

    it('refuses an answer that declares a body over the cap', async () => {
      answer(declaredTooLarge);
      expectTooLarge((await callOnce()).result, context.service);
    });

    it('refuses a chunked answer that grows over the cap', async () => {
      answer(streamedTooLarge);
      expectTooLarge((await callOnce()).result, context.service);
    });
  });
}

egressSuite(
  'Redmine',
  async () => {
    const upstream = await hostileUpstream();
    return { upstream, service: 'Redmine', bastion: await startBastion({ env: redmineEnv({ REDMINE_URL: upstream.server.url }) }) };
  },
  'redmine_get_current_user',
  {},
);

egressSuite(
  'YouTrack',
  async () => {
    const upstream = await hostileUpstream();
    return { upstream, service: 'YouTrack', bastion: await startBastion({ env: youtrackEnv({ url: upstream.server.url } as YouTrackDouble) }) };
  },
  'youtrack_get_current_user',
  {},
);

egressSuite(
  'ETIM token service',
  async () => {
    const double = await startEtimDouble();
    const upstream = await hostileUpstream();
    const env = { ...etimEnv(double), ETIM_AUTH_URL: upstream.server.url };
    return { upstream, service: 'ETIM token service', bastion: await startBastion({ env }), close: () => double.close() };
  },
  'etim_list_releases',
  {},
);

egressSuite(
  'ETIM API',
  async () => {
    const upstream = await hostileUpstream();
    const env = { ...etimEnv({ authUrl: upstream.server.url, apiUrl: upstream.server.url } as EtimDouble), ETIM_CACHE: 'off' };
    return { upstream, service: 'ETIM', bastion: await startBastion({ env }), wrap: withToken };
  },
  'etim_list_releases',
  {},
);

egressSuite(
  'Coreflux Copilot',
  async () => {
    const upstream = await hostileUpstream();
    const env = mosquittoEnv(broker, { COREFLUX_COPILOT_URL: upstream.server.url, DO_AGENT_API_KEY: COPILOT_TEST_KEY });
    return { upstream, service: 'Coreflux Copilot', bastion: await startBastion({ env }) };
  },
  'coreflux_generate_lot',
  { query: 'a heartbeat every 10 seconds' },
);

egressSuite(
  'LoT verifier',
  async () => {
    const upstream = await hostileUpstream();
    const env = mosquittoEnv(broker, { LOT_VERIFIER_API_URL: `${upstream.server.url}/validate/code` });
    return { upstream, service: 'LoT verifier', bastion: await startBastion({ env }) };
  },
  'coreflux_verify_lot',
  { code: 'DEFINE MODEL Heartbeat' },
);

describe('settings pointing at link-local or metadata addresses', () => {
  const ADVICE = 'Set BASTION_ALLOW_LINK_LOCAL=true only if the service really lives there.';
  let etim: EtimDouble;
  beforeAll(async () => {
    etim = await startEtimDouble();
  });
  afterAll(async () => {
    await etim?.close();
  });

  it.each<[string, () => Record<string, string>, string[], string]>([
    ['REDMINE_URL', () => redmineEnv({ REDMINE_URL: 'http://169.254.169.254/redmine' }), [], 'The Redmine URL points at 169.254.169.254, the cloud metadata address'],
    ['YOUTRACK_URL', () => youtrackEnv({ url: 'https://[fe80::1]:8443' } as YouTrackDouble), [], 'The YouTrack URL points at fe80::1, a link-local address'],
    ['ETIM_AUTH_URL', () => ({ ...etimEnv(etim), ETIM_AUTH_URL: 'http://100.100.100.200' }), [], 'The ETIM token service URL points at 100.100.100.200, a cloud metadata address'],
    ['ETIM_API_URL', () => ({ ...etimEnv(etim), ETIM_API_URL: 'http://[fd00:ec2::254]/' }), [], 'The ETIM URL points at fd00:ec2::254, a cloud metadata address'],
    ['COREFLUX_COPILOT_URL', () => mosquittoEnv(broker, { COREFLUX_COPILOT_URL: 'http://metadata.google.internal/' }), [], 'The Coreflux Copilot URL points at metadata.google.internal, a cloud metadata host name'],
    ['MQTT_BROKER', () => mosquittoEnv(broker, { MQTT_BROKER: '169.254.10.20' }), [], 'MQTT_BROKER points at 169.254.10.20, a link-local address'],
    ['REDIS_URL', () => redmineEnv({ REDIS_URL: 'redis://169.254.169.254:6379' }), [], 'REDIS_URL points at 169.254.169.254, the cloud metadata address'],
    ['REDIS_URL (IPv6)', () => redmineEnv({ REDIS_URL: 'rediss://[fe80::1]:6380' }), [], 'REDIS_URL points at fe80::1, a link-local address'],
    ['REDIS_URL (decimal)', () => redmineEnv({ REDIS_URL: 'redis://2852039166:6379' }), [], 'REDIS_URL points at 2852039166 (169.254.169.254), the cloud metadata address'],
    ['REDIS_URL (hex)', () => redmineEnv({ REDIS_URL: 'redis://0xa9.0xfe.0xa9.0xfe:6379' }), [], 'REDIS_URL points at 0xa9.0xfe.0xa9.0xfe (169.254.169.254), the cloud metadata address'],
    ['REDIS_URL (name)', () => redmineEnv({ REDIS_URL: 'redis://metadata.google.internal:6379' }), [], 'REDIS_URL points at metadata.google.internal, a cloud metadata host name'],
    [
      'BASTION_OAUTH_JWKS_URL',
      () => redmineEnv({ BASTION_OAUTH_ISSUER: 'https://id.example.test', BASTION_OAUTH_JWKS_URL: 'http://169.254.169.254/jwks.json', BASTION_OAUTH_AUDIENCE: 'bastion-test' }),
      ['--transport', 'http', '--port', '0'],
      'The JWKS URL (BASTION_OAUTH_JWKS_URL, or BASTION_OAUTH_ISSUER/.well-known/jwks.json) points at 169.254.169.254',
    ],
  ])('%s: start-up stops with exit code 2 and says why', async (_setting, env, args, message) => {
    // The CLI runs with connections beyond loopback refused inside it: a broken check fails here, sending nothing.
    const run = await runCli(['serve', ...args], { ...env(), ...NO_EGRESS_ENV });
    expect(run.stderr).not.toContain(BLOCKED_MARK);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain(ADVICE);
    expect(run.status).toBe(2);
  });

  it('starts when BASTION_ALLOW_LINK_LOCAL=true says the service really lives there', async () => {
    const bastion = await startBastion({ env: redmineEnv({ REDMINE_URL: 'http://169.254.169.254:9/redmine', BASTION_ALLOW_LINK_LOCAL: 'true', ...NO_EGRESS_ENV }) });
    try {
      const { tools } = await bastion.client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('redmine_get_issue');
    } finally {
      await bastion.close();
    }
  });
});
