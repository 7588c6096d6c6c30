// Which tools exist for this server, and which projects or topics they may touch.
import { ConfigError, PolicyError } from './errors.js';

export interface PolicySettings {
  readOnly: boolean;
  /** Allow list: tool names or globs (`*`, `?`). Empty means every tool. */
  allow: string[];
  /** Deny list: tool names or globs. Deny wins over allow. */
  deny: string[];
}

export interface PolicyTool {
  name: string;
  annotations: { readOnlyHint: boolean };
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export class ToolPolicy {
  private readonly allow: RegExp[];
  private readonly deny: RegExp[];

  /** Refuses to build (ConfigError) when a name or glob matches none of the known tools: a typo must not silently widen or narrow the set. */
  constructor(readonly settings: PolicySettings, knownTools: readonly string[]) {
    const check = (patterns: string[], flag: string): RegExp[] =>
      patterns.map((pattern) => {
        const regex = globToRegExp(pattern);
        if (!knownTools.some((name) => regex.test(name))) {
          throw new ConfigError(`${flag}: "${pattern}" matches no tool. Known tools: ${knownTools.join(', ')}.`);
        }
        return regex;
      });
    this.allow = check(settings.allow, '--tools (BASTION_TOOLS)');
    this.deny = check(settings.deny, '--exclude-tools (BASTION_EXCLUDE_TOOLS)');
  }

  /** Why the tool is not available, or undefined when it is. */
  refusal(tool: PolicyTool): string | undefined {
    if (this.settings.readOnly && !tool.annotations.readOnlyHint) {
      return `${tool.name} changes data and Bastion runs read-only (--read-only / BASTION_READ_ONLY).`;
    }
    if (this.deny.some((regex) => regex.test(tool.name))) return `${tool.name} is excluded by --exclude-tools (BASTION_EXCLUDE_TOOLS).`;
    if (this.allow.length && !this.allow.some((regex) => regex.test(tool.name))) return `${tool.name} is not in the --tools allow list (BASTION_TOOLS).`;
    return undefined;
  }

  isEnabled(tool: PolicyTool): boolean {
    return this.refusal(tool) === undefined;
  }

  assertEnabled(tool: PolicyTool): void {
    const reason = this.refusal(tool);
    if (reason) throw new PolicyError(reason);
  }
}

/**
 * A connector's scope: the projects (or topics) its tools may touch. Inactive when the setting is empty.
 * Objects are matched by any of their keys (e.g. a project's numeric id and its identifier).
 */
export class Scope {
  private readonly allowed: ReadonlySet<string> | undefined;

  constructor(
    /** What is scoped, for messages: "project", "topic". */
    readonly kind: string,
    /** The setting that defines it, for messages: "REDMINE_PROJECTS". */
    readonly setting: string,
    allowed: readonly string[] | undefined,
    /** Match keys regardless of case (for systems whose keys are, like YouTrack short names). */
    private readonly ignoreCase = false,
  ) {
    this.allowed = allowed && allowed.length ? new Set(allowed.map((value) => this.normalise(value))) : undefined;
    // Stryker disable next-line ArrayDeclaration: `values` reads `shown` only when `allowed` is set, so this fallback is never shown.
    this.shown = allowed ?? [];
  }

  private readonly shown: readonly string[];

  private normalise(value: string): string {
    // Stryker disable next-line MethodExpression: both sides go through the same folding, so upper or lower case gives the same equality for the ASCII keys scopes hold (project short names).
    return this.ignoreCase ? value.toUpperCase() : value;
  }

  get active(): boolean {
    return this.allowed !== undefined;
  }

  /** The allowed values as configured. */
  get values(): string[] {
    return this.allowed ? [...this.shown] : [];
  }

  allows(keys: ReadonlyArray<string | number | undefined | null>): boolean {
    if (!this.allowed) return true;
    return keys.some((key) => key !== undefined && key !== null && this.allowed!.has(this.normalise(String(key))));
  }

  /** Throws a PolicyError naming the object when none of its keys is in scope. */
  assert(keys: ReadonlyArray<string | number | undefined | null>, what: string): void {
    if (!this.allows(keys)) {
      throw new PolicyError(`${what} is outside the allowed ${this.kind}s (${this.setting}=${this.values.join(',')}).`);
    }
  }
}
