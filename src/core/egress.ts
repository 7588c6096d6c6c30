// Where Bastion may connect. Link-local and cloud-metadata addresses hand out instance credentials to anyone who
// can make the host send a request, so no upstream setting may point there unless BASTION_ALLOW_LINK_LOCAL=true.
// Literal addresses and metadata host names are refused at start-up; host names are checked again after every DNS
// lookup, so a name that resolves there (or is re-pointed there later) is refused too. Loopback and private
// ranges stay allowed: self-hosted trackers and brokers live there.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { ConfigError } from './errors.js';

export const ALLOW_LINK_LOCAL_SETTING = 'BASTION_ALLOW_LINK_LOCAL';

const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog']);
const METADATA_IPV4 = new Set(['100.100.100.200']);
const METADATA_IPV6 = new Set(['fd00:ec2:0:0:0:0:0:254']);

let allowLinkLocal = false;

/** Set once at start from BASTION_ALLOW_LINK_LOCAL; process-wide, since every connector's egress follows it. */
export function configureEgress(options: { allowLinkLocal: boolean }): void {
  allowLinkLocal = options.allowLinkLocal;
}

/** The refusal raised by the connect-time check; its code lets clients tell it from network failures. */
export class EgressRefusedError extends Error {
  override name = 'EgressRefusedError';
  readonly code = 'ERR_BASTION_EGRESS_REFUSED';
}

function ipv4Reason(address: string): string | undefined {
  if (METADATA_IPV4.has(address)) return 'a cloud metadata address';
  if (address.startsWith('169.254.')) return address === '169.254.169.254' ? 'the cloud metadata address' : 'a link-local address';
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address (with any embedded IPv4 part converted), or undefined. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  // Stryker disable next-line ConditionalExpression: equivalent; only addresses isIP() accepted as IPv6 get here, which always make eight groups.
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  // Stryker disable next-line ConditionalExpression: equivalent; without '::' nothing is missing, so the fill is empty either way.
  return [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right].map((group) => parseInt(group, 16));
}

/** Why an IP address is refused (link-local or cloud metadata), or undefined when it is allowed. */
export function forbiddenAddress(address: string): string | undefined {
  // Stryker disable next-line Regex: equivalent; a bracket can only wrap an IPv6 literal, anywhere else the host is invalid and never connected to.
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 4) return ipv4Reason(bare);
  if (family !== 6) return undefined;
  const groups = ipv6Groups(bare);
  // Stryker disable next-line ConditionalExpression: equivalent; isIP() accepted the address, so its groups are always found.
  if (!groups) return undefined;
  const [g0 = 0, , , , , g5 = 0, g6 = 0, g7 = 0] = groups;
  const embedded = `${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}`;
  const zeros = (from: number, to: number) => groups.slice(from, to).every((group) => group === 0);
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses reach the IPv4 address they carry.
  if ((zeros(0, 5) && g5 === 0xffff) || (g0 === 0x64 && groups[1] === 0xff9b && zeros(2, 6))) return ipv4Reason(embedded);
  if ((g0 & 0xffc0) === 0xfe80) return 'a link-local address';
  if (METADATA_IPV6.has(groups.map((group) => group.toString(16)).join(':'))) return 'a cloud metadata address';
  return undefined;
}

// The hosts of the configured upstream base URLs: links into them in upstream text are the systems' own links.
const upstreamHosts = new Set<string>();

/** Records a configured upstream's base URL, whose links stay clickable in what the model reads. */
export function registerUpstreamOrigin(url: URL): void {
  upstreamHosts.add(url.host.toLowerCase());
}

/** Whether a URL points into a configured upstream (same host and port as one of their base URLs). */
export function isUpstreamUrl(url: URL): boolean {
  return upstreamHosts.has(url.host.toLowerCase());
}

/** For tests only: forgets the configured upstreams. */
export function clearUpstreamOrigins(): void {
  upstreamHosts.clear();
}

