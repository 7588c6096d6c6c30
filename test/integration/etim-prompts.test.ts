// The ETIM prompts through the real MCP client against the ETIM double: listed with their arguments, filled in by
// prompts/get, bad arguments refused naming the field, and hidden with their connector, by the allow and deny lists
// (etim_prompt_<what>) or when a tool they send the model to is hidden; every prompts/get is audited.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EtimDouble } from '../doubles/etim.js';
import { redmineEnv, startBastion, type Bastion } from '../helpers/bastion.js';
import { etimEnv, startBastionOnEtim, startEtim } from '../helpers/etim.js';

const dir = mkdtempSync(join(tmpdir(), 'bastion-prompts-'));
const ALL = ['etim_compare_products', 'etim_explain_class', 'etim_find_class_by_specs'];

let double: EtimDouble;
beforeAll(async () => {
  double = await startEtim();
});
afterAll(async () => {
  await double?.close();
});

async function withBastion(extra: Record<string, string>, run: (bastion: Bastion) => Promise<void>): Promise<void> {
  const bastion = await startBastionOnEtim(double, extra);
  try {
    await run(bastion);
  } finally {
    await bastion.close();
  }
}

/** The prompt names the client can list; a server with no prompt to show offers no prompts at all. */
async function listed(client: Client): Promise<string[]> {
  if (!client.getServerCapabilities()?.prompts) return [];
  return (await client.listPrompts()).prompts.map((prompt) => prompt.name).sort();
}

describe('ETIM prompts', () => {
  it('lists the three prompts with their arguments, required ones marked', async () => {
    await withBastion({}, async (bastion) => {
      const { prompts } = await bastion.client.listPrompts();
      expect(prompts.map((p) => p.name).sort()).toEqual(ALL);
      const args = Object.fromEntries(prompts.map((p) => [p.name, (p.arguments ?? []).map((a) => `${a.name}${a.required ? '*' : ''}`).sort()]));
      expect(args).toEqual({
        etim_compare_products: ['class1*', 'class2*', 'language'],
        etim_explain_class: ['class_code*', 'language'],
        etim_find_class_by_specs: ['language', 'requirements*'],
      });
      for (const prompt of prompts) expect(prompt.description!.length).toBeGreaterThan(40);
    });
  });

  it('fills in each prompt: one user message naming the codes, the language and the tools to call; nothing is sent to ETIM', async () => {
    const audit = join(dir, 'get.jsonl');
    await withBastion({ BASTION_AUDIT_LOG: audit }, async (bastion) => {
      const before = double.apiRequests.length;
      const compare = await bastion.client.getPrompt({ name: 'etim_compare_products', arguments: { class1: 'ec990001', class2: 'EC990005', language: 'de-DE' } });
      expect(compare.messages).toHaveLength(1);
      expect(compare.messages[0]!.role).toBe('user');
      const text = (compare.messages[0]!.content as { text: string }).text;
      expect(text).toContain('Compare the ETIM product classes EC990001 and EC990005.');
      expect(text).toContain('Pass language "de-DE"');
      expect(text).toContain('etim_compare_classes with codes ["EC990001", "EC990005"]');

      const find = await bastion.client.getPrompt({ name: 'etim_find_class_by_specs', arguments: { requirements: 'LED downlight, 230 V, IP44, white housing' } });
      const findText = (find.messages[0]!.content as { text: string }).text;
      expect(findText).toContain('LED downlight, 230 V, IP44, white housing');
      expect(findText).toContain('etim_search_classes');
      expect(findText).not.toContain('Pass language');

      const explain = await bastion.client.getPrompt({ name: 'etim_explain_class', arguments: { class_code: 'MC990001' } });
      expect((explain.messages[0]!.content as { text: string }).text).toContain('Explain the ETIM product class MC990001.');
      expect(double.apiRequests.length).toBe(before);
    });
    const records = readFileSync(audit, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>).filter((r) => r.type === 'prompt_get');
    expect(records.map((r) => [r.prompt, r.connector, r.caller, r.outcome])).toEqual([
      ['etim_prompt_compare_products', 'etim', 'stdio', 'ok'],
      ['etim_prompt_find_class_by_specs', 'etim', 'stdio', 'ok'],
      ['etim_prompt_explain_class', 'etim', 'stdio', 'ok'],
    ]);
    expect(records[0]!.args).toEqual({ class1: 'EC990001', class2: 'EC990005', language: 'de-DE' });
  });

  it.each([
    ['etim_compare_products', 'a feature code for class2', { class1: 'EC990001', class2: 'EF990001' }, 'class2'],
    ['etim_compare_products', 'a missing class2', { class1: 'EC990001' }, 'class2'],
    ['etim_explain_class', 'a language that is not a code', { class_code: 'EC990001', language: 'deutsch' }, 'language'],
    ['etim_find_class_by_specs', 'requirements over 2000 characters', { requirements: 'x'.repeat(2001) }, 'requirements'],
    ['etim_explain_class', 'an unknown argument', { class_code: 'EC990001', colour: 'red' }, 'colour'],
  ])('%s refuses %s, naming the field', async (name, _what, args, field) => {
    await withBastion({}, async (bastion) => {
      const error = await bastion.client.getPrompt({ name, arguments: args as Record<string, string> }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error, 'prompts/get must fail').toBeInstanceOf(Error);
      expect(error!.message).toContain(field);
    });
  });
});

describe('prompts follow connector selection and policy', () => {
  it('a server without the ETIM connector offers no prompts', async () => {
    const bastion = await startBastion({ env: redmineEnv() });
    try {
      expect(await listed(bastion.client)).toEqual([]);
    } finally {
      await bastion.close();
    }
  });

  it('a prompt named in BASTION_EXCLUDE_TOOLS is neither listed nor served', async () => {
    await withBastion({ BASTION_EXCLUDE_TOOLS: 'etim_prompt_explain_class' }, async (bastion) => {
      expect(await listed(bastion.client)).toEqual(['etim_compare_products', 'etim_find_class_by_specs']);
      await expect(bastion.client.getPrompt({ name: 'etim_explain_class', arguments: { class_code: 'EC990001' } })).rejects.toThrow(/etim_explain_class/);
    });
  });

  it('a prompt whose tool is hidden is hidden too; an allow list of tools alone shows no prompt', async () => {
    await withBastion({ BASTION_EXCLUDE_TOOLS: 'etim_compare_classes' }, async (bastion) => {
      expect(await listed(bastion.client)).toEqual(['etim_explain_class', 'etim_find_class_by_specs']);
    });
    await withBastion({ BASTION_TOOLS: 'etim_get_*,etim_search_*' }, async (bastion) => {
      expect(await listed(bastion.client)).toEqual([]);
    });
    await withBastion({ BASTION_TOOLS: 'etim_*' }, async (bastion) => {
      expect(await listed(bastion.client)).toEqual(ALL);
    });
  });

  it('read-only mode keeps the prompts (they ask for reads only); a misspelt prompt name in the lists stops start-up', async () => {
    await withBastion({ BASTION_READ_ONLY: 'true' }, async (bastion) => {
      expect(await listed(bastion.client)).toEqual(ALL);
    });
    const { runCli } = await import('../helpers/bastion.js');
    const result = await runCli(['serve'], etimEnv(double, { BASTION_EXCLUDE_TOOLS: 'etim_prompt_explain_clas' }));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('"etim_prompt_explain_clas" matches no tool');
  });
});
