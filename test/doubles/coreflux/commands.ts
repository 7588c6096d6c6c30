// The Coreflux command channel without the transport: parsing a `$SYS/Coreflux/Command` payload and running it
// against the emulator's state. Publishing the outcome, permissions and output modes live in ../coreflux.ts.
//
// Grammar: `-<verb> <args...> [-requestId <id>]`. `--kebab-case` verbs are accepted as aliases of the camelCase ones
// (`--add-action` = `-addAction`), and `--request-id` of `-requestId`. Definition verbs take the raw LoT text after
// the verb (multi-line is fine; one quoted token is unquoted); other verbs take quote-aware tokens.
import { lotPublishes, parseLotHeader, type LotKind } from './lot.js';

export const COMMAND_TOPIC = '$SYS/Coreflux/Command';
export const OUTPUT_TOPIC = '$SYS/Coreflux/Command/Output';
export const SYS_PREFIX = '$SYS/Coreflux/';
export const ACTIONS_PREFIX = '$SYS/Coreflux/Actions/';

/** The status JSON a route publishes (Coreflux's $SYS topic reference, "Route status JSON"), as a new route has it. */
function routeStatus(name: string, source: string): Record<string, unknown> {
  const type = /\bWITH\s+TYPE\s+([A-Z0-9_]+)/i.exec(source)?.[1]?.toUpperCase() ?? 'UNKNOWN';
  return { name, type, connection: 'Connecting', health: 'Yellow', errors: { total: 0, consecutive: 0, rate: 0 }, messages: { total: 0, succeeded: 0, failed: 0 } };
}

/** Entity name -> LoT source, per kind. */
export interface CorefluxState {
  models: Map<string, string>;
  actions: Map<string, string>;
  routes: Map<string, string>;
  rules: Map<string, string>;
}

export interface CommandRecord {
  /** MQTT username of the publisher; absent for anonymous clients. */
  user?: string;
  /** The payload exactly as received. */
  payload: string;
  /** Normalised verb without dashes (`addAction` for `-addAction` and `--add-action`); the first word when it has no dash. */
  verb: string;
  requestId?: string;
}

export interface ParsedCommand {
  /** The verb as written, e.g. `-addAction`. */
  rawVerb: string;
  verb: string;
  /** Everything after the verb, without the trailing request id, trimmed. */
  rest: string;
  requestId?: string;
}

export interface ErrorEntry {
  message: string;
  line?: number;
  column?: number;
  sourceLines?: string[];
  suggestions?: string[];
}

export type Envelope =
  | {
      success: true;
      command: string;
      requestId: string | null;
      message: string;
      entityType: string | null;
      entityName: string | null;
      data: Record<string, unknown>;
    }
  | { success: false; command: string; requestId: string | null; message: string; errors: ErrorEntry[] };

/** What running a command may do to the broker besides answering. */
export interface CommandEffects {
  /** Stores `payload` retained on `topic`; an empty payload clears the retained message (nothing happens when none is stored). */
  retain(topic: string, payload: string): void;
  /** Publishes `payload` on `topic`, not retained. */
  publish(topic: string, payload: string): void;
  nextTraceId(): string;
}

const REQUEST_ID = /(?:^|\s)(?:-requestId|--request-id)\s+(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s"']\S*))\s*$/;
const TOKEN = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;

/** With `requestId: false` (a broker that predates it) a trailing `-requestId x` stays part of the arguments. */
export function parseCommand(payload: string, options: { requestId?: boolean } = {}): ParsedCommand {
  let body = payload.trim();
  let requestId: string | undefined;
  const match = options.requestId === false ? null : REQUEST_ID.exec(body);
  if (match) {
    requestId = match[1] !== undefined ? unescapeQuoted(match[1]) : (match[2] ?? match[3]);
    body = body.slice(0, match.index).trimEnd();
  }
  const head = /^(\S*)([\s\S]*)$/.exec(body)!;
  const rawVerb = head[1]!;
  return { rawVerb, verb: normaliseVerb(rawVerb), rest: head[2]!.trim(), ...(requestId !== undefined ? { requestId } : {}) };
}

function normaliseVerb(raw: string): string {
  if (raw.startsWith('--')) return raw.slice(2).replace(/-([a-zA-Z0-9])/g, (_, character: string) => character.toUpperCase());
  if (raw.startsWith('-')) return raw.slice(1);
  return raw;
}

/** Quote-aware tokens: "double" (backslash escapes), 'single' or bare words. */
export function tokenize(text: string): string[] {
  return [...text.matchAll(TOKEN)].map((match) => (match[1] !== undefined ? unescapeQuoted(match[1]) : (match[2] ?? match[3]!)));
}

/** The first token and the raw text after it (unquoted when it is exactly one quoted token). */
function splitFirst(text: string): [string | undefined, string] {
  TOKEN.lastIndex = 0;
  const match = TOKEN.exec(text);
  TOKEN.lastIndex = 0;
  if (!match) return [undefined, ''];
  const first = match[1] !== undefined ? unescapeQuoted(match[1]) : (match[2] ?? match[3]!);
  return [first, unquoteWhole(text.slice(match.index + match[0].length).trim())];
}

/** A text that is exactly one quoted token loses its quotes; anything else is returned as is. */
function unquoteWhole(text: string): string {
  const double = /^"((?:[^"\\]|\\.)*)"$/.exec(text);
  if (double) return unescapeQuoted(double[1]!);
  const single = /^'([^']*)'$/.exec(text);
  return single ? single[1]! : text;
}

