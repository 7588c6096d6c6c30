// What `tools/list` advertises. Every call is still validated against the tool's full zod schema; the listing
// is what a model reads on every request, so by default it keeps only what a model needs to call a tool right
// (types, required fields, enums, defaults, descriptions and bounds that matter) and drops the rest. When a
// dropped rule is broken, the validation error names the field and the rule.
import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { z } from 'zod';

/** `compact` (default): the model-facing schema above, no output schemas. `full`: every rule and output schemas. */
export type ToolSchemaMode = 'compact' | 'full';

type JsonSchema = Record<string, unknown>;

/** Keywords a model does not need to choose a value: enforced at call time, explained by the error when broken. */
const DROPPED = new Set(['$schema', 'additionalProperties', 'minLength', 'maxLength', 'minItems', 'maxItems', 'pattern']);
/** zod's bound for "any safe 32-bit id"; meaningless to a model. */
const INT32_MAX = 2_147_483_647;
const ISO_DATE = '^\\d{4}-\\d{2}-\\d{2}$';

export function compactJsonSchema(schema: JsonSchema): JsonSchema {
  const compact: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED.has(key)) continue;
    if (key === 'maximum' && value === INT32_MAX) continue;
    if (key === 'minimum' && value === 1 && schema.maximum === INT32_MAX) continue;
    if (key === 'properties' && value && typeof value === 'object') {
      compact.properties = Object.fromEntries(Object.entries(value).map(([name, property]) => [name, compactJsonSchema(property as JsonSchema)]));
    } else if ((key === 'items' || key === 'not') && value && typeof value === 'object' && !Array.isArray(value)) {
      compact[key] = compactJsonSchema(value as JsonSchema);
    } else if ((key === 'anyOf' || key === 'oneOf' || key === 'allOf') && Array.isArray(value)) {
      compact[key] = value.map((entry) => compactJsonSchema(entry as JsonSchema));
    } else {
      compact[key] = value;
    }
  }
  // A date pattern says more as a format, in a fifth of the bytes.
  if (schema.pattern === ISO_DATE) compact.format = 'date';
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
