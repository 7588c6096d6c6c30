// Classes: search, details with a features mode and paging, many at once, versions, a release's version,
// comparison of several classes, and the changes between a version and the one before it.
import { z } from 'zod';
import { InputError } from '../../../core/errors.js';

import {
  anyCase, codeSchema, etimTool, fromSchema, language, languageSchema, nextFrom, readOnly, releaseSchema, searchTextSchema,
  sizeSchema, type EtimContext,
} from './shared.js';

interface EtimUnit {
  code: string;
  description?: string | null;
  abbreviation?: string | null;
}

interface EtimClassFeature {
  orderNumber?: number;
  code: string;
  type?: string;
  deprecated?: boolean;
  description?: string | null;
  unit?: EtimUnit | null;
  unitImperial?: EtimUnit | null;
  values?: Array<{ code: string; description?: string | null; deprecated?: boolean; changeCode?: number }> | null;
  changeCode?: number;
}

interface EtimClass {
  code: string;
  version: number;
  status?: number;
  mutationDate?: string;
  modelling?: boolean;
  description?: string | null;
  descriptionEn?: string | null;
  synonyms?: string[] | null;
  group?: { code: string; description?: string | null } | null;
  features?: EtimClassFeature[] | null;
  releases?: string[] | null;
  changeCode?: number;
}

const STATUS: Record<number, string> = { 2: 'under construction', 3: 'ready for publication', 5: 'published', 9: 'deleted' };
const TYPE_NAMES: Record<string, string> = { A: 'alphanumeric', L: 'logical', N: 'numeric', R: 'range' };
const CHANGE: Record<number, string> = { 0: 'unchanged', 1: 'new', 2: 'changed', 9: 'deleted' };

const classCodeSchema = codeSchema('class');

const classSummary = z.object({
  code: z.string(),
  version: z.number(),
  description: z.string().optional(),
  group: z.string().optional(),
  status: z.string().optional(),
  modelling: z.boolean().optional(),
  releases: z.array(z.string()).optional(),
});

function summary(c: EtimClass): z.input<typeof classSummary> {
  return {
    code: c.code,
    version: c.version,
    description: c.description ?? undefined,
    group: c.group ? `${c.group.code}${c.group.description ? ` ${c.group.description}` : ''}` : undefined,
    status: c.status !== undefined ? STATUS[c.status] ?? String(c.status) : undefined,
    modelling: c.modelling ? true : undefined,
    releases: c.releases ?? undefined,
  };
}

function summaryLine(c: z.output<typeof classSummary>): string {
  return `${c.code} v${c.version} ${c.description ?? ''}${c.group ? ` · group ${c.group}` : ''}${c.status && c.status !== 'published' ? ` · ${c.status}` : ''}${c.modelling ? ' · modelling (BIM)' : ''}${c.releases?.length ? ` · ${c.releases.join(', ')}` : ''}`;
}

const featureOutput = z.object({
  code: z.string(),
  description: z.string().optional(),
  type: z.string().optional(),
  unit: z.string().optional(),
  deprecated: z.boolean().optional(),
  values: z.array(z.object({ code: z.string(), description: z.string().optional() })).optional(),
});

function feature(f: EtimClassFeature, withValues: boolean): z.input<typeof featureOutput> {
  return {
    code: f.code,
    description: f.description ?? undefined,
    type: f.type ? TYPE_NAMES[f.type] ?? f.type : undefined,
    unit: f.unit ? (f.unit.abbreviation ?? f.unit.description ?? f.unit.code) + (f.unitImperial ? ` / ${f.unitImperial.abbreviation ?? f.unitImperial.code}` : '') : undefined,
    deprecated: f.deprecated ? true : undefined,
    values: withValues && f.values?.length ? f.values.map((v) => ({ code: v.code, description: v.description ?? undefined })) : undefined,
  };
}

function featureLine(f: z.output<typeof featureOutput>): string {
  const values = f.values?.length ? `: ${f.values.map((v) => `${v.code} ${v.description ?? ''}`.trim()).join('; ')}` : '';
  return `- ${f.code} ${f.description ?? ''}${f.type ? ` [${f.type}${f.unit ? `, ${f.unit}` : ''}]` : ''}${f.deprecated ? ' (deprecated)' : ''}${values}`;
}

function details(ctx: EtimContext, lang: string, fields: string[]) {
  return { languagecode: lang, include: { descriptions: true, translations: false, fields } };
}

