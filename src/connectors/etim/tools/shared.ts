// Schema pieces and helpers shared by the ETIM tools.
import { z } from 'zod';
import { defineTool, type ObjectSchema, type ToolContext, type ToolDefinition } from '../../../core/tool.js';
import type { EtimClient } from '../client.js';

export type EtimContext = ToolContext<EtimClient>;

export function etimTool<Input extends ObjectSchema, Output extends ObjectSchema>(
  definition: ToolDefinition<EtimClient, Input, Output>,
): ToolDefinition<EtimClient, Input, Output> {
  return defineTool(definition);
}

/** ETIM codes, checked before any call: EC/MC classes, EF features, EV values, EU units, EG groups, EFG feature groups. */
export const CODE_PATTERNS = {
  class: /^(EC|MC)\d{6}$/,
  feature: /^EF\d{6}$/,
  value: /^EV\d{6}$/,
  unit: /^EU\d{6}$/,
  group: /^EG\d{6}$/,
  featureGroup: /^EFG\d{5}$/,
} as const;

const EXAMPLES: Record<keyof typeof CODE_PATTERNS, string> = {
  class: 'EC001744',
  feature: 'EF000012',
  value: 'EV000397',
  unit: 'EU570448',
  group: 'EG000030',
  featureGroup: 'EFG00007',
};

/**
 * The pattern with every letter matching either case, spelt out (a JSON Schema pattern has no flags), so that the
 * advertised schema accepts what the tool accepts.
 */
export function anyCase(pattern: RegExp): RegExp {
  return new RegExp(pattern.source.replace(/\\.|[A-Za-z]/g, (token) => (token.length > 1 ? token : `[${token.toUpperCase()}${token.toLowerCase()}]`)));
}

export function codeSchema(kind: keyof typeof CODE_PATTERNS) {
  return z
    .string()
    .max(10)
    .regex(anyCase(CODE_PATTERNS[kind]), `must be an ETIM ${kind === 'featureGroup' ? 'feature group' : kind} code like ${EXAMPLES[kind]}`)
    .toUpperCase()
    .describe(`e.g. ${EXAMPLES[kind]}`);
}

export const languageSchema = z
  .string()
  .regex(/^[A-Za-z]{2}(-[A-Za-z]{2})?$/, 'must be a language code like EN, de-DE or nl-NL')
  .optional()
  .describe('e.g. EN or de-DE');

export const releaseSchema = z
  .string()
  .regex(/^(DYNAMIC|ETIM-\d{1,2}\.\d)$/, 'must be a release name like ETIM-9.0 or DYNAMIC')
  .describe('e.g. ETIM-9.0 or DYNAMIC');

export const searchTextSchema = z.string().max(200).default('');

/** ETIM allows from <= 19000 and from + size <= 20000; pages here are at most 100. */
export const fromSchema = z.number().int().min(0).max(19_000).default(0);
export const sizeSchema = z.number().int().min(1).max(100).default(20);

export const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;

export function language(ctx: EtimContext, given: string | undefined): string {
  return documentedLanguage(given ?? ctx.client.defaultLanguage);
}

/** Language codes in the case ETIM documents them (EN, de-DE, nl-BE), whatever case they were given in. */
export function documentedLanguage(code: string): string {
  const [primary, region] = code.split('-');
  return region === undefined ? primary!.toUpperCase() : `${primary!.toLowerCase()}-${region.toUpperCase()}`;
}

/** The paging note every search returns: where the next page starts, or nothing when this is the last. */
export function nextFrom(from: number, count: number, total: number): number | undefined {
  const next = from + count;
  return next < total && next <= 19_000 ? next : undefined;
}
