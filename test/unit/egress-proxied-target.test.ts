// Through an HTTP proxy the proxy resolves the target, so Bastion checks the target's name itself before asking the
// proxy to connect: a name leading to link-local or metadata addresses is refused; one only the proxy can resolve
// is left to it. The resolver is a table here: nothing is looked up and nothing is connected to.
import type { LookupAddress } from 'node:dns';
import { afterEach, describe, expect, it } from 'vitest';
import { assertProxiedTarget, configureEgress, EgressRefusedError } from '../../src/core/egress.js';

type Resolver = NonNullable<Parameters<typeof assertProxiedTarget>[1]>;

/** A resolver answering from a table, recording what it was asked. */
function table(answers: Record<string, string[]>) {
  const asked: { name: string; all: unknown }[] = [];
  const resolve = ((name: string, options: { all?: boolean }, callback: (error: Error | null, found: LookupAddress[]) => void) => {
    asked.push({ name, all: options.all });
    const found = answers[name];
    if (!found) callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' }), []);
    else callback(null, found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  }) as unknown as Resolver;
  return { resolve, asked };
}

afterEach(() => configureEgress({ allowLinkLocal: false }));

describe('a target reached through an HTTP proxy', () => {
  it('is refused when its name resolves here to the metadata address, naming the name, the address and the switch', async () => {
    const { resolve, asked } = table({ 'tracker.example.com': ['10.0.0.5', '169.254.169.254'] });
    const refusal = assertProxiedTarget('tracker.example.com', resolve);
    await expect(refusal).rejects.toThrow(EgressRefusedError);
    await expect(refusal).rejects.toThrow(
      'tracker.example.com resolves to 169.254.169.254, the cloud metadata address; Bastion does not connect there unless BASTION_ALLOW_LINK_LOCAL=true.',
    );
    expect(asked).toEqual([{ name: 'tracker.example.com', all: true }]);
  });

  it('is refused by name alone for a metadata host name or a link-local literal, brackets removed, without a lookup', async () => {
    const { resolve, asked } = table({});
    await expect(assertProxiedTarget('metadata.google.internal', resolve)).rejects.toThrow(
      'metadata.google.internal is a cloud metadata host name; Bastion does not connect there unless BASTION_ALLOW_LINK_LOCAL=true.',
    );
    await expect(assertProxiedTarget('[fe80::1]', resolve)).rejects.toThrow(/^fe80::1 is a link-local address; Bastion does not connect there unless/);
    expect(asked).toEqual([]);
  });

  it('passes an allowed address literal without a lookup', async () => {
    const { resolve, asked } = table({});
    await expect(assertProxiedTarget('10.0.0.5', resolve)).resolves.toBeUndefined();
    await expect(assertProxiedTarget('[2001:db8::1]', resolve)).resolves.toBeUndefined();
    expect(asked).toEqual([]);
  });

  it('passes a name that resolves here only to allowed addresses', async () => {
    const { resolve, asked } = table({ 'tracker.example.com': ['10.0.0.5', '2001:db8::5'] });
    await expect(assertProxiedTarget('tracker.example.com', resolve)).resolves.toBeUndefined();
    expect(asked).toEqual([{ name: 'tracker.example.com', all: true }]);
  });

  it('leaves a name only the proxy can resolve to the proxy', async () => {
    const { resolve, asked } = table({});
    await expect(assertProxiedTarget('intranet.corp', resolve)).resolves.toBeUndefined();
    expect(asked).toEqual([{ name: 'intranet.corp', all: true }]);
  });

  it('checks nothing when BASTION_ALLOW_LINK_LOCAL=true', async () => {
    configureEgress({ allowLinkLocal: true });
    const { resolve, asked } = table({ 'tracker.example.com': ['169.254.169.254'] });
    await expect(assertProxiedTarget('metadata.google.internal', resolve)).resolves.toBeUndefined();
    await expect(assertProxiedTarget('tracker.example.com', resolve)).resolves.toBeUndefined();
    expect(asked).toEqual([]);
  });
});
