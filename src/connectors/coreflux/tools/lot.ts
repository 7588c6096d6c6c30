// LoT entities on the broker (models, actions, routes, rules) through the command channel, running actions,
// diagnostics, action discovery, and any other command verb.
import { z } from 'zod';
import { InputError, UpstreamError } from '../../../core/errors.js';
import { refusal } from '../channel.js';
import { head } from '../../../core/untrusted.js';
import { checkLot } from '../lot-check.js';
import { acts, changes, corefluxTool, entityNameSchema, readOnly, type CorefluxContext } from './shared.js';

type Kind = 'model' | 'action' | 'route' | 'rule';
const KINDS: Kind[] = ['model', 'action', 'route', 'rule'];
const capital = (kind: Kind) => kind[0]!.toUpperCase() + kind.slice(1);

const answerOutput = z.object({
  success: z.boolean(),
  message: z.string(),
  request_id: z.string().optional().describe('the -requestId sent; absent when the broker predates it'),
  entity: z.string().optional(),
  data: z.unknown().optional(),
  plain_text: z.boolean().optional(),
});

function answerOf(answer: Awaited<ReturnType<CorefluxContext['client']['channel']['run']>>): z.input<typeof answerOutput> {
  return {
    success: answer.success,
    message: answer.message,
    request_id: answer.requestId,
    entity: answer.entityName ? `${answer.entityType ?? 'entity'} ${answer.entityName}` : undefined,
    data: answer.data ?? undefined,
    plain_text: answer.plainText,
  };
}

const renderAnswer = (out: z.output<typeof answerOutput>) => `${out.success ? 'OK' : 'Failed'}: ${out.message}${out.entity ? ` (${out.entity})` : ''}${out.data !== undefined ? `\n${JSON.stringify(out.data)}` : ''}`;

/**
 * Coreflux reserves rule priorities 0-99 for its own rules, and its built-in rules (the ones -restoreRules brings
 * back) cannot be removed (Coreflux's broker command reference). Both are refused here, before anything is sent.
 */
export const BUILT_IN_RULES = ['AllowPublishTopic', 'AllowSubscribeTopic', 'AllowConnect'];

function checkRulePriority(definition: string, field: string): void {
  for (const match of definition.matchAll(/\bDEFINE\s+RULE\s+([A-Za-z_][A-Za-z0-9_]*)\s+WITH\s+PRIORITY\s+(\d+)/gi)) {
    const priority = Number(match[2]);
    if (priority < 100) {
      throw new InputError(`${field}: the rule ${match[1]} has PRIORITY ${priority}, but Coreflux reserves priorities 0-99 for its own rules. Give it a priority of 100 or more (e.g. WITH PRIORITY ${100 + priority}).`);
    }
  }
}

function checkRuleRemovable(name: string, field: string): void {
  const builtIn = BUILT_IN_RULES.find((rule) => rule.toLowerCase() === name.toLowerCase());
  if (builtIn) {
    throw new InputError(`${field}: ${builtIn} is one of Coreflux's built-in rules (${BUILT_IN_RULES.join(', ')}), which cannot be removed. To change what it allows, add a rule of your own with a priority of 100 or more.`);
  }
}

/** The name a definition declares (`DEFINE <KIND> <Name>`), checked against the tool's kind. */
function declaredName(definition: string, kind: Kind): string {
  const match = /^\s*DEFINE\s+([A-Z]+)\s+([A-Za-z_][A-Za-z0-9_]*)/i.exec(definition);
  if (!match) throw new InputError(`definition: it must start with "DEFINE ${kind.toUpperCase()} <Name>".`);
  if (match[1]!.toLowerCase() !== kind) throw new InputError(`definition: this tool adds a ${kind}, but the definition declares a ${match[1]!.toLowerCase()} (use coreflux_add_${match[1]!.toLowerCase()}).`);
  return match[2]!;
}