function unescapeQuoted(text: string): string {
  return text.replace(/\\(["\\])/g, '$1');
}

const LABEL: Record<LotKind, string> = { MODEL: 'Model', ACTION: 'Action', RULE: 'Rule', ROUTE: 'Route' };
const COLLECTION: Record<LotKind, keyof CorefluxState> = { MODEL: 'models', ACTION: 'actions', RULE: 'rules', ROUTE: 'routes' };
const ENTITY_VERBS: Record<string, { op: 'add' | 'remove'; kind: LotKind }> = {
  addModel: { op: 'add', kind: 'MODEL' },
  removeModel: { op: 'remove', kind: 'MODEL' },
  addAction: { op: 'add', kind: 'ACTION' },
  removeAction: { op: 'remove', kind: 'ACTION' },
  addRule: { op: 'add', kind: 'RULE' },
  removeRule: { op: 'remove', kind: 'RULE' },
  addRoute: { op: 'add', kind: 'ROUTE' },
  removeRoute: { op: 'remove', kind: 'ROUTE' },
};

/** The rules -restoreRules brings back (Coreflux's broker command reference); they cannot be removed. */
export const BUILT_IN_RULES = ['AllowPublishTopic', 'AllowSubscribeTopic', 'AllowConnect'];

/**
 * The two forms of -lotDiagnostic: `entity` (current brokers: `-lotDiagnostic <kind> <name>`, Coreflux's broker
 * command reference) and `value` (older brokers: `-lotDiagnostic <value>`, one value that changes the broker's LoT
 * diagnostics, as Coreflux's first MCP server sends it).
 */
export type DiagnosticForm = 'entity' | 'value';

/** Verbs the broker accepts but never answers. */
export const SILENT_VERBS = new Set(['updateData']);

/**
 * Runs one command. Returns the envelope to publish on the Output topic, or undefined when the broker stays silent
 * (`-updateData`).
 */
export function executeCommand(parsed: ParsedCommand, state: CorefluxState, effects: CommandEffects, diagnosticForm: DiagnosticForm = 'entity'): Envelope | undefined {
  const { verb, rest } = parsed;
  if (SILENT_VERBS.has(verb)) return undefined;
  const command = verb ? verb[0]!.toUpperCase() + verb.slice(1) : '';
  const requestId = parsed.requestId ?? null;
  const ok = (message: string, entityType: string | null, entityName: string | null, data: Record<string, unknown> = {}): Envelope => ({
    success: true,
    command,
    requestId,
    message,
    entityType,
    entityName,
    data,
  });
  const fail = (message: string, errors: ErrorEntry[] = [{ message }]): Envelope => ({ success: false, command, requestId, message, errors });

  const entityVerb = parsed.rawVerb.startsWith('-') ? ENTITY_VERBS[verb] : undefined;
  if (entityVerb) {
    const { op, kind } = entityVerb;
    const label = LABEL[kind];
    const store = state[COLLECTION[kind]];
    if (op === 'add') {
      const source = unquoteWhole(rest);
      const header = parseLotHeader(source, kind);
      if (!header.ok) {
        const { problem } = header;
        return fail(`Failed to add ${label.toLowerCase()}: ${problem.message}`, [
          { message: problem.message, line: problem.line, column: problem.column, sourceLines: [problem.source], suggestions: [problem.suggestion] },
        ]);
      }
      // Coreflux's broker command reference: "Priorities 0-99 are reserved" (wording of the refusal assumed).
      const priority = kind === 'RULE' ? /\bWITH\s+PRIORITY\s+(\d+)/i.exec(source) : null;
      if (priority && Number(priority[1]) < 100) {
        const message = `Failed to add rule: priority ${priority[1]} is reserved (0-99 are reserved for system rules)`;
        return fail(message, [{ message, line: header.line, sourceLines: [source.split(/\r?\n/)[header.line - 1] ?? ''], suggestions: ['Use WITH PRIORITY 100 or higher'] }]);
      }
      store.set(header.name, source);
      // Current brokers publish each entity's LoT source on Actions/<name>, Models/<name>, Routes/<name> and
      // Rules/<name>, and no Description topic (Coreflux's $SYS topic reference); an older broker's Description is
      // published by the test through publishActionDescription.
      effects.retain(`${SYS_PREFIX}${label}s/${header.name}`, source);
      // A route reports its state on Routes/<name>/status (JSON: name, type, connection, health, errors, messages);
      // the emulator connects nowhere, so its routes stay Connecting until a test publishes another status.
      if (kind === 'ROUTE') effects.retain(`${SYS_PREFIX}Routes/${header.name}/status`, JSON.stringify(routeStatus(header.name, source)));
      return ok(`${label} '${header.name}' added successfully!`, label, header.name);
    }
    const [name] = tokenize(rest);
    if (!name) return fail(`Usage: ${parsed.rawVerb} <name>`);
    // "Built-in rules cannot be removed" (Coreflux's broker command reference; -restoreRules names them).
    if (kind === 'RULE' && BUILT_IN_RULES.some((rule) => rule.toLowerCase() === name.toLowerCase())) return fail(`Rule '${name}' is a built-in rule and cannot be removed`);
    if (!store.delete(name)) return fail(`${label} '${name}' not found`);
    effects.retain(`${SYS_PREFIX}${label}s/${name}`, '');
    if (kind === 'ACTION') effects.retain(`${ACTIONS_PREFIX}${name}/Description`, '');
    if (kind === 'ROUTE') effects.retain(`${SYS_PREFIX}Routes/${name}/status`, '');
    return ok(`${label} '${name}' removed successfully!`, label, name);
  }

  if (verb === 'runAction' && parsed.rawVerb.startsWith('-')) {
    const [name, inputText] = splitFirst(rest);
    if (!name) return fail('Usage: -runAction <name> [json]');
    const source = state.actions.get(name);
    if (source === undefined) return fail(`Action '${name}' not found`);
    let input: unknown = null;
    if (inputText) {
      try {
        input = JSON.parse(inputText);
      } catch (error) {
        return fail(`Invalid JSON input for action '${name}': ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const traceId = effects.nextTraceId();
    const published = lotPublishes(source);
    for (const message of published) effects.publish(message.topic, message.payload);
    effects.publish(`${ACTIONS_PREFIX}${name}/Trace`, JSON.stringify({ traceId, action: name, status: 'completed', input, published }));
    return ok(`Action '${name}' executed successfully`, 'Action', name, { traceId, status: 'completed', published });
  }

  // `-actionTrace <name>|all|off|status|remove <name>` (Coreflux's broker command reference): arms tracing to
  // Actions/<name>/Trace for 5 minutes. The emulator publishes a trace for every run anyway; it records what is armed
  // and answers (wording assumed).
  if (verb === 'actionTrace' && parsed.rawVerb.startsWith('-')) {
    const [target, name] = tokenize(rest);
    if (!target) return fail('Usage: -actionTrace <name>|all|off|status|remove <name>');
    if (['all', 'off', 'status'].includes(target)) return ok(`Action trace ${target}`, null, null, {});
    const action = target === 'remove' ? name : target;
    if (!action || !state.actions.has(action)) return fail(`Action '${action ?? ''}' not found`);
    return ok(target === 'remove' ? `Action trace removed for '${action}'` : `Action trace enabled for '${action}' (5 minutes)`, 'Action', action, {});
  }

  if (verb === 'lotDiagnostic' && parsed.rawVerb.startsWith('-') && diagnosticForm === 'value') {
    // Assumed: the older form takes exactly one value and refuses anything else without changing the setting.
    const values = tokenize(rest);
    if (values.length !== 1) return fail('Usage: -lotDiagnostic <value>');
    return ok(`LOT diagnostic set to ${values[0]}`, null, null);
  }

  if (verb === 'lotDiagnostic' && parsed.rawVerb.startsWith('-')) {
    const [kindText, name] = tokenize(rest);
    if (!kindText || !name) return fail('Usage: -lotDiagnostic <model|action|route|rule> <name>');
    const kind = kindText.toUpperCase() as LotKind;
    if (!(kind in LABEL)) return fail(`Unknown entity kind '${kindText}'; expected model, action, route or rule`);
    const label = LABEL[kind];
    const source = state[COLLECTION[kind]].get(name);
    if (source === undefined) return fail(`${label} '${name}' not found`);
    return ok(`Diagnostic for ${label.toLowerCase()} '${name}': no problems found`, label, name, { kind: label, name, source, diagnostics: [] });
  }

  const unknown = parsed.rawVerb || parsed.rest.split(/\s/, 1)[0] || '';
  return fail(`Unknown command: ${unknown}`);
}
