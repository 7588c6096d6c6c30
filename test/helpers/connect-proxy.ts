// A loopback HTTP proxy that answers CONNECT as a corporate proxy would, counting tunnels and keeping what passed
// through them. It opens tunnels to loopback targets only: anything else is answered 403 and recorded.
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { isLoopbackHost } from '../../src/core/egress.js';

export interface TestProxy {
  url: string;
  /** host:port of every CONNECT, in order. */
  tunnels: string[];
  /** Proxy-Authorization of every CONNECT ('' when none). */
  authorizations: string[];
  /** The bytes the client sent through the tunnels (plain for http:// targets). */
  sent(): string;
  close(): Promise<void>;
}

export async function startConnectProxy(): Promise<TestProxy> {
  const tunnels: string[] = [];
  const authorizations: string[] = [];
  let sent = '';
  const sockets = new Set<Socket>();
  const server = createServer((_request, response) => response.writeHead(405).end());
  server.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    tunnels.push(request.url ?? '');
    authorizations.push(String(request.headers['proxy-authorization'] ?? ''));
    const [host = '', port = ''] = (request.url ?? '').split(/:(?=\d+$)/);
    if (!isLoopbackHost(host.replace(/^\[|\]$/g, ''))) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = connect(Number(port), host.replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    sockets.add(upstream);
    client.on('data', (chunk: Buffer) => (sent += chunk.toString('latin1')));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    authorizations,
    sent: () => sent,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
