// The LoT documentation resources through the real MCP client, with Bastion on the local Mosquitto: listed with their
// URIs, read back exactly as written, hidden by the allow and deny lists like tools, and an unknown URI refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOT_ACTIONS, LOT_MODELS, LOT_ROUTES, LOT_RULES } from '../../src/connectors/coreflux/resources.js';
import type { Bastion } from '../helpers/bastion.js';
import { startBastionOnMosquitto } from '../helpers/coreflux.js';
import { ensureMosquitto, type MosquittoEnv } from '../helpers/mosquitto.js';

const DOCUMENTS: Record<string, string> = {
  'lot://documentation/actions': LOT_ACTIONS,
  'lot://documentation/models': LOT_MODELS,
  'lot://documentation/routes': LOT_ROUTES,
  'lot://documentation/rules': LOT_RULES,
};

let broker: MosquittoEnv;
let bastion: Bastion;
beforeAll(async () => {
  broker = await ensureMosquitto();
  bastion = await startBastionOnMosquitto(broker);
});
afterAll(async () => {
  await bastion?.close();
});

describe('lot://documentation resources', () => {
  it('are listed with their titles and read back as markdown, exactly as written', async () => {
    const { resources } = await bastion.client.listResources();
    const lot = resources.filter((resource) => resource.uri.startsWith('lot://'));
    expect(lot.map((resource) => resource.uri).sort()).toEqual(Object.keys(DOCUMENTS));
    expect(lot.find((resource) => resource.uri === 'lot://documentation/rules')).toMatchObject({ name: 'coreflux-lot-rules', title: 'LoT rules', mimeType: 'text/markdown' });
    for (const [uri, text] of Object.entries(DOCUMENTS)) {
      const read = await bastion.client.readResource({ uri });
      expect(read.contents).toEqual([{ uri, mimeType: 'text/markdown', text }]);
    }
  });

  it('refuses a URI that names no document', async () => {
    await expect(bastion.client.readResource({ uri: 'lot://documentation/panels' })).rejects.toThrow(/not found/i);
  });

  it('follow the deny list like tools: an excluded document is neither listed nor readable', async () => {
    const limited = await startBastionOnMosquitto(broker, { BASTION_EXCLUDE_TOOLS: 'coreflux_resource_lot_routes' });
    try {
      const uris = (await limited.client.listResources()).resources.map((resource) => resource.uri);
      expect(uris).toContain('lot://documentation/models');
      expect(uris).not.toContain('lot://documentation/routes');
      await expect(limited.client.readResource({ uri: 'lot://documentation/routes' })).rejects.toThrow();
    } finally {
      await limited.close();
    }
  });
});
