// One lookup for an ETIM code of any kind: the prefix says what it is, and the tool that reads that kind answers.
import { z } from 'zod';
import type { AnyTool } from '../../../core/tool.js';
import { getClass } from './classes.js';
import { entityTools } from './entities.js';
import { anyCase, etimTool, languageSchema, readOnly } from './shared.js';

/** Longest prefix first: EFG (feature group) must win over EF (feature). */
const KINDS: Array<{ prefix: string; digits: number; kind: string; tool: string }> = [
  { prefix: 'EFG', digits: 5, kind: 'feature group', tool: 'etim_get_feature_group' },
  { prefix: 'EC', digits: 6, kind: 'class', tool: 'etim_get_class' },
  { prefix: 'MC', digits: 6, kind: 'modelling class', tool: 'etim_get_class' },
  { prefix: 'EF', digits: 6, kind: 'feature', tool: 'etim_get_feature' },
  { prefix: 'EV', digits: 6, kind: 'value', tool: 'etim_get_value' },
  { prefix: 'EU', digits: 6, kind: 'unit', tool: 'etim_get_unit' },
  { prefix: 'EG', digits: 6, kind: 'group', tool: 'etim_get_group' },
];

const PREFIXES = KINDS.map((k) => `${k.prefix} ${k.kind}`).join(', ');
const ANY_CODE = new RegExp(`^(${KINDS.map((k) => `${k.prefix}\\d{${k.digits}}`).join('|')})$`);

const readers: Record<string, AnyTool> = Object.fromEntries(
  [getClass as AnyTool, ...entityTools].filter((tool) => KINDS.some((k) => k.tool === tool.name)).map((tool) => [tool.name, tool]),
);

export const lookupCode = etimTool({
  name: 'etim_lookup_code',
  title: 'Look up any ETIM code',
  description: 'What an ETIM code is (class, feature, value, unit, group, feature group), told by its prefix, with its description.',
  inputSchema: z.object({
    code: z
      .string()
      .max(10)
      .regex(anyCase(ANY_CODE), `must be an ETIM code with a known prefix (${PREFIXES}), e.g. EC001744 or EFG00007`)
      .toUpperCase()
      .describe('e.g. EC001744, EF000012, EFG00007'),
    language: languageSchema,
  }),
  outputSchema: z.object({
    kind: z.string(),
    details_tool: z.string(),
    // What the details tool of that kind answers (its own output shape).
    details: z.record(z.string(), z.unknown()),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const found = KINDS.find((k) => input.code.startsWith(k.prefix))!;
    const reader = readers[found.tool]!;
    // The reader's own defaults, made light: no feature list, no translations.
    const args = reader.inputSchema.parse({ code: input.code, language: input.language, ...(reader === getClass ? { features: 'none' } : { translations: false }) });
    const details = reader.outputSchema.parse(await reader.handler(args, ctx)) as Record<string, unknown>;
    return { kind: found.kind, details_tool: found.tool, details };
  },
  render: (out) => `ETIM ${out.kind} (more with ${out.details_tool}):\n${readers[out.details_tool]!.render!(out.details)}`,
});
