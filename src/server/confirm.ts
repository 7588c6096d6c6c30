// Destructive tools ask the person at the client before they run, where the client can ask (MCP form
// elicitation). The SDK carries the question either way: on 2026-07-28 connections as an input_required result
// the client answers and retries, on 2025 connections as an elicitation request it sends for us. The answer comes
// from the client, never from the model: a model only writes tool arguments.
import { acceptedContent, CLIENT_CAPABILITIES_META_KEY, inputRequired } from '@modelcontextprotocol/server';
import type { ClientCapabilities, InputRequiredResult, McpServer, ServerContext } from '@modelcontextprotocol/server';
import type { ConfirmMode } from '../core/config.js';
import { redactDeep } from '../core/redact.js';
import { cleanText, safeSlice } from '../core/untrusted.js';
import type { AnyTool } from '../core/tool.js';

const ANSWER_KEY = 'confirm';
const ANSWER_SCHEMA = {
  type: 'object' as const,
  properties: { confirm: { type: 'boolean' as const, title: 'Run it', description: 'Yes to run this change now' } },
  required: ['confirm'],
};

/**
 * `run`: go ahead (confirmed, or the client cannot ask and the mode allows that); `declined`: the person said no;
 * `cannot-ask`: confirmation is required and this client cannot ask; otherwise: ask first.
 */
export type Confirmation = 'run' | 'declined' | 'cannot-ask' | InputRequiredResult;

/** Whether this connection's client can show a form: a bare `elicitation: {}` means form mode. */
function canAsk(server: McpServer, ctx: ServerContext): boolean {
  // 2026-07-28 requests carry the client's capabilities in their envelope; 2025 connections declared them once.
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const declared = (envelope?.[CLIENT_CAPABILITIES_META_KEY] ?? server.server.getClientCapabilities()) as ClientCapabilities | undefined;
  const elicitation = declared?.elicitation as { form?: object; url?: object } | undefined;
  return elicitation !== undefined && (elicitation.form !== undefined || elicitation.url === undefined);
}

export function confirmDestructive(
  tool: AnyTool,
  input: Record<string, unknown>,
  mode: Exclude<ConfirmMode, 'off'>,
  server: McpServer,
  ctx: ServerContext,
): Confirmation {
  const askable = canAsk(server, ctx);
  // Checked before any answer: in `require` mode only a client that can show the question may carry an answer.
  if (!askable && mode === 'require') return 'cannot-ask';
  const responses = ctx.mcpReq.inputResponses;
  if (responses && ANSWER_KEY in responses) {
    return acceptedContent<{ confirm?: unknown }>(responses, ANSWER_KEY)?.confirm === true ? 'run' : 'declined';
  }
  if (!askable) return 'run';
  return inputRequired({
    inputRequests: { [ANSWER_KEY]: inputRequired.elicit({ message: confirmationQuestion(tool, input), requestedSchema: ANSWER_SCHEMA }) },
  });
}

// ---------------------------------------------------------------- the question

/** Words in an argument's name that mark it as picking the target or changing where it lives, who sees it, its state or owner. */
const CONSEQUENTIAL_WORDS = new Set([
  'id', 'ids', 'key', 'name', 'title', 'tag', 'topic', 'verb', 'command',
  'project', 'parent', 'tracker', 'version', 'status', 'state', 'custom',
  'private', 'visibility', 'visible', 'public', 'sharing', 'silent', 'retain', 'qos',
  'assigned', 'assignee', 'unassign', 'close', 'delete', 'remove', 'move',
]);
/** Text up to this long on one line counts as a short value, shown before long text. */
const SHORT_TEXT = 80;
/** Most characters of one value shown, and fewest (when many long values share the budget). */
const MAX_VALUE_SHOWN = 160;
const MIN_VALUE_SHOWN = 24;
/** Characters of all values together: the question stays readable and bounded whatever the arguments. */
const VALUES_BUDGET = 1600;
/** Argument names are schema keys; this only bounds what an odd client could send. */
const MAX_NAME_SHOWN = 64;
const REDACTED = '[REDACTED]';

function rank(name: string, value: unknown): number {
  // Stryker disable next-line Regex: equivalent; splitting at each separator instead of each run only adds empty words, which are never consequential.
  if (name.toLowerCase().split(/[_\W]+/).some((word) => CONSEQUENTIAL_WORDS.has(word))) return 0;
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return 1;
  if (typeof value === 'string' && value.length <= SHORT_TEXT && !/[\r\n]/.test(value)) return 1;
  return 2;
}

// Stryker disable next-line ArithmeticOperator: equivalent; only the difference of two counts is used, so an offset cancels out.
const occurrences = (text: string, needle: string): number => text.split(needle).length - 1;

