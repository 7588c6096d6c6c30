// Self-check of the ETIM double: it must answer like the ETIM API v2 and its token service, and refuse what they refuse.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CHANGE,
  ETIM_CODES,
  ETIM_TEST_CLIENT_ID,
  ETIM_TEST_CLIENT_SECRET,
  startEtimDouble,
  type EtimDouble,
  type EtimDoubleOptions,
} from '../doubles/etim.js';

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

async function toReply(response: Response): Promise<Reply> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, text, body };
}

type Form = Record<string, string>;
const defaultForm = (): Form => ({ grant_type: 'client_credentials', client_id: ETIM_TEST_CLIENT_ID, client_secret: ETIM_TEST_CLIENT_SECRET, scope: 'EtimApi' });
const basicHeader = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function requestToken(etim: EtimDouble, form: Form = defaultForm(), headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${etim.authUrl}/connect/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return toReply(response);
}

async function accessToken(etim: EtimDouble): Promise<string> {
  const reply = await requestToken(etim);
  expect(reply.status).toBe(200);
  return reply.body.access_token as string;
}

async function call(etim: EtimDouble, method: string, path: string, body: unknown, token: string | null, headers: Record<string, string> = {}): Promise<Reply> {
  const all: Record<string, string> = { Accept: 'application/json', ...headers };
  if (token !== null) all.Authorization = `Bearer ${token}`;
  if (body !== undefined && !all['Content-Type']) all['Content-Type'] = 'application/json';
  const response = await fetch(`${etim.apiUrl}/api/v2${path}`, {
    method,
    headers: all,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return toReply(response);
}

describe('ETIM double: token service', () => {
  let etim: EtimDouble;
  beforeEach(async () => {
    etim = await startEtimDouble();
  });
  afterEach(async () => {
    await etim.close();
  });

  it('uses a test secret that contains "canary"', () => {
    expect(ETIM_TEST_CLIENT_SECRET).toContain('canary');
    expect(ETIM_TEST_CLIENT_ID).toBe('bastion-test-client');
  });

  it('issues an opaque bearer token for client credentials in the form body', async () => {
    const reply = await requestToken(etim);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ access_token: expect.any(String), expires_in: 3600, token_type: 'Bearer', scope: 'EtimApi' });
    expect(reply.body.access_token.length).toBeGreaterThanOrEqual(32);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.headers.get('cache-control')).toContain('no-store');
    expect(etim.tokenRequests).toEqual([{ grantType: 'client_credentials', clientId: ETIM_TEST_CLIENT_ID, scope: 'EtimApi', auth: 'body', status: 200 }]);
  });

  it('accepts HTTP Basic client authentication with url-encoded credentials', async () => {
    const reply = await requestToken(etim, { grant_type: 'client_credentials', scope: 'EtimApi' }, { Authorization: basicHeader(ETIM_TEST_CLIENT_ID, ETIM_TEST_CLIENT_SECRET) });
    expect(reply.status).toBe(200);
    expect(etim.tokenRequests[0]).toEqual({ grantType: 'client_credentials', clientId: ETIM_TEST_CLIENT_ID, scope: 'EtimApi', auth: 'basic', status: 200 });
    const special = await startEtimDouble({ clientId: 'id with:colon', clientSecret: 'canary s3cr3t/+&=' });
    try {
      const encoded = await requestToken(special, { grant_type: 'client_credentials' }, { Authorization: basicHeader('id with:colon', 'canary s3cr3t/+&=') });
      expect(encoded.status).toBe(200);
    } finally {
      await special.close();
    }
  });

  it('answers 400 invalid_client for a wrong secret or an unknown client, by body or Basic', async () => {
    for (const reply of [
      await requestToken(etim, { ...defaultForm(), client_secret: 'wrong' }),
      await requestToken(etim, { ...defaultForm(), client_id: 'someone-else' }),
      await requestToken(etim, { grant_type: 'client_credentials', scope: 'EtimApi' }),
      await requestToken(etim, { grant_type: 'client_credentials', scope: 'EtimApi' }, { Authorization: basicHeader(ETIM_TEST_CLIENT_ID, 'wrong') }),
    ]) {
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ error: 'invalid_client' });
    }
    // Client authentication is checked before the grant: a bad client with a bad grant is still invalid_client.
    const both = await requestToken(etim, { ...defaultForm(), client_secret: 'wrong', grant_type: 'password' });
    expect(both.body).toEqual({ error: 'invalid_client' });
    expect(etim.tokenRequests.map((entry) => entry.status)).toEqual([400, 400, 400, 400, 400]);
  });

  it('answers 400 unsupported_grant_type and invalid_scope', async () => {
    expect((await requestToken(etim, { ...defaultForm(), grant_type: 'password' })).body).toEqual({ error: 'unsupported_grant_type' });
    const { grant_type: _omitted, ...noGrant } = defaultForm();
    const missing = await requestToken(etim, noGrant);
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ error: 'unsupported_grant_type' });
    const scope = await requestToken(etim, { ...defaultForm(), scope: 'EtimApi openid' });
    expect(scope.status).toBe(400);
    expect(scope.body).toEqual({ error: 'invalid_scope' });
    // Without a scope the client gets the scopes it is allowed, like IdentityServer.
    const { scope: _none, ...noScope } = defaultForm();
    const unscoped = await requestToken(etim, noScope);
    expect(unscoped.status).toBe(200);
    expect(unscoped.body.scope).toBe('EtimApi');
    expect(etim.tokenRequests.at(-1)).toEqual({ grantType: 'client_credentials', clientId: ETIM_TEST_CLIENT_ID, auth: 'body', status: 200 });
  });

  it('accepts only form-encoded POSTs', async () => {
    const json = await fetch(`${etim.authUrl}/connect/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(defaultForm()) });
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ error: 'invalid_request' });
    const get = await fetch(`${etim.authUrl}/connect/token`);
    expect(get.status).toBe(405);
    const elsewhere = await fetch(`${etim.authUrl}/connect/authorize`, { method: 'POST' });
    expect(elsewhere.status).toBe(404);
    expect(etim.tokenRequests.map((entry) => entry.status)).toEqual([400, 405]);
  });

  it('restricts client authentication to the configured method', async () => {
    const basicOnly = await startEtimDouble({ secretIn: 'basic' });
    const bodyOnly = await startEtimDouble({ secretIn: 'body' });
    try {
      expect((await requestToken(basicOnly)).body).toEqual({ error: 'invalid_client' });
      expect((await requestToken(basicOnly, { grant_type: 'client_credentials' }, { Authorization: basicHeader(ETIM_TEST_CLIENT_ID, ETIM_TEST_CLIENT_SECRET) })).status).toBe(200);
      expect((await requestToken(bodyOnly, { grant_type: 'client_credentials' }, { Authorization: basicHeader(ETIM_TEST_CLIENT_ID, ETIM_TEST_CLIENT_SECRET) })).body).toEqual({ error: 'invalid_client' });
      expect((await requestToken(bodyOnly)).status).toBe(200);
    } finally {
      await basicOnly.close();
      await bodyOnly.close();
    }
  });

  it('fails, slows down and shortens tokens on request', async () => {
    etim.failTokenEndpoint(500);
    const failed = await requestToken(etim);
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({ error: 'server_error' });
    etim.failTokenEndpoint(400, { error: 'invalid_client' }, 2);
    expect((await requestToken(etim)).body).toEqual({ error: 'invalid_client' });
    expect((await requestToken(etim)).status).toBe(400);
    expect((await requestToken(etim)).status).toBe(200);

    etim.setTokenLifetime(7);
    expect((await requestToken(etim)).body.expires_in).toBe(7);

    etim.setTokenDelay(150);
    const started = Date.now();
    await requestToken(etim);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(etim.tokenRequests.map((entry) => entry.status)).toEqual([500, 400, 400, 200, 200, 200]);
  });
});

describe('ETIM double: API authentication', () => {
  let etim: EtimDouble;
  beforeEach(async () => {
    etim = await startEtimDouble();
  });
  afterEach(async () => {
    await etim.close();
  });
  const allowed = (token: string | null) => call(etim, 'GET', '/Misc/LanguagesAllowed', undefined, token);

  it('answers 401 with an empty body and a Bearer challenge without a valid token', async () => {
    const missing = await allowed(null);
    expect(missing.status).toBe(401);
    expect(missing.text).toBe('');
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    const bogus = await allowed('not-a-token');
    expect(bogus.status).toBe(401);
    expect(bogus.headers.get('www-authenticate')).toContain('invalid_token');
    const basic = await fetch(`${etim.apiUrl}/api/v2/Misc/Languages`, { headers: { Authorization: basicHeader(ETIM_TEST_CLIENT_ID, ETIM_TEST_CLIENT_SECRET) } });
    expect(basic.status).toBe(401);
    expect(etim.apiRequests.map((entry) => [entry.status, entry.token])).toEqual([
      [401, undefined],
      [401, 'not-a-token'],
      [401, undefined],
    ]);
  });

  it('accepts a fresh token and refuses it once expired, by lifetime or by expireAllTokens', async () => {
    const token = await accessToken(etim);
    expect((await allowed(token)).status).toBe(200);
    etim.expireAllTokens();
    const expired = await allowed(token);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toContain('expired');
    const fresh = await accessToken(etim);
    expect((await allowed(fresh)).status).toBe(200);

    etim.setTokenLifetime(1);
    const short = await accessToken(etim);
    expect((await allowed(short)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await allowed(short)).status).toBe(401);
    expect((await allowed(fresh)).status).toBe(200);
  });

  it('rejects the next API calls on request even with a valid token', async () => {
    const token = await accessToken(etim);
    etim.rejectNextApiCall();
    expect((await allowed(token)).status).toBe(401);
    expect((await allowed(token)).status).toBe(200);
    etim.rejectNextApiCall(2);
    expect((await allowed(token)).status).toBe(401);
    expect((await allowed(token)).status).toBe(401);
    expect((await allowed(token)).status).toBe(200);
    expect(etim.apiRequests.map((entry) => entry.status)).toEqual([401, 200, 401, 401, 200]);
    expect(etim.apiRequests.every((entry) => entry.token === token)).toBe(true);
  });

  it('injects failures by method and path prefix', async () => {
    const token = await accessToken(etim);
    etim.failNext({ method: 'POST', pathPrefix: '/api/v2/Class', count: 1, status: 503 });
    const body = { languagecode: 'EN', from: 0, size: 1 };
    const failed = await call(etim, 'POST', '/Class/Search', body, token);
    expect(failed.status).toBe(503);
    expect(failed.body).toMatchObject({ status: 503, title: 'Service Unavailable' });
    expect((await call(etim, 'POST', '/Class/Search', body, token)).status).toBe(200);
    etim.failNext({ method: '*', pathPrefix: '/connect/token', count: 1, status: 502, body: 'bad gateway' });
    const token502 = await requestToken(etim);
    expect(token502.status).toBe(502);
    expect(token502.text).toBe('bad gateway');
  });
});

describe('ETIM double: API', () => {
  let etim: EtimDouble;
  let token: string;
  const post = (path: string, body: unknown) => call(etim, 'POST', path, body, token);
  const get = (path: string) => call(etim, 'GET', path, undefined, token);
  const search = (path: string, extra: Record<string, unknown> = {}) => post(path, { languagecode: 'EN', from: 0, size: 1000, ...extra });
  const codes = (hits: Array<{ code: string }>) => hits.map((hit) => hit.code);
  const unique = (list: string[]) => [...new Set(list)];

  beforeAll(async () => {
    etim = await startEtimDouble();
    token = await accessToken(etim);
  });
  afterAll(async () => {
    await etim.close();
  });

  describe('request handling', () => {
    it('requires a JSON body on POST', async () => {
      const text = await call(etim, 'POST', '/Class/Search', 'languagecode=EN', token, { 'Content-Type': 'text/plain' });
      expect(text.status).toBe(415);
      expect(text.body).toMatchObject({ status: 415, title: 'Unsupported Media Type' });
      const malformed = await call(etim, 'POST', '/Class/Search', '{"languagecode":', token);
      expect(malformed.status).toBe(400);
      expect(malformed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(malformed.body).toMatchObject({ status: 400, title: 'One or more validation errors occurred.', errors: { $: expect.any(Array) } });
      const empty = await call(etim, 'POST', '/Class/Details', '', token, { 'Content-Type': 'application/json' });
      expect(empty.status).toBe(400);
    });

    it('requires languagecode, spelled exactly, and ignores unknown keys', async () => {
      const missing = await post('/Class/Details', { code: 'EC990001' });
      expect(missing.status).toBe(400);
      expect(missing.body.errors.languagecode).toEqual(['The languagecode field is required.']);
      const wrongCase = await post('/Class/Details', { languageCode: 'EN', code: 'EC990001' });
      expect(wrongCase.status).toBe(400);
      const extra = await post('/Class/Details', { languagecode: 'EN', code: 'EC990001', unknown: true, searchText: 'x' });
      expect(extra.status).toBe(200);
    });

    it('answers 400 naming a language the account may not use', async () => {
      const notAllowed = await search('/Class/Search', { languagecode: 'fr-BE' });
      expect(notAllowed.status).toBe(400);
      expect(notAllowed.body).toMatchObject({ type: expect.any(String), title: 'Bad Request', status: 400, detail: expect.stringContaining('fr-BE') });
      const unknown = await search('/Class/Search', { languagecode: 'xx-XX' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.detail).toContain('xx-XX');
    });

    it('routes like ASP.NET Core: 404 for unknown paths, 405 for wrong methods, case-insensitive', async () => {
      expect((await get('/Class/Compare')).status).toBe(404);
      expect((await get('/Misc/Version')).status).toBe(404);
      expect((await get('/Class/Search')).status).toBe(405);
      expect((await post('/Misc/Releases', {})).status).toBe(405);
      expect((await get('/misc/releases')).status).toBe(200);
    });
  });

  describe('search', () => {
    it('enforces the paging limits', async () => {
      const size = await search('/Class/Search', { size: 1001 });
      expect(size.status).toBe(400);
      expect(size.body.errors.size).toContain('Size must be less than or equal to 1000.');
      const from = await search('/Feature/Search', { from: 19001, size: 10 });
      expect(from.status).toBe(400);
      expect(from.body.errors.from).toContain('From must be less than or equal to 19000.');
      // from <= 19000 and size <= 1000 can only exceed the window together with the size rule.
      const window = await search('/Value/Search', { from: 19000, size: 1001 });
      expect(window.status).toBe(400);
      expect(window.body.errors.size).toContain('From + size must be less than or equal to 20000.');
      const edge = await search('/Class/Search', { from: 19000, size: 1000 });
      expect(edge.status).toBe(200);
      // Unfiltered, every version of every class counts (the real API: 21,538 hits for about 5,600 classes).
      expect(edge.body).toEqual({ total: 14, classes: [] });
      const missing = await post('/Class/Search', { languagecode: 'EN' });
      expect(missing.status).toBe(400);
      expect(Object.keys(missing.body.errors).sort()).toEqual(['from', 'size']);
      expect((await search('/Class/Search', { from: '0' })).status).toBe(400);
    });

    it('returns minimal class hits unless descriptions are included', async () => {
      const minimal = await search('/Class/Search', { searchString: 'EC990001' });
      expect(minimal.body.total).toBe(3);
      expect(minimal.body.classes.map((hit: { version: number }) => hit.version)).toEqual([1, 2, 3]);
      expect(minimal.body.classes[2]).toEqual({ code: 'EC990001', version: 3, status: 5, mutationDate: '2023-12-15T08:30:00', modelling: false });
      const described = await search('/Class/Search', { languagecode: 'de-DE', searchString: 'EC990001', include: { descriptions: true } });
      expect(described.body.classes[2]).toMatchObject({ code: 'EC990001', description: 'LED-Lampe', descriptionEn: 'LED lamp', synonyms: ['LED-Leuchtmittel'] });
      const features = await search('/Feature/Search', { searchString: 'EF990001' });
      expect(features.body.features).toEqual([{ code: 'EF990001', type: 'A', deprecated: false }]);
      const groups = await search('/Group/Search', { size: 2 });
      expect(groups.body).toEqual({ total: 4, groups: [{ code: 'EG990001' }, { code: 'EG990002' }] });
    });

    it('matches searchString against code, description and synonyms, case-insensitively, in the request language', async () => {
      expect(unique(codes((await search('/Class/Search', { searchString: 'led LAMP' })).body.classes))).toEqual(['EC990001']);
      expect(unique(codes((await search('/Class/Search', { searchString: 'ec99000', size: 100 })).body.classes))).toHaveLength(8);
      expect(codes((await search('/Class/Search', { searchString: 'zip tie' })).body.classes)).toEqual(['EC990002']);
      expect((await search('/Class/Search', { languagecode: 'nl-NL', searchString: 'schakelkast' })).body.total).toBe(1);
      expect((await search('/Class/Search', { searchString: 'schakelkast' })).body.total).toBe(0);
      expect((await search('/Class/Search', { searchString: '' })).body.total).toBe(14);
      expect((await search('/Unit/Search', { searchString: 'mm' })).body.units).toEqual([{ code: 'EU990001', deprecated: false }]);
    });

    it('pages with from/size while total counts every match', async () => {
      const page = await search('/Feature/Search', { from: 130, size: 20 });
      expect(page.body.total).toBe(140);
      expect(codes(page.body.features)).toEqual(['EF990131', 'EF990132', 'EF990133', 'EF990134', 'EF990135', 'EF990136', 'EF990137', 'EF990138', 'EF990139', 'EF990140']);
    });

    it('honours the modelling tri-state on classes', async () => {
      expect((await search('/Class/Search')).body.total).toBe(14);
      expect(codes((await search('/Class/Search', { modelling: true })).body.classes)).toEqual(['MC990001']);
      const regular = await search('/Class/Search', { modelling: false });
      expect(regular.body.total).toBe(13);
      expect(regular.body.classes.every((hit: { modelling: boolean }) => !hit.modelling)).toBe(true);
    });

    it('honours the deprecated tri-state on features, values and units', async () => {
      const totals = async (path: string) => [
        (await search(path)).body.total,
        (await search(path, { deprecated: true })).body.total,
        (await search(path, { deprecated: false })).body.total,
      ];
      expect(await totals('/Feature/Search')).toEqual([140, 1, 139]);
      expect(await totals('/Value/Search')).toEqual([14, 1, 13]);
      expect(await totals('/Unit/Search')).toEqual([10, 1, 9]);
      expect((await search('/Value/Search', { deprecated: true, include: { descriptions: true } })).body.values).toEqual([
        { code: 'EV990004', deprecated: true, description: 'silver (obsolete)', descriptionEn: 'silver (obsolete)' },
      ]);
      expect(codes((await search('/Unit/Search', { deprecated: true })).body.units)).toEqual(['EU990008']);
    });

    it('filters classes: AND across filters, OR within values, codes in any case', async () => {
      const group = await search('/Class/Search', { filters: [{ code: 'Group', values: ['EG990001'] }] });
      expect(unique(codes(group.body.classes))).toEqual(['EC990001', 'EC990005', 'EC990007', 'MC990001']);
      const release = await search('/Class/Search', { filters: [{ code: 'release', values: ['ETIM-9.0'] }] });
      expect(release.body.classes.map((hit: { code: string; version: number }) => `${hit.code}v${hit.version}`)).toEqual(['EC990001v2', 'EC990002v1', 'EC990003v1', 'EC990005v1']);
      const both = await search('/Class/Search', {
        filters: [
          { code: 'Release', values: ['ETIM-9.0'] },
          { code: 'Group', values: ['EG990001', 'eg990003'] },
        ],
      });
      expect(codes(both.body.classes)).toEqual(['EC990001', 'EC990003', 'EC990005']);
      expect(unique(codes((await search('/Class/Search', { filters: [{ code: 'Feature', values: ['EF990017'] }] })).body.classes))).toEqual(['EC990005']);
      expect(unique(codes((await search('/Class/Search', { filters: [{ code: 'Value', values: ['EV990004', 'EV990011'] }] })).body.classes))).toEqual(['EC990001', 'EC990003', 'EC990004']);
      expect(codes((await search('/Class/Search', { filters: [{ code: 'Class', values: ['EC990002', 'MC990001'] }] })).body.classes)).toEqual(['EC990002', 'MC990001']);
      const unknown = await search('/Class/Search', { filters: [{ code: 'Colour', values: ['x'] }] });
      expect(unknown.status).toBe(400);
    });

    it('searches groups and feature groups with descriptions', async () => {
      const groups = await search('/FeatureGroup/Search', { languagecode: 'nl-NL', include: { descriptions: true } });
      expect(groups.body).toEqual({
        total: 3,
        featureGroups: [
          { code: 'EFG99001', description: 'Elektrische eigenschappen' },
          { code: 'EFG99002', description: 'Afmetingen' },
          { code: 'EFG99003', description: 'Lichttechnische eigenschappen' },
        ],
      });
      expect((await search('/Group/Search', { filters: [{ code: 'Group', values: ['EG990004'] }] })).body.groups).toEqual([{ code: 'EG990004' }]);
    });
  });

  describe('class details', () => {
    const details = (extra: Record<string, unknown>) => post('/Class/Details', { languagecode: 'EN', code: 'EC990001', ...extra });

    it('returns the latest version unless a version is given', async () => {
      const latest = await details({});
      expect(latest.status).toBe(200);
      expect(latest.body).toEqual({ code: 'EC990001', version: 3, status: 5, mutationDate: '2023-12-15T08:30:00', modelling: false });
      expect((await details({ version: 1 })).body.version).toBe(1);
    });

    it('adds features, group and releases only when include.fields asks for them', async () => {
      const full = await details({ include: { descriptions: true, fields: ['Features', 'Group', 'Releases'] } });
      expect(full.body).toMatchObject({
        description: 'LED lamp',
        synonyms: ['LED bulb', 'LED retrofit lamp'],
        group: { code: 'EG990001', description: 'Lamps and luminaires' },
        releases: ['ETIM-10.0', 'DYNAMIC'],
      });
      expect(full.body.translations).toBeUndefined();
      const features = full.body.features as any[];
      expect(features.map((feature) => feature.type).sort()).toEqual(['A', 'A', 'N', 'N', 'N', 'R']);
      const length = features.find((feature) => feature.code === 'EF990005');
      expect(length).toMatchObject({
        orderNumber: 6,
        type: 'N',
        description: 'Length',
        unit: { code: 'EU990001', abbreviation: 'mm' },
        unitImperial: { code: 'EU990002', abbreviation: 'in' },
      });
      expect(length.values).toBeUndefined();
      const colour = features.find((feature) => feature.code === 'EF990001');
      expect(colour.values.map((value: { code: string }) => value.code)).toEqual(['EV990001', 'EV990002', 'EV990003', 'EV990005']);
      expect(colour.values[0]).toEqual({ orderNumber: 1, code: 'EV990001', deprecated: false, description: 'white' });
      expect(features.some((feature) => 'changeCode' in feature)).toBe(false);

      const groupOnly = await details({ include: { fields: ['group'] } });
      expect(groupOnly.body.group).toEqual({ code: 'EG990001' });
      expect(groupOnly.body.features).toBeUndefined();
      expect(groupOnly.body.releases).toBeUndefined();
    });

    it('adds translations for every language the account may use', async () => {
      const translated = await details({ languagecode: 'nl-NL', include: { descriptions: true, translations: true } });
      expect(translated.body.description).toBe('LED-lamp');
      expect(translated.body.translations).toEqual([
        { languagecode: 'EN', description: 'LED lamp', synonyms: ['LED bulb', 'LED retrofit lamp'] },
        { languagecode: 'de-DE', description: 'LED-Lampe', synonyms: ['LED-Leuchtmittel'] },
        { languagecode: 'nl-NL', description: 'LED-lamp', synonyms: ['LED-peer'] },
      ]);
    });

    it('serves the large class with 130 features, the deleted class and the modelling class', async () => {
      const large = await post('/Class/Details', { languagecode: 'EN', code: ETIM_CODES.largeClass, include: { fields: ['Features'] } });
      expect(large.body.features).toHaveLength(130);
      expect(new Set(large.body.features.map((feature: { type: string }) => feature.type))).toEqual(new Set(['A', 'L', 'N', 'R']));
      const deleted = await post('/Class/Details', { languagecode: 'EN', code: 'EC990007' });
      expect(deleted.body).toMatchObject({ version: 2, status: 9 });
      const modelling = await post('/ModellingClass/Details', { languagecode: 'EN', code: 'MC990001', include: { fields: ['Features', 'Linked*'] } });
      expect(modelling.body).toMatchObject({ modelling: true, dimensionalDrawingSvgUrl: expect.any(String), linkedRegularClasses: [{ code: 'EC990005', version: 2 }], linkedModellingClasses: [] });
      expect(modelling.body.features[2].portcode).toBe(1);
    });

    it('answers 400 ProblemDetails for an unknown code or version (the swagger documents 400, 401 and 500 only)', async () => {
      const unknown = await details({ code: 'EC999999' });
      expect(unknown.status).toBe(400);
      expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(unknown.body).toMatchObject({ type: expect.stringContaining('6.5.1'), title: 'Bad Request', status: 400, detail: expect.stringContaining('EC999999') });
      expect((await details({ version: 9 })).status).toBe(400);
    });

    it('resolves modelling classes through the ModellingClass endpoints only', async () => {
      expect((await post('/Class/Details', { languagecode: 'EN', code: 'MC990001' })).status).toBe(400);
      expect((await post('/ModellingClass/Details', { languagecode: 'EN', code: 'EC990001' })).status).toBe(400);
      expect((await post('/Class/DetailsManyByCode', { languagecode: 'EN', code: 'MC990001' })).body).toEqual([]);
      expect((await post('/ModellingClass/DetailsManyByCode', { languagecode: 'EN', code: 'MC990001' })).body.map((c: { code: string }) => c.code)).toEqual(['MC990001']);
      expect((await post('/Class/DetailsMany', { languagecode: 'EN', classes: [{ code: 'MC990001' }] })).body).toEqual([]);
      expect((await post('/ModellingClass/DetailsMany', { languagecode: 'EN', classes: [{ code: 'MC990001' }, { code: 'EC990001' }] })).body.map((c: { code: string }) => c.code)).toEqual(['MC990001']);
      expect((await post('/ModellingClass/Search', { languagecode: 'EN', from: 0, size: 10 })).body.classes.map((c: { code: string }) => c.code)).toEqual(['MC990001']);
    });

    it('DetailsMany returns an array and leaves out unknown codes', async () => {
      const many = await post('/Class/DetailsMany', {
        classes: [{ code: 'EC990001', version: 1 }, { code: 'EC999999' }, { code: 'EC990003' }, { code: 'EC990002', version: 7 }],
        languagecode: 'EN',
        include: { descriptions: true, fields: ['Features', 'Group', 'Releases'] },
      });
      expect(many.status).toBe(200);
      expect(Array.isArray(many.body)).toBe(true);
      expect(many.body.map((item: { code: string; version: number }) => `${item.code}v${item.version}`)).toEqual(['EC990001v1', 'EC990003v2']);
      expect(many.body[0].releases).toEqual(['ETIM-8.0']);
      expect((await post('/Class/DetailsMany', { languagecode: 'EN' })).status).toBe(400);
    });

    it('DetailsManyByCode returns every version', async () => {
      const all = await post('/Class/DetailsManyByCode', { code: 'EC990001', languagecode: 'EN', include: { fields: ['Releases'] } });
      expect(all.body.map((item: { version: number; releases: string[] }) => [item.version, item.releases])).toEqual([
        [1, ['ETIM-8.0']],
        [2, ['ETIM-9.0']],
        [3, ['ETIM-10.0', 'DYNAMIC']],
      ]);
      const unknown = await post('/Class/DetailsManyByCode', { code: 'EC999999', languagecode: 'EN' });
      expect([unknown.status, unknown.body]).toEqual([200, []]);
    });

    it('DetailsForRelease returns the version valid in that release', async () => {
      const forRelease = (code: string, release: string) => post('/Class/DetailsForRelease', { code, release, languagecode: 'EN' });
      expect((await forRelease('EC990001', 'ETIM-9.0')).body.version).toBe(2);
      expect((await forRelease('EC990001', 'DYNAMIC')).body.version).toBe(3);
      expect((await forRelease('EC990007', 'ETIM-4.0')).body.version).toBe(1);
      const absent = await forRelease('EC990001', 'ETIM-7.0');
      expect(absent.status).toBe(400);
      expect(absent.body.detail).toContain('ETIM-7.0');
      expect((await forRelease('EC990007', 'DYNAMIC')).status).toBe(400);
      expect((await post('/Class/DetailsForRelease', { code: 'EC990001', languagecode: 'EN' })).body.errors.release).toBeDefined();
    });

    it('DetailsDiff marks changes against the previous version', async () => {
      const diff = await post('/Class/DetailsDiff', { languagecode: 'EN', code: 'EC990001', version: 3, include: { fields: ['Group', 'Releases', 'Features'] } });
      expect(diff.status).toBe(200);
      expect(diff.body.changeCode).toBe(CHANGE.changed);
      const marks = Object.fromEntries(diff.body.features.map((feature: { code: string; changeCode: number }) => [feature.code, feature.changeCode]));
      expect(marks).toEqual({ EF990001: 2, EF990002: 0, EF990006: 0, EF990004: 0, EF990005: 1, EF990007: 1, EF990003: 9 });
      const colour = diff.body.features.find((feature: { code: string }) => feature.code === 'EF990001');
      expect(colour.values.map((value: { code: string; changeCode: number }) => [value.code, value.changeCode])).toEqual([
        ['EV990001', 0],
        ['EV990002', 0],
        ['EV990003', 0],
        ['EV990005', 1],
      ]);
      const v2 = await post('/Class/DetailsDiff', { languagecode: 'EN', code: 'EC990001', version: 2, include: { fields: ['Features'] } });
      const v2colour = v2.body.features.find((feature: { code: string }) => feature.code === 'EF990001');
      expect(v2colour.values.map((value: { code: string; changeCode: number }) => [value.code, value.changeCode])).toEqual([
        ['EV990001', 0],
        ['EV990002', 0],
        ['EV990003', 1],
        ['EV990004', 9],
      ]);
      const first = await post('/Class/DetailsDiff', { languagecode: 'EN', code: 'EC990001', version: 1, include: { fields: ['Features'] } });
      expect(first.body.changeCode).toBe(CHANGE.added);
      expect(first.body.features.every((feature: { changeCode: number }) => feature.changeCode === 1)).toBe(true);
      const unchanged = await post('/Class/DetailsDiff', { languagecode: 'EN', code: 'EC990007', include: { fields: ['Features'] } });
      expect(unchanged.body.features.map((feature: { changeCode: number }) => feature.changeCode)).toEqual([0, 0]);
      expect(unchanged.body).toMatchObject({ version: 2, status: 9, changeCode: CHANGE.changed });
    });
  });

  describe('other details', () => {
    const entity = (path: string, code: string, include: Record<string, unknown> = { descriptions: true }) => post(path, { languagecode: 'de-DE', code, include });

    it('serves features, values, units, groups and feature groups', async () => {
      expect((await entity('/Feature/Details', 'EF990004')).body).toEqual({ code: 'EF990004', type: 'R', deprecated: false, description: 'Spannung' });
      expect((await entity('/Feature/Details', 'EF990014')).body.deprecated).toBe(true);
      const value = await entity('/Value/Details', 'EV990001', { descriptions: true, translations: true });
      expect(value.body).toEqual({
        code: 'EV990001',
        deprecated: false,
        description: 'weiß',
        descriptionEn: 'white',
        translations: [
          { languagecode: 'EN', description: 'white' },
          { languagecode: 'de-DE', description: 'weiß' },
          { languagecode: 'nl-NL', description: 'wit' },
        ],
      });
      const unit = await entity('/Unit/Details', 'EU990005', { descriptions: true, translations: true });
      expect(unit.body).toMatchObject({ code: 'EU990005', description: 'Grad Celsius', descriptionEn: 'degree Celsius', abbreviation: '°C', abbreviationEn: '°C' });
      expect(unit.body.translations[2]).toEqual({ languagecode: 'nl-NL', description: 'graden Celsius', abbreviation: '°C' });
      const group = await entity('/Group/Details', 'EG990003', { descriptions: true, fields: ['Releases'] });
      expect(group.body).toEqual({ code: 'EG990003', description: 'Schutzgeräte', releases: ['ETIM-9.0', 'ETIM-10.0', 'DYNAMIC'] });
      expect((await entity('/FeatureGroup/Details', 'EFG99002')).body).toEqual({ code: 'EFG99002', description: 'Abmessungen' });
      expect((await entity('/FeatureGroup/Details', 'EFG99002', {})).body).toEqual({ code: 'EFG99002' });
    });

    it('answers 200 with an empty body for unknown codes of every kind', async () => {
      for (const [path, code] of [
        ['/Feature/Details', 'EF999999'],
        ['/Value/Details', 'EV999999'],
        ['/Unit/Details', 'EU999999'],
        ['/Group/Details', 'EG999999'],
        ['/FeatureGroup/Details', 'EFG99999'],
      ] as const) {
        const reply = await entity(path, code);
        expect(reply.status).toBe(200);
        expect(reply.text).toBe('');
      }
    });
  });

  describe('misc', () => {
    it('lists allowed languages, all languages and releases', async () => {
      expect((await get('/Misc/LanguagesAllowed')).body).toEqual([
        { code: 'EN', description: 'ETIM English' },
        { code: 'de-DE', description: 'German' },
        { code: 'nl-NL', description: 'Dutch' },
      ]);
      const all = (await get('/Misc/Languages')).body as Array<{ code: string }>;
      expect(all).toHaveLength(23);
      expect(all.map((language) => language.code)).toEqual(expect.arrayContaining(['EN', 'de-DE', 'nl-BE', 'fr-BE', 'fi-FI', 'it-IT', 'nb-NO', 'nl-NL']));
      const releases = (await get('/Misc/Releases')).body as Array<{ id: number; description: string }>;
      expect(releases.map((release) => release.description)).toEqual(['DYNAMIC', 'ETIM-4.0', 'ETIM-5.0', 'ETIM-6.0', 'ETIM-7.0', 'ETIM-8.0', 'ETIM-9.0', 'ETIM-10.0']);
      expect(releases.every((release) => Object.keys(release).join() === 'id,description' && typeof release.id === 'number')).toBe(true);
    });
  });

  it('logs every API request with its body, status and token', async () => {
    const before = etim.apiRequests.length;
    await post('/Feature/Details', { languagecode: 'EN', code: 'EF990001' });
    await call(etim, 'GET', '/Misc/Releases?x=1', undefined, null);
    expect(etim.apiRequests.slice(before)).toEqual([
      { method: 'POST', path: '/api/v2/Feature/Details', body: { languagecode: 'EN', code: 'EF990001' }, status: 200, token },
      { method: 'GET', path: '/api/v2/Misc/Releases', status: 401 },
    ]);
    expect(etim.tokenRequests).toHaveLength(1);
  });
});

describe('ETIM double: account languages', () => {
  it('follows the allowedLanguages option', async () => {
    const options: EtimDoubleOptions = { allowedLanguages: ['EN', 'fr-BE'] };
    const etim = await startEtimDouble(options);
    try {
      const token = await accessToken(etim);
      expect((await call(etim, 'GET', '/Misc/LanguagesAllowed', undefined, token)).body.map((language: { code: string }) => language.code)).toEqual(['EN', 'fr-BE']);
      const french = await call(etim, 'POST', '/Feature/Details', { languagecode: 'fr-BE', code: 'EF990001', include: { descriptions: true } }, token);
      expect(french.status).toBe(200);
      // No French text is seeded: the English one stands in.
      expect(french.body.description).toBe('Colour');
      expect((await call(etim, 'POST', '/Feature/Details', { languagecode: 'de-DE', code: 'EF990001' }, token)).status).toBe(400);
    } finally {
      await etim.close();
    }
  });
});
