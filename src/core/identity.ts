// Who a connector's credential authenticates as. Some systems answer an unknown credential as their anonymous or
// guest user (Redmine does), so a wrong key would give confident, wrong answers instead of an error. The identity
// is established at start, in doctor, and again before tool calls once the last check is a minute old or the
// upstream refused the credential since.
import { ConfigError, UpstreamError } from './errors.js';

/** How long a confirmed identity is trusted before a tool call checks it again. */
export const IDENTITY_RECHECK_MS = 60_000;

/** The credential is refused, or is accepted only as nobody (anonymous, guest). Names the setting and the fix. */
export class CredentialRefusedError extends ConfigError {
  override name = 'CredentialRefusedError';
  constructor(
    /** What is wrong, without the fix (doctor shows the two apart). */
    readonly problem: string,
    fix: string,
  ) {
    super(`${problem} Fix: ${fix}.`, fix);
  }
}

export interface IdentityOptions<T> {
  /** The system as users name it ("Redmine"). */
  service: string;
  /** The setting(s) holding the credential, as the user sets them ("REDMINE_API_KEY"). */
  variable: string;
  /** What to do about a refused credential (where to get a valid one). */
  fix: string;
  /** Asks the upstream who the credential is: the identity, or undefined when it is anonymous or a guest. */
  whoami: (signal: AbortSignal) => Promise<T | undefined>;
  /** The identity in a few words for logs and messages (a login and a name, never the credential). */
  describe(identity: T): string;
  /** Statuses by which the upstream refuses the credential itself (default 401). */
  refusedStatuses?: readonly number[];
}

export class CredentialIdentity<T = unknown> {
  private confirmed?: { identity: T; at: number };
  private running?: Promise<T>;

  constructor(private readonly options: IdentityOptions<T>) {}

  get variable(): string {
    return this.options.variable;
  }

  /** Forget the confirmed identity (the upstream just refused the credential): the next call checks again. */
  invalidate(): void {
    this.confirmed = undefined;
  }

  /** The identity, checked now; a CredentialRefusedError when the credential is refused or authenticates as nobody. */
  verify(signal: AbortSignal): Promise<T> {
    // Concurrent calls share one check.
    this.running ??= this.check(signal).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** The identity, checked only when the last confirmation is older than IDENTITY_RECHECK_MS or was invalidated. */
  async current(signal: AbortSignal): Promise<T> {
    if (this.confirmed && Date.now() - this.confirmed.at < IDENTITY_RECHECK_MS) return this.confirmed.identity;
    return this.verify(signal);
  }

  describe(identity: T): string {
    return this.options.describe(identity);
  }

  private async check(signal: AbortSignal): Promise<T> {
    const { service, variable, fix } = this.options;
    let identity: T | undefined;
    try {
      identity = await this.options.whoami(signal);
    } catch (error) {
      this.confirmed = undefined;
      if (error instanceof UpstreamError && error.status !== undefined && (this.options.refusedStatuses ?? [401]).includes(error.status)) {
        throw new CredentialRefusedError(
          `${service} does not accept the credential in ${variable}: it is wrong, expired or revoked (${error.message.replace(/\.$/, '')}).`,
          `${fix}, then restart Bastion`,
        );
      }
      throw error;
    }
    if (identity === undefined) {
      this.confirmed = undefined;
      throw new CredentialRefusedError(
        `${service} accepts the credential in ${variable} only as its anonymous or guest user, so answers would show only public data.`,
        `${fix}, then restart Bastion`,
      );
    }
    this.confirmed = { identity, at: Date.now() };
    return identity;
  }
}
