// ETIM class tools through the real MCP client against the ETIM double: bad input stopped before any token or
// API call, then search, details with feature modes and paging, several classes, versions, a release's
// version, comparison and version diffs, each checked against the double's seed and the request it received.
import { describe, expect, it } from 'vitest';
import type { ClassFeatureRecord, ClassRecord, ClassVersionRecord, EtimDouble } from '../doubles/etim.js';
import { ETIM_CODES } from '../doubles/etim.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { apiCalls, itRefusesBeforeAnyRequest, lastBody, useEtimBastion, type RefusedCase } from '../helpers/etim.js';

let double: EtimDouble;
let bastion: Bastion;

useEtimBastion((running) => ({ double, bastion } = running));

const TYPE_NAMES: Record<string, string> = { A: 'alphanumeric', L: 'logical', N: 'numeric', R: 'range' };
const STATUS_NAMES: Record<number, string> = { 2: 'under construction', 3: 'ready for publication', 5: 'published', 9: 'deleted' };

function record(code: string): ClassRecord {
  return double.state.classes.get(code)!;
}

function latest(code: string): ClassVersionRecord {
  return record(code).versions.at(-1)!;
}

function version(code: string, number: number): ClassVersionRecord {
  return record(code).versions.find((v) => v.version === number)!;
}

function featureText(code: string, language = 'EN'): string {
  const feature = double.state.features.get(code)!;
  return feature.descriptions[language] ?? feature.descriptions.EN!;
}

function valueText(code: string, language = 'EN'): string {
  return double.state.values.get(code)!.descriptions[language]!;
}

function abbreviation(unit: string): string {
  return double.state.units.get(unit)!.abbreviations.EN!;
}

/** A class feature as etim_get_class shows it in "full" mode, built from the seed. */
function expectedFeature(entry: ClassFeatureRecord, language = 'EN', withValues = true) {
  const feature = double.state.features.get(entry.feature)!;
  return {
    code: entry.feature,
    description: featureText(entry.feature, language),
    type: TYPE_NAMES[feature.type],
    ...(entry.unit ? { unit: abbreviation(entry.unit) + (entry.unitImperial ? ` / ${abbreviation(entry.unitImperial)}` : '') } : {}),
    ...(feature.deprecated ? { deprecated: true } : {}),
    ...(withValues && entry.values?.length ? { values: entry.values.map((v) => ({ code: v, description: valueText(v, language) })) } : {}),
  };
}

function byOrder(features: ClassFeatureRecord[]): ClassFeatureRecord[] {
  return [...features].sort((a, b) => a.orderNumber - b.orderNumber);
}

/** Regular classes whose latest version matches a text in code, English description or English synonyms. */
function regularClassesMatching(text: string): string[] {
  const needle = text.toLowerCase();
  return [...double.state.classes.values()]
    .filter((r) => !r.modelling)
    .filter((r) => {
      // The current version (in DYNAMIC): what a search returns by default.
      const v = r.versions.find((candidate) => candidate.releases.includes('DYNAMIC'));
      if (!v) return false;
      return [r.code, v.descriptions.EN!, ...(v.synonyms.EN ?? [])].some((candidate) => candidate.toLowerCase().includes(needle));
    })
    .map((r) => r.code)
    .sort();
}

