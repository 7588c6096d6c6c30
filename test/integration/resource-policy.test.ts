// MCP resources pass the same policy as tools and are audited: the deny and allow lists over stdio (resources are
// named etim_resource_<what> there), read-only mode, and an HTTP caller's connector scopes; one resource_read record
// per read, with the caller, outcome and duration, through the same hash-chained audit log.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EtimDouble } from '../doubles/etim.js';
import { redmineEnv, type Bastion } from '../helpers/bastion.js';
import { apiCalls, etimEnv, ETIM_TEST_CLIENT_SECRET, startBastionOnEtim, startEtim } from '../helpers/etim.js';
import { startHttpBastion, writeTokensFile, type HttpBastion } from '../helpers/http-server.js';

const dir = mkdtempSync(join(tmpdir(), 'bastion-resources-'));
const URIS = ['etim://languages', 'etim://releases'];

let double: EtimDouble;
beforeAll(async () => {
  double = await startEtim();
});
afterAll(async () => {
  await double?.close();
});

interface AuditRecord {
  type: string;
  uri?: string;
  resource?: string;
  connector?: string;
  caller?: string;
  outcome?: string;
  duration_ms?: number;
  error?: string;
}

function auditRecords(path: string): AuditRecord[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditRecord);
}

const reads = (path: string) => auditRecords(path).filter((record) => record.type === 'resource_read');

/** Starts Bastion on the ETIM double over stdio with its own audit log; stopped after the test. */
async function withBastion(name: string, extra: Record<string, string>, run: (bastion: Bastion, audit: string) => Promise<void>): Promise<void> {
  const audit = join(dir, `${name}.jsonl`);
  const bastion = await startBastionOnEtim(double, { BASTION_AUDIT_LOG: audit, ...extra });
  try {
    await run(bastion, audit);
  } finally {
    await bastion.close();
  }
}

/** The URIs the client can list; a server with no resource to show offers no resources at all. */
async function listed(client: Client): Promise<string[]> {
  if (!client.getServerCapabilities()?.resources) return [];
  return (await client.listResources()).resources.map((resource) => resource.uri).sort();
}

describe('deny and allow lists over stdio', () => {
  it('audits every read: uri, policy name, connector, caller, outcome and duration', async () => {
    await withBastion('plain', {}, async (bastion, audit) => {
      expect(await listed(bastion.client)).toEqual(URIS);
      await bastion.client.readResource({ uri: 'etim://languages' });
      await bastion.client.readResource({ uri: 'etim://releases' });
      const records = reads(audit);
      expect(records).toHaveLength(2);
      expect(records[0]).toMatchObject({ uri: 'etim://languages', resource: 'etim_resource_languages', connector: 'etim', caller: 'stdio', outcome: 'ok' });
      expect(records[1]).toMatchObject({ uri: 'etim://releases', resource: 'etim_resource_releases', connector: 'etim', caller: 'stdio', outcome: 'ok' });
      for (const record of records) expect(record.duration_ms).toEqual(expect.any(Number));
      expect(readFileSync(audit, 'utf8')).not.toContain(ETIM_TEST_CLIENT_SECRET);
    });
  });

  it('hides a resource named in BASTION_EXCLUDE_TOOLS from the list and refuses to read it, calling nothing upstream', async () => {
    await withBastion('deny-one', { BASTION_EXCLUDE_TOOLS: 'etim_resource_languages' }, async (bastion, audit) => {
      expect(await listed(bastion.client)).toEqual(['etim://releases']);
      const before = apiCalls(double, '/Misc/Languages').length;
      await expect(bastion.client.readResource({ uri: 'etim://languages' })).rejects.toThrow(/not found/i);
      expect(apiCalls(double, '/Misc/Languages').length).toBe(before);
      const read = await bastion.client.readResource({ uri: 'etim://releases' });
      expect(read.contents).toHaveLength(1);
      expect(reads(audit).map((record) => [record.uri, record.outcome])).toEqual([['etim://releases', 'ok']]);
    });
  });

  it('hides every resource of a connector denied by a glob (etim_*), together with its tools', async () => {
    await withBastion('deny-glob', { BASTION_EXCLUDE_TOOLS: 'etim_*' }, async (bastion) => {
      expect(bastion.client.getServerCapabilities()?.resources).toBeUndefined();
      expect(await listed(bastion.client)).toEqual([]);
      for (const uri of URIS) await expect(bastion.client.readResource({ uri })).rejects.toThrow();
      // Only Bastion's own bastion_status is left: it belongs to no connector.
      expect((await bastion.client.listTools()).tools.map((tool) => tool.name)).toEqual(['bastion_status']);
    });
  });

  it('shows only the resources an allow list (BASTION_TOOLS) names', async () => {
    await withBastion('allow', { BASTION_TOOLS: 'etim_get_feature,etim_resource_rel*' }, async (bastion) => {
      expect(await listed(bastion.client)).toEqual(['etim://releases']);
      await expect(bastion.client.readResource({ uri: 'etim://languages' })).rejects.toThrow(/not found/i);
      expect((await bastion.client.listTools()).tools.map((tool) => tool.name)).toEqual(['etim_get_feature']);
    });
  });

  it('keeps resources in read-only mode: they only read', async () => {
    await withBastion('read-only', { BASTION_READ_ONLY: 'true' }, async (bastion) => {
      expect(await listed(bastion.client)).toEqual(URIS);
      expect((await bastion.client.readResource({ uri: 'etim://releases' })).contents).toHaveLength(1);
    });
  });
});