/** Whether a host name stays on this machine (traffic to it never crosses a network). */
export function isLoopbackHost(host: string): boolean {
  // Stryker disable next-line Regex: equivalent; a bracket can only wrap an IPv6 literal, anywhere else the host is invalid and never connected to.
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** Why a host (name or literal address, IPv6 with or without brackets) is refused, or undefined. */
export function forbiddenHost(host: string): string | undefined {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (METADATA_HOSTS.has(name)) return 'a cloud metadata host name';
  return forbiddenAddress(name);
}

/**
 * A host as the system resolver reads it: IPv4 in decimal, hex, octal or shortened form (2852039166, 0xa9fea9fe,
 * 169.254.43518) becomes dotted decimal, through the WHATWG URL parser's host rules. URLs with a non-special
 * scheme (redis://, mqtt://) and bare host settings are not normalised by URL parsing, so this does it for them.
 */
export function canonicalHost(host: string): string {
  const bare = host.replace(/^\[|\]$/g, '');
  try {
    // Stryker disable next-line Regex: equivalent; a bracket can only wrap an IPv6 literal, anywhere else the host is invalid and never connected to.
    return new URL(`http://${bare.includes(':') ? `[${bare}]` : bare}/`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return bare;
  }
}

/** Start-up check of a configured host: a ConfigError naming the setting, unless link-local egress is allowed. */
export function assertEgressHost(setting: string, host: string): void {
  if (allowLinkLocal) return;
  const canonical = canonicalHost(host);
  const reason = forbiddenHost(canonical);
  if (reason) {
    // Stryker disable next-line Regex: equivalent; a bracket can only wrap an IPv6 literal, anywhere else the host is invalid and never connected to.
    const shown = canonical === host.replace(/^\[|\]$/g, '').toLowerCase() ? host : `${host} (${canonical})`;
    throw new ConfigError(
      `${setting} points at ${shown}, ${reason}: Bastion does not connect there, because such addresses hand out the machine's cloud credentials. ` +
        `Set ${ALLOW_LINK_LOCAL_SETTING}=true only if the service really lives there.`,
      `point ${setting} at the service's own address, or set ${ALLOW_LINK_LOCAL_SETTING}=true`,
    );
  }
}

/** The check of `assertEgressHost` for a URL setting (its host name, brackets removed). */
export function assertEgressUrl(setting: string, url: URL): void {
  // Stryker disable next-line Regex: equivalent; a bracket can only wrap an IPv6 literal, anywhere else the host is invalid and never connected to.
  assertEgressHost(setting, url.hostname.replace(/^\[|\]$/g, ''));
}

export type Resolver = (hostname: string, options: LookupAllOptions, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/**
 * A `lookup` for net/tls connections (undici's `connect` option, MQTT sockets) that resolves as usual and refuses
 * the connection when any address of the name is link-local or cloud metadata, unless that is allowed.
 * `resolve` is the system resolver unless a test gives another.
 */
export function guardedLookup(resolve: Resolver = dnsLookup as Resolver): LookupFunction {
  return (hostname, options, callback) => {
    const { all, ...rest } = options ?? {};
    resolve(hostname, { ...rest, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      if (!allowLinkLocal) {
        const nameReason = forbiddenHost(hostname);
        const bad = addresses.find((entry) => forbiddenAddress(entry.address));
        if (nameReason || bad) {
          const what = bad ? `resolves to ${bad.address}, ${forbiddenAddress(bad.address)}` : `is ${nameReason}`;
          return callback(new EgressRefusedError(`${hostname} ${what}; Bastion does not connect there unless ${ALLOW_LINK_LOCAL_SETTING}=true.`), '', 0);
        }
      }
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      // net asks for every address when it races IPv4 and IPv6 (autoSelectFamily), for one otherwise.
      if (all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/**
 * Through a proxy, the proxy resolves the target's name, so the lookup guard never sees it. This checks the name
 * where this machine can resolve it and refuses it when it leads to link-local or cloud metadata; a name only the
 * proxy can resolve (common behind corporate proxies) is left to it, having passed the start-up name check.
 */
export async function assertProxiedTarget(hostname: string, resolve: Resolver = dnsLookup as Resolver): Promise<void> {
  if (allowLinkLocal) return;
  const bare = hostname.replace(/^\[|\]$/g, '');
  const nameReason = forbiddenHost(canonicalHost(bare));
  if (nameReason) throw new EgressRefusedError(`${bare} is ${nameReason}; Bastion does not connect there unless ${ALLOW_LINK_LOCAL_SETTING}=true.`);
  if (isIP(bare)) return;
  const addresses = await new Promise<LookupAddress[]>((done) => resolve(bare, { all: true }, (error, found) => done(error ? [] : found)));
  const bad = addresses.find((entry) => forbiddenAddress(entry.address));
  if (bad) throw new EgressRefusedError(`${bare} resolves to ${bad.address}, ${forbiddenAddress(bad.address)}; Bastion does not connect there unless ${ALLOW_LINK_LOCAL_SETTING}=true.`);
}
