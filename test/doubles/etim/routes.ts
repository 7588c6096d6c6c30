// The 23 ETIM API v2 endpoints the double serves: 20 POSTs with JSON bodies and three Misc GETs.
// Search: `total` counts every match, hits are sorted by code (then version) and sliced by from/size.
// Class search returns every version of every class, as the real API does (21,538 hits against about 5,600 classes
// unfiltered), or with a Release filter the versions valid in those releases (DYNAMIC: the current ones); filters combine with AND across filter codes and OR within one filter's values.
//
// Errors: the ETIM swagger documents 400, 401 and 500 only, so the double never answers 404 for data. An unknown
// code (or version, or a class outside a release) is a 400 ProblemDetails on the Class endpoints and an empty 200
// on the other Details endpoints; DetailsMany leaves unknown codes out and DetailsManyByCode answers []. Which of the
// two a given endpoint uses is not documented: the split is an assumption that keeps both answers exercised.
// Modelling classes (MC…) are served by the ModellingClass endpoints only; the Class endpoints treat them as unknown.
import { findVersion, latestVersion, versionInRelease, type ClassRecord, type ClassVersionRecord, type EtimState, type Texts } from './model.js';
import { parseDetails, parseSearch, resolveLanguage, type Input, type SearchInput } from './input.js';
import { badRequest, type Answer } from './problems.js';
import { Views } from './views.js';

export interface ApiContext {
  state: EtimState;
  /** Parsed JSON body (POST only). */
  body: unknown;
  /** Request path, used as the problem `instance`. */
  path: string;
}

export interface ApiRoute {
  method: 'GET' | 'POST';
  /** Below /api/v2, e.g. "/Class/Search"; matched case-insensitively, like ASP.NET Core routing. */
  path: string;
  handler: (context: ApiContext) => Answer;
}

const ok = (body: unknown): Answer => ({ status: 200, body });

function page<T>(items: T[], search: SearchInput): T[] {
  return items.slice(search.from, search.from + search.size);
}

function matchesText(search: SearchInput, code: string, texts: Texts, extra: string[] = []): boolean {
  if (!search.text) return true;
  const candidates = [code, texts[search.language] ?? texts.EN ?? '', ...extra];
  return candidates.some((candidate) => candidate.toLowerCase().includes(search.text));
}

function allows(search: SearchInput, filter: 'group' | 'class' | 'feature' | 'value', ...codes: string[]): boolean {
  const wanted = search.filters.get(filter);
  return !wanted || codes.some((code) => wanted.has(code.toUpperCase()));
}

const byCode = (a: { code: string }, b: { code: string }) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

function searchClasses({ state, body, path }: ApiContext, modellingOnly = false): Answer {
  const search = parseSearch(state, body, path);
  if (modellingOnly) search.modelling = true;
  const releases = search.filters.get('release');
  const hits: Array<{ record: ClassRecord; version: ClassVersionRecord }> = [];
  for (const record of [...state.classes.values()].sort(byCode)) {
    if (search.modelling !== undefined && record.modelling !== search.modelling) continue;
    const versions = releases ? record.versions.filter((version) => version.releases.some((name) => releases.has(name.toUpperCase()))) : record.versions;
    for (const version of versions) {
      if (!allows(search, 'group', version.group)) continue;
      if (!allows(search, 'class', record.code)) continue;
      if (!allows(search, 'feature', ...version.features.map((entry) => entry.feature))) continue;
      if (!allows(search, 'value', ...version.features.flatMap((entry) => entry.values ?? []))) continue;
      if (!matchesText(search, record.code, version.descriptions, version.synonyms[search.language] ?? [])) continue;
      hits.push({ record, version });
    }
  }
  const views = new Views(state, search.language, search.include);
  return ok({ total: hits.length, classes: page(hits, search).map(({ record, version }) => views.classVersion(record, version, { details: false })) });
}

function deprecatedFits(search: SearchInput, deprecated: boolean): boolean {
  return search.deprecated === undefined || search.deprecated === deprecated;
}

function searchFeatures({ state, body, path }: ApiContext): Answer {
  const search = parseSearch(state, body, path);
  const hits = [...state.features.values()]
    .filter((record) => deprecatedFits(search, record.deprecated) && allows(search, 'feature', record.code) && matchesText(search, record.code, record.descriptions))
    .sort(byCode);
  const views = new Views(state, search.language, search.include);
  return ok({ total: hits.length, features: page(hits, search).map((record) => views.feature(record.code)) });
}

function searchValues({ state, body, path }: ApiContext): Answer {
  const search = parseSearch(state, body, path);
  const hits = [...state.values.values()]
    .filter((record) => deprecatedFits(search, record.deprecated) && allows(search, 'value', record.code) && matchesText(search, record.code, record.descriptions))
    .sort(byCode);
  const views = new Views(state, search.language, search.include);
  return ok({ total: hits.length, values: page(hits, search).map((record) => views.value(record.code)) });
}

