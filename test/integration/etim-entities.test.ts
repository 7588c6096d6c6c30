// ETIM feature, value, unit, group and feature-group tools, the language and release lists, and the
// etim://languages and etim://releases resources, through the real MCP client against the ETIM double.
import { describe, expect, it } from 'vitest';
import type { EtimDouble, Texts } from '../doubles/etim.js';
import { ALLOWED_LANGUAGES, ETIM_CODES, LANGUAGES, RELEASES } from '../doubles/etim.js';
import { call, runCli, type Bastion } from '../helpers/bastion.js';
import { apiCalls, etimEnv, itRefusesBeforeAnyRequest, lastBody, startBastionOnEtim, useEtimBastion, type RefusedCase } from '../helpers/etim.js';

let double: EtimDouble;
let bastion: Bastion;

useEtimBastion((running) => ({ double, bastion } = running));

const TYPE_NAMES: Record<string, string> = { A: 'alphanumeric', L: 'logical', N: 'numeric', R: 'range' };

interface Seeded {
  code: string;
  descriptions: Texts;
  deprecated?: boolean;
}

/** Seeded records matching a text in code or description (and, for units, abbreviation), sorted by code. */
function matching<T extends Seeded>(records: Iterable<T>, text: string, language = 'EN', extra: (record: T) => string[] = () => []): T[] {
  const needle = text.toLowerCase();
  return [...records]
    .filter((r) => [r.code, r.descriptions[language] ?? r.descriptions.EN!, ...extra(r)].some((candidate) => candidate.toLowerCase().includes(needle)))
    .sort((a, b) => (a.code < b.code ? -1 : 1));
}

function codes(result: { structured: { items: Array<{ code: string }> } }): string[] {
  return result.structured.items.map((item) => item.code);
}

function translations(texts: Texts, abbreviations?: Texts) {
  return ALLOWED_LANGUAGES.map((language) => ({
    language,
    description: texts[language],
    ...(abbreviations ? { abbreviation: abbreviations[language] } : {}),
  }));
}

describe('bad input never reaches ETIM', () => {
  const cases: RefusedCase[] = [
    ['etim_search_features', 'a page of 101', { size: 101 }, 'size'],
    ['etim_search_features', 'from beyond 19000', { from: 19001 }, 'from'],
    ['etim_search_features', 'an unknown deprecated mode', { deprecated: 'maybe' }, 'deprecated'],
    ['etim_search_features', 'a text longer than 200 characters', { text: 'x'.repeat(201) }, 'text'],
    ['etim_get_feature', 'a value code', { code: 'EV990001' }, 'code'],
    ['etim_get_feature', 'five digits', { code: 'EF99001' }, 'code'],
    ['etim_get_feature', 'a language that is not a code', { code: 'EF990001', language: 'deutsch' }, 'language'],
    ['etim_search_values', 'a negative from', { from: -5 }, 'from'],
    ['etim_search_values', 'a boolean for deprecated', { deprecated: true }, 'deprecated'],
    ['etim_get_value', 'a feature code', { code: 'EF990001' }, 'code'],
    ['etim_get_value', 'seven digits', { code: 'EV9900011' }, 'code'],
    ['etim_search_units', 'an empty page', { size: 0 }, 'size'],
    ['etim_get_unit', 'a group code', { code: 'EG990001' }, 'code'],
    ['etim_get_unit', 'a string for translations', { code: 'EU990001', translations: 'no' }, 'translations'],
    ['etim_search_groups', 'deprecated, which groups do not have', { deprecated: 'only' }, 'deprecated'],
    ['etim_get_group', 'a unit code', { code: 'EU990001' }, 'code'],
    ['etim_get_group', 'five digits', { code: 'EG99001' }, 'code'],
    ['etim_search_feature_groups', 'deprecated, which feature groups do not have', { deprecated: 'include' }, 'deprecated'],
    ['etim_get_feature_group', 'four digits', { code: 'EFG9900' }, 'code'],
    ['etim_get_feature_group', 'a feature code', { code: 'EF990001' }, 'code'],
  ];

  itRefusesBeforeAnyRequest(cases, () => ({ double, bastion }));
});