function addTool(kind: Kind) {
  return corefluxTool({
    name: `coreflux_add_${kind}`,
    title: `Add a Coreflux ${kind}`,
    description:
      `Add or replace a LoT ${kind} on the Coreflux broker; its topics must be within MQTT_TOPICS${kind === 'route' ? ' and the hosts it connects to in COREFLUX_ROUTE_HOSTS' : ''}.`,
    inputSchema: z.object({ definition: z.string().min(10).max(50_000).describe(`LoT source: DEFINE ${kind.toUpperCase()} <Name> ...`) }),
    outputSchema: answerOutput,
    annotations: changes,
    handler: async (input, ctx) => {
      const name = declaredName(input.definition, kind);
      checkLot(input.definition, ctx.client, `The ${kind} ${name}`);
      if (kind === 'rule') checkRulePriority(input.definition, 'definition');
      return answerOf(await ctx.client.channel.runChecked(`add${capital(kind)}`, input.definition.trim(), ctx.signal));
    },
    render: renderAnswer,
  });
}

function removeTool(kind: Kind) {
  return corefluxTool({
    name: `coreflux_remove_${kind}`,
    title: `Remove a Coreflux ${kind}`,
    description: `Remove a LoT ${kind} from the Coreflux broker by name.`,
    inputSchema: z.object({ name: entityNameSchema }),
    outputSchema: answerOutput,
    annotations: changes,
    handler: async (input, ctx) => {
      if (kind === 'rule') checkRuleRemovable(input.name, 'name');
      return answerOf(await ctx.client.channel.runChecked(`remove${capital(kind)}`, input.name, ctx.signal));
    },
    render: renderAnswer,
  });
}

export const runAction = corefluxTool({
  name: 'coreflux_run_action',
  title: 'Run a Coreflux action',
  description:
    'Run a LoT action now, with an optional JSON input. It may drive real devices: run one only when asked to.',
  inputSchema: z.object({
    name: entityNameSchema,
    input: z.record(z.string().max(100), z.unknown()).optional(),
  }),
  outputSchema: answerOutput,
  annotations: acts,
  handler: async (input, ctx) => {
    const json = input.input ? ` ${JSON.stringify(input.input)}` : '';
    if (json.length > 10_000) throw new InputError('input: at most 10000 characters of JSON.');
    return answerOf(await ctx.client.channel.runChecked('runAction', `${input.name}${json}`, ctx.signal));
  },
  render: renderAnswer,
});

export const lotDiagnostic = corefluxTool({
  name: 'coreflux_lot_diagnostic',
  title: 'Diagnose a Coreflux LoT entity',
  description: 'The definition and any errors of one LoT entity, as the broker reports them.',
  inputSchema: z.object({ kind: z.enum(KINDS as [Kind, ...Kind[]]), name: entityNameSchema }),
  outputSchema: answerOutput,
  annotations: readOnly,
  handler: async (input, ctx) => {
    // Two forms across broker generations: current brokers take `-lotDiagnostic <kind> <name>` and answer about that
    // entity; older ones (the form Coreflux's first MCP server sends) take one value that sets the broker's LoT
    // diagnostics and diagnose no entity. An answer that is not about the entity asked for is not passed off as one.
    const answer = await ctx.client.channel.run('lotDiagnostic', `${input.kind} ${input.name}`, ctx.signal);
    const data = answer.data && typeof answer.data === 'object' ? (answer.data as { name?: unknown }) : {};
    const aboutEntity = answer.plainText || answer.entityName === input.name || data.name === input.name;
    if (answer.success && aboutEntity) return answerOf(answer);
    const olderForm = answer.success || /^usage:\s*-?lotDiagnostic\s+<value>/i.test(answer.message.trim());
    if (!olderForm) throw refusal('lotDiagnostic', answer);
    const base = ctx.client.channel.commandTopic.replace(/\/Command$/, '');
    throw new UpstreamError(
      `This broker has the older -lotDiagnostic, which takes one value (a setting of its LoT diagnostics) and cannot diagnose the ${input.kind} ${input.name}; it answered: "${head(answer.message, 300)}". ` +
        `Read the ${input.kind}'s LoT source on ${base}/${capital(input.kind)}s/${input.name} instead (mqtt_read_retained, with that topic in MQTT_TOPICS), or check it with coreflux_verify_lot.`,
      'http',
    );
  },
  render: renderAnswer,
});

