// The HTTP listener's exposure rule: only a loopback bind address may go without TLS and authentication, and a name
// that merely starts like a loopback address (127.0.0.1.nip.io resolves anywhere) is not one.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { checkExposure, exposureGaps } from '../../src/server/http.js';

const NONE = { tls: undefined, authenticator: undefined };

describe('exposure of the HTTP listener', () => {
  it.each(['127.0.0.1', '127.0.0.2', 'localhost', '::1'])('lets %s go without TLS and authentication, with a warning', (host) => {
    const warnings: string[] = [];
    expect(() => checkExposure({ host, ...NONE }, false, (message) => warnings.push(message))).not.toThrow();
    expect(warnings).toEqual(['HTTP authentication is OFF: any local process can call every enabled tool. Use this for local testing only.']);
  });

  it.each(['127.0.0.1.nip.io', '0.0.0.0', 'localhost.example.test', '10.0.0.5'])('refuses %s without TLS and authentication, naming both', (host) => {
    expect(exposureGaps({ host, ...NONE })).toEqual(['TLS (--tls-cert/--tls-key)', 'authentication (BASTION_HTTP_TOKENS_FILE or BASTION_OAUTH_ISSUER)']);
    expect(() => checkExposure({ host, ...NONE }, false, () => undefined)).toThrow(ConfigError);
  });
});