describe('the tool list', () => {
  it('has the 20 ETIM tools and bastion_status, read-only, with flat input schemas (no anyOf)', async () => {
    const { tools } = await bastion.client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(
      [
        'etim_search_classes', 'etim_get_class', 'etim_get_classes', 'etim_get_class_versions', 'etim_get_class_for_release',
        'etim_compare_classes', 'etim_diff_class_releases', 'etim_search_features', 'etim_get_feature', 'etim_search_values',
        'etim_get_value', 'etim_search_units', 'etim_get_unit', 'etim_search_groups', 'etim_get_group',
        'etim_search_feature_groups', 'etim_get_feature_group', 'etim_lookup_code', 'etim_list_languages', 'etim_list_releases', 'bastion_status',
      ].sort(),
    );
    for (const tool of tools) {
      expect(tool.annotations?.readOnlyHint, tool.name).toBe(true);
      expect(JSON.stringify(tool.inputSchema), tool.name).not.toMatch(/anyOf|oneOf/);
    }
  });
});

describe('etim_search_features', () => {
  it('finds current features by description, with types, and sends deprecated:false by default', async () => {
    const result = await call(bastion, 'etim_search_features', { text: 'colour' });
    expect(result.isError).toBeFalsy();
    const expected = matching(double.state.features.values(), 'colour').filter((f) => !f.deprecated);
    expect(expected.length).toBeGreaterThan(1);
    expect(result.structured.total).toBe(expected.length);
    expect(result.structured.items).toEqual(expected.map((f) => ({ code: f.code, description: f.descriptions.EN, type: TYPE_NAMES[f.type] })));
    expect(lastBody(double, '/Feature/Search')).toEqual({
      languagecode: 'EN',
      from: 0,
      size: 20,
      searchString: 'colour',
      deprecated: false,
      include: { descriptions: true },
    });
  });

  it('sends deprecated as a tri-state: exclude → false, only → true, include → absent', async () => {
    const all = double.state.features.size;
    const deprecated = [...double.state.features.values()].filter((f) => f.deprecated).map((f) => f.code);
    expect(deprecated).toEqual([ETIM_CODES.deprecatedFeature]);

    const exclude = await call(bastion, 'etim_search_features', { deprecated: 'exclude', size: 5 });
    expect(lastBody(double, '/Feature/Search').deprecated).toBe(false);
    expect(exclude.structured.total).toBe(all - deprecated.length);
    expect(exclude.structured.next_from).toBe(5);

    const only = await call(bastion, 'etim_search_features', { deprecated: 'only' });
    expect(lastBody(double, '/Feature/Search').deprecated).toBe(true);
    expect(codes(only)).toEqual(deprecated);
    expect(only.structured.items[0].deprecated).toBe(true);
    expect(only.text).toContain('(deprecated)');

    const include = await call(bastion, 'etim_search_features', { deprecated: 'include', size: 5 });
    expect(Object.keys(lastBody(double, '/Feature/Search'))).not.toContain('deprecated');
    expect(include.structured.total).toBe(all);
  });

  it('pages to the last feature', async () => {
    const total = double.state.features.size;
    const last = await call(bastion, 'etim_search_features', { deprecated: 'include', from: total - 3, size: 10 });
    const sorted = [...double.state.features.keys()].sort();
    expect(codes(last)).toEqual(sorted.slice(-3));
    expect(last.structured.next_from).toBeUndefined();
    expect(lastBody(double, '/Feature/Search')).toMatchObject({ from: total - 3, size: 10 });
  });
});

describe('etim_get_feature', () => {
  it('returns a deprecated feature with its type and translations in the account\'s languages', async () => {
    const result = await call(bastion, 'etim_get_feature', { code: 'ef990014' });
    expect(result.isError).toBeFalsy();
    const seeded = double.state.features.get(ETIM_CODES.deprecatedFeature)!;
    expect(result.structured).toEqual({
      code: seeded.code,
      description: seeded.descriptions.EN,
      type: TYPE_NAMES[seeded.type],
      deprecated: true,
      translations: translations(seeded.descriptions),
    });
    expect(lastBody(double, '/Feature/Details')).toEqual({ languagecode: 'EN', code: 'EF990014', include: { descriptions: true, translations: true } });
  });

  it('answers in the call\'s language, and without translations when told', async () => {
    const result = await call(bastion, 'etim_get_feature', { code: 'EF990004', language: 'de-DE', translations: false });
    const seeded = double.state.features.get('EF990004')!;
    expect(result.structured).toEqual({ code: 'EF990004', description: seeded.descriptions['de-DE'], type: 'range' });
    expect(lastBody(double, '/Feature/Details')).toEqual({ languagecode: 'de-DE', code: 'EF990004', include: { descriptions: true, translations: false } });
  });

  it('reports an unknown feature (ETIM answers 200 with nothing) as no such code', async () => {
    const result = await call(bastion, 'etim_get_feature', { code: 'EF999999' });
    expect(result.isError).toBe(true);
    expect(result.text).toBe('No such ETIM feature: EF999999 (ETIM answered with nothing). Likely a typo, the wrong prefix (EC class, MC modelling class, EF feature, EV value, EU unit, EG group, EFG feature group), or a code withdrawn in this release. Find the code with etim_search_features.');
  });
});