function searchUnits({ state, body, path }: ApiContext): Answer {
  const search = parseSearch(state, body, path);
  const hits = [...state.units.values()]
    .filter(
      (record) =>
        deprecatedFits(search, record.deprecated) &&
        matchesText(search, record.code, record.descriptions, [record.abbreviations[search.language] ?? record.abbreviations.EN ?? '']),
    )
    .sort(byCode);
  const views = new Views(state, search.language, search.include);
  return ok({ total: hits.length, units: page(hits, search).map((record) => views.unit(record.code)) });
}

function searchGroups({ state, body, path }: ApiContext): Answer {
  const search = parseSearch(state, body, path);
  const hits = [...state.groups.values()].filter((record) => allows(search, 'group', record.code) && matchesText(search, record.code, record.descriptions)).sort(byCode);
  const views = new Views(state, search.language, search.include);
  return ok({ total: hits.length, groups: page(hits, search).map((record) => views.group(record.code)) });
}

function searchFeatureGroups({ state, body, path }: ApiContext): Answer {
  const search = parseSearch(state, body, path);
  const hits = [...state.featureGroups.values()].filter((record) => matchesText(search, record.code, record.descriptions)).sort(byCode);
  const views = new Views(state, search.language, search.include);
  return ok({ total: hits.length, featureGroups: page(hits, search).map((record) => views.featureGroup(record.code)) });
}

/** Common details input: validates, then resolves the language. */
function details(context: ApiContext, readExtra: (input: Input) => void = () => undefined): { code: string; views: Views; input: Input } {
  const parsed = parseDetails(context.body, { code: true });
  readExtra(parsed.input);
  parsed.input.check();
  const language = resolveLanguage(context.state, parsed.languagecode!, context.path);
  return { code: parsed.code!, views: new Views(context.state, language, parsed.include), input: parsed.input };
}

/** A regular class for the Class endpoints, a modelling class for the ModellingClass ones; anything else is unknown. */
function lookupClass(state: EtimState, code: string, modelling: boolean): ClassRecord | undefined {
  const record = state.classes.get(code);
  return record && record.modelling === modelling ? record : undefined;
}

function findClass(state: EtimState, code: string, path: string, modelling = false): ClassRecord {
  const record = lookupClass(state, code, modelling);
  if (!record) throw badRequest(`Invalid class code '${code}'.`, path);
  return record;
}

function classVersionOrLatest(record: ClassRecord, version: number | undefined, path: string): ClassVersionRecord {
  if (version === undefined) return latestVersion(record);
  const found = findVersion(record, version);
  if (!found) throw badRequest(`Invalid version ${version} for class '${record.code}'.`, path);
  return found;
}

function classDetails(context: ApiContext): Answer {
  let version: number | undefined;
  const { code, views } = details(context, (input) => {
    version = input.integer('version', false);
  });
  const record = findClass(context.state, code, context.path);
  return ok(views.classVersion(record, classVersionOrLatest(record, version, context.path)));
}

function classDetailsDiff(context: ApiContext): Answer {
  let version: number | undefined;
  const { code, views } = details(context, (input) => {
    version = input.integer('version', false);
  });
  const record = findClass(context.state, code, context.path);
  const current = classVersionOrLatest(record, version, context.path);
  const index = record.versions.indexOf(current);
  const previous = index > 0 ? record.versions[index - 1]! : null;
  return ok(views.classVersion(record, current, { details: true, previous }));
}

function classDetailsForRelease(context: ApiContext): Answer {
  let release: string | undefined;
  const { code, views } = details(context, (input) => {
    release = input.string('release', true);
  });
  const record = findClass(context.state, code, context.path);
  const version = versionInRelease(record, release!);
  if (!version) throw badRequest(`Class '${code}' is not part of release '${release}'.`, context.path);
  return ok(views.classVersion(record, version));
}

function classDetailsManyByCode(context: ApiContext, modelling = false): Answer {
  const { code, views } = details(context);
  const record = lookupClass(context.state, code, modelling);
  return ok(record ? record.versions.map((version) => views.classVersion(record, version)) : []);
}

/** ModellingClass/Details: `{code, languagecode, include}`, the latest version; unknown codes are a 400. */
function modellingClassDetails(context: ApiContext): Answer {
  const { code, views } = details(context);
  const record = findClass(context.state, code, context.path, true);
  return ok(views.classVersion(record, latestVersion(record)));
}