/**
 * Modelling classes (MC…) are not resolved by the Class endpoints: ETIM serves them through ModellingClass/Details,
 * DetailsMany and DetailsManyByCode (which take no version: a version is picked from all of them).
 */
const isModelling = (code: string) => code.startsWith('MC');

async function readClass(ctx: EtimContext, code: string, version: number | undefined, lang: string, fields: string[]): Promise<EtimClass> {
  const read = { code: version ? `${code} version ${version}` : code, what: isModelling(code) ? 'modelling class' : 'class', search: 'etim_search_classes' };
  if (!isModelling(code)) {
    return ctx.client.postCode<EtimClass>('/Class/Details', { code, ...(version ? { version } : {}), ...details(ctx, lang, fields) }, read, ctx.signal);
  }
  if (!version) return ctx.client.postCode<EtimClass>('/ModellingClass/Details', { code, ...details(ctx, lang, fields) }, read, ctx.signal);
  const all = await ctx.client.postCode<EtimClass[]>('/ModellingClass/DetailsManyByCode', { code, ...details(ctx, lang, fields) }, { ...read, code }, ctx.signal);
  const found = all.find((c) => c.version === version);
  if (!found) throw new InputError(`version: the modelling class ${code} has no version ${version} (it has ${all.map((c) => c.version).sort((a, b) => a - b).join(', ')}); list them with etim_get_class_versions.`);
  return found;
}

/** Several classes at once: regular ones through Class/DetailsMany, modelling ones through ModellingClass/DetailsMany. */
async function readClasses(ctx: EtimContext, wanted: Array<{ code: string; version?: number }>, lang: string, fields: string[]): Promise<EtimClass[]> {
  const parts = [wanted.filter((w) => !isModelling(w.code)), wanted.filter((w) => isModelling(w.code))];
  const [regular, modelling] = await Promise.all(
    parts.map((classes, index) =>
      classes.length ? ctx.client.post<EtimClass[]>(index ? '/ModellingClass/DetailsMany' : '/Class/DetailsMany', { classes, ...details(ctx, lang, fields) }, 'details', ctx.signal) : [],
    ),
  );
  // Kept in the order asked for.
  return [...regular!, ...modelling!].sort((a, b) => wanted.findIndex((w) => w.code === a.code) - wanted.findIndex((w) => w.code === b.code));
}

function regularOnly(code: string, tool: string): void {
  if (isModelling(code)) {
    throw new InputError(`code: ${code} is a modelling class, and ETIM offers ${tool} for regular (EC) classes only. Use etim_get_class or etim_get_class_versions for modelling classes.`);
  }
}

// ---------------------------------------------------------------- search

export const searchClasses = etimTool({
  name: 'etim_search_classes',
  title: 'Search ETIM classes',
  description:
    'Find ETIM product classes by code, description or synonym, with optional filters; the current version of each class unless versions is "all"; features: etim_get_class.',
  inputSchema: z.object({
    text: searchTextSchema,
    language: languageSchema,
    releases: z.array(releaseSchema).max(10).default([]),
    groups: z.array(codeSchema('group')).max(20).default([]),
    features: z.array(codeSchema('feature')).max(20).default([]),
    values: z.array(codeSchema('value')).max(20).default([]),
    modelling: z.enum(['regular', 'modelling', 'both']).default('regular').describe('regular: EC classes; modelling: MC (BIM)'),
    versions: z.enum(['latest', 'all']).default('latest').describe('latest: the current version of each class; all: every version (ETIM keeps them all)'),
    from: fromSchema,
    size: sizeSchema,
  }),
  outputSchema: z.object({ total: z.number(), from: z.number(), classes: z.array(classSummary), next_from: z.number().optional() }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    // Unfiltered, ETIM returns every version of every class (about four per class, mostly old ones). The DYNAMIC
    // release holds the current version of each class, so it stands in for "latest" unless releases were named.
    const releases = input.releases.length || input.versions === 'all' ? input.releases : ['DYNAMIC'];
    const filters = (
      [
        ['Release', releases],
        ['Group', input.groups],
        ['Feature', input.features],
        ['Value', input.values],
      ] as Array<[string, string[]]>
    )
      .filter(([, values]) => values.length > 0)
      .map(([code, values]) => ({ code, values }));
    const body = {
      languagecode: language(ctx, input.language),
      from: input.from,
      size: input.size,
      searchString: input.text,
      // Tri-state: unset returns both kinds.
      ...(input.modelling === 'regular' ? { modelling: false } : input.modelling === 'modelling' ? { modelling: true } : {}),
      include: { descriptions: true },
      ...(filters.length ? { filters } : {}),
    };
    const answer = await ctx.client.post<{ total: number; classes?: EtimClass[] }>('/Class/Search', body, 'search', ctx.signal);
    const classes = (answer.classes ?? []).map(summary);
    return { total: answer.total, from: input.from, classes, next_from: nextFrom(input.from, classes.length, answer.total) };
  },
  render: (out) =>
    [
      `${out.total} classes${out.classes.length ? `, ${out.from + 1}-${out.from + out.classes.length} shown` : ''}${out.next_from !== undefined ? ` (more: from=${out.next_from})` : ''}`,
      ...out.classes.map(summaryLine),
    ].join('\n'),
});

