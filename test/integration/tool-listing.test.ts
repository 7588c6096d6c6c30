// The default (compact) tool listing and results, against the real Redmine: a lean tools/list whose dropped
// rules are still enforced, and text results that carry what a model needs without a structured duplicate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, redmineEnv, startBastion, type Bastion } from '../helpers/bastion.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { REDMINE_URL, issueIdBySubject } from '../helpers/redmine.js';

type ListedTool = Awaited<ReturnType<Bastion['client']['listTools']>>['tools'][number];

/** Every key used anywhere in a JSON value. */
function keysIn(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) keysIn(item, found);
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      found.add(key);
      keysIn(inner, found);
    }
  }
  return found;
}

describe('compact tool schemas (the default)', () => {
  let compact: Bastion;
  let full: Bastion;
  let proxy: FaultProxy;
  let compactTools: ListedTool[];
  let fullTools: ListedTool[];

  beforeAll(async () => {
    proxy = await startFaultProxy(REDMINE_URL);
    compact = await startBastion({ env: redmineEnv({ REDMINE_URL: proxy.url, BASTION_TOOL_SCHEMAS: 'compact' }) });
    full = await startBastion({ env: redmineEnv({ BASTION_TOOL_SCHEMAS: 'full' }) });
    compactTools = (await compact.client.listTools()).tools;
    fullTools = (await full.client.listTools()).tools;
  });

  afterAll(async () => {
    await Promise.all([compact?.close(), full?.close()]);
    await proxy?.close();
  });

  it('lists the same tools, with the same names, descriptions and annotations, in fewer bytes', () => {
    expect(compactTools.map((t) => t.name)).toEqual(fullTools.map((t) => t.name));
    for (const tool of compactTools) {
      const twin = fullTools.find((t) => t.name === tool.name)!;
      expect(tool.description).toBe(twin.description);
      expect(tool.annotations).toEqual(twin.annotations);
      expect(Object.keys(tool.inputSchema.properties ?? {})).toEqual(Object.keys(twin.inputSchema.properties ?? {}));
      expect(tool.inputSchema.required ?? []).toEqual(twin.inputSchema.required ?? []);
    }
    expect(JSON.stringify(compactTools).length).toBeLessThan(JSON.stringify(fullTools).length * 0.7);
  });

  it('leaves out output schemas and rules a model does not need; full mode keeps them', () => {
    const compactKeys = keysIn(compactTools.map((t) => t.inputSchema));
    for (const key of ['$schema', 'additionalProperties', 'pattern', 'maxLength', 'minLength']) expect(compactKeys.has(key), key).toBe(false);
    expect(compactTools.every((t) => t.outputSchema === undefined)).toBe(true);
    const fullKeys = keysIn(fullTools.map((t) => t.inputSchema));
    for (const key of ['additionalProperties', 'pattern', 'maxLength']) expect(fullKeys.has(key), key).toBe(true);
    expect(fullTools.every((t) => t.outputSchema?.type === 'object')).toBe(true);
  });

  it('lists an ISO date rule in the description (Gemini knows no "date" format) and keeps bounds that matter', () => {
    const search = compactTools.find((t) => t.name === 'redmine_search_issues')!;
    const properties = search.inputSchema.properties as Record<string, Record<string, unknown>>;
    expect(properties.created_from).toEqual({ type: 'string', description: 'date, YYYY-MM-DD' });
    expect(properties.limit).toMatchObject({ type: 'integer', minimum: 1, maximum: 100, default: 25 });
    expect(properties.sort?.enum).toContain('updated_on');
  });

  it('still enforces every rule the listing leaves out, before any request upstream', async () => {
    const before = proxy.seen.length;
    const badDate = await call(compact, 'redmine_search_issues', { project: 'alpha', created_from: '22/11/2026' });
    expect(badDate.isError).toBe(true);
    expect(badDate.text).toMatch(/created_from/);
    const badProject = await call(compact, 'redmine_search_issues', { project: 'Alpha Project!' });
    expect(badProject.isError).toBe(true);
    expect(badProject.text).toMatch(/project/);
    const unknown = await call(compact, 'redmine_search_issues', { project: 'alpha', projet: 'beta' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/projet/);
    const tooLong = await call(compact, 'redmine_search_issues', { text: 'x'.repeat(256) });
    expect(tooLong.isError).toBe(true);
    expect(tooLong.text).toMatch(/text/);
    expect(proxy.seen.length).toBe(before);
  });

  it('answers with text only, carrying what the structured form has', async () => {
    const id = await issueIdBySubject('Alpha issue 1');
    const compactResult = await compact.client.callTool({ name: 'redmine_get_issue', arguments: { issue_id: id } });
    const fullResult = await full.client.callTool({ name: 'redmine_get_issue', arguments: { issue_id: id } });
    expect(compactResult.structuredContent).toBeUndefined();
    expect(fullResult.structuredContent).toBeDefined();
    const text = (compactResult.content as Array<{ text: string }>)[0]!.text;
    const structured = fullResult.structuredContent as { id: number; subject: string; status: { name: string }; project: { name: string } };
    expect(text).toBe((fullResult.content as Array<{ text: string }>)[0]!.text);
    for (const value of [`#${structured.id}`, structured.subject, structured.status.name, structured.project.name]) expect(text).toContain(value);
  });

  it('answers a search with ids, subjects, statuses and how to get the next page', async () => {
    const result = await call(compact, 'redmine_search_issues', { project: 'alpha', status: 'all', limit: 2 });
    expect(result.isError).toBeFalsy();
    expect(result.structured).toBeUndefined();
    expect(result.text).toMatch(/#\d+/);
    expect(result.text).toMatch(/offset[ =:]+2/);
  });
});
