// Which tools exist for this server, and which projects or topics they may touch.
import { ConfigError, PolicyError } from './errors.js';

export interface PolicySettings {
  readOnly: boolean;
  /** Allow list: tool names or globs (`*`, `?`). Empty means every tool. */
  allow: string[];
  /** Deny list: tool names or globs. Deny wins over allow. */
  deny: string[];
  /** The tool names of the --toolsets sets (resolveToolsets): allowed beside the allow list. */
  toolsets?: readonly string[];
}

/** Named sets of tools per connector: set name → the tool names or globs in it, and what it is for. */
export type ToolsetDefinitions = Readonly<Record<string, Readonly<Record<string, { description: string; tools: readonly string[] }>>>>;

/** Every set name operators may use: `<connector>:read`, `<connector>:all` and the connector's own sets. */
export function toolsetNames(definitions: ToolsetDefinitions): string[] {
  return Object.entries(definitions).flatMap(([connector, sets]) => [`${connector}:read`, `${connector}:all`, ...Object.keys(sets).map((set) => `${connector}:${set}`)]);
}

/**
 * The names a list of sets stands for, among the enabled connectors' tools. `<connector>:read` is its read-only tools,
 * `<connector>:all` every tool; a connector's resources and prompts (`extra`) come with any of its sets.
 * An unknown set, or a set of a connector that is not enabled, is a ConfigError listing what is valid.
 */
export function resolveToolsets(
  requested: readonly string[],
  definitions: ToolsetDefinitions,
  enabled: ReadonlyArray<{ name: string; tools: readonly PolicyTool[]; extra: readonly string[] }>,
): string[] {
  const names = new Set<string>();
  for (const setName of requested) {
    const [connector = '', set = ''] = setName.split(':');
    const defined = definitions[connector];
    const known = defined && (set === 'read' || set === 'all' || Object.hasOwn(defined, set));
    if (!known) {
      throw new ConfigError(`--toolsets (BASTION_TOOLSETS): "${setName}" is not a toolset. Valid toolsets: ${toolsetNames(definitions).join(', ')}.`);
    }
    const source = enabled.find((entry) => entry.name === connector);
    if (!source) {
      throw new ConfigError(
        `--toolsets (BASTION_TOOLSETS): "${setName}" is a set of the ${connector} connector, which is not enabled. ` +
          `Enabled: ${enabled.map((entry) => entry.name).join(', ') || 'none'}. Configure ${connector} or remove the set.`,
      );
    }
    const patterns = set === 'all' || set === 'read' ? [/.*/] : defined[set]!.tools.map(globToRegExp);
    for (const tool of source.tools) {
      if (set === 'read' && !tool.annotations.readOnlyHint) continue;
      if (patterns.some((regex) => regex.test(tool.name))) names.add(tool.name);
    }
    for (const name of source.extra) names.add(name);
  }
  return [...names];
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
  private readonly toolsets: ReadonlySet<string> | undefined;

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
    this.toolsets = settings.toolsets ? new Set(settings.toolsets) : undefined;
  }

  /** Why the tool is not available, or undefined when it is. */
  refusal(tool: PolicyTool): string | undefined {
    if (this.settings.readOnly && !tool.annotations.readOnlyHint) {
      return `${tool.name} changes data and Bastion runs read-only (--read-only / BASTION_READ_ONLY).`;
    }
    if (this.deny.some((regex) => regex.test(tool.name))) return `${tool.name} is excluded by --exclude-tools (BASTION_EXCLUDE_TOOLS).`;
    // --tools and --toolsets together make the allow list: a tool in either is allowed.
    const allowed = this.allow.some((regex) => regex.test(tool.name)) || this.toolsets?.has(tool.name) === true;
    if (this.toolsets && !allowed) return `${tool.name} is in neither a --toolsets set (BASTION_TOOLSETS) nor the --tools allow list (BASTION_TOOLS).`;
    if (this.allow.length && !allowed) return `${tool.name} is not in the --tools allow list (BASTION_TOOLS).`;
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
