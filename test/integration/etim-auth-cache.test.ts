// ETIM OAuth2 and caching end to end against the ETIM double: one token per Bastion however many calls,
// refresh and retry once on 401, token-service refusals, Basic client authentication, the response cache
// (and what it must not keep), audit events, and a canary check that neither the client secret nor any
// access token shows up in results, logs or audit records.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ETIM_SCOPE, type EtimDouble } from '../doubles/etim.js';
import { call, runCli, type Bastion, type ToolResult } from '../helpers/bastion.js';
import { apiCalls, ETIM_TEST_CLIENT_ID, ETIM_TEST_CLIENT_SECRET, presentedTokens, secretForms, startBastionOnEtim, startEtim } from '../helpers/etim.js';

const dir = mkdtempSync(join(tmpdir(), 'bastion-etim-'));
const WRONG_SECRET = 'canary-wrong-etim-secret-4Hd8Zq1';

let double: EtimDouble;
/** Every tool result of this file, for the canary check at the end. */
const results: string[] = [];
const opened: Array<{ bastion: Bastion; audit: string }> = [];

/** A Bastion on the double with its own audit log (kept for the canary and audit checks). */
async function open(extra: Record<string, string> = {}): Promise<{ bastion: Bastion; audit: string }> {
  const audit = join(dir, `audit-${opened.length + 1}.jsonl`);
  const bastion = await startBastionOnEtim(double, { BASTION_AUDIT_LOG: audit, ...extra });
  const entry = { bastion, audit };
  opened.push(entry);
  return entry;
}

async function run(bastion: Bastion, tool: string, args: Record<string, unknown> = {}): Promise<ToolResult> {
  const result = await call(bastion, tool, args);
  results.push(JSON.stringify(result));
  return result;
}