function classDetailsMany(context: ApiContext, modelling = false): Answer {
  const parsed = parseDetails(context.body, { code: false });
  const { input } = parsed;
  const wanted: Array<{ code: string; version?: number }> = [];
  const raw = input.raw('classes');
  if (raw === undefined || raw === null) input.fail('classes', 'The classes field is required.');
  else if (!Array.isArray(raw)) input.fail('$.classes', 'The JSON value could not be converted to ClassCodeVersion[]. Path: $.classes.');
  else {
    raw.forEach((item, index) => {
      const entry = item as { code?: unknown; version?: unknown } | null;
      const path = `$.classes[${index}]`;
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry) || typeof entry.code !== 'string') {
        input.fail(path, `A class code is required. Path: ${path}.`);
      } else if (entry.version !== undefined && entry.version !== null && !Number.isSafeInteger(entry.version)) {
        input.fail(`${path}.version`, `The JSON value could not be converted to System.Int32. Path: ${path}.version.`);
      } else {
        wanted.push({ code: entry.code.trim().toUpperCase(), version: (entry.version as number | null | undefined) ?? undefined });
      }
    });
  }
  input.check();
  const language = resolveLanguage(context.state, parsed.languagecode!, context.path);
  const views = new Views(context.state, language, parsed.include);
  // Codes or versions that do not exist are left out of the answer rather than failing the whole batch.
  const found = wanted.flatMap(({ code, version }) => {
    const record = lookupClass(context.state, code, modelling);
    const match = record && (version === undefined ? latestVersion(record) : findVersion(record, version));
    return record && match ? [views.classVersion(record, match)] : [];
  });
  return ok(found);
}

function entityDetails<K extends 'features' | 'values' | 'units' | 'groups' | 'featureGroups'>(
  collection: K,
  label: string,
  render: (views: Views, code: string) => unknown,
): (context: ApiContext) => Answer {
  return (context) => {
    const { code, views } = details(context);
    // Unknown codes: 200 with an empty body.
    if (!context.state[collection].has(code)) return { status: 200 };
    return ok(render(views, code));
  };
}

function languagesAllowed({ state }: ApiContext): Answer {
  return ok(state.languages.filter((language) => state.allowedLanguages.includes(language.code)).map((language) => ({ ...language })));
}

function languages({ state }: ApiContext): Answer {
  return ok(state.languages.map((language) => ({ ...language })));
}

function releases({ state }: ApiContext): Answer {
  return ok(state.releases.map((release) => ({ ...release })));
}

export const API_ROUTES: ApiRoute[] = [
  { method: 'POST', path: '/Class/Search', handler: (context) => searchClasses(context) },
  { method: 'POST', path: '/Class/Details', handler: classDetails },
  { method: 'POST', path: '/Class/DetailsMany', handler: (context) => classDetailsMany(context) },
  { method: 'POST', path: '/Class/DetailsManyByCode', handler: (context) => classDetailsManyByCode(context) },
  { method: 'POST', path: '/Class/DetailsForRelease', handler: classDetailsForRelease },
  { method: 'POST', path: '/Class/DetailsDiff', handler: classDetailsDiff },
  { method: 'POST', path: '/Feature/Search', handler: searchFeatures },
  { method: 'POST', path: '/Feature/Details', handler: entityDetails('features', 'Feature', (views, code) => views.feature(code)) },
  { method: 'POST', path: '/Value/Search', handler: searchValues },
  { method: 'POST', path: '/Value/Details', handler: entityDetails('values', 'Value', (views, code) => views.value(code)) },
  { method: 'POST', path: '/Unit/Search', handler: searchUnits },
  { method: 'POST', path: '/Unit/Details', handler: entityDetails('units', 'Unit', (views, code) => views.unit(code)) },
  { method: 'POST', path: '/Group/Search', handler: searchGroups },
  { method: 'POST', path: '/Group/Details', handler: entityDetails('groups', 'Group', (views, code) => views.group(code)) },
  { method: 'POST', path: '/FeatureGroup/Search', handler: searchFeatureGroups },
  { method: 'POST', path: '/FeatureGroup/Details', handler: entityDetails('featureGroups', 'Feature group', (views, code) => views.featureGroup(code)) },
  { method: 'POST', path: '/ModellingClass/Search', handler: (context) => searchClasses(context, true) },
  { method: 'POST', path: '/ModellingClass/Details', handler: modellingClassDetails },
  { method: 'POST', path: '/ModellingClass/DetailsMany', handler: (context) => classDetailsMany(context, true) },
  { method: 'POST', path: '/ModellingClass/DetailsManyByCode', handler: (context) => classDetailsManyByCode(context, true) },
  { method: 'GET', path: '/Misc/LanguagesAllowed', handler: languagesAllowed },
  { method: 'GET', path: '/Misc/Languages', handler: languages },
  { method: 'GET', path: '/Misc/Releases', handler: releases },
];

/** The route for a path below /api/v2: undefined when unknown, `methodNotAllowed` when only the method differs. */
export function matchRoute(method: string, below: string): { route?: ApiRoute; methodNotAllowed: boolean } {
  const path = below.replace(/\/+$/, '').toLowerCase();
  const candidates = API_ROUTES.filter((route) => route.path.toLowerCase() === path);
  const route = candidates.find((candidate) => candidate.method === method);
  return { route, methodNotAllowed: !route && candidates.length > 0 };
}