describe('bad input never reaches ETIM', () => {
  const cases: RefusedCase[] = [
    ['etim_search_classes', 'a group code with five digits', { groups: ['EG99001'] }, 'groups'],
    ['etim_search_classes', 'a value code as a feature filter', { features: ['EV990001'] }, 'features'],
    ['etim_search_classes', 'a value code with a letter', { values: ['EV99000A'] }, 'values'],
    ['etim_search_classes', 'a release without a minor number', { releases: ['ETIM-9'] }, 'releases'],
    ['etim_search_classes', 'a page of 101', { size: 101 }, 'size'],
    ['etim_search_classes', 'an empty page', { size: 0 }, 'size'],
    ['etim_search_classes', 'from beyond 19000', { from: 19001 }, 'from'],
    ['etim_search_classes', 'a negative from', { from: -1 }, 'from'],
    ['etim_search_classes', 'an unknown modelling mode', { modelling: 'bim' }, 'modelling'],
    ['etim_search_classes', 'an unknown argument', { query: 'lamp' }, 'query'],
    ['etim_search_classes', 'a language that is not a code', { language: 'german' }, 'language'],
    ['etim_get_class', 'a feature code', { code: 'EF990001' }, 'code'],
    ['etim_get_class', 'five digits', { code: 'EC99001' }, 'code'],
    ['etim_get_class', 'seven digits', { code: 'EC9900011' }, 'code'],
    ['etim_get_class', 'version 0', { code: 'EC990001', version: 0 }, 'version'],
    ['etim_get_class', 'an unknown features mode', { code: 'EC990001', features: 'all' }, 'features'],
    ['etim_get_class', 'a feature page of 0', { code: 'EC990001', feature_limit: 0 }, 'feature_limit'],
    ['etim_get_class', 'a negative feature offset', { code: 'EC990001', feature_offset: -1 }, 'feature_offset'],
    ['etim_get_classes', 'no codes', { codes: [] }, 'codes'],
    ['etim_get_classes', 'a version that is not a number', { codes: ['EC990001:x'] }, 'codes'],
    ['etim_get_classes', 'a group code', { codes: ['EG990001'] }, 'codes'],
    ['etim_get_classes', '51 codes', { codes: Array.from({ length: 51 }, (_, i) => `EC99${String(i).padStart(4, '0')}`) }, 'codes'],
    ['etim_get_class_versions', 'a wrong prefix', { code: 'XC990001' }, 'code'],
    ['etim_get_class_versions', 'no code', {}, 'code'],
    ['etim_get_class_for_release', 'a release without a minor number', { code: 'EC990001', release: 'ETIM-9' }, 'release'],
    ['etim_get_class_for_release', 'a unit code', { code: 'EU990001', release: 'ETIM-9.0' }, 'code'],
    ['etim_compare_classes', 'one class', { codes: ['EC990001'] }, 'codes'],
    ['etim_compare_classes', 'the same class twice in different case', { codes: ['EC990001', 'ec990001'] }, 'codes'],
    ['etim_compare_classes', 'eleven classes', { codes: Array.from({ length: 11 }, (_, i) => `EC99${String(i + 1).padStart(4, '0')}`) }, 'codes'],
    ['etim_compare_classes', 'a feature code among classes', { codes: ['EC990001', 'EF990001'] }, 'codes'],
    ['etim_diff_class_releases', 'a dash in the code', { code: 'EC-990001' }, 'code'],
    ['etim_diff_class_releases', 'version 0', { code: 'EC990001', version: 0 }, 'version'],
    ['etim_list_languages', 'a string for a boolean', { allowed_only: 'yes' }, 'allowed_only'],
    ['etim_list_releases', 'an argument it does not take', { release: 'ETIM-9.0' }, 'release'],
  ];

  itRefusesBeforeAnyRequest(cases, () => ({ double, bastion }));
});