/** Characters the scrubber may hide (invisible, BiDi, controls) shown as escapes, so the question reads as sent. */
function escapeHidden(text: string): string {
  let out = '';
  for (const char of text) out += cleanText(char) === char ? char : `\\u{${char.codePointAt(0)!.toString(16)}}`;
  return out;
}

function shortenTo(text: string, max: number): { shown: string; cut: boolean } {
  if (text.length <= max) {
    const escaped = escapeHidden(text);
    return escaped.length <= max ? { shown: escaped, cut: false } : { shown: safeSlice(escaped, max), cut: true };
  }
  return { shown: safeSlice(escapeHidden(safeSlice(text, max)), max), cut: true };
}

interface ShownArgument {
  line: string;
  /** Characters of the value shown. */
  spent: number;
  /** Characters hidden because they look like a credential. */
  hidden: number;
}

function showArgument(name: string, value: unknown, max: number): ShownArgument {
  const isText = typeof value === 'string';
  const full = isText ? value : JSON.stringify(value);
  // The one scrubber, with the argument's name, so that credential-named fields are hidden whole as elsewhere.
  const scrubbed: unknown = redactDeep({ [name]: value })[name];
  const visible = isText && typeof scrubbed === 'string' ? scrubbed : JSON.stringify(scrubbed);
  // Characters taken out: what is missing once each marker is counted back (a value hidden whole: all of it).
  const hidden =
    scrubbed === REDACTED ? full.length : full.length - visible.length + REDACTED.length * (occurrences(visible, REDACTED) - occurrences(full, REDACTED));
  // Text is shown JSON-quoted: quotes and line breaks in it cannot pose as the question's own layout.
  const body = isText ? JSON.stringify(visible).slice(1, -1) : visible;
  const { shown, cut } = shortenTo(body, max);
  const notes = [
    ...(cut ? [`shortened, ${full.length.toLocaleString('en-US')} characters`] : []),
    ...(visible !== full ? [`${Math.max(hidden, 1).toLocaleString('en-US')} characters hidden`] : []),
  ];
  const quoted = isText ? `"${shown}${cut ? '…' : ''}"` : `${shown}${cut ? '…' : ''}`;
  return {
    line: `- ${shortenTo(name, MAX_NAME_SHOWN).shown}: ${quoted}${notes.length ? ` (${notes.join('; ')})` : ''}`,
    spent: shown.length,
    hidden: visible !== full ? Math.max(hidden, 1) : 0,
  };
}

/**
 * The question put to the person: every argument by name, the ones that pick the target or move, close, delete or
 * change status, privacy or owner first, then short values, then long text; shortened values say how long they
 * are, and values partly hidden as credentials say so and how much.
 */
export function confirmationQuestion(tool: Pick<AnyTool, 'name' | 'title'>, input: Record<string, unknown>): string {
  const entries = Object.entries(input)
    .filter(([, value]) => value !== undefined)
    .map(([name, value], index) => ({ name, value, index, rank: rank(name, value) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index);
  let budget = VALUES_BUDGET;
  const shown = entries.map(({ name, value, rank: order }, position) => {
    // What matters most takes what it needs first, leaving the rest at least MIN_VALUE_SHOWN each; long text shares.
    const left = entries.length - position;
    const share = order < 2 ? budget - MIN_VALUE_SHOWN * (left - 1) : Math.floor(budget / left);
    const max = Math.max(MIN_VALUE_SHOWN, Math.min(MAX_VALUE_SHOWN, share));
    const argument = showArgument(name, value, max);
    budget -= argument.spent;
    return { name, ...argument };
  });
  const hiddenIn = shown.filter((argument) => argument.hidden > 0);
  const hiddenTotal = hiddenIn.reduce((sum, argument) => sum + argument.hidden, 0);
  const lines = [
    `${tool.title} (${tool.name}) changes data in a way that cannot simply be undone.`,
    shown.length ? 'It runs with these arguments (what it changes first):' : 'It runs without arguments.',
    ...shown.map((argument) => argument.line),
    ...(hiddenIn.length
      ? [
          `${hiddenIn.length} value${hiddenIn.length === 1 ? '' : 's'} (${hiddenIn.map((argument) => shortenTo(argument.name, MAX_NAME_SHOWN).shown).join(', ')}) ` +
            `partly or wholly hidden because ${hiddenIn.length === 1 ? 'it looks' : 'they look'} like a credential (${hiddenTotal.toLocaleString('en-US')} characters).`,
        ]
      : []),
    'Run it?',
  ];
  return lines.join('\n');
}
