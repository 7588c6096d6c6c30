// Keeps a test's connections on this machine: every net connection to an address that is not loopback is refused
// inside this process, before a packet leaves, and recorded, so a test can tell what Bastion decided (a connection
// Bastion refused never shows up here; one it allowed shows up as an attempt).
import { lookup as dnsLookup } from 'node:dns';
import { isIP, Socket, type LookupFunction } from 'node:net';
import { isLoopbackHost } from '../../../src/core/egress.js';

export interface EgressBlock {
  /** "host -> address" (or the address alone) of every connection that would have left the machine. */
  attempts: string[];
  restore(): void;
}

type Connect = (this: Socket, ...args: unknown[]) => Socket;

export function blockNonLoopback(): EgressBlock {
  const attempts: string[] = [];
  const original = Socket.prototype.connect as unknown as Connect;
  const refuse = (socket: Socket, what: string): Socket => {
    attempts.push(what);
    process.nextTick(() => socket.destroy(Object.assign(new Error(`test: connection to ${what} blocked`), { code: 'ETESTBLOCKED' })));
    return socket;
  };
  (Socket.prototype as unknown as { connect: Connect }).connect = function (this: Socket, ...args: unknown[]): Socket {
    // net.createConnection passes its normalised [options, callback] pair as the first argument.
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    if (!first || typeof first !== 'object' || 'path' in first) return original.apply(this, args);
    const options = first as { host?: string; lookup?: LookupFunction };
    const host = options.host ?? 'localhost';
    if (isIP(host)) return isLoopbackHost(host) ? original.apply(this, args) : refuse(this, host);
    const resolve = options.lookup ?? (dnsLookup as unknown as LookupFunction);
    options.lookup = (hostname, lookupOptions, callback) =>
      resolve(hostname, lookupOptions, (error, address, family) => {
        if (error) return callback(error, address as string, family);
        const addresses = Array.isArray(address) ? address.map((entry: { address: string }) => entry.address) : [address];
        const outside = addresses.find((entry) => !isLoopbackHost(entry));
        if (outside) {
          attempts.push(`${hostname} -> ${outside}`);
          return callback(Object.assign(new Error(`test: connection to ${hostname} (${outside}) blocked`), { code: 'ETESTBLOCKED' }), '', 0);
        }
        callback(null, address as string, family);
      });
    return original.apply(this, args);
  };
  return {
    attempts,
    restore: () => {
      (Socket.prototype as unknown as { connect: Connect }).connect = original;
    },
  };
}
