// With static bearer tokens (no OAuth issuer), a missing or wrong token reads as a token problem in the SDK's
// Streamable HTTP client, with and without an OAuth provider (as bridges such as mcp-remote use), instead of
// sending it into OAuth discovery and a failed client registration. With an issuer, 401 points at RFC 9728 metadata.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redmineEnv } from '../helpers/bastion.js';
import { startHttpBastion, writeTokensFile, type HttpBastion } from '../helpers/http-server.js';
import { V1Client, V1StreamableHTTPClientTransport } from '../helpers/sdk-v1.js';

const dir = mkdtempSync(join(tmpdir(), 'bastion-http-refusal-'));
const TOKEN = 'canary-http-static-token-6Rk';
const WRONG = 'canary-http-wrong-token-2Lp';
const TOKEN_PROBLEM = "bearer token missing or wrong: send the header 'Authorization: Bearer <token>' with a token from the operator's BASTION_HTTP_TOKENS_FILE";

/** An OAuth client provider as a bridge holds one: dynamic registration, then a browser sign-in it would open. */
function oauthProvider(token: string | undefined) {
  const opened: string[] = [];
  let client: { client_id: string } | undefined;
  return {
    opened,
    provider: {
      get redirectUrl() {
        return 'http://127.0.0.1:1/callback';
      },
      get clientMetadata() {
        return { client_name: 'bridge', redirect_uris: ['http://127.0.0.1:1/callback'] };
      },
      clientInformation: () => client,
      saveClientInformation: (info: { client_id: string }) => {
        client = info;
      },
      tokens: () => (token ? { access_token: token, token_type: 'Bearer' } : undefined),
      saveTokens: () => undefined,
      redirectToAuthorization: (url: URL) => {
        opened.push(url.href);
      },
      saveCodeVerifier: () => undefined,
      codeVerifier: () => 'verifier',
    },
  };
}

async function connect(url: string, authProvider?: unknown): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), authProvider ? { authProvider: authProvider as never } : {});
  const client = new Client({ name: 'bastion-refusal-tests', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

describe('static bearer tokens: a missing or wrong token', () => {
  let server: HttpBastion;
  beforeAll(async () => {
    const tokens = writeTokensFile(join(dir, 'tokens.json'), [{ name: 'writer', token: TOKEN, scopes: ['bastion:write'] }]);
    server = await startHttpBastion({ env: redmineEnv({ BASTION_HTTP_TOKENS_FILE: tokens, BASTION_KEYRING: 'false' }) });
  });
  afterAll(async () => {
    await server?.stop(2_000);
  });

  it('is refused with a message about the token in the SDK client without an OAuth provider', async () => {
    await expect(connect(server.url)).rejects.toThrow(TOKEN_PROBLEM);
  });

  it('reads as a token problem in a client with an OAuth provider, which opens no sign-in', async () => {
    for (const token of [undefined, WRONG]) {
      const { provider, opened } = oauthProvider(token);
      const error = await connect(server.url, provider).then(
        () => undefined,
        (reason: unknown) => reason as Error,
      );
      expect(error?.message, String(token)).toContain(TOKEN_PROBLEM);
      expect(opened).toEqual([]);
    }
  });

  it('reads as a token problem in the v1 SDK client with an OAuth provider (what mcp-remote runs on)', async () => {
    for (const token of [undefined, WRONG]) {
      const { provider, opened } = oauthProvider(token);
      const client = new V1Client({ name: 'bridge-v1', version: '1.0.0' });
      const error = await client.connect(new V1StreamableHTTPClientTransport(new URL(server.url), { authProvider: provider as never })).then(
        () => undefined,
        (reason: unknown) => reason as Error,
      );
      expect(error?.message, String(token)).toContain(TOKEN_PROBLEM);
      expect(opened).toEqual([]);
    }
  });

  it('advertises no OAuth metadata and points no 401 at any', async () => {
    const answer = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).not.toContain('resource_metadata');
    expect(await answer.json()).toMatchObject({ jsonrpc: '2.0', error: { message: expect.stringContaining(TOKEN_PROBLEM) } });
    expect((await fetch(`${server.baseUrl}/.well-known/oauth-protected-resource/mcp`)).status).toBe(404);
  });

  it('still serves a caller with the right token', async () => {
    const client = await connect(server.url, { token: async () => TOKEN });
    try {
      expect((await client.listTools()).tools.length).toBeGreaterThan(10);
    } finally {
      await client.close();
    }
  });
});

describe('an OAuth issuer configured (JWTs)', () => {
  let server: HttpBastion;
  // Never contacted: a request without a token is refused before any key is fetched.
  const issuer = 'http://127.0.0.1:9/issuer';
  beforeAll(async () => {
    server = await startHttpBastion({ env: redmineEnv({ BASTION_OAUTH_ISSUER: issuer, BASTION_OAUTH_AUDIENCE: 'https://bastion.example/mcp', BASTION_KEYRING: 'false' }) });
  });
  afterAll(async () => {
    await server?.stop(2_000);
  });

  it('keeps answering 401 with RFC 9728 metadata that names the issuer, for OAuth clients to sign in', async () => {
    const answer = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
    expect(answer.status).toBe(401);
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(answer.headers.get('www-authenticate') ?? '')?.[1];
    expect(metadataUrl).toBeDefined();
    const metadata = await (await fetch(metadataUrl!)).json();
    expect(metadata).toMatchObject({ resource: server.url, authorization_servers: [issuer], bearer_methods_supported: ['header'] });
  });
});
