// The `fields` request parameter: a parser for its nested syntax and the projection applied to every answer.
//
// `fields=idReadable,project(shortName),customFields(name,value(name,login))`
// Without `fields` an entity comes back as {id, $type}; with it, only the named attributes plus `$type`.
// An entity named without a sub-list comes back as {$type} only. Unknown names are left out.
import { badRequest } from './errors.js';

export interface FieldSelector {
  name: string;
  children?: FieldSpec;
}
export type FieldSpec = FieldSelector[];

/**
 * An entity as the projection sees it: its YouTrack `$type` and its attributes as thunks,
 * so that cyclic references (issue → project → ...) are only followed as far as asked.
 */
export interface View {
  readonly $type: string;
  readonly attributes: Record<string, () => unknown>;
}

export function view($type: string, attributes: Record<string, () => unknown>): View {
  return { $type, attributes };
}

function isView(value: unknown): value is View {
  return typeof value === 'object' && value !== null && 'attributes' in value && '$type' in value;
}

export function parseFields(text: string): FieldSpec {
  let position = 0;

  function list(depth: number): FieldSpec {
    const spec: FieldSpec = [];
    for (;;) {
      while (position < text.length && /\s/.test(text[position]!)) position += 1;
      const start = position;
      while (position < text.length && !/[,()\s]/.test(text[position]!)) position += 1;
      const name = text.slice(start, position);
      while (position < text.length && /\s/.test(text[position]!)) position += 1;
      let children: FieldSpec | undefined;
      if (text[position] === '(') {
        if (!name) throw badRequest(`Invalid fields parameter: "(" without a field name at position ${position}`);
        position += 1;
        children = list(depth + 1);
        if (text[position] !== ')') throw badRequest(`Invalid fields parameter: missing ")" in "${text}"`);
        position += 1;
        while (position < text.length && /\s/.test(text[position]!)) position += 1;
      }
      if (name) merge(spec, { name, ...(children ? { children } : {}) });
      if (text[position] === ',') {
        position += 1;
        continue;
      }
      if (position >= text.length) {
        if (depth > 0) throw badRequest(`Invalid fields parameter: missing ")" in "${text}"`);
        return spec;
      }
      if (text[position] === ')') {
        if (depth === 0) throw badRequest(`Invalid fields parameter: unexpected ")" in "${text}"`);
        return spec;
      }
      throw badRequest(`Invalid fields parameter: unexpected "${text[position]}" in "${text}"`);
    }
  }

  return list(0);
}

function merge(spec: FieldSpec, selector: FieldSelector): void {
  const existing = spec.find((candidate) => candidate.name === selector.name);
  if (!existing) {
    spec.push(selector);
    return;
  }
  if (selector.children) {
    if (!existing.children) existing.children = [];
    for (const child of selector.children) merge(existing.children, child);
  }
}

/** Applies `fields` to a top-level answer (an entity or a list of entities). */
export function project(value: unknown, spec: FieldSpec | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => project(item, spec));
  if (!isView(value)) return value;
  if (!spec) {
    const id = value.attributes.id?.();
    return id === undefined ? { $type: value.$type } : { id, $type: value.$type };
  }
  return select(value, spec);
}

function select(entity: View, spec: FieldSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const selector of spec) {
    if (selector.name === '$type') continue;
    const attribute = entity.attributes[selector.name];
    if (!attribute) continue;
    out[selector.name] = nested(attribute(), selector.children);
  }
  out.$type = entity.$type;
  return out;
}

function nested(value: unknown, children: FieldSpec | undefined): unknown {
  if (Array.isArray(value)) return value.map((item) => nested(item, children));
  if (!isView(value)) return value;
  return select(value, children ?? []);
}
