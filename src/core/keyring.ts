// The OS keyring (Secret Service over D-Bus, or the kernel keyring), through @napi-rs/keyring.
// Entries live under service "bastion", account "<connector>:<username>". The native module is
// loaded only when a keyring is actually used.

export const KEYRING_SERVICE = 'bastion';
const TIMEOUT_MS = 3_000;

export class KeyringUnavailableError extends Error {
  override name = 'KeyringUnavailableError';
}

export interface KeyringStore {
  get(account: string): Promise<string | undefined>;
  set(account: string, value: string): Promise<void>;
  delete(account: string): Promise<boolean>;
  /** Accounts that hold a value (never the values). */
  list(): Promise<string[]>;
  /** Which store answers, or why none does (for doctor). */
  describe(): Promise<{ available: boolean; detail: string }>;
}

export function keyringAccount(connector: string, username: string | undefined): string {
  return `${connector}:${username || 'default'}`;
}

type KeyringModule = typeof import('@napi-rs/keyring');
let loaded: Promise<KeyringModule> | undefined;

async function load(): Promise<KeyringModule> {
  loaded ??= import('@napi-rs/keyring');
  try {
    return await loaded;
  } catch (error) {
    throw new KeyringUnavailableError(`the OS keyring module cannot be loaded (${(error as Error).message})`);
  }
}

/** Runs a keyring operation, turning the library's platform errors into one clear error type. */
async function attempt<T>(what: string, operation: (keyring: KeyringModule, signal: AbortSignal) => Promise<T>): Promise<T> {
  const keyring = await load();
  try {
    return await operation(keyring, AbortSignal.timeout(TIMEOUT_MS));
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    throw new KeyringUnavailableError(
      `the OS keyring cannot ${what} (${message}). On Linux it needs a D-Bus session with a Secret Service such as gnome-keyring, or the kernel keyring.`,
    );
  }
}

export const osKeyring: KeyringStore = {
  get: (account) =>
    attempt('be read', async (k, signal) => (await new k.AsyncEntry(KEYRING_SERVICE, account).getPassword(signal)) ?? undefined),
  set: (account, value) => attempt('store the value', (k, signal) => new k.AsyncEntry(KEYRING_SERVICE, account).setPassword(value, signal)),
  delete: (account) => attempt('delete the value', (k, signal) => new k.AsyncEntry(KEYRING_SERVICE, account).deletePassword(signal)),
  list: () => attempt('be listed', async (k, signal) => (await k.findCredentialsAsync(KEYRING_SERVICE, null, signal)).map((c) => c.account).sort()),
  describe: async () => {
    try {
      const k = await load();
      try {
        await new k.AsyncEntry(KEYRING_SERVICE, 'bastion:probe', { linux: { store: 'secret-service' } }).getPassword(AbortSignal.timeout(TIMEOUT_MS));
        return { available: true, detail: 'Secret Service (D-Bus)' };
      } catch {
        await new k.AsyncEntry(KEYRING_SERVICE, 'bastion:probe', { linux: { store: 'keyutils' } }).getPassword(AbortSignal.timeout(TIMEOUT_MS));
        return { available: true, detail: 'kernel keyring (no Secret Service on D-Bus); values do not survive a reboot' };
      }
    } catch (error) {
      return { available: false, detail: `no OS keyring available (${(error as Error).message}); credentials come from files or the environment` };
    }
  },
};
