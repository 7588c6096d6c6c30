// Features, values, units, groups and feature groups: the same search and details shape for each,
// built from one description per entity rather than ten hand-written tools.
import { z } from 'zod';
import { clip } from '../../../core/untrusted.js';
import {
  codeSchema, etimTool, fromSchema, language, languageSchema, nextFrom, readOnly, searchTextSchema, sizeSchema, type CODE_PATTERNS,
} from './shared.js';

interface EntitySpec {
  /** Tool name part: etim_search_<plural>, etim_get_<singular>. */
  singular: string;
  plural: string;
  /** What the search finds, in the plural, for its description. */
  label: string;
  code: keyof typeof CODE_PATTERNS;
  /** API entity path, e.g. "FeatureGroup". */
  path: string;
  /** Key of the hits array in search answers, e.g. "featureGroups". */
  hitsKey: string;
  /** Whether ETIM keeps deprecated ones (features, values, units). */
  deprecation: boolean;
  example: string;
}

interface EtimEntity {
  code: string;
  type?: string;
  deprecated?: boolean;
  description?: string | null;
  descriptionEn?: string | null;
  abbreviation?: string | null;
  translations?: Array<{ languagecode: string; description?: string; abbreviation?: string }> | null;
  releases?: string[] | null;
}

const SPECS: EntitySpec[] = [
  { singular: 'feature', plural: 'features', label: 'features (properties such as "Colour")', code: 'feature', path: 'Feature', hitsKey: 'features', deprecation: true, example: 'voltage' },
  { singular: 'value', plural: 'values', label: 'values (predefined answers such as "Red")', code: 'value', path: 'Value', hitsKey: 'values', deprecation: true, example: 'red' },
  { singular: 'unit', plural: 'units', label: 'units of measure', code: 'unit', path: 'Unit', hitsKey: 'units', deprecation: true, example: 'millimetre' },
  { singular: 'group', plural: 'groups', label: 'product groups (of classes)', code: 'group', path: 'Group', hitsKey: 'groups', deprecation: false, example: 'lamps' },
  { singular: 'feature_group', plural: 'feature_groups', label: 'feature groups', code: 'featureGroup', path: 'FeatureGroup', hitsKey: 'featureGroups', deprecation: false, example: 'electrical' },
];

const TYPE_NAMES: Record<string, string> = { A: 'alphanumeric', L: 'logical', N: 'numeric', R: 'range' };

const hitOutput = z.object({
  code: z.string(),
  description: z.string().optional(),
  type: z.string().optional(),
  abbreviation: z.string().optional(),
  deprecated: z.boolean().optional(),
});

function hit(entity: EtimEntity): z.input<typeof hitOutput> {
  return {
    code: entity.code,
    description: entity.description ?? undefined,
    type: entity.type ? TYPE_NAMES[entity.type] ?? entity.type : undefined,
    abbreviation: entity.abbreviation ?? undefined,
    deprecated: entity.deprecated ? true : undefined,
  };
}

function hitLine(h: z.output<typeof hitOutput>): string {
  return `${h.code} ${h.description ?? ''}${h.abbreviation ? ` (${h.abbreviation})` : ''}${h.type ? ` [${h.type}]` : ''}${h.deprecated ? ' (deprecated)' : ''}`;
}

function searchTool(spec: EntitySpec) {
  return etimTool({
    name: `etim_search_${spec.plural}`,
    title: `Search ETIM ${spec.plural.replace('_', ' ')}`,
    description:
      `Find ETIM ${spec.label} by text in code or description; details: etim_get_${spec.singular}.`,
    inputSchema: z.object({
      text: searchTextSchema,
      language: languageSchema,
      ...(spec.deprecation
        ? { deprecated: z.enum(['exclude', 'include', 'only']).default('exclude') }
        : {}),
      from: fromSchema,
      size: sizeSchema,
    }),
    outputSchema: z.object({ total: z.number(), from: z.number(), items: z.array(hitOutput), next_from: z.number().optional() }),
    annotations: readOnly,
    handler: async (input, ctx) => {
      const deprecated = (input as { deprecated?: 'exclude' | 'include' | 'only' }).deprecated;
      const body = {
        languagecode: language(ctx, input.language),
        from: input.from,
        size: input.size,
        searchString: input.text,
        // ETIM's tri-state: unset means both, false only current ones, true only deprecated ones.
        ...(deprecated === 'exclude' ? { deprecated: false } : deprecated === 'only' ? { deprecated: true } : {}),
        include: { descriptions: true },
      };
      const answer = await ctx.client.post<Record<string, unknown> & { total: number }>(`/${spec.path}/Search`, body, 'search', ctx.signal);
      const items = ((answer[spec.hitsKey] as EtimEntity[] | undefined) ?? []).map(hit);
      return { total: answer.total, from: input.from, items, next_from: nextFrom(input.from, items.length, answer.total) };
    },
    render: (out) =>
      [
        `${out.total} ${spec.plural.replace('_', ' ')}${out.items.length ? `, ${out.from + 1}-${out.from + out.items.length} shown` : ''}${out.next_from !== undefined ? ` (more: from=${out.next_from})` : ''}`,
        ...out.items.map(hitLine),
      ].join('\n'),
  });
}

function detailsTool(spec: EntitySpec) {
  return etimTool({
    name: `etim_get_${spec.singular}`,
    title: `Get an ETIM ${spec.singular.replace('_', ' ')}`,
    description: `One ETIM ${spec.singular.replace('_', ' ')} by code, with its description${spec.code === 'group' ? ', translations and releases' : ' and translations'}.`,
    inputSchema: z.object({
      code: codeSchema(spec.code),
      language: languageSchema,
      translations: z.boolean().default(true),
    }),
    outputSchema: hitOutput.extend({
      description_en: z.string().optional(),
      translations: z.array(z.object({ language: z.string(), description: z.string().optional(), abbreviation: z.string().optional() })).optional(),
      releases: z.array(z.string()).optional(),
    }),
    annotations: readOnly,
    handler: async (input, ctx) => {
      const entity = await ctx.client.postCode<EtimEntity>(
        `/${spec.path}/Details`,
        {
          languagecode: language(ctx, input.language),
          code: input.code,
          include: { descriptions: true, translations: input.translations, ...(spec.code === 'group' ? { fields: ['Releases'] } : {}) },
        },
        { code: input.code, what: spec.singular.replace('_', ' '), search: `etim_search_${spec.plural}` },
        ctx.signal,
      );
      return {
        ...hit(entity),
        description: entity.description ? clip(entity.description, 2000, 'the full text is in the ETIM viewer') : undefined,
        description_en: entity.descriptionEn && entity.descriptionEn !== entity.description ? entity.descriptionEn : undefined,
        translations: entity.translations?.map((t) => ({ language: t.languagecode, description: t.description, abbreviation: t.abbreviation })),
        releases: entity.releases ?? undefined,
      };
    },
    render: (out) =>
      [
        hitLine(out),
        out.description_en ? `English: ${out.description_en}` : '',
        out.releases?.length ? `Releases: ${out.releases.join(', ')}` : '',
        ...(out.translations ?? []).map((t) => `${t.language}: ${t.description ?? ''}${t.abbreviation ? ` (${t.abbreviation})` : ''}`),
      ]
        .filter(Boolean)
        .join('\n'),
  });
}


export const entityTools = SPECS.flatMap((spec) => [searchTool(spec), detailsTool(spec)]);
