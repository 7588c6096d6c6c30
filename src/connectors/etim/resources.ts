// etim://languages and etim://releases: the reference lists as MCP resources.
import { defineResource } from '../../core/resource.js';
import type { EtimClient } from './client.js';
import { languages, releases } from './tools/reference.js';

export const etimResources = [
  defineResource<EtimClient>({
    uri: 'etim://languages',
    name: 'etim-languages',
    title: 'ETIM languages',
    description: 'Every ETIM language with whether this account may use it.',
    mimeType: 'application/json',
    read: async ({ client, signal }) => JSON.stringify(await languages(client, signal)),
  }),
  defineResource<EtimClient>({
    uri: 'etim://releases',
    name: 'etim-releases',
    title: 'ETIM releases',
    description: 'The ETIM release names (ETIM-4.0 ... ETIM-10.0, DYNAMIC).',
    mimeType: 'application/json',
    read: async ({ client, signal }) => JSON.stringify(await releases(client, signal)),
  }),
];