describe('etim_search_classes', () => {
  it('finds regular classes by code, description and synonym, with the documented body keys', async () => {
    const result = await call(bastion, 'etim_search_classes', { text: 'cable' });
    expect(result.isError).toBeFalsy();
    const expected = regularClassesMatching('cable');
    expect(expected.length).toBeGreaterThan(1);
    expect(result.structured.total).toBe(expected.length);
    expect(result.structured.classes.map((c: { code: string }) => c.code)).toEqual(expected);
    for (const hit of result.structured.classes) {
      const seeded = latest(hit.code);
      expect(hit).toMatchObject({ version: seeded.version, description: seeded.descriptions.EN, status: STATUS_NAMES[seeded.status] });
    }
    expect(lastBody(double, '/Class/Search')).toEqual({
      languagecode: 'EN',
      from: 0,
      size: 20,
      searchString: 'cable',
      modelling: false,
      include: { descriptions: true },
      filters: [{ code: 'Release', values: ['DYNAMIC'] }],
    });
    // A synonym alone finds a class too ("Zip tie" is only a synonym of the cable tie).
    const synonym = await call(bastion, 'etim_search_classes', { text: 'zip tie' });
    expect(synonym.structured.classes.map((c: { code: string }) => c.code)).toEqual([ETIM_CODES.classes.cableTie]);
  });

  it('returns each class once, in its current version, unless every version is asked for', async () => {
    const current = [...double.state.classes.values()].filter((r) => !r.modelling && r.versions.some((v) => v.releases.includes('DYNAMIC')));
    const latestOnly = await call(bastion, 'etim_search_classes', { size: 100 });
    expect(latestOnly.isError, latestOnly.text).toBeFalsy();
    expect(latestOnly.structured.classes.map((c: { code: string; version: number }) => `${c.code} v${c.version}`)).toEqual(
      current.map((r) => `${r.code} v${r.versions.find((v) => v.releases.includes('DYNAMIC'))!.version}`),
    );
    expect(new Set(latestOnly.structured.classes.map((c: { code: string }) => c.code)).size).toBe(latestOnly.structured.classes.length);
    expect(lastBody(double, '/Class/Search')).toMatchObject({ filters: [{ code: 'Release', values: ['DYNAMIC'] }] });
    const every = await call(bastion, 'etim_search_classes', { size: 100, versions: 'all' });
    const versions = [...double.state.classes.values()].filter((r) => !r.modelling).flatMap((r) => r.versions.map((v) => `${r.code} v${v.version}`));
    expect(every.structured.total).toBe(versions.length);
    expect(every.structured.classes.map((c: { code: string; version: number }) => `${c.code} v${c.version}`)).toEqual(versions);
    expect(lastBody(double, '/Class/Search')).not.toHaveProperty('filters');
  });

  it('pages with from/size through every current regular class exactly once', async () => {
    const regular = [...double.state.classes.values()].filter((r) => !r.modelling && r.versions.some((v) => v.releases.includes('DYNAMIC'))).map((r) => r.code).sort();
    const seen: string[] = [];
    let from: number | undefined = 0;
    let pages = 0;
    while (from !== undefined) {
      const page = await call(bastion, 'etim_search_classes', { size: 3, from });
      expect(page.isError).toBeFalsy();
      expect(page.structured.total).toBe(regular.length);
      expect(page.structured.from).toBe(from);
      seen.push(...page.structured.classes.map((c: { code: string }) => c.code));
      expect(lastBody(double, '/Class/Search')).toMatchObject({ from, size: 3 });
      from = page.structured.next_from;
      pages += 1;
      expect(pages).toBeLessThan(10);
    }
    expect(seen).toEqual(regular);
    expect(pages).toBe(Math.ceil(regular.length / 3));
  });

  it('sends modelling as a tri-state: regular → false, modelling → true, both → absent', async () => {
    const regular = await call(bastion, 'etim_search_classes', { text: 'downlight', modelling: 'regular' });
    expect(lastBody(double, '/Class/Search').modelling).toBe(false);
    expect(regular.structured.classes.map((c: { code: string }) => c.code)).toEqual([ETIM_CODES.classes.downlight]);

    const modelling = await call(bastion, 'etim_search_classes', { text: 'downlight', modelling: 'modelling' });
    expect(lastBody(double, '/Class/Search').modelling).toBe(true);
    expect(modelling.structured.classes.map((c: { code: string }) => c.code)).toEqual([ETIM_CODES.classes.modellingDownlight]);
    expect(modelling.structured.classes[0].modelling).toBe(true);
    expect(modelling.text).toContain('modelling (BIM)');

    const both = await call(bastion, 'etim_search_classes', { text: 'downlight', modelling: 'both' });
    expect(Object.keys(lastBody(double, '/Class/Search'))).not.toContain('modelling');
    expect(both.structured.classes.map((c: { code: string }) => c.code)).toEqual([ETIM_CODES.classes.downlight, ETIM_CODES.classes.modellingDownlight]);
  });

  it('sends Release, Group, Feature and Value filters in that order, codes upper-cased, and ETIM combines them', async () => {
    const result = await call(bastion, 'etim_search_classes', {
      releases: ['ETIM-10.0'],
      groups: ['eg990001'],
      features: ['EF990007'],
      values: ['ev990010'],
    });
    expect(result.isError).toBeFalsy();
    expect(lastBody(double, '/Class/Search').filters).toEqual([
      { code: 'Release', values: ['ETIM-10.0'] },
      { code: 'Group', values: ['EG990001'] },
      { code: 'Feature', values: ['EF990007'] },
      { code: 'Value', values: ['EV990010'] },
    ]);
    const expected = [...double.state.classes.values()]
      .filter((r) => !r.modelling)
      .flatMap((r) => r.versions.filter((v) => v.releases.includes('ETIM-10.0')).map((v) => ({ code: r.code, v })))
      .filter(({ v }) => v.group === 'EG990001')
      .filter(({ v }) => v.features.some((f) => f.feature === 'EF990007'))
      .filter(({ v }) => v.features.some((f) => f.values?.includes('EV990010')))
      .map(({ code, v }) => `${code} v${v.version}`);
    expect(expected).toEqual(['EC990001 v3', 'EC990005 v2']);
    expect(result.structured.classes.map((c: { code: string; version: number }) => `${c.code} v${c.version}`)).toEqual(expected);
  });

  it('a release filter returns the versions valid in that release', async () => {
    const result = await call(bastion, 'etim_search_classes', { releases: ['ETIM-9.0'] });
    const expected = [...double.state.classes.values()]
      .filter((r) => !r.modelling)
      .flatMap((r) => r.versions.filter((v) => v.releases.includes('ETIM-9.0')).map((v) => `${r.code} v${v.version}`));
    expect(result.structured.classes.map((c: { code: string; version: number }) => `${c.code} v${c.version}`)).toEqual(expected);
    expect(expected).toContain('EC990001 v2');
  });

  it('uses a per-call language for the search and the descriptions', async () => {
    const result = await call(bastion, 'etim_search_classes', { text: 'Lampe', language: 'de-DE' });
    expect(result.isError).toBeFalsy();
    expect(lastBody(double, '/Class/Search').languagecode).toBe('de-DE');
    const codes = result.structured.classes.map((c: { code: string }) => c.code);
    expect(codes).toContain(ETIM_CODES.classes.ledLamp);
    for (const hit of result.structured.classes) expect(hit.description).toBe(latest(hit.code).descriptions['de-DE']);
  });

  it('accepts a language code in any case and sends it in the documented case', async () => {
    for (const [given, sent] of [['DE-de', 'de-DE'], ['en', 'EN'], ['NL-NL', 'nl-NL']] as const) {
      const result = await call(bastion, 'etim_search_classes', { text: 'EC990001', language: given });
      expect(result.isError, result.text).toBeFalsy();
      expect(lastBody(double, '/Class/Search').languagecode).toBe(sent);
      // A class no other test reads through Class/Details, so that the response cache cannot mix the two up.
      const details = await call(bastion, 'etim_get_class', { code: 'ec990008', language: given, features: 'none' });
      expect(details.isError, details.text).toBeFalsy();
      expect(lastBody(double, '/Class/Details').languagecode).toBe(sent);
      expect(details.structured.description).toBe(latest('EC990008').descriptions[sent]);
    }
  });

  it('accepts the last window ETIM allows (from 19000, size 100) and sends it unchanged', async () => {
    const before = apiCalls(double, '/Class/Search').length;
    const result = await call(bastion, 'etim_search_classes', { from: 19000, size: 100 });
    expect(result.isError).toBeFalsy();
    expect(apiCalls(double, '/Class/Search')).toHaveLength(before + 1);
    expect(lastBody(double, '/Class/Search')).toMatchObject({ from: 19000, size: 100 });
    expect(result.structured.classes).toEqual([]);
    expect(result.structured.next_from).toBeUndefined();
  });

  it('reports a language the account may not use with ETIM\'s own detail', async () => {
    const result = await call(bastion, 'etim_search_classes', { text: 'lamp', language: 'fr-FR' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('400');
    expect(result.text).toContain("Language 'fr-FR' is not allowed for this client");
  });
});

describe('etim_get_class', () => {
  it('returns the latest version with description, synonyms, group, releases and features in summary mode by default', async () => {
    const result = await call(bastion, 'etim_get_class', { code: 'ec990001' });
    expect(result.isError).toBeFalsy();
    const seeded = latest('EC990001');
    const group = double.state.groups.get(seeded.group)!;
    expect(result.structured).toMatchObject({
      code: 'EC990001',
      version: seeded.version,
      description: seeded.descriptions.EN,
      group: `${group.code} ${group.descriptions.EN}`,
      releases: seeded.releases,
      synonyms: seeded.synonyms.EN,
      mutation_date: seeded.mutationDate,
      status: 'published',
      feature_count: seeded.features.length,
      feature_offset: 0,
    });
    expect(result.structured.description_en).toBeUndefined();
    expect(result.structured.features).toEqual(byOrder(seeded.features).map((f) => expectedFeature(f, 'EN', false)));
    expect(result.structured.next_feature_offset).toBeUndefined();
    expect(lastBody(double, '/Class/Details')).toEqual({
      code: 'EC990001',
      languagecode: 'EN',
      include: { descriptions: true, translations: false, fields: ['Features', 'Group', 'Releases'] },
    });
  });

  it('features "full" adds the values; a metric unit shows its imperial pair', async () => {
    const result = await call(bastion, 'etim_get_class', { code: 'EC990002', features: 'full' });
    const seeded = latest('EC990002');
    expect(result.structured.features).toEqual(byOrder(seeded.features).map((f) => expectedFeature(f)));
    const length = result.structured.features.find((f: { code: string }) => f.code === 'EF990005');
    expect(length.unit).toBe('mm / in');
    const packing = result.structured.features.find((f: { code: string }) => f.code === ETIM_CODES.deprecatedFeature);
    expect(packing.deprecated).toBe(true);
    expect(result.text).toContain('(deprecated)');
  });

  it('features "none" and "count" give only the count', async () => {
    for (const mode of ['none', 'count']) {
      const result = await call(bastion, 'etim_get_class', { code: ETIM_CODES.largeClass, features: mode });
      expect(result.isError, mode).toBeFalsy();
      expect(result.structured.feature_count).toBe(ETIM_CODES.largeClassFeatureCount);
      expect(result.structured.features).toBeUndefined();
      expect(result.structured.next_feature_offset).toBeUndefined();
      expect(result.text).toContain(`${ETIM_CODES.largeClassFeatureCount} features`);
    }
  });

  it('pages through all 130 features of the large class with feature_offset, without duplicates, in order', async () => {
    const seeded = byOrder(latest(ETIM_CODES.largeClass).features).map((f) => f.feature);
    expect(seeded).toHaveLength(ETIM_CODES.largeClassFeatureCount);
    const seen: string[] = [];
    const offsets: number[] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined) {
      const page = await call(bastion, 'etim_get_class', { code: ETIM_CODES.largeClass, feature_offset: offset });
      expect(page.isError).toBeFalsy();
      expect(page.structured.feature_count).toBe(ETIM_CODES.largeClassFeatureCount);
      expect(page.structured.feature_offset).toBe(offset);
      expect(page.structured.features.length).toBeLessThanOrEqual(50);
      offsets.push(offset);
      seen.push(...page.structured.features.map((f: { code: string }) => f.code));
      offset = page.structured.next_feature_offset;
      expect(offsets.length).toBeLessThan(10);
    }
    expect(offsets).toEqual([0, 50, 100]);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(seeded);

    // A smaller page size and full mode reach the same features.
    const small = await call(bastion, 'etim_get_class', { code: ETIM_CODES.largeClass, features: 'full', feature_offset: 125, feature_limit: 10 });
    expect(small.structured.features.map((f: { code: string }) => f.code)).toEqual(seeded.slice(125));
    expect(small.structured.next_feature_offset).toBeUndefined();
    const beyond = await call(bastion, 'etim_get_class', { code: ETIM_CODES.largeClass, feature_offset: 500 });
    expect(beyond.structured.features).toEqual([]);
    expect(beyond.structured.next_feature_offset).toBeUndefined();
  });

  it('returns an older version when asked, sending version', async () => {
    const result = await call(bastion, 'etim_get_class', { code: 'EC990001', version: 1, features: 'full' });
    expect(result.isError).toBeFalsy();
    const seeded = version('EC990001', 1);
    expect(result.structured).toMatchObject({ version: 1, releases: seeded.releases, feature_count: seeded.features.length, mutation_date: seeded.mutationDate });
    expect(result.structured.features).toEqual(byOrder(seeded.features).map((f) => expectedFeature(f)));
    expect(lastBody(double, '/Class/Details').version).toBe(1);
  });

  it('gives descriptions in the call\'s language and the English one beside them', async () => {
    const result = await call(bastion, 'etim_get_class', { code: 'EC990003', language: 'de-DE', features: 'full' });
    const seeded = latest('EC990003');
    expect(lastBody(double, '/Class/Details').languagecode).toBe('de-DE');
    expect(result.structured.description).toBe(seeded.descriptions['de-DE']);
    expect(result.structured.description_en).toBe(seeded.descriptions.EN);
    expect(result.structured.synonyms).toEqual(seeded.synonyms['de-DE']);
    expect(result.structured.group).toBe(`${seeded.group} ${double.state.groups.get(seeded.group)!.descriptions['de-DE']}`);
    expect(result.structured.features).toEqual(byOrder(seeded.features).map((f) => expectedFeature(f, 'de-DE')));
  });

  it('reports an unknown class and an unknown version (ETIM answers 400) as no such code, with ETIM\'s detail', async () => {
    const unknown = await call(bastion, 'etim_get_class', { code: 'EC999999' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toBe("No such ETIM class: EC999999 (ETIM answered 400: Invalid class code 'EC999999'.). Likely a typo, the wrong prefix (EC class, MC modelling class, EF feature, EV value, EU unit, EG group, EFG feature group), or a code withdrawn in this release. Find the code with etim_search_classes.");
    const noVersion = await call(bastion, 'etim_get_class', { code: 'EC990001', version: 9 });
    expect(noVersion.isError).toBe(true);
    expect(noVersion.text).toBe("No such ETIM class: EC990001 version 9 (ETIM answered 400: Invalid version 9 for class 'EC990001'.). Likely a typo, the wrong prefix (EC class, MC modelling class, EF feature, EV value, EU unit, EG group, EFG feature group), or a code withdrawn in this release. Find the code with etim_search_classes.");
  });
});

describe('etim_get_classes', () => {
  it('returns the requested versions and latest ones in one DetailsMany call per kind of class, listing the missing ones', async () => {
    const before = apiCalls(double, '/Class/DetailsMany').length;
    const result = await call(bastion, 'etim_get_classes', { codes: ['EC990001:1', 'ec990003', 'EC999999', 'EC990005:7', 'MC990001'] });
    expect(result.isError).toBeFalsy();
    expect(apiCalls(double, '/Class/DetailsMany')).toHaveLength(before + 1);
    const include = { descriptions: true, translations: false, fields: ['Features', 'Group', 'Releases'] };
    expect(lastBody(double, '/Class/DetailsMany')).toEqual({
      classes: [{ code: 'EC990001', version: 1 }, { code: 'EC990003' }, { code: 'EC999999' }, { code: 'EC990005', version: 7 }],
      languagecode: 'EN',
      include,
    });
    // Modelling classes are resolved by the ModellingClass endpoints only.
    expect(lastBody(double, '/ModellingClass/DetailsMany')).toEqual({ classes: [{ code: 'MC990001' }], languagecode: 'EN', include });
    const expected = [
      ['EC990001', version('EC990001', 1)],
      ['EC990003', latest('EC990003')],
      ['MC990001', latest('MC990001')],
    ] as const;
    expect(result.structured.classes).toHaveLength(expected.length);
    expected.forEach(([code, seeded], index) => {
      expect(result.structured.classes[index]).toMatchObject({
        code,
        version: seeded.version,
        description: seeded.descriptions.EN,
        releases: seeded.releases,
        feature_count: seeded.features.length,
      });
    });
    expect(result.structured.missing).toEqual(['EC999999', 'EC990005:7']);
    expect(result.text).toContain('Not found: EC999999, EC990005:7');
  });

  it('never reports an existing class as missing because of a version that does not exist', async () => {
    // ETIM versions start at 1: ":0" is either refused up front or reported as asked, never as "EC990001".
    const before = double.apiRequests.length;
    const result = await call(bastion, 'etim_get_classes', { codes: ['EC990001:0'] });
    if (result.isError) {
      expect(result.text).toContain('codes');
      expect(double.apiRequests.length).toBe(before);
    } else {
      expect(result.structured.missing).toEqual(['EC990001:0']);
    }
  });
});

describe('etim_get_class_versions', () => {
  it('lists every version oldest first with status, releases, date and feature count', async () => {
    const result = await call(bastion, 'etim_get_class_versions', { code: 'EC990001' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.code).toBe('EC990001');
    expect(result.structured.versions).toEqual(
      record('EC990001').versions.map((v) => ({
        code: 'EC990001',
        version: v.version,
        description: v.descriptions.EN,
        status: STATUS_NAMES[v.status],
        releases: v.releases,
        feature_count: v.features.length,
        mutation_date: v.mutationDate,
      })),
    );
    expect(lastBody(double, '/Class/DetailsManyByCode')).toMatchObject({ code: 'EC990001', languagecode: 'EN' });
  });

  it('shows a deleted version in no release', async () => {
    const result = await call(bastion, 'etim_get_class_versions', { code: ETIM_CODES.classes.deletedStarter });
    const last = result.structured.versions.at(-1);
    expect(last).toMatchObject({ version: 2, status: 'deleted' });
    expect(last.releases ?? []).toEqual([]);
    expect(result.structured.versions[0].releases).toEqual(version(ETIM_CODES.classes.deletedStarter, 1).releases);
  });

  it('sorts oldest first even when ETIM answers newest first', async () => {
    const versions = record('EC990003').versions;
    versions.reverse();
    try {
      const result = await call(bastion, 'etim_get_class_versions', { code: 'EC990003', language: 'nl-NL' });
      const answered = apiCalls(double, '/Class/DetailsManyByCode').at(-1)!;
      expect(answered.status).toBe(200);
      expect(result.structured.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    } finally {
      versions.reverse();
    }
  });

  it('reports an unknown class (ETIM answers []) as no such code', async () => {
    const result = await call(bastion, 'etim_get_class_versions', { code: 'EC999998' });
    expect(result.isError).toBe(true);
    expect(result.text).toBe("No such ETIM class: EC999998 (ETIM answered with nothing). Likely a typo, the wrong prefix (EC class, MC modelling class, EF feature, EV value, EU unit, EG group, EFG feature group), or a code withdrawn in this release. Find the code with etim_search_classes.");
  });
});

describe('etim_get_class_for_release', () => {
  it('picks the version valid in each release', async () => {
    for (const [release, expected] of [
      ['ETIM-8.0', 1],
      ['ETIM-9.0', 2],
      ['ETIM-10.0', 3],
      ['DYNAMIC', 3],
    ] as const) {
      const result = await call(bastion, 'etim_get_class_for_release', { code: 'EC990001', release });
      expect(result.isError, release).toBeFalsy();
      const seeded = version('EC990001', expected);
      expect(seeded.releases).toContain(release);
      expect(result.structured).toMatchObject({ code: 'EC990001', version: expected, releases: seeded.releases, feature_count: seeded.features.length });
      expect(result.structured.features).toEqual(seeded.features.map((f) => expectedFeature(f, 'EN', false)));
      expect(lastBody(double, '/Class/DetailsForRelease')).toMatchObject({ code: 'EC990001', release, languagecode: 'EN' });
    }
  });

  it('lists the first 100 features of a large class and says how many there are', async () => {
    const result = await call(bastion, 'etim_get_class_for_release', { code: ETIM_CODES.largeClass, release: 'ETIM-10.0' });
    expect(result.structured.feature_count).toBe(ETIM_CODES.largeClassFeatureCount);
    expect(result.structured.features).toHaveLength(100);
    expect(result.structured.features.map((f: { code: string }) => f.code)).toEqual(latest(ETIM_CODES.largeClass).features.slice(0, 100).map((f) => f.feature));
    expect(result.text).toContain('first 100');
  });

  it('reports a class that is not in the release (ETIM answers 400) as no such code, with ETIM\'s detail', async () => {
    const result = await call(bastion, 'etim_get_class_for_release', { code: ETIM_CODES.classes.deletedStarter, release: 'ETIM-10.0' });
    expect(result.isError).toBe(true);
    expect(result.text).toBe(
      `No such ETIM class: ${ETIM_CODES.classes.deletedStarter} (ETIM answered 400: Class '${ETIM_CODES.classes.deletedStarter}' is not part of release 'ETIM-10.0'.). Likely a typo, the wrong prefix (EC class, MC modelling class, EF feature, EV value, EU unit, EG group, EFG feature group), or a code withdrawn in this release, or the class is not part of ETIM-10.0 (its releases: etim_get_class_versions). Find the code with etim_search_classes (with releases).`,
    );
  });
});

describe('etim_compare_classes', () => {
  /** Shared features and per-class unique features of the latest versions, from the seed. */
  function expectedComparison(codes: string[]) {
    const sets = codes.map((code) => latest(code).features.map((f) => f.feature));
    const inAll = (feature: string) => sets.every((set) => set.includes(feature));
    return {
      shared: sets[0]!.filter(inAll),
      onlyIn: Object.fromEntries(codes.map((code, i) => [code, sets[i]!.filter((f) => !inAll(f))])),
    };
  }

  it('compares three classes: shared features and those only some have, consistent with the seed', async () => {
    const codes = ['EC990002', 'EC990006', 'EC990008'];
    const result = await call(bastion, 'etim_compare_classes', { codes });
    expect(result.isError).toBeFalsy();
    const expected = expectedComparison(codes);
    expect(expected.shared.length).toBeGreaterThan(0);
    expect(result.structured.classes.map((c: { code: string }) => c.code)).toEqual(codes);
    for (const c of result.structured.classes) expect(c.feature_count).toBe(latest(c.code).features.length);
    expect(result.structured.shared).toEqual(expected.shared.map((code) => ({ code, description: featureText(code) })));
    expect(Object.keys(result.structured.only_in).sort()).toEqual([...codes].sort());
    for (const code of codes) {
      expect(result.structured.only_in[code].map((f: { code: string }) => f.code)).toEqual(expected.onlyIn[code]);
    }
    expect(result.structured.missing).toEqual([]);
    expect(lastBody(double, '/Class/DetailsMany')).toEqual({
      classes: codes.map((code) => ({ code })),
      languagecode: 'EN',
      include: { descriptions: true, translations: false, fields: ['Features', 'Group'] },
    });
  });

  it('keeps every one of more than five classes and lists an unknown one as missing', async () => {
    const codes = ['EC990001', 'EC990002', 'EC990003', 'EC990004', 'EC990005', 'EC990006', 'EC990008', 'EC999999'];
    const result = await call(bastion, 'etim_compare_classes', { codes });
    expect(result.isError).toBeFalsy();
    const known = codes.filter((code) => double.state.classes.has(code));
    expect(result.structured.classes.map((c: { code: string }) => c.code)).toEqual(known);
    expect(result.structured.missing).toEqual(['EC999999']);
    const expected = expectedComparison(known);
    expect(result.structured.shared.map((f: { code: string }) => f.code)).toEqual(expected.shared);
    for (const code of known) expect(result.structured.only_in[code].map((f: { code: string }) => f.code)).toEqual(expected.onlyIn[code]);
    expect((lastBody(double, '/Class/DetailsMany').classes as unknown[]).length).toBe(codes.length);
  });

  it('describes shared features in the call\'s language', async () => {
    const result = await call(bastion, 'etim_compare_classes', { codes: ['EC990001', 'EC990005'], language: 'nl-NL' });
    const expected = expectedComparison(['EC990001', 'EC990005']);
    expect(result.structured.shared).toEqual(expected.shared.map((code) => ({ code, description: featureText(code, 'nl-NL') })));
    expect(lastBody(double, '/Class/DetailsMany').languagecode).toBe('nl-NL');
  });
});

describe('etim_diff_class_releases', () => {
  /** Added, changed and deleted features between two versions of a class, from the seed. */
  function expectedChanges(code: string, number: number) {
    const current = version(code, number);
    const index = record(code).versions.indexOf(current);
    const previous = index > 0 ? record(code).versions[index - 1]!.features : [];
    const old = new Map(previous.map((f) => [f.feature, f]));
    const now = new Set(current.features.map((f) => f.feature));
    const same = (a: ClassFeatureRecord, b: ClassFeatureRecord) =>
      a.orderNumber === b.orderNumber && a.unit === b.unit && a.unitImperial === b.unitImperial && (a.values ?? []).join() === (b.values ?? []).join();
    const changes = new Map<string, string>();
    for (const f of current.features) {
      const before = old.get(f.feature);
      if (!before) changes.set(f.feature, 'new');
      else if (!same(f, before)) changes.set(f.feature, 'changed');
    }
    for (const f of previous) if (!now.has(f.feature)) changes.set(f.feature, 'deleted');
    return changes;
  }

  it('shows new, changed and deleted features of the latest version against the one before', async () => {
    const details = apiCalls(double, '/Class/Details').length;
    const result = await call(bastion, 'etim_diff_class_releases', { code: 'EC990001' });
    expect(result.isError).toBeFalsy();
    const seeded = latest('EC990001');
    expect(result.structured).toMatchObject({ code: 'EC990001', version: seeded.version, releases: seeded.releases });
    const expected = expectedChanges('EC990001', seeded.version);
    expect(new Set(expected.values())).toEqual(new Set(['new', 'changed', 'deleted']));
    const got = new Map(result.structured.changes.map((c: { feature: string; change: string }) => [c.feature, c.change]));
    expect(got).toEqual(expected);
    const colour = result.structured.changes.find((c: { feature: string }) => c.feature === 'EF990001');
    expect(colour.values).toEqual([`new EV990005 ${valueText('EV990005')}`]);
    const all = new Set([...seeded.features, ...version('EC990001', seeded.version - 1).features].map((f) => f.feature));
    expect(result.structured.unchanged_features).toBe(all.size - expected.size);
    // The latest version is looked up first, then its diff is asked for explicitly.
    expect(apiCalls(double, '/Class/Details').length).toBe(details + 1);
    expect(lastBody(double, '/Class/DetailsDiff')).toMatchObject({ code: 'EC990001', version: seeded.version, languagecode: 'EN' });
  });

  it('diffs a chosen version: values added and deleted within a feature', async () => {
    const result = await call(bastion, 'etim_diff_class_releases', { code: 'EC990001', version: 2 });
    expect(result.isError).toBeFalsy();
    expect(result.structured.version).toBe(2);
    expect(result.structured.releases).toEqual(version('EC990001', 2).releases);
    const got = new Map(result.structured.changes.map((c: { feature: string; change: string }) => [c.feature, c.change]));
    expect(got).toEqual(expectedChanges('EC990001', 2));
    const colour = result.structured.changes.find((c: { feature: string }) => c.feature === 'EF990001');
    expect(colour.values).toEqual(expect.arrayContaining([`new EV990003 ${valueText('EV990003')}`, `deleted EV990004 ${valueText('EV990004')}`]));
    expect(lastBody(double, '/Class/DetailsDiff').version).toBe(2);
  });

  it('shows every feature as new in a first version', async () => {
    const result = await call(bastion, 'etim_diff_class_releases', { code: 'EC990003', version: 1 });
    expect(result.structured.changes.map((c: { change: string }) => c.change)).toEqual(version('EC990003', 1).features.map(() => 'new'));
    expect(result.structured.unchanged_features).toBe(0);
  });

  it('reports an unknown version (ETIM answers 400) as no such code, with ETIM\'s detail', async () => {
    const result = await call(bastion, 'etim_diff_class_releases', { code: 'EC990001', version: 9 });
    expect(result.isError).toBe(true);
    expect(result.text).toBe("No such ETIM class: EC990001 version 9 (ETIM answered 400: Invalid version 9 for class 'EC990001'.). Likely a typo, the wrong prefix (EC class, MC modelling class, EF feature, EV value, EU unit, EG group, EFG feature group), or a code withdrawn in this release. Find the code with etim_search_classes.");
  });
});