describe('etim_search_values', () => {
  it('finds values in the call\'s language and hides deprecated ones unless asked', async () => {
    const german = await call(bastion, 'etim_search_values', { text: 'weiß', language: 'de-DE' });
    expect(german.isError).toBeFalsy();
    const expected = matching(double.state.values.values(), 'weiß', 'de-DE').filter((v) => !v.deprecated);
    expect(german.structured.items).toEqual(expected.map((v) => ({ code: v.code, description: v.descriptions['de-DE'] })));
    expect(lastBody(double, '/Value/Search')).toMatchObject({ languagecode: 'de-DE', searchString: 'weiß', deprecated: false });

    const hidden = await call(bastion, 'etim_search_values', { text: 'silver' });
    expect(hidden.structured.total).toBe(0);
    const only = await call(bastion, 'etim_search_values', { text: 'silver', deprecated: 'only' });
    expect(codes(only)).toEqual([ETIM_CODES.deprecatedValue]);
    const both = await call(bastion, 'etim_search_values', { deprecated: 'include', size: 100 });
    expect(both.structured.total).toBe(double.state.values.size);
    expect(Object.keys(lastBody(double, '/Value/Search'))).not.toContain('deprecated');
  });
});

describe('etim_get_value', () => {
  it('returns the value in the call\'s language with the English description beside it', async () => {
    const result = await call(bastion, 'etim_get_value', { code: 'EV990001', language: 'nl-NL' });
    expect(result.isError).toBeFalsy();
    const seeded = double.state.values.get('EV990001')!;
    expect(result.structured).toEqual({
      code: 'EV990001',
      description: seeded.descriptions['nl-NL'],
      description_en: seeded.descriptions.EN,
      translations: translations(seeded.descriptions),
    });
    expect(lastBody(double, '/Value/Details')).toEqual({ languagecode: 'nl-NL', code: 'EV990001', include: { descriptions: true, translations: true } });
  });

  it('marks a deprecated value and reports an unknown one as no such code', async () => {
    const deprecated = await call(bastion, 'etim_get_value', { code: ETIM_CODES.deprecatedValue });
    expect(deprecated.structured.deprecated).toBe(true);
    const unknown = await call(bastion, 'etim_get_value', { code: 'EV999999' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toBe('No such ETIM value: EV999999 (ETIM answered with nothing). Likely a typo, the wrong prefix (EC class, MC modelling class, EF feature, EV value, EU unit, EG group, EFG feature group), or a code withdrawn in this release. Find the code with etim_search_values.');
  });
});

describe('etim_search_units', () => {
  it('finds units by description and abbreviation, with the abbreviation in each hit', async () => {
    const result = await call(bastion, 'etim_search_units', { text: 'degree' });
    const expected = matching(double.state.units.values(), 'degree').filter((u) => !u.deprecated);
    expect(expected.length).toBe(2);
    expect(result.structured.items).toEqual(expected.map((u) => ({ code: u.code, description: u.descriptions.EN, abbreviation: u.abbreviations.EN })));
    const byAbbreviation = await call(bastion, 'etim_search_units', { text: 'lm' });
    expect(codes(byAbbreviation)).toContain('EU990007');
    const deprecated = await call(bastion, 'etim_search_units', { deprecated: 'only' });
    expect(codes(deprecated)).toEqual([ETIM_CODES.deprecatedUnit]);
    expect(lastBody(double, '/Unit/Search')).toMatchObject({ deprecated: true, include: { descriptions: true } });
  });
});

describe('etim_get_unit', () => {
  it('returns the unit with abbreviations per language', async () => {
    const result = await call(bastion, 'etim_get_unit', { code: 'EU990005' });
    expect(result.isError).toBeFalsy();
    const seeded = double.state.units.get('EU990005')!;
    expect(result.structured).toEqual({
      code: 'EU990005',
      description: seeded.descriptions.EN,
      abbreviation: seeded.abbreviations.EN,
      translations: translations(seeded.descriptions, seeded.abbreviations),
    });
    expect(result.text).toContain('(°C)');
  });

  it('reports an unknown unit as no such code', async () => {
    const result = await call(bastion, 'etim_get_unit', { code: 'EU999999' });
    expect(result.isError).toBe(true);
    expect(result.text).toBe('No such ETIM unit: EU999999 (ETIM answered with nothing). Likely a typo, the wrong prefix (EC class, MC modelling class, EF feature, EV value, EU unit, EG group, EFG feature group), or a code withdrawn in this release. Find the code with etim_search_units.');
  });
});

describe('etim_search_groups', () => {
  it('finds groups, with no deprecated key in the body', async () => {
    const result = await call(bastion, 'etim_search_groups', { text: 'lamp' });
    const expected = matching(double.state.groups.values(), 'lamp');
    expect(result.structured.items).toEqual(expected.map((g) => ({ code: g.code, description: g.descriptions.EN })));
    expect(lastBody(double, '/Group/Search')).toEqual({ languagecode: 'EN', from: 0, size: 20, searchString: 'lamp', include: { descriptions: true } });
    const all = await call(bastion, 'etim_search_groups', {});
    expect(codes(all)).toEqual([...ETIM_CODES.groups]);
  });
});

describe('etim_get_group', () => {
  it('returns the group with the releases it is in, asking for the Releases field', async () => {
    const result = await call(bastion, 'etim_get_group', { code: 'eg990003' });
    expect(result.isError).toBeFalsy();
    const seeded = double.state.groups.get('EG990003')!;
    expect(result.structured).toEqual({
      code: 'EG990003',
      description: seeded.descriptions.EN,
      translations: translations(seeded.descriptions),
      releases: seeded.releases,
    });
    expect(lastBody(double, '/Group/Details')).toEqual({
      languagecode: 'EN',
      code: 'EG990003',
      include: { descriptions: true, translations: true, fields: ['Releases'] },
    });
  });

  it('reports an unknown group as no such code', async () => {
    const result = await call(bastion, 'etim_get_group', { code: 'EG999999' });
    expect(result.isError).toBe(true);
    expect(result.text).toBe('No such ETIM group: EG999999 (ETIM answered with nothing). Likely a typo, the wrong prefix (EC class, MC modelling class, EF feature, EV value, EU unit, EG group, EFG feature group), or a code withdrawn in this release. Find the code with etim_search_groups.');
  });
});

describe('etim_search_feature_groups', () => {
  it('finds feature groups by description', async () => {
    const result = await call(bastion, 'etim_search_feature_groups', { text: 'dimension' });
    const expected = matching(double.state.featureGroups.values(), 'dimension');
    expect(expected).toHaveLength(1);
    expect(result.structured.items).toEqual(expected.map((g) => ({ code: g.code, description: g.descriptions.EN })));
    expect(lastBody(double, '/FeatureGroup/Search')).toMatchObject({ searchString: 'dimension', include: { descriptions: true } });
    const all = await call(bastion, 'etim_search_feature_groups', {});
    expect(codes(all)).toEqual([...ETIM_CODES.featureGroups]);
  });
});

describe('etim_get_feature_group', () => {
  it('returns the feature group with translations', async () => {
    const result = await call(bastion, 'etim_get_feature_group', { code: 'efg99001', language: 'de-DE' });
    expect(result.isError).toBeFalsy();
    const seeded = double.state.featureGroups.get('EFG99001')!;
    expect(result.structured).toEqual({ code: 'EFG99001', description: seeded.descriptions['de-DE'], translations: translations(seeded.descriptions) });
    expect(lastBody(double, '/FeatureGroup/Details')).toMatchObject({ code: 'EFG99001', languagecode: 'de-DE' });
  });

  it('reports an unknown feature group as no such code', async () => {
    const result = await call(bastion, 'etim_get_feature_group', { code: 'EFG99999' });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/^No such ETIM feature group: EFG99999 \(ETIM answered with nothing\)\. .* Find the code with etim_search_feature_groups\.$/);
  });
});

describe('etim_list_languages and etim_list_releases', () => {
  it('lists every language, marking the ones the account may use, and the default', async () => {
    const result = await call(bastion, 'etim_list_languages');
    expect(result.isError).toBeFalsy();
    expect(result.structured.default_language).toBe('EN');
    expect(result.structured.languages).toEqual(LANGUAGES.map((l) => ({ code: l.code, description: l.description, allowed: ALLOWED_LANGUAGES.includes(l.code) })));
    expect(result.text).toContain('fr-FR French (not allowed for this account)');
    const allowed = await call(bastion, 'etim_list_languages', { allowed_only: true });
    expect(allowed.structured.languages.map((l: { code: string }) => l.code)).toEqual(ALLOWED_LANGUAGES);
    expect(apiCalls(double, '/Misc/Languages').every((r) => r.method === 'GET')).toBe(true);
    expect(apiCalls(double, '/Misc/LanguagesAllowed').length).toBeGreaterThan(0);
  });

  it('lists release names from their description', async () => {
    const result = await call(bastion, 'etim_list_releases');
    expect(result.isError).toBeFalsy();
    expect(result.structured.releases).toEqual(RELEASES.map((r) => r.description));
    expect(result.text).not.toContain('N/A');
    expect(apiCalls(double, '/Misc/Releases').at(-1)!.method).toBe('GET');
  });
});

describe('resources', () => {
  it('lists etim://languages and etim://releases', async () => {
    const { resources } = await bastion.client.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual(['etim://languages', 'etim://releases']);
    for (const resource of resources) expect(resource.mimeType).toBe('application/json');
  });

  it('reads the languages with whether each is allowed', async () => {
    const read = await bastion.client.readResource({ uri: 'etim://languages' });
    expect(read.contents).toHaveLength(1);
    const content = read.contents[0] as { uri: string; text: string };
    expect(content.uri).toBe('etim://languages');
    expect(JSON.parse(content.text)).toEqual(LANGUAGES.map((l) => ({ code: l.code, description: l.description, allowed: ALLOWED_LANGUAGES.includes(l.code) })));
  });

  it('reads the release names, taken from description', async () => {
    const read = await bastion.client.readResource({ uri: 'etim://releases' });
    const content = read.contents[0] as { uri: string; text: string };
    expect(JSON.parse(content.text)).toEqual(RELEASES.map((r) => r.description));
    expect(content.text).not.toContain('N/A');
  });
});

describe('ETIM_DEFAULT_LANGUAGE', () => {
  it('is the language of every call that names none', async () => {
    const german = await startBastionOnEtim(double, { ETIM_DEFAULT_LANGUAGE: 'de-DE' });
    try {
      const languages = await call(german, 'etim_list_languages', { allowed_only: true });
      expect(languages.structured.default_language).toBe('de-DE');
      const search = await call(german, 'etim_search_features', { text: 'Farbe' });
      expect(lastBody(double, '/Feature/Search').languagecode).toBe('de-DE');
      expect(search.structured.items.map((i: { description: string }) => i.description)).toEqual(
        matching(double.state.features.values(), 'Farbe', 'de-DE').map((f) => f.descriptions['de-DE']),
      );
      const value = await call(german, 'etim_get_value', { code: 'EV990002' });
      expect(lastBody(double, '/Value/Details').languagecode).toBe('de-DE');
      expect(value.structured.description).toBe(double.state.values.get('EV990002')!.descriptions['de-DE']);
      // A per-call language still wins.
      await call(german, 'etim_get_value', { code: 'EV990002', language: 'EN' });
      expect(lastBody(double, '/Value/Details').languagecode).toBe('EN');
    } finally {
      await german.close();
    }
  });

  it('refuses to start with a value that is not a language code, naming the variable', async () => {
    const before = double.tokenRequests.length + double.apiRequests.length;
    const result = await runCli(['serve'], etimEnv(double, { ETIM_DEFAULT_LANGUAGE: 'german' }));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('ETIM_DEFAULT_LANGUAGE');
    expect(double.tokenRequests.length + double.apiRequests.length).toBe(before);
  });
});
