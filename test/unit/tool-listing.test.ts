// The compact listing keeps what a model needs to choose values and drops only rules that validation enforces.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compactJsonSchema, listedInputSchema } from '../../src/core/tool-listing.js';

const schema = z
  .object({
    issue_id: z.number().int().min(1).max(2_147_483_647).describe('Issue id'),
    limit: z.number().int().min(1).max(100).default(25),
    due: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
    tags: z.array(z.string().min(1).max(50)).max(10).optional(),
    who: z.union([z.literal('me'), z.number().int().min(1).max(2_147_483_647)]).optional(),
    kind: z.enum(['bug', 'feature']),
  })
  .strict();

describe('compactJsonSchema', () => {
  const json = compactJsonSchema(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>);
  const properties = json.properties as Record<string, Record<string, unknown>>;

  it('drops the draft, closed-object, length and pattern keywords everywhere, also inside arrays and unions', () => {
    const text = JSON.stringify(json);
    for (const keyword of ['$schema', 'additionalProperties', 'minLength', 'maxLength', 'maxItems', 'pattern', '2147483647']) {
      expect(text, keyword).not.toContain(keyword);
    }
    expect(properties.tags).toEqual({ type: 'array', items: { type: 'string' } });
    // Gemini knows no const: a fixed string is a one-value enum.
    expect(properties.who?.anyOf).toEqual([{ type: 'string', enum: ['me'] }, { type: 'integer' }]);
  });

  it('keeps types, descriptions, enums, defaults, required fields and bounds that are not the id sentinel', () => {
    expect(properties.issue_id).toEqual({ type: 'integer', description: 'Issue id' });
    expect(properties.limit).toEqual({ type: 'integer', minimum: 1, maximum: 100, default: 25 });
    expect(properties.kind).toEqual({ type: 'string', enum: ['bug', 'feature'] });
    // Gemini accepts no string format but date-time: a date says so in its description.
    expect(properties.due).toEqual({ type: 'string', description: 'date, YYYY-MM-DD' });
    expect(json.required).toEqual(['issue_id', 'kind']);
  });
});

describe('compactJsonSchema and the keywords every LLM provider accepts', () => {
  const listed = (shape: z.ZodRawShape) => compactJsonSchema(z.toJSONSchema(z.object(shape).strict(), { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>);

  it('lists a choice of numbers (an anyOf of consts) as an integer range, keeping the default', () => {
    const json = listed({ qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1) });
    expect(json.properties).toEqual({ qos: { default: 1, type: 'integer', minimum: 0, maximum: 2 } });
    const sparse = listed({ size: z.union([z.literal(1), z.literal(4), z.literal(8)]) });
    expect(sparse.properties).toEqual({ size: { type: 'integer', description: 'one of 1, 4, 8' } });
  });

  it('leaves out exclusiveMinimum, multipleOf and propertyNames (an exclusive integer bound becomes an inclusive one)', () => {
    const json = listed({
      hours: z.number().gt(0).max(24).multipleOf(0.01),
      count: z.number().int().gt(0).max(9),
      fields: z.record(z.string().min(1).max(100), z.string()).describe('By name'),
    });
    expect(json.properties).toEqual({
      hours: { type: 'number', maximum: 24 },
      count: { type: 'integer', minimum: 1, maximum: 9 },
      fields: { type: 'object', description: 'By name' },
    });
  });

  it('gives a tool without arguments the shape every provider accepts', () => {
    expect(listed({})).toEqual({ type: 'object', properties: {} });
  });
});

describe('listedInputSchema', () => {
  it('validates with every rule of the zod schema, whatever it lists', async () => {
    const listed = listedInputSchema(schema, 'compact');
    const tooLong = await listed['~standard'].validate({ issue_id: 1, kind: 'bug', tags: ['x'.repeat(51)] });
    expect('issues' in tooLong && tooLong.issues?.[0]?.path).toEqual(['tags', 0]);
    const badDate = await listed['~standard'].validate({ issue_id: 1, kind: 'bug', due: '1/2/2026' });
    expect('issues' in badDate && badDate.issues?.[0]?.path).toEqual(['due']);
    const extra = await listed['~standard'].validate({ issue_id: 1, kind: 'bug', extra: true });
    expect('issues' in extra && extra.issues?.length).toBe(1);
    const ok = await listed['~standard'].validate({ issue_id: 1, kind: 'bug' });
    expect('value' in ok && ok.value).toEqual({ issue_id: 1, kind: 'bug', limit: 25 });
  });

  it('in full mode is the zod schema itself', () => {
    expect(listedInputSchema(schema, 'full')).toBe(schema);
  });
});
