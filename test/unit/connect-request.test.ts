// A caller without a linked account gets a request to connect it, in the form its client understands: the
// urlElicitationRequired error (2025-11-25 clients with URL elicitation), an input_required URL request that the
// client opens before calling again (2026-07-28 clients), or a tool error carrying the link (clients without URL
// elicitation). Checked through the real SDK client against an in-process server whose tool answers as the pipeline
// will.
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryCache } from '../../src/core/cache.js';
import { identityRequired } from '../../src/core/vault.js';
import { ConnectLinks } from '../../src/server/connect-page.js';
import { connectRequired } from '../../src/server/connect-request.js';

const BASE = 'https://bastion.example.test';
const LINK = /^https:\/\/bastion\.example\.test\/connect\/redmine\?link=[A-Za-z0-9_-]{43}$/;
let cache: MemoryCache;
let links: ConnectLinks;
const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

/** A server whose one tool needs alice's Redmine account, linked once `linked` says so. */
async function connect(capabilities: Record<string, unknown>, linked: () => boolean = () => false): Promise<Client> {
  cache = new MemoryCache();
  links = new ConnectLinks({ cache, baseUrl: () => BASE, ttlSeconds: 600 });
  const server = new McpServer({ name: 'test', version: '1.0.0' });
  server.registerTool('redmine_list_projects', { description: 'Lists projects', inputSchema: z.object({}) }, async (_input, ctx) => {
    if (linked()) return { content: [{ type: 'text' as const, text: 'projects of alice' }] };
    return (await connectRequired(identityRequired('redmine', 'alice'), links, server, ctx)) as never;
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities });
  await client.connect(clientSide);
  clients.push(client);
  return client;
}

describe('connectRequired', () => {
  it('gives a client without URL elicitation a tool error with the link and what to do', async () => {
    const client = await connect({});
    const result = (await client.callTool({ name: 'redmine_list_projects', arguments: {} })) as { isError?: boolean; content: Array<{ text: string }> };
    expect(result.isError).toBe(true);
    const text = result.content[0]!.text;
    expect(text).toContain('caller "alice" has not connected a Redmine account yet, so nothing was sent to Redmine');
    expect(text).toContain('open this link in your browser and enter your own Redmine API key there (not in this chat)');
    expect(text).toContain('works once, for 10 minutes, and only for caller "alice". Then run the request again.');
    const link = /(https:\/\/\S+)/.exec(text)![1]!;
    expect(link).toMatch(LINK);
    // The link is live in the shared cache, bound to alice and Redmine.
    expect(await links.read(new URL(link).searchParams.get('link')!)).toMatchObject({ connector: 'redmine', caller: 'alice' });
  });

  it('gives a 2025-11-25 client with URL elicitation the urlElicitationRequired error carrying the link', async () => {
    const client = await connect({ elicitation: { url: {} } });
    const failure = await client.callTool({ name: 'redmine_list_projects', arguments: {} }).then(
      () => undefined,
      (error: unknown) => error as { code?: number; data?: { elicitations?: Array<{ mode: string; url: string; message: string; elicitationId: string }> } },
    );
    expect(failure?.code).toBe(-32042);
    const [request] = failure!.data!.elicitations!;
    expect(request!.mode).toBe('url');
    expect(request!.url).toMatch(LINK);
    expect(request!.message).toContain('Open the link and enter your own Redmine API key there, in your browser: it never passes through the assistant.');
    expect(request!.elicitationId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('connectRequired on the 2026-07-28 protocol', () => {
  it('asks the client to open the link, and the call it makes again runs once the account is connected', async () => {
    const { createMcpHandler } = await import('@modelcontextprotocol/server');
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
    links = new ConnectLinks({ cache: new MemoryCache(), baseUrl: () => BASE, ttlSeconds: 600 });
    let linked = false;
    const handler = createMcpHandler(() => {
      const server = new McpServer({ name: 'test', version: '1.0.0' });
      server.registerTool('redmine_list_projects', { description: 'Lists projects', inputSchema: z.object({}) }, async (_input, ctx) => {
        if (linked) return { content: [{ type: 'text' as const, text: 'projects of alice' }] };
        return (await connectRequired(identityRequired('redmine', 'alice'), links, server, ctx)) as never;
      });
      return server;
    });
    // The HTTP handler answers in process: nothing listens, nothing is sent over a network.
    const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1/mcp'), { fetch: (url, init) => handler.fetch(new Request(url, init)) });
    const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: { elicitation: { url: {} } }, versionNegotiation: { mode: 'auto' } });
    const opened: string[] = [];
    client.setRequestHandler('elicitation/create', async (request) => {
      const params = request.params as { mode?: string; url?: string };
      opened.push(`${params.mode} ${params.url}`);
      // The person opens the page and connects the account; then the client calls again.
      linked = true;
      return { action: 'accept' };
    });
    await client.connect(transport);
    clients.push(client);
    const result = (await client.callTool({ name: 'redmine_list_projects', arguments: {} })) as { isError?: boolean; content: Array<{ text: string }> };
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatch(/^url https:\/\/bastion\.example\.test\/connect\/redmine\?link=/);
    expect(result.isError).toBeFalsy();
    expect(result.content[0]!.text).toBe('projects of alice');
  });

  it('answers a call made again without connecting with the tool error and a fresh link, never a loop', async () => {
    const { createMcpHandler } = await import('@modelcontextprotocol/server');
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
    links = new ConnectLinks({ cache: new MemoryCache(), baseUrl: () => BASE, ttlSeconds: 600 });
    const handler = createMcpHandler(() => {
      const server = new McpServer({ name: 'test', version: '1.0.0' });
      server.registerTool('redmine_list_projects', { description: 'Lists projects', inputSchema: z.object({}) }, async (_input, ctx) => {
        return (await connectRequired(identityRequired('redmine', 'alice'), links, server, ctx)) as never;
      });
      return server;
    });
    const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1/mcp'), { fetch: (url, init) => handler.fetch(new Request(url, init)) });
    const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities: { elicitation: { url: {} } }, versionNegotiation: { mode: 'auto' } });
    let asked = 0;
    client.setRequestHandler('elicitation/create', async () => {
      asked += 1;
      return { action: 'decline' };
    });
    await client.connect(transport);
    clients.push(client);
    const result = (await client.callTool({ name: 'redmine_list_projects', arguments: {} })) as { isError?: boolean; content: Array<{ text: string }> };
    expect(asked).toBe(1);
    expect(result.isError).toBe(true);
    expect(result.content[0]!.text).toMatch(/open this link in your browser.*https:\/\/bastion\.example\.test\/connect\/redmine\?link=/);
  });
});