describe("an HTTP caller's connector scopes", () => {
  const ETIM_READER = 'canary-resources-etim-token-8k';
  const REDMINE_READER = 'canary-resources-redmine-token-3p';
  let server: HttpBastion;
  const audit = join(dir, 'http.jsonl');

  beforeAll(async () => {
    const tokens = writeTokensFile(join(dir, 'tokens.json'), [
      { name: 'etim-reader', token: ETIM_READER, scopes: ['bastion:read', 'bastion:connector:etim'] },
      { name: 'redmine-reader', token: REDMINE_READER, scopes: ['bastion:read', 'bastion:connector:redmine'] },
    ]);
    server = await startHttpBastion({ env: { ...redmineEnv(), ...etimEnv(double), BASTION_HTTP_TOKENS_FILE: tokens, BASTION_AUDIT_LOG: audit } });
  });
  afterAll(async () => {
    await server?.stop(2_000);
  });

  async function connect(token: string): Promise<Client> {
    const client = new Client({ name: 'bastion-resource-tests', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { authProvider: { token: async () => token } }));
    return client;
  }

  it('neither lists nor reads ETIM resources for a caller limited to redmine, and calls nothing upstream', async () => {
    const client = await connect(REDMINE_READER);
    try {
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
      expect(await listed(client)).toEqual([]);
      const before = double.apiRequests.length;
      for (const uri of URIS) await expect(client.readResource({ uri })).rejects.toThrow();
      expect(double.apiRequests.length).toBe(before);
    } finally {
      await client.close();
    }
    expect(reads(audit).filter((record) => record.caller === 'redmine-reader')).toEqual([]);
  });

  it('lists and reads them for a caller limited to etim, audited under its name', async () => {
    const client = await connect(ETIM_READER);
    try {
      expect(await listed(client)).toEqual(URIS);
      const read = await client.readResource({ uri: 'etim://languages' });
      expect(JSON.parse((read.contents[0] as { text: string }).text)).toEqual(expect.any(Array));
    } finally {
      await client.close();
    }
    expect(reads(audit).at(-1)).toMatchObject({ uri: 'etim://languages', resource: 'etim_resource_languages', connector: 'etim', caller: 'etim-reader', outcome: 'ok' });
    expect(readFileSync(audit, 'utf8')).not.toContain(ETIM_READER);
  });
});