export const listActions = corefluxTool({
  name: 'coreflux_list_actions',
  title: 'List Coreflux actions',
  description:
    'List the LoT actions on the broker with their descriptions; run one with coreflux_run_action.',
  inputSchema: z.object({ wait_ms: z.number().int().min(100).max(5_000).default(700) }),
  outputSchema: z.object({ actions: z.array(z.object({ name: z.string(), description: z.string().optional() })) }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const base = ctx.client.channel.commandTopic.replace(/\/Command$/, '');
    // Current brokers publish each action's LoT source on Actions/<name> (without the retain flag: any message
    // there is the current state) and no Description topic; older ones also publish Actions/<name>/Description,
    // which wins when present. An empty source means the action was removed.
    const sources = new Map<string, string>();
    const described = new Map<string, string>();
    const collect = (suffix: string, handle: (name: string, payload: string) => void) =>
      ctx.client.mqtt.listen(`${base}/Actions/+${suffix}`, 0, ({ topic, payload }) => {
        const levels = topic.split('/');
        handle(levels[suffix ? levels.length - 2 : levels.length - 1]!, payload.toString('utf8'));
      });
    const stops = await Promise.all([
      collect('', (name, payload) => {
        if (payload.trim() === '') sources.delete(name);
        else sources.set(name, payload);
      }),
      collect('/Description', (name, payload) => {
        let description = payload;
        try {
          const parsed = JSON.parse(payload) as { description?: unknown };
          if (parsed && typeof parsed.description === 'string') description = parsed.description;
        } catch {
          // Plain-text descriptions are used as they are.
        }
        if (description.trim() === '') described.delete(name);
        else described.set(name, head(description, 500));
      }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, input.wait_ms));
    await Promise.all(stops.map((stop) => stop()));
    const names = [...new Set([...sources.keys(), ...described.keys()])].sort((a, b) => a.localeCompare(b));
    return { actions: names.map((name) => ({ name, description: described.get(name) ?? descriptionInSource(sources.get(name)) })) };
  },
  render: (out) => (out.actions.length ? out.actions.map((a) => `${a.name}${a.description ? `: ${a.description}` : ''}`).join('\n') : 'No actions found on the broker.'),
});

/** The text of an action's `DESCRIPTION "..."` line (Coreflux's LoT action syntax), if its source has one. */
function descriptionInSource(source: string | undefined): string | undefined {
  const match = source === undefined ? null : /^[ \t]*DESCRIPTION[ \t]+"((?:[^"\\\r\n]|\\.)*)"/im.exec(source);
  return match ? head(match[1]!.replace(/\\(.)/g, '$1'), 500) : undefined;
}

export const brokerCommand = corefluxTool({
  name: 'coreflux_broker_command',
  title: 'Send any Coreflux command',
  description:
    'Send any command verb (e.g. "listProjects") to the broker. Some delete many entities at once: only when explicitly asked.',
  inputSchema: z.object({
    verb: z.string().regex(/^-{0,2}[A-Za-z][A-Za-z0-9-]{0,59}$/, 'must be a command verb like "listProjects" (with or without the leading dash)'),
    args: z.string().max(50_000).default(''),
  }),
  outputSchema: answerOutput,
  annotations: acts,
  handler: async (input, ctx) => {
    if (/-requestId\b/i.test(input.args)) throw new InputError('args: -requestId is added by Bastion to match the answer; leave it out.');
    // Definitions sent through any verb obey MQTT_TOPICS and COREFLUX_ROUTE_HOSTS like those sent through the
    // coreflux_add_* tools; the broker also reads arguments that are one quoted string without their quotes.
    checkLot(input.args, ctx.client, 'The definition');
    const whole = /^\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)')\s*$/s.exec(input.args);
    const unquoted = whole ? (whole[1] !== undefined ? whole[1].replace(/\\(["\\])/g, '$1') : whole[2]!) : undefined;
    if (unquoted !== undefined) checkLot(unquoted, ctx.client, 'The definition');
    const verb = input.verb.replace(/^-+/, '').replace(/-([a-zA-Z])/g, (_, c: string) => c.toUpperCase()).toLowerCase();
    if (verb === 'addrule') for (const text of [input.args, unquoted ?? '']) checkRulePriority(text, 'args');
    if (verb === 'removerule') checkRuleRemovable((unquoted ?? input.args).trim().split(/\s+/)[0]!.replace(/^["']|["']$/g, ''), 'args');
    return answerOf(await ctx.client.channel.runChecked(input.verb.replace(/^-+/, ''), input.args.trim(), ctx.signal));
  },
  render: renderAnswer,
});

export const lotTools = [
  ...KINDS.flatMap((kind) => [addTool(kind), removeTool(kind)]),
  runAction,
  lotDiagnostic,
  listActions,
  brokerCommand,
];