function credentialEvents(audit: string): Array<{ event: string; source: string; outcome: string; credential: string; detail?: string }> {
  return readFileSync(audit, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .filter((record) => record.type === 'credential');
}

let main: Bastion;
let mainAudit: string;

beforeAll(async () => {
  double = await startEtim();
  ({ bastion: main, audit: mainAudit } = await open());
});
afterAll(async () => {
  for (const { bastion } of opened) await bastion.close();
  await double?.close();
});

describe('OAuth2 client credentials', () => {
  it('fetches no token at start, then exactly one, by form body with scope EtimApi, for all later calls', async () => {
    await main.client.listTools();
    expect(double.tokenRequests).toHaveLength(0);
    const first = await run(main, 'etim_search_groups', { text: 'lamp' });
    expect(first.isError).toBeFalsy();
    expect(double.tokenRequests).toEqual([{ grantType: 'client_credentials', clientId: ETIM_TEST_CLIENT_ID, scope: ETIM_SCOPE, auth: 'body', status: 200 }]);
    const second = await run(main, 'etim_get_group', { code: 'EG990001' });
    expect(second.isError).toBeFalsy();
    expect(double.tokenRequests).toHaveLength(1);
    expect(double.apiRequests).toHaveLength(2);
    expect(double.apiRequests.every((r) => r.status === 200 && r.token === double.apiRequests[0]!.token)).toBe(true);
  });

  it('makes one token request for 20 concurrent calls on a fresh Bastion', async () => {
    const { bastion } = await open();
    const tokensBefore = double.tokenRequests.length;
    const apiBefore = double.apiRequests.length;
    // A slow token service keeps every call waiting on the same fetch.
    double.setTokenDelay(200);
    try {
      const codes = Array.from({ length: 20 }, (_, i) => `EF99${String(i + 1).padStart(4, '0')}`);
      const answers = await Promise.all(codes.map((code) => run(bastion, 'etim_get_feature', { code, translations: false })));
      answers.forEach((answer, i) => {
        expect(answer.isError, codes[i]).toBeFalsy();
        expect(answer.structured.code).toBe(codes[i]);
      });
    } finally {
      double.setTokenDelay(0);
    }
    expect(double.tokenRequests.length - tokensBefore).toBe(1);
    const sent = double.apiRequests.slice(apiBefore);
    expect(sent).toHaveLength(20);
    expect(new Set(sent.map((r) => r.token)).size).toBe(1);
  });

  it('answers a 401 with one new token and one retry', async () => {
    const tokensBefore = double.tokenRequests.length;
    const apiBefore = double.apiRequests.length;
    double.rejectNextApiCall();
    const result = await run(main, 'etim_get_value', { code: 'EV990002' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.description).toBe(double.state.values.get('EV990002')!.descriptions.EN);
    expect(double.tokenRequests.length - tokensBefore).toBe(1);
    const sent = double.apiRequests.slice(apiBefore);
    expect(sent.map((r) => [r.path, r.status])).toEqual([
      ['/api/v2/Value/Details', 401],
      ['/api/v2/Value/Details', 200],
    ]);
    expect(sent[1]!.token).not.toBe(sent[0]!.token);
    // The new token is kept.
    await run(main, 'etim_get_value', { code: 'EV990003' });
    expect(double.tokenRequests.length - tokensBefore).toBe(1);
    expect(double.apiRequests.at(-1)!.token).toBe(sent[1]!.token);
  });

  it('answers expired tokens with one new token and one retry', async () => {
    const tokensBefore = double.tokenRequests.length;
    const apiBefore = double.apiRequests.length;
    double.expireAllTokens();
    const result = await run(main, 'etim_get_unit', { code: 'EU990003' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.abbreviation).toBe('W');
    expect(double.tokenRequests.length - tokensBefore).toBe(1);
    expect(double.apiRequests.slice(apiBefore).map((r) => r.status)).toEqual([401, 200]);
  });

  it('shares one new token between concurrent calls that all found theirs expired', async () => {
    const tokensBefore = double.tokenRequests.length;
    const apiBefore = double.apiRequests.length;
    double.expireAllTokens();
    double.setTokenDelay(200);
    try {
      const codes = ['EU990001', 'EU990002', 'EU990004', 'EU990006', 'EU990007'];
      const answers = await Promise.all(codes.map((code) => run(main, 'etim_get_unit', { code })));
      for (const answer of answers) expect(answer.isError).toBeFalsy();
    } finally {
      double.setTokenDelay(0);
    }
    expect(double.tokenRequests.length - tokensBefore).toBe(1);
    const accepted = double.apiRequests.slice(apiBefore).filter((r) => r.status === 200);
    expect(accepted).toHaveLength(5);
    expect(new Set(accepted.map((r) => r.token)).size).toBe(1);
  });

  it('gives up with a clear 401 when a fresh token is refused too, without looping', async () => {
    const tokensBefore = double.tokenRequests.length;
    const apiBefore = double.apiRequests.length;
    double.rejectNextApiCall(2);
    const result = await run(main, 'etim_get_feature', { code: 'EF990003' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('401');
    expect(result.text).toContain('ETIM_CLIENT_SECRET');
    expect(double.apiRequests.length - apiBefore).toBe(2);
    expect(double.tokenRequests.length - tokensBefore).toBe(1);
  });

  describe('a token service that refuses the client', () => {
    let refusal: ToolResult;
    let refused: Bastion;
    let refusedAudit: string;

    beforeAll(async () => {
      const { bastion, audit } = await open();
      refused = bastion;
      refusedAudit = audit;
      const apiBefore = double.apiRequests.length;
      double.failTokenEndpoint(400, { error: 'invalid_client' });
      refusal = await run(bastion, 'etim_search_feature_groups', {});
      expect(double.apiRequests.length).toBe(apiBefore);
      expect(double.tokenRequests.at(-1)!.status).toBe(400);
    });

    it('is an isError naming the token service and invalid_client, without the secret, and not remembered', async () => {
      expect(refusal.isError).toBe(true);
      expect(refusal.text).toContain('token service');
      expect(refusal.text).toContain('400');
      expect(refusal.text).toContain('invalid_client');
      for (const form of secretForms(ETIM_TEST_CLIENT_SECRET)) expect(refusal.text).not.toContain(form);
      // The next call asks again and succeeds.
      const again = await run(refused, 'etim_search_feature_groups', {});
      expect(again.isError).toBeFalsy();
      expect(again.structured.total).toBe(double.state.featureGroups.size);
      expect(double.tokenRequests.at(-1)!.status).toBe(200);
    });

    it('reads clearly: no ordinary word of the message is replaced by [REDACTED]', () => {
      // Nothing secret is in this message, so nothing should be masked in it.
      expect(refusal.text).not.toContain('[REDACTED]');
    });

    it('is audited as authentication_failure', () => {
      const events = credentialEvents(refusedAudit).map((e) => [e.event, e.outcome]);
      expect(events).toEqual(expect.arrayContaining([['authentication_failure', 'error']]));
    });
  });

  it('scrubs the secret when the token service echoes it in error_description', async () => {
    const { bastion } = await open();
    double.failTokenEndpoint(401, { error: 'invalid_client', error_description: `Client secret '${ETIM_TEST_CLIENT_SECRET}' is not valid for ${ETIM_TEST_CLIENT_ID}` });
    const result = await run(bastion, 'etim_list_releases');
    expect(result.isError).toBe(true);
    expect(result.text).toContain('invalid_client');
    for (const form of secretForms(ETIM_TEST_CLIENT_SECRET)) expect(result.text).not.toContain(form);
    expect(bastion.stderr()).not.toContain(ETIM_TEST_CLIENT_SECRET);
  });

  it('reports a wrong client secret as invalid_client and audits it, without either secret', async () => {
    const { bastion, audit } = await open({ ETIM_CLIENT_SECRET: WRONG_SECRET });
    const apiBefore = double.apiRequests.length;
    const result = await run(bastion, 'etim_get_feature', { code: 'EF990001' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('invalid_client');
    expect(double.tokenRequests.at(-1)).toMatchObject({ clientId: ETIM_TEST_CLIENT_ID, status: 400, auth: 'body' });
    expect(double.apiRequests.length).toBe(apiBefore);
    for (const secret of [WRONG_SECRET, ETIM_TEST_CLIENT_SECRET]) for (const form of secretForms(secret)) expect(result.text).not.toContain(form);
    const events = credentialEvents(audit);
    expect(events.map((e) => [e.event, e.outcome])).toEqual([
      ['token_access', 'ok'],
      ['client_initialization', 'ok'],
      ['authentication_failure', 'error'],
    ]);
    expect(events[2]!.detail).toContain('invalid_client');
  });

  it('repeats a token request that failed with 503', async () => {
    const { bastion } = await open();
    const tokensBefore = double.tokenRequests.length;
    double.failTokenEndpoint(503, { error: 'server_error' });
    const result = await run(bastion, 'etim_get_group', { code: 'EG990002' });
    expect(result.isError).toBeFalsy();
    expect(double.tokenRequests.slice(tokensBefore).map((r) => r.status)).toEqual([503, 200]);
  });

  it('sends the client credentials with HTTP Basic when ETIM_AUTH_METHOD=basic', async () => {
    const { bastion } = await open({ ETIM_AUTH_METHOD: 'basic' });
    const tokensBefore = double.tokenRequests.length;
    const result = await run(bastion, 'etim_get_feature_group', { code: 'EFG99003' });
    expect(result.isError).toBeFalsy();
    expect(double.tokenRequests.slice(tokensBefore)).toEqual([
      { grantType: 'client_credentials', clientId: ETIM_TEST_CLIENT_ID, scope: ETIM_SCOPE, auth: 'basic', status: 200 },
    ]);
  });
});

describe('retries', () => {
  it('repeats a read that failed with 503 once, and reports a 500 with ETIM\'s detail', async () => {
    const before = apiCalls(double, '/Unit/Search').length;
    double.failNext({ method: 'POST', pathPrefix: '/api/v2/Unit/Search', count: 1, status: 503 });
    const result = await run(main, 'etim_search_units', { text: 'volt' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.items.map((i: { code: string }) => i.code)).toEqual(['EU990004']);
    expect(apiCalls(double, '/Unit/Search').slice(before).map((r) => r.status)).toEqual([503, 200]);

    double.failNext({ method: 'POST', pathPrefix: '/api/v2/Unit/Details', count: 1, status: 500, body: { title: 'Server error', status: 500, detail: 'Database unavailable' } });
    const failed = await run(main, 'etim_get_unit', { code: 'EU990009' });
    expect(failed.isError).toBe(true);
    expect(failed.text).toContain('500');
    expect(failed.text).toContain('Database unavailable');
  });
});

describe('response cache', () => {
  it('answers the same search twice with one API request', async () => {
    const before = apiCalls(double, '/Class/Search').length;
    const first = await run(main, 'etim_search_classes', { text: 'cable' });
    const second = await run(main, 'etim_search_classes', { text: 'cable' });
    expect(first.isError).toBeFalsy();
    expect(first.structured.total).toBeGreaterThan(0);
    expect(second.structured).toEqual(first.structured);
    expect(apiCalls(double, '/Class/Search').length - before).toBe(1);
    // Another page or language is another question.
    await run(main, 'etim_search_classes', { text: 'cable', size: 1 });
    await run(main, 'etim_search_classes', { text: 'Kabel', language: 'de-DE' });
    expect(apiCalls(double, '/Class/Search').length - before).toBe(3);
  });

  it('keeps details: feature modes and pages of one class come from one API request', async () => {
    const before = apiCalls(double, '/Class/Details').length;
    for (const args of [{ features: 'summary' }, { features: 'count' }, { features: 'full', feature_offset: 2, feature_limit: 2 }]) {
      const result = await run(main, 'etim_get_class', { code: 'EC990002', ...args });
      expect(result.isError).toBeFalsy();
    }
    expect(apiCalls(double, '/Class/Details').length - before).toBe(1);
    const featureBefore = apiCalls(double, '/Feature/Details').length;
    await run(main, 'etim_get_feature', { code: 'EF990009' });
    await run(main, 'etim_get_feature', { code: 'ef990009' });
    expect(apiCalls(double, '/Feature/Details').length - featureBefore).toBe(1);
  });

  it('does not keep an empty search result', async () => {
    const before = apiCalls(double, '/Value/Search').length;
    for (let i = 0; i < 2; i += 1) {
      const result = await run(main, 'etim_search_values', { text: 'no-such-value-zz' });
      expect(result.isError).toBeFalsy();
      expect(result.structured.total).toBe(0);
    }
    expect(apiCalls(double, '/Value/Search').length - before).toBe(2);
  });

  it('does not keep errors', async () => {
    const before = apiCalls(double, '/Feature/Details').length;
    for (let i = 0; i < 2; i += 1) expect((await run(main, 'etim_get_feature', { code: 'EF999990' })).isError).toBe(true);
    expect(apiCalls(double, '/Feature/Details').length - before).toBe(2);
  });

  it('keeps the language and release lists for tools and resources alike', async () => {
    const languages = apiCalls(double, '/Misc/Languages').length;
    const allowed = apiCalls(double, '/Misc/LanguagesAllowed').length;
    await run(main, 'etim_list_languages');
    await run(main, 'etim_list_languages', { allowed_only: true });
    const read = await main.client.readResource({ uri: 'etim://languages' });
    results.push(JSON.stringify(read));
    expect(apiCalls(double, '/Misc/Languages').length - languages).toBe(1);
    expect(apiCalls(double, '/Misc/LanguagesAllowed').length - allowed).toBe(1);
    const releases = apiCalls(double, '/Misc/Releases').length;
    await run(main, 'etim_list_releases');
    results.push(JSON.stringify(await main.client.readResource({ uri: 'etim://releases' })));
    expect(apiCalls(double, '/Misc/Releases').length - releases).toBe(1);
  });

  it('with ETIM_CACHE=off asks ETIM every time, still with one token', async () => {
    const { bastion } = await open({ ETIM_CACHE: 'off' });
    const tokensBefore = double.tokenRequests.length;
    const searches = apiCalls(double, '/Class/Search').length;
    const details = apiCalls(double, '/Feature/Details').length;
    for (let i = 0; i < 2; i += 1) {
      expect((await run(bastion, 'etim_search_classes', { text: 'cable' })).isError).toBeFalsy();
      expect((await run(bastion, 'etim_get_feature', { code: 'EF990009' })).isError).toBeFalsy();
    }
    expect(apiCalls(double, '/Class/Search').length - searches).toBe(2);
    expect(apiCalls(double, '/Feature/Details').length - details).toBe(2);
    expect(double.tokenRequests.length - tokensBefore).toBe(1);
  });
});

describe('audit log and canary', () => {
  it('records token_access and client_initialization per Bastion, and the log verifies', async () => {
    for (const { audit } of opened) {
      const events = credentialEvents(audit);
      expect(events.slice(0, 2).map((e) => [e.event, e.source, e.outcome]), audit).toEqual([
        ['token_access', 'env', 'ok'],
        ['client_initialization', 'env', 'ok'],
      ]);
      for (const event of events) expect(event.credential).toMatch(/^[0-9a-f]{8}$/);
    }
    const records = readFileSync(mainAudit, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(records.filter((r) => r.type === 'tool_call' && r.connector === 'etim').length).toBeGreaterThan(10);
    // The logs only: a running Bastion also keeps its lock holder file (<log>.lock.<id>) beside its log.
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.jsonl'))) {
      const check = await runCli(['audit', 'verify', join(dir, file)], { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' });
      expect(check.status, file).toBe(0);
    }
  });

  it('never shows the client secret or an access token in results, debug logs or audit records, in any encoding', async () => {
    for (const { bastion } of opened) await bastion.close();
    const all = [...results, ...opened.map(({ bastion }) => bastion.stderr()), ...readdirSync(dir).map((file) => readFileSync(join(dir, file), 'utf8'))].join('\n');
    expect(all).toContain('"level":"debug"');
    expect(all).toContain('upstream call');
    const tokens = presentedTokens(double);
    // One per Bastion at least, plus the ones renewed after 401s.
    expect(tokens.length).toBeGreaterThanOrEqual(5);
    const canaries = [
      ...secretForms(ETIM_TEST_CLIENT_SECRET),
      ...secretForms(WRONG_SECRET),
      Buffer.from(`${ETIM_TEST_CLIENT_ID}:${ETIM_TEST_CLIENT_SECRET}`).toString('base64'),
      ...tokens.flatMap(secretForms),
    ];
    for (const canary of canaries) expect(all.includes(canary), canary.slice(0, 10)).toBe(false);
  });
});
