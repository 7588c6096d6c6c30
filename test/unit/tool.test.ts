import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, type ToolAnnotations } from '../../src/core/tool.js';

const READ: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true };

function definition(name: string, annotations: ToolAnnotations = READ) {
  return {
    name,
    title: 'Get an issue',
    description: 'Reads one issue by id.',
    inputSchema: z.object({ id: z.number().int().min(1).max(1_000_000_000) }),
    outputSchema: z.object({ id: z.number() }),
    annotations,
    handler: async (input: { id: number }) => ({ id: input.id }),
  };
}

describe('defineTool', () => {
  it('keeps a valid definition', () => {
    const def = definition('redmine_get_issue');
    const tool = defineTool(def);
    expect(tool.name).toBe('redmine_get_issue');
    expect(tool.annotations).toEqual(READ);
    expect(tool.handler).toBe(def.handler);
    expect(tool.inputSchema.parse({ id: 5 })).toEqual({ id: 5 });
  });

  it('makes the input schema refuse unknown arguments', () => {
    const tool = defineTool(definition('redmine_get_issue'));
    const result = tool.inputSchema.safeParse({ id: 5, projcet: 'demo' });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toContain('projcet');
  });

  it('accepts a name of exactly 64 characters', () => {
    const name = `redmine_get_${'a'.repeat(64 - 'redmine_get_'.length)}`;
    expect(name).toHaveLength(64);
    expect(() => defineTool(definition(name))).not.toThrow();
  });

  it.each([
    ['camelCase', 'redmineGetIssue'],
    ['camelCase with underscore', 'redmine_getIssue'],
    ['no underscore', 'redmine'],
    ['longer than 64 characters', `redmine_get_${'a'.repeat(53)}`],
    ['kebab-case', 'redmine-get-issue'],
    ['leading digit', '1redmine_get_issue'],
    ['trailing underscore', 'redmine_get_'],
    ['empty', ''],
  ])('rejects a %s name', (_why, name) => {
    expect(() => defineTool(definition(name))).toThrow(/snake_case/);
  });

  it.each(['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const)('rejects a tool without %s', (hint) => {
    const annotations = { ...READ } as Partial<ToolAnnotations>;
    delete annotations[hint];
    expect(() => defineTool(definition('redmine_get_issue', annotations as ToolAnnotations))).toThrow(`annotations.${hint}`);
  });

  it('rejects a tool that is both read-only and destructive', () => {
    expect(() => defineTool(definition('redmine_get_issue', { ...READ, destructiveHint: true }))).toThrow(/both read-only and destructive/);
  });

  it('accepts a destructive write tool', () => {
    const annotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true };
    expect(() => defineTool(definition('redmine_delete_issue', annotations))).not.toThrow();
  });
});
