// What `tools/list` advertises. Every call is still validated against the tool's full zod schema; the listing
// is what a model reads on every request, so by default it keeps only what a model needs to call a tool right
// (types, required fields, enums, defaults, descriptions and bounds that matter), in keywords every LLM provider's
// tool schema accepts, and drops the rest. When a dropped rule is broken, the validation error names the field
// and the rule.
import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { z } from 'zod';

/** `compact` (default): the model-facing schema above, no output schemas. `full`: every rule and output schemas. */
export type ToolSchemaMode = 'compact' | 'full';

type JsonSchema = Record<string, unknown>;

/**
 * The keywords a compact listing keeps: those that OpenAI (function calling), Gemini (the `Schema` of the Gemini API
 * and Vertex AI) and Anthropic all accept, and a model needs to choose a value. Everything else (exclusiveMinimum,
 * multipleOf, propertyNames, const, pattern, lengths ...) is left out here and still enforced by the full zod
 * schema at call time, whose error names the field and the rule.
 * `additionalProperties` is left out too: OpenAI's strict mode needs it false, Gemini's API refuses it, and the
 * converters of both sides handle it themselves (LangChain's and the OpenAI SDK's strict converters add
 * `additionalProperties: false`; LangChain's and Google's genai converters drop it), so its absence works for both.
 */
export const LISTED_KEYWORDS = {
  root: new Set(['type', 'properties', 'required']),
  property: new Set(['type', 'description', 'enum', 'default', 'format', 'items', 'properties', 'required', 'minimum', 'maximum', 'anyOf']),
};
/** The only string format Gemini accepts besides "enum" (it refuses "date", "uri", "email" ...). */
const LISTED_FORMATS = new Set(['date-time']);
/** zod's bound for "any safe 32-bit id"; meaningless to a model. */
const INT32_MAX = 2_147_483_647;
const ISO_DATE = '^\\d{4}-\\d{2}-\\d{2}$';

/** Appends a hint to a schema's description (Gemini has no "date" format, so a date says so in words). */
function withHint(schema: JsonSchema, hint: string): string {
  return typeof schema.description === 'string' ? `${schema.description} (${hint})` : hint;
}

/**
 * Values from a fixed set (an anyOf of consts, a const, an enum of numbers): Gemini takes neither const nor enums
 * of other than strings, so fixed strings become an enum, and numbers an integer range where they are one (named
 * in the description otherwise).
 */
function fixedValues(schema: JsonSchema): JsonSchema | undefined {
  const consts = Array.isArray(schema.anyOf) && schema.anyOf.every((entry) => entry && typeof entry === 'object' && 'const' in entry)
    ? (schema.anyOf as JsonSchema[]).map((entry) => entry.const)
    : 'const' in schema ? [schema.const] : Array.isArray(schema.enum) ? schema.enum : undefined;
  // A string enum is listed as it is.
  if (!consts || (consts === schema.enum && consts.every((value) => typeof value === 'string'))) return undefined;
  const rest = Object.fromEntries(Object.entries(schema).filter(([key]) => !['anyOf', 'const', 'enum', 'type'].includes(key)));
  if (consts.every((value) => typeof value === 'string')) return { ...rest, type: 'string', enum: consts };
  if (!consts.every((value) => Number.isInteger(value))) return undefined;
  const numbers = [...(consts as number[])].sort((a, b) => a - b);
  const contiguous = numbers.every((value, index) => index === 0 || value === numbers[index - 1]! + 1);
  return contiguous
    ? { ...rest, type: 'integer', minimum: numbers[0], maximum: numbers.at(-1) }
    : { ...rest, type: 'integer', description: withHint(schema, `one of ${numbers.join(', ')}`) };
}

export function compactJsonSchema(input: JsonSchema, position: keyof typeof LISTED_KEYWORDS = 'root'): JsonSchema {
  const schema = fixedValues(input) ?? input;
  const allowed = LISTED_KEYWORDS[position];
  const compact: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (!allowed.has(key)) continue;
    if (key === 'maximum' && value === INT32_MAX) continue;
    if (key === 'minimum' && value === 1 && schema.maximum === INT32_MAX) continue;
    if (key === 'format' && !LISTED_FORMATS.has(String(value))) continue;
    if (key === 'properties' && value && typeof value === 'object') {
      compact.properties = Object.fromEntries(Object.entries(value).map(([name, property]) => [name, compactJsonSchema(property as JsonSchema, 'property')]));
    } else if (key === 'items' && value && typeof value === 'object' && !Array.isArray(value)) {
      compact.items = compactJsonSchema(value as JsonSchema, 'property');
    } else if (key === 'anyOf' && Array.isArray(value)) {
      compact.anyOf = value.map((entry) => compactJsonSchema(entry as JsonSchema, 'property'));
    } else {
      compact[key] = value;
    }
  }
  // An exclusive lower bound of an integer is an inclusive one a step higher; of a decimal, it is left to validation.
  if (schema.type === 'integer' && typeof schema.exclusiveMinimum === 'number' && compact.minimum === undefined) compact.minimum = schema.exclusiveMinimum + 1;
  if (schema.pattern === ISO_DATE || schema.format === 'date') compact.description = withHint(schema, 'date, YYYY-MM-DD');
  // A tool without arguments: the one shape every provider accepts for "no parameters".
  if (position === 'root') {
    compact.type = 'object';
    compact.properties ??= {};
  }
  return compact;
}

/**
 * The zod schema as the SDK sees it: validation is zod's own, only the JSON Schema it advertises is compacted.
 * Converted once per tool, not on every `tools/list`.
 */
export function listedInputSchema(schema: z.ZodObject, mode: ToolSchemaMode): StandardSchemaWithJSON {
  if (mode === 'full') return schema as unknown as StandardSchemaWithJSON;
  const json = compactJsonSchema(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as JsonSchema);
  return {
    '~standard': {
      ...schema['~standard'],
      jsonSchema: { input: () => json, output: () => json },
    },
  } as unknown as StandardSchemaWithJSON;
}
