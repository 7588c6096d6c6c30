// An outbound HTTP proxy for the upstream HTTP clients (Redmine, YouTrack, ETIM, the Coreflux Copilot), taken from
// the usual variables: https_proxy / HTTPS_PROXY for https:// upstreams, http_proxy / HTTP_PROXY for http://
// ones (and for https:// when no https proxy is set), no_proxy / NO_PROXY for the hosts that go direct. Lower case
// wins, as in curl and undici. Every request goes through the proxy as a CONNECT tunnel, so TLS stays end to end.
//
// The egress rule still holds for both ends: the proxy's own address is checked like any upstream's (link-local and
// cloud metadata refused, at start and after each DNS lookup), and the target's name, which the proxy resolves, is
// checked here too where this machine can resolve it (see assertProxiedTarget in egress.ts).
import { ConfigError } from './errors.js';
import { assertEgressUrl } from './egress.js';
import { registerSecret } from './redact.js';

export interface ProxyChoice {
  url: URL;
  /** The variable it came from, for messages. */
  variable: string;
}

interface ProxySettings {
  https?: ProxyChoice;
  http?: ProxyChoice;
  noProxy: string[];
}

let configured: ProxySettings = { noProxy: [] };

function pick(values: Readonly<Record<string, string | undefined>>, name: string): [string, string] | undefined {
  for (const variable of [name.toLowerCase(), name]) {
    const value = values[variable]?.trim();
    if (value) return [variable, value];
  }
  return undefined;
}

function parseProxy(variable: string, raw: string): ProxyChoice {
  let url: URL;
  try {
    // "proxy.corp:3128" without a scheme is common in these variables: it means http.
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new ConfigError(`${variable} is not a valid proxy URL (expected e.g. http://proxy.example.com:3128).`, `set ${variable} to the proxy's http:// or https:// URL, or unset it`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${variable} uses ${url.protocol.replace(/:$/, '')}://; Bastion speaks to HTTP proxies only (http:// or https://).`, `set ${variable} to the proxy's http:// or https:// URL, or unset it`);
  }
  // A proxy password is a credential like any other: never in a message or a log line.
  if (url.password) {
    registerSecret(url.password);
    registerSecret(decodeURIComponent(url.password));
  }
  assertEgressUrl(variable, url);
  return { url, variable };
}

/**
 * Reads the proxy variables (from the merged settings, so a client's `env`, a .env or the config file may set them).
 * Process-wide, like the egress rule: every HTTP upstream follows it.
 */
export function configureProxy(values: Readonly<Record<string, string | undefined>>): void {
  const http = pick(values, 'HTTP_PROXY');
  const https = pick(values, 'HTTPS_PROXY');
  const noProxy = pick(values, 'NO_PROXY');
  const httpChoice = http ? parseProxy(...http) : undefined;
  configured = {
    http: httpChoice,
    https: https ? parseProxy(...https) : httpChoice,
    noProxy: (noProxy?.[1] ?? '').split(/[\s,]+/).map((entry) => entry.trim().toLowerCase()).filter(Boolean),
  };
}

/** For tests: no proxy. */
export function clearProxy(): void {
  configured = { noProxy: [] };
}

/** Whether NO_PROXY sends this target direct: `*`, a host name and its subdomains (`example.com`, `.example.com`), host:port, an IP. */
function bypassed(target: URL): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  return configured.noProxy.some((entry) => {
    if (entry === '*') return true;
    let name = entry;
    let entryPort: string | undefined;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    if (bracketed) [, name = '', entryPort] = bracketed;
    // One colon is host:port; more are an IPv6 address without a port.
    else if (entry.split(':').length === 2) [name = '', entryPort] = entry.split(':');
    name = name.replace(/^\*?\./, '').replace(/\.$/, '');
    if (entryPort && entryPort !== port) return false;
    return host === name || host.endsWith(`.${name}`);
  });
}

/** The proxy a request to this upstream goes through, or undefined when it goes direct. */
export function proxyFor(target: URL): ProxyChoice | undefined {
  const proxy = target.protocol === 'https:' ? configured.https : configured.http;
  if (!proxy || bypassed(target)) return undefined;
  return proxy;
}
