// Arguments as models actually send them. Every call is still validated against the tool's full, strict zod
// schema; before that, a few harmless differences of form are evened out, the same way for every connector:
// - `null` for an optional argument means "not given" (strict-mode stacks send every property, unset ones as null);
// - a number where text is expected is its decimal text ("name or id" fields: `status: 2`);
// - a tool's own coercions (`ToolDefinition.coerce`, e.g. "1h30" for hours) run on what was sent;
// and an unknown argument name is answered with the nearest valid one.
import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import type { z } from 'zod';

type Coercions = Readonly<Record<string, (value: unknown) => unknown>>;

interface SchemaDef {
  type: string;
  innerType?: { def: SchemaDef };
  in?: { def: SchemaDef };
}

/** The type a field finally checks (string, number ...), through optional/default/nullable wrappers and pipes. */
function baseType(field: { def: SchemaDef }): string {
  let def = field.def;
  for (let depth = 0; depth < 10; depth += 1) {
    if (def.innerType) def = def.innerType.def;
    else if (def.type === 'pipe' && def.in) def = def.in.def;
    else break;
  }
  return def.type;
}

/** Levenshtein distance, for suggesting the argument a misspelt name meant. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The valid name closest to a misspelt one, when it is close enough to be a likely typo. */
export function nearestName(name: string, valid: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const candidate of valid) {
    const d = distance(lower, candidate.toLowerCase());
    if (!best || d < best.distance) best = { name: candidate, distance: d };
  }
  // A third of the name's length (at least 2 edits) covers typos and swapped letters, not unrelated words.
  return best && best.distance <= Math.max(2, Math.floor(name.length / 3)) ? best.name : undefined;
}

/** The arguments with the differences of form above evened out; anything else is left for validation to judge. */
export function normaliseArguments(schema: z.ZodObject, data: unknown, coerce: Coercions = {}): unknown {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return data;
  const shape = schema.shape as Record<string, z.ZodType & { def: SchemaDef }>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    const field = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (!field) {
      out[key] = value;
      continue;
    }
    if (value === null && field.safeParse(undefined).success) continue;
    const own = Object.hasOwn(coerce, key) ? coerce[key] : undefined;
    let normalised = own ? own(value) : value;
    if (typeof normalised === 'number' && Number.isFinite(normalised) && baseType(field) === 'string') normalised = String(normalised);
    out[key] = normalised;
  }
  return out;
}

interface Issue {
  code?: string;
  keys?: string[];
  message: string;
  path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
}

/** An unknown argument named, with the nearest valid name or the list of valid ones. */
function unknownArgument(key: string, valid: readonly string[]): string {
  const nearest = nearestName(key, valid);
  return nearest
    ? `unknown argument "${key}": did you mean "${nearest}"?`
    : `unknown argument "${key}"; valid arguments: ${valid.join(', ')}`;
}

/**
 * The listed schema with its validation wrapped: arguments are normalised first, and an unknown argument's issue
 * names the nearest valid argument. What tools/list advertises is unchanged.
 */
export function lenientInputSchema(listed: StandardSchemaWithJSON, schema: z.ZodObject, coerce?: Coercions): StandardSchemaWithJSON {
  const standard = listed['~standard'];
  const valid = Object.keys(schema.shape);
  return {
    '~standard': {
      ...standard,
      validate: async (data: unknown) => {
        const result = await standard.validate(normaliseArguments(schema, data, coerce));
        if (!result.issues) return result;
        const issues = (result.issues as readonly Issue[]).flatMap((issue): Issue[] =>
          issue.code === 'unrecognized_keys' && !issue.path?.length && issue.keys
            ? issue.keys.map((key) => ({ ...issue, keys: [key], message: unknownArgument(key, valid) }))
            : [issue],
        );
        return { issues };
      },
    },
  } as unknown as StandardSchemaWithJSON;
}
