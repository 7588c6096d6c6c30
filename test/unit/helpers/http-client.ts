// Builds HttpClients and scripted servers for a test file and closes them after each test.
import { afterEach, expect } from 'vitest';
import { UpstreamError } from '../../../src/core/errors.js';
import { HttpClient, type HttpClientOptions } from '../../../src/core/http.js';
import { startServer, type Handler, type ScriptedServer, type TlsMaterial } from './http-server.js';

export function httpFixtures() {
  const clients: HttpClient[] = [];
  const servers: ScriptedServer[] = [];

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  return {
    async server(handler: Handler, tls?: TlsMaterial): Promise<ScriptedServer> {
      const server = await startServer(handler, tls);
      servers.push(server);
      return server;
    },
    /** A client for `<server>/redmine` with near-zero backoff, so retries do not slow the tests. */
    client(server: ScriptedServer | string, options: Partial<HttpClientOptions> = {}): HttpClient {
      const origin = typeof server === 'string' ? server : server.url;
      const client = new HttpClient({ service: 'Redmine', baseUrl: `${origin}/redmine`, retryBaseMs: 1, retryMaxDelayMs: 5, ...options });
      clients.push(client);
      return client;
    },
  };
}

/** Awaits a call that must fail with an UpstreamError and returns the error. */
export async function upstreamFailure(call: Promise<unknown>): Promise<UpstreamError> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(UpstreamError);
    return error as UpstreamError;
  }
  throw new Error('expected the call to fail with an UpstreamError');
}