// ---------------------------------------------------------------- details

const FEATURE_MODES = ['none', 'count', 'summary', 'full'] as const;

const classDetails = classSummary.extend({
  description_en: z.string().optional(),
  synonyms: z.array(z.string()).optional(),
  mutation_date: z.string().optional(),
  feature_count: z.number(),
  features: z.array(featureOutput).optional(),
  feature_offset: z.number().optional(),
  next_feature_offset: z.number().optional(),
});

export const getClass = etimTool({
  name: 'etim_get_class',
  title: 'Get an ETIM class',
  description:
    'One ETIM class (latest version by default) with its synonyms, group, releases and features, paged.',
  inputSchema: z.object({
    code: classCodeSchema,
    version: z.number().int().min(1).max(1000).optional(),
    language: languageSchema,
    features: z.enum(FEATURE_MODES).default('summary').describe('full adds the allowed values'),
    feature_offset: z.number().int().min(0).max(10_000).default(0),
    feature_limit: z.number().int().min(1).max(200).default(50),
  }),
  outputSchema: classDetails,
  annotations: readOnly,
  handler: async (input, ctx) => {
    const c = await readClass(ctx, input.code, input.version, language(ctx, input.language), ['Features', 'Group', 'Releases']);
    const all = [...(c.features ?? [])].sort((a, b) => (a.orderNumber ?? 0) - (b.orderNumber ?? 0));
    const page = all.slice(input.feature_offset, input.feature_offset + input.feature_limit);
    const listed = input.features === 'summary' || input.features === 'full';
    const next = input.feature_offset + page.length;
    return {
      ...summary(c),
      description_en: c.descriptionEn && c.descriptionEn !== c.description ? c.descriptionEn : undefined,
      synonyms: c.synonyms?.length ? c.synonyms.slice(0, 30) : undefined,
      mutation_date: c.mutationDate,
      feature_count: all.length,
      features: listed ? page.map((f) => feature(f, input.features === 'full')) : undefined,
      feature_offset: listed ? input.feature_offset : undefined,
      next_feature_offset: listed && next < all.length ? next : undefined,
    };
  },
  render: (out) => {
    const lines = [summaryLine(out)];
    if (out.description_en) lines.push(`English: ${out.description_en}`);
    if (out.synonyms?.length) lines.push(`Synonyms: ${out.synonyms.join(', ')}`);
    lines.push(
      out.features
        ? `Features ${out.features.length ? `${(out.feature_offset ?? 0) + 1}-${(out.feature_offset ?? 0) + out.features.length} ` : ''}of ${out.feature_count}${out.next_feature_offset !== undefined ? ` (more: feature_offset=${out.next_feature_offset})` : ''}:`
        : `${out.feature_count} features (ask with features "summary" or "full" to list them)`,
    );
    for (const f of out.features ?? []) lines.push(featureLine(f));
    return lines.join('\n');
  },
});

