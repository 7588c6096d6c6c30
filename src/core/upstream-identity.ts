import type { Secret } from './secrets.js';
/** A personal credential a person linked for one connector (stored encrypted by the vault). */
export interface LinkedCredential { secret: Secret; /** upstream login it belongs to, checked when linked */ login: string; linkedAt: string }
export interface LinkedCredentialStore {
  get(connector: string, caller: string): Promise<LinkedCredential | undefined>;
  link(connector: string, caller: string, credential: LinkedCredential): Promise<void>;
  unlink(connector: string, caller: string): Promise<boolean>;
  list(): Promise<Array<{ connector: string; caller: string; login: string; linkedAt: string }>>;
}
/** How one tool call reaches upstream. */
export type UpstreamIdentity =
  | { kind: 'shared' }
  | { kind: 'impersonated'; login: string }
  | { kind: 'linked'; login: string; secret: Secret };
/** Thrown when per-user mode has no identity for this caller on this connector: never fall back to the shared credential. */
export class IdentityRequiredError extends Error {
  constructor(readonly connector: string, readonly caller: string, message: string) { super(message); this.name = 'IdentityRequiredError'; }
}
