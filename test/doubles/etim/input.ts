// Request-body parsing for the ETIM double, with ASP.NET Core-style validation: every problem in the body is
// collected into one ValidationProblemDetails. Keys are matched exactly as the API documents them
// (`languagecode`, `searchString`, `from`, `size`, ...); unknown keys are ignored.
import type { EtimState } from './model.js';
import { badRequest, validationFailed } from './problems.js';
import type { Include } from './views.js';

export const MAX_FROM = 19000;
export const MAX_SIZE = 1000;
export const MAX_WINDOW = 20000;

export type FilterCode = 'release' | 'group' | 'class' | 'feature' | 'value';
const FILTER_CODES: FilterCode[] = ['release', 'group', 'class', 'feature', 'value'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads typed fields from a JSON object body and collects the errors. */
export class Input {
  readonly errors: Record<string, string[]> = {};
  private readonly body: Record<string, unknown>;

  constructor(body: unknown) {
    if (!isRecord(body)) {
      this.body = {};
      this.fail('$', 'The JSON value could not be converted to the input model: an object is required.');
    } else {
      this.body = body;
    }
  }

  fail(key: string, message: string): void {
    (this.errors[key] ??= []).push(message);
  }

  has(key: string): boolean {
    return this.body[key] !== undefined && this.body[key] !== null;
  }

  raw(key: string): unknown {
    return this.body[key];
  }

  string(key: string, required: boolean): string | undefined {
    const value = this.body[key];
    if (value === undefined || value === null || value === '') {
      if (required) this.fail(key, `The ${key} field is required.`);
      return undefined;
    }
    if (typeof value !== 'string') {
      this.fail(`$.${key}`, `The JSON value could not be converted to System.String. Path: $.${key}.`);
      return undefined;
    }
    return value;
  }

  integer(key: string, required: boolean): number | undefined {
    const value = this.body[key];
    if (value === undefined || value === null) {
      if (required) this.fail(key, `The ${key} field is required.`);
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      this.fail(`$.${key}`, `The JSON value could not be converted to System.Int32. Path: $.${key}.`);
      return undefined;
    }
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.body[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') {
      this.fail(`$.${key}`, `The JSON value could not be converted to System.Nullable\`1[System.Boolean]. Path: $.${key}.`);
      return undefined;
    }
    return value;
  }

  include(): Include {
    const value = this.body.include;
    const include: Include = { descriptions: false, translations: false, fields: new Set() };
    if (value === undefined || value === null) return include;
    if (!isRecord(value)) {
      this.fail('$.include', 'The JSON value could not be converted to IncludeModel. Path: $.include.');
      return include;
    }
    for (const flag of ['descriptions', 'translations'] as const) {
      const raw = value[flag];
      if (raw === undefined || raw === null) continue;
      if (typeof raw === 'boolean') include[flag] = raw;
      else this.fail(`$.include.${flag}`, `The JSON value could not be converted to System.Boolean. Path: $.include.${flag}.`);
    }
    const fields = value.fields;
    if (fields !== undefined && fields !== null) {
      if (Array.isArray(fields) && fields.every((field) => typeof field === 'string')) {
        for (const field of fields as string[]) include.fields.add(field.toLowerCase());
      } else {
        this.fail('$.include.fields', 'The JSON value could not be converted to System.String[]. Path: $.include.fields.');
      }
    }
    return include;
  }

  /** FilterModel[]: codes Release/Group/Class/Feature/Value in any case; values compared case-insensitively (upper-cased here). */
  filters(): Map<FilterCode, Set<string>> {
    const filters = new Map<FilterCode, Set<string>>();
    const value = this.body.filters;
    if (value === undefined || value === null) return filters;
    if (!Array.isArray(value)) {
      this.fail('$.filters', 'The JSON value could not be converted to FilterModel[]. Path: $.filters.');
      return filters;
    }
    value.forEach((filter, index) => {
      const path = `$.filters[${index}]`;
      if (!isRecord(filter) || typeof filter.code !== 'string' || !Array.isArray(filter.values) || !filter.values.every((item) => typeof item === 'string')) {
        this.fail(path, `The JSON value could not be converted to FilterModel. Path: ${path}.`);
        return;
      }
      const code = filter.code.toLowerCase() as FilterCode;
      if (!FILTER_CODES.includes(code)) {
        this.fail(`filters[${index}].code`, `Unknown filter code '${filter.code}'. Use Release, Group, Class, Feature or Value.`);
        return;
      }
      if (filter.values.length === 0) return;
      const set = filters.get(code) ?? new Set<string>();
      for (const item of filter.values as string[]) set.add(item.toUpperCase());
      filters.set(code, set);
    });
    return filters;
  }

  /** Throws the collected validation errors, if any. */
  check(): void {
    if (Object.keys(this.errors).length > 0) throw validationFailed(this.errors);
  }
}

/** The canonical code of the request language; 400 when ETIM does not know it or the account may not use it. */
export function resolveLanguage(state: EtimState, requested: string, instance: string): string {
  const known = state.languages.find((language) => language.code.toLowerCase() === requested.toLowerCase());
  if (!known) throw badRequest(`Language '${requested}' is not a valid ETIM language code.`, instance);
  if (!state.allowedLanguages.includes(known.code)) {
    throw badRequest(`Language '${requested}' is not allowed for this client. Allowed languages: ${state.allowedLanguages.join(', ')}.`, instance);
  }
  return known.code;
}

export interface SearchInput {
  language: string;
  from: number;
  size: number;
  text: string;
  deprecated: boolean | undefined;
  modelling: boolean | undefined;
  include: Include;
  filters: Map<FilterCode, Set<string>>;
}

export function parseSearch(state: EtimState, body: unknown, instance: string): SearchInput {
  const input = new Input(body);
  const languagecode = input.string('languagecode', true);
  const from = input.integer('from', true);
  const size = input.integer('size', true);
  const text = input.string('searchString', false) ?? '';
  const deprecated = input.boolean('deprecated');
  const modelling = input.boolean('modelling');
  const include = input.include();
  const filters = input.filters();
  if (from !== undefined) {
    if (from < 0) input.fail('from', 'From must be greater than or equal to 0.');
    if (from > MAX_FROM) input.fail('from', `From must be less than or equal to ${MAX_FROM}.`);
  }
  if (size !== undefined) {
    if (size < 0) input.fail('size', 'Size must be greater than or equal to 0.');
    if (size > MAX_SIZE) input.fail('size', `Size must be less than or equal to ${MAX_SIZE}.`);
  }
  if (from !== undefined && size !== undefined && from + size > MAX_WINDOW) {
    input.fail('size', `From + size must be less than or equal to ${MAX_WINDOW}.`);
  }
  input.check();
  return {
    language: resolveLanguage(state, languagecode!, instance),
    from: from!,
    size: size!,
    text: text.trim().toLowerCase(),
    deprecated,
    modelling,
    include,
    filters,
  };
}

/** `{languagecode, code?, include}`; the caller reads any further fields from `input`, then calls `input.check()`. */
export function parseDetails(body: unknown, options: { code: boolean }): { input: Input; languagecode?: string; code?: string; include: Include } {
  const input = new Input(body);
  const languagecode = input.string('languagecode', true);
  const code = options.code ? input.string('code', true)?.trim().toUpperCase() : undefined;
  const include = input.include();
  return { input, languagecode, code, include };
}