export const getClasses = etimTool({
  name: 'etim_get_classes',
  title: 'Get several ETIM classes',
  description:
    'Several ETIM classes in one call, latest versions by default; unknown codes come back as missing.',
  inputSchema: z.object({
    codes: z
      .array(z.string().regex(anyCase(/^(EC|MC)\d{6}(:[1-9]\d{0,3})?$/), 'must be a class code like EC001744, optionally with a version (1 or more) as EC001744:10').toUpperCase())
      .min(1)
      .max(50)
      .describe('e.g. EC001744, or EC001744:10 for version 10'),
    language: languageSchema,
  }),
  outputSchema: z.object({ classes: z.array(classSummary.extend({ feature_count: z.number() })), missing: z.array(z.string()) }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const wanted = input.codes.map((entry) => {
      const [code, version] = entry.split(':');
      return { code: code!, ...(version ? { version: Number(version) } : {}) };
    });
    const found = await readClasses(ctx, wanted, language(ctx, input.language), ['Features', 'Group', 'Releases']);
    const missing = wanted.filter((w) => !found.some((c) => c.code === w.code && (w.version === undefined || c.version === w.version)));
    return {
      classes: found.map((c) => ({ ...summary(c), feature_count: c.features?.length ?? 0 })),
      missing: missing.map((m) => (m.version !== undefined ? `${m.code}:${m.version}` : m.code)),
    };
  },
  render: (out) =>
    [...out.classes.map((c) => `${summaryLine(c)} · ${c.feature_count} features`), ...(out.missing.length ? [`Not found: ${out.missing.join(', ')}`] : [])].join('\n'),
});

export const getClassVersions = etimTool({
  name: 'etim_get_class_versions',
  title: 'List the versions of an ETIM class',
  description: 'Every version of an ETIM class, oldest first, with its status, date and releases.',
  inputSchema: z.object({ code: classCodeSchema, language: languageSchema }),
  outputSchema: z.object({ code: z.string(), versions: z.array(classSummary.extend({ feature_count: z.number(), mutation_date: z.string().optional() })) }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const versions = await ctx.client.postCode<EtimClass[]>(
      isModelling(input.code) ? '/ModellingClass/DetailsManyByCode' : '/Class/DetailsManyByCode',
      { code: input.code, ...details(ctx, language(ctx, input.language), ['Features', 'Releases']) },
      { code: input.code, what: isModelling(input.code) ? 'modelling class' : 'class', search: 'etim_search_classes' },
      ctx.signal,
    );
    return {
      code: input.code,
      versions: [...versions].sort((a, b) => a.version - b.version).map((c) => ({ ...summary(c), feature_count: c.features?.length ?? 0, mutation_date: c.mutationDate })),
    };
  },
  render: (out) => [`${out.versions.length} versions of ${out.code}:`, ...out.versions.map((v) => `${summaryLine(v)} · ${v.feature_count} features · ${v.mutation_date ?? ''}`)].join('\n'),
});

export const getClassForRelease = etimTool({
  name: 'etim_get_class_for_release',
  title: 'Get an ETIM class as of a release',
  description: 'The version of an ETIM class valid in a release, with its features: for a catalogue on an older release.',
  inputSchema: z.object({ code: classCodeSchema, release: releaseSchema, language: languageSchema }),
  outputSchema: classSummary.extend({ feature_count: z.number(), features: z.array(featureOutput) }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    regularOnly(input.code, 'a class as of a release');
    const c = await ctx.client.postCode<EtimClass>(
      '/Class/DetailsForRelease',
      { code: input.code, release: input.release, ...details(ctx, language(ctx, input.language), ['Features', 'Group', 'Releases']) },
      { code: input.code, what: 'class', search: 'etim_search_classes (with releases)', also: `or the class is not part of ${input.release} (its releases: etim_get_class_versions)` },
      ctx.signal,
    );
    const features = (c.features ?? []).map((f) => feature(f, false));
    // Large classes are cut to keep the answer readable; etim_get_class pages through all of them.
    return { ...summary(c), feature_count: features.length, features: features.slice(0, 100) };
  },
  render: (out) =>
    [
      summaryLine(out),
      `Features (${out.feature_count}${out.feature_count > out.features.length ? `, first ${out.features.length}; etim_get_class with version ${out.version} pages through all` : ''}):`,
      ...out.features.map(featureLine),
    ].join('\n'),
});

// ---------------------------------------------------------------- compare and diff

