// `bastion secret set|delete|list`: credentials in the OS keyring. Values come from a hidden prompt or
// from stdin, never from the command line (where they would end up in shell history and process lists).
import { ConfigError } from '../core/errors.js';
import { keyringAccount, KEYRING_SERVICE, osKeyring, type KeyringStore } from '../core/keyring.js';
import { mask } from '../core/secrets.js';
import { CONNECTORS, findConnector } from '../connectors/index.js';

async function readHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.resume();
  input.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: Error): void => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string): void => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new ConfigError('Cancelled.'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    input.on('data', onData);
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function connectorCredential(name: string) {
  const entry = findConnector(name);
  if (!entry) throw new ConfigError(`Unknown connector "${name}". Known: ${CONNECTORS.map((c) => c.name).join(', ')}.`);
  return (await entry.load()).credential;
}

export async function setSecret(connector: string, username: string | undefined, keyring: KeyringStore = osKeyring): Promise<string> {
  const spec = await connectorCredential(connector);
  const value = (
    process.stdin.isTTY ? await readHidden(`${spec.variable} for ${connector} (input hidden): `) : await readStdin()
  ).trim();
  if (!value) throw new ConfigError(`No value given for ${spec.variable}: type it at the prompt or pipe it on stdin.`);
  const problem = spec.validate?.(value);
  if (problem) throw new ConfigError(`Not stored: the value (${mask(value)}) is invalid: ${problem}`);
  const account = keyringAccount(connector, username);
  await keyring.set(account, value);
  return `Stored ${spec.variable} (${mask(value)}) in the OS keyring as ${KEYRING_SERVICE}/${account}. Bastion looks there first.`;
}

export async function deleteSecret(connector: string, username: string | undefined, keyring: KeyringStore = osKeyring): Promise<string> {
  await connectorCredential(connector);
  const account = keyringAccount(connector, username);
  const deleted = await keyring.delete(account);
  return deleted ? `Deleted ${KEYRING_SERVICE}/${account} from the OS keyring.` : `Nothing stored as ${KEYRING_SERVICE}/${account}.`;
}

export async function listSecrets(keyring: KeyringStore = osKeyring): Promise<string> {
  const accounts = await keyring.list();
  if (!accounts.length) return 'No Bastion credentials in the OS keyring.';
  return ['Credentials in the OS keyring (service bastion):', ...accounts.map((account) => `  ${account}`)].join('\n');
}
