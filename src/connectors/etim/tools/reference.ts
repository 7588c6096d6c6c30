// Languages and releases: small reference lists, cached for days.
import { z } from 'zod';
import type { EtimClient } from '../client.js';
import { etimTool, readOnly } from './shared.js';

export interface EtimLanguage {
  code: string;
  description?: string;
  allowed: boolean;
}

/** Every ETIM language, marked with whether this account may use it. */
export async function languages(client: EtimClient, signal: AbortSignal): Promise<EtimLanguage[]> {
  const [all, allowed] = await Promise.all([
    client.get<Array<{ code: string; description?: string }>>('/Misc/Languages', 'reference', signal),
    client.get<Array<{ code: string }>>('/Misc/LanguagesAllowed', 'reference', signal),
  ]);
  const permitted = new Set(allowed.map((l) => l.code.toLowerCase()));
  return all.map((l) => ({ code: l.code, description: l.description, allowed: permitted.has(l.code.toLowerCase()) }));
}

/** Release names (what filters and etim_get_class_for_release take), as ETIM lists them. */
export async function releases(client: EtimClient, signal: AbortSignal): Promise<string[]> {
  const list = await client.get<Array<{ id: number; description: string }>>('/Misc/Releases', 'reference', signal);
  // Releases carry their name in `description`; there is no `code` field.
  return list.map((r) => r.description);
}

export const listLanguages = etimTool({
  name: 'etim_list_languages',
  title: 'List ETIM languages',
  description: 'The ETIM languages and whether this account may use each; other tools take the code as language.',
  inputSchema: z.object({ allowed_only: z.boolean().default(false) }),
  outputSchema: z.object({ languages: z.array(z.object({ code: z.string(), description: z.string().optional(), allowed: z.boolean() })), default_language: z.string() }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const list = await languages(ctx.client, ctx.signal);
    return { languages: input.allowed_only ? list.filter((l) => l.allowed) : list, default_language: ctx.client.defaultLanguage };
  },
  render: (out) =>
    [`Default: ${out.default_language}`, ...out.languages.map((l) => `${l.code} ${l.description ?? ''}${l.allowed ? '' : ' (not allowed for this account)'}`)].join('\n'),
});

export const listReleases = etimTool({
  name: 'etim_list_releases',
  title: 'List ETIM releases',
  description: 'The ETIM release names (e.g. ETIM-9.0, DYNAMIC) that release filters accept.',
  inputSchema: z.object({}),
  outputSchema: z.object({ releases: z.array(z.string()) }),
  annotations: readOnly,
  handler: async (_input, ctx) => ({ releases: await releases(ctx.client, ctx.signal) }),
  render: (out) => out.releases.join(', '),
});