export const compareClasses = etimTool({
  name: 'etim_compare_classes',
  title: 'Compare ETIM classes',
  description:
    'Compare 2 to 10 ETIM classes: the features they all share and those unique to each.',
  inputSchema: z.object({
    codes: z.array(classCodeSchema).min(2).max(10),
    language: languageSchema,
  }),
  outputSchema: z.object({
    classes: z.array(classSummary.extend({ feature_count: z.number() })),
    shared: z.array(z.object({ code: z.string(), description: z.string().optional() })),
    only_in: z.record(z.string(), z.array(z.object({ code: z.string(), description: z.string().optional() }))),
    missing: z.array(z.string()),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const codes = [...new Set(input.codes)];
    if (codes.length < 2) throw new InputError('codes: give at least two different class codes.');
    const found = await readClasses(ctx, codes.map((code) => ({ code })), language(ctx, input.language), ['Features', 'Group']);
    const featureSets = found.map((c) => new Map((c.features ?? []).map((f) => [f.code, f.description ?? undefined])));
    const shared = [...(featureSets[0]?.entries() ?? [])].filter(([code]) => featureSets.every((set) => set.has(code)));
    const onlyIn: Record<string, Array<{ code: string; description?: string }>> = {};
    found.forEach((c, i) => {
      onlyIn[c.code] = [...featureSets[i]!.entries()]
        .filter(([code]) => !featureSets.every((set) => set.has(code)))
        .map(([code, description]) => ({ code, description }));
    });
    return {
      classes: found.map((c) => ({ ...summary(c), feature_count: c.features?.length ?? 0 })),
      shared: shared.map(([code, description]) => ({ code, description })),
      only_in: onlyIn,
      missing: codes.filter((code) => !found.some((c) => c.code === code)),
    };
  },
  render: (out) =>
    [
      ...out.classes.map((c) => `${summaryLine(c)} · ${c.feature_count} features`),
      `Shared by all (${out.shared.length}): ${out.shared.map((f) => `${f.code} ${f.description ?? ''}`.trim()).join('; ') || 'none'}`,
      ...Object.entries(out.only_in).map(([code, features]) => `Only in ${code} (${features.length}): ${features.map((f) => `${f.code} ${f.description ?? ''}`.trim()).join('; ') || 'none'}`),
      ...(out.missing.length ? [`Not found: ${out.missing.join(', ')}`] : []),
    ].join('\n'),
});

export const diffClassReleases = etimTool({
  name: 'etim_diff_class_releases',
  title: 'What changed in an ETIM class version',
  description:
    'What changed in an ETIM class version (default the latest) since the one before: features and values added, changed, deleted.',
  inputSchema: z.object({
    code: classCodeSchema,
    version: z.number().int().min(1).max(1000).optional(),
    language: languageSchema,
  }),
  outputSchema: z.object({
    code: z.string(),
    version: z.number(),
    releases: z.array(z.string()).optional(),
    changes: z.array(z.object({ feature: z.string(), description: z.string().optional(), change: z.string(), values: z.array(z.string()).optional() })),
    unchanged_features: z.number(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    regularOnly(input.code, 'the changes between versions');
    const lang = language(ctx, input.language);
    let version = input.version;
    if (version === undefined) version = (await readClass(ctx, input.code, undefined, lang, [])).version;
    const diff = await ctx.client.postCode<EtimClass>(
      '/Class/DetailsDiff',
      { code: input.code, version, ...details(ctx, lang, ['Group', 'Releases', 'Features']) },
      { code: `${input.code} version ${version}`, what: 'class', search: 'etim_search_classes' },
      ctx.signal,
    );
    const features = diff.features ?? [];
    const changes = features
      .filter((f) => (f.changeCode ?? 0) !== 0 || (f.values ?? []).some((v) => (v.changeCode ?? 0) !== 0))
      .map((f) => ({
        feature: f.code,
        description: f.description ?? undefined,
        change: CHANGE[f.changeCode ?? 0] ?? String(f.changeCode),
        values: (f.values ?? []).filter((v) => (v.changeCode ?? 0) !== 0).map((v) => `${CHANGE[v.changeCode!] ?? v.changeCode} ${v.code}${v.description ? ` ${v.description}` : ''}`),
      }))
      .map((change) => ({ ...change, values: change.values.length ? change.values : undefined }));
    return { code: diff.code, version: diff.version, releases: diff.releases ?? undefined, changes, unchanged_features: features.length - changes.length };
  },
  render: (out) =>
    [
      `${out.code} v${out.version}${out.releases?.length ? ` (${out.releases.join(', ')})` : ''}: ${out.changes.length} features changed, ${out.unchanged_features} unchanged`,
      ...out.changes.map((c) => `- ${c.change} ${c.feature} ${c.description ?? ''}${c.values ? `; values: ${c.values.join(', ')}` : ''}`),
    ].join('\n'),
});

