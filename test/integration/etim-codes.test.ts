// Unknown codes and modelling classes through the real MCP client against the ETIM double, and the check of every
// request against ETIM's API v2 contract. The swagger documents 400, 401 and 500 only: an unknown code comes back as
// a 400 or as an empty 200, and either must read as "no such code", never as a crash or an empty success.
// Modelling classes (MC…) are resolved by the ModellingClass endpoints, not the Class ones.
import { describe, expect, it } from 'vitest';
import { ETIM_CODES, type EtimDouble } from '../doubles/etim.js';
import type { Bastion } from '../helpers/bastion.js';
import { call } from '../helpers/bastion.js';
import { contractViolations, undeclared } from '../helpers/etim-contract.js';
import { apiCalls, lastBody, useEtimBastion } from '../helpers/etim.js';

let double: EtimDouble;
let bastion: Bastion;

useEtimBastion((running) => ({ double, bastion } = running));

const MC = ETIM_CODES.classes.modellingDownlight;
const CAUSES =
  'Likely a typo, the wrong prefix (EC class, MC modelling class, EF feature, EV value, EU unit, EG group, EFG feature group), or a code withdrawn in this release';

describe('unknown codes', () => {
  it('a class ETIM answers 400 for is "no such code", naming the code, the likely causes and the search tool', async () => {
    const result = await call(bastion, 'etim_get_class', { code: 'ec123456' });
    expect(result.isError).toBe(true);
    expect(result.text).toBe(`No such ETIM class: EC123456 (ETIM answered 400: Invalid class code 'EC123456'.). ${CAUSES}. Find the code with etim_search_classes.`);
    expect(apiCalls(double, '/Class/Details').at(-1)!.status).toBe(400);
  });

  it('a 400 about the language keeps ETIM\'s own words: it is not a missing code', async () => {
    const result = await call(bastion, 'etim_get_class', { code: ETIM_CODES.classes.downlight, language: 'fr-FR' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain("Language 'fr-FR' is not allowed for this client");
    expect(result.text).not.toContain('No such');
  });

  it('a feature group ETIM answers 200 with nothing for is "no such code", not an empty success', async () => {
    const result = await call(bastion, 'etim_get_feature_group', { code: 'EFG99999' });
    expect(result.isError).toBe(true);
    expect(result.text).toBe(`No such ETIM feature group: EFG99999 (ETIM answered with nothing). ${CAUSES}. Find the code with etim_search_feature_groups.`);
    const answered = apiCalls(double, '/FeatureGroup/Details').at(-1)!;
    expect([answered.status, answered.body]).toEqual([200, expect.objectContaining({ code: 'EFG99999' })]);
  });

  it('a modelling class code sent to the diff of versions is unknown there: refused before sending', async () => {
    const before = double.apiRequests.length;
    for (const [tool, args, what] of [
      ['etim_diff_class_releases', { code: MC }, 'the changes between versions'],
      ['etim_get_class_for_release', { code: MC, release: 'DYNAMIC' }, 'a class as of a release'],
    ] as const) {
      const result = await call(bastion, tool, args);
      expect(result.isError, tool).toBe(true);
      expect(result.text).toBe(`code: ${MC} is a modelling class, and ETIM offers ${what} for regular (EC) classes only. Use etim_get_class or etim_get_class_versions for modelling classes.`);
    }
    expect(double.apiRequests.length).toBe(before);
  });
});

describe('modelling classes through the ModellingClass endpoints', () => {
  it('etim_get_class reads an MC class from ModellingClass/Details', async () => {
    const classCalls = apiCalls(double, '/Class/Details').length;
    const result = await call(bastion, 'etim_get_class', { code: MC.toLowerCase(), features: 'summary' });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured).toMatchObject({ code: MC, version: 1, modelling: true, feature_count: 3 });
    expect(lastBody(double, '/ModellingClass/Details')).toEqual({ code: MC, languagecode: 'EN', include: { descriptions: true, translations: false, fields: ['Features', 'Group', 'Releases'] } });
    expect(apiCalls(double, '/Class/Details').length).toBe(classCalls);
  });

  it('etim_get_class with a version picks it from ModellingClass/DetailsManyByCode, and says which versions exist', async () => {
    const result = await call(bastion, 'etim_get_class', { code: MC, version: 1 });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured).toMatchObject({ code: MC, version: 1 });
    expect(lastBody(double, '/ModellingClass/DetailsManyByCode')).toMatchObject({ code: MC });
    const missing = await call(bastion, 'etim_get_class', { code: MC, version: 4 });
    expect(missing.isError).toBe(true);
    expect(missing.text).toBe(`version: the modelling class ${MC} has no version 4 (it has 1); list them with etim_get_class_versions.`);
  });

  it('etim_get_class_versions lists an MC class from ModellingClass/DetailsManyByCode; an unknown MC code is no such code', async () => {
    const result = await call(bastion, 'etim_get_class_versions', { code: MC });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured.versions.map((v: { version: number }) => v.version)).toEqual([1]);
    const unknown = await call(bastion, 'etim_get_class_versions', { code: 'MC999999' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toBe(`No such ETIM modelling class: MC999999 (ETIM answered with nothing). ${CAUSES}. Find the code with etim_search_classes.`);
  });

  it('etim_compare_classes compares a regular and a modelling class', async () => {
    const result = await call(bastion, 'etim_compare_classes', { codes: [ETIM_CODES.classes.downlight, MC] });
    expect(result.isError, result.text).toBeFalsy();
    expect(result.structured.classes.map((c: { code: string }) => c.code)).toEqual([ETIM_CODES.classes.downlight, MC]);
    expect(result.structured.missing).toEqual([]);
  });
});

describe("ETIM's API v2 contract", () => {
  it('names what is undeclared: an operation, a key, an enumerated value, a status', () => {
    expect(undeclared({ method: 'POST', path: '/api/v2/Class/Compare', body: {}, status: 200 })).toEqual(['POST /Class/Compare: no such operation']);
    expect(
      undeclared({ method: 'POST', path: '/api/v2/class/details', body: { code: 'EC990001', language: 'EN', include: { fields: ['Features', 'Parms'], all: true } }, status: 404 }),
    ).toEqual([
      'POST /Class/Details: body.language is not declared',
      'POST /Class/Details: body.include.all is not declared',
      'POST /Class/Details: body.include.fields value "Parms" is not declared',
      'POST /Class/Details: an answer with status 404 is not declared',
    ]);
    expect(undeclared({ method: 'POST', path: '/api/v2/Class/Search', body: { languagecode: 'EN', from: 0, size: 1, filters: [{ code: 'Colour', values: [] }] }, status: 200 })).toEqual([
      'POST /Class/Search: body.filters[].code value "Colour" is not declared',
    ]);
    expect(undeclared({ method: 'GET', path: '/api/v2/Misc/Releases', status: 503, injected: true })).toEqual([]);
  });

  it('holds for every request this file made Bastion send (and, after each file, for every ETIM test file)', () => {
    expect(double.apiRequests.length).toBeGreaterThan(5);
    expect(contractViolations(double.apiRequests)).toEqual([]);
  });
});
