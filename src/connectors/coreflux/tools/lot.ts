// LoT entities on the broker (models, actions, routes, rules) through the command channel, running actions,
// diagnostics, action discovery, and any other command verb.
import { z } from 'zod';
import { InputError } from '../../../core/errors.js';
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
    handler: async (input, ctx) => answerOf(await ctx.client.channel.runChecked(`remove${capital(kind)}`, input.name, ctx.signal)),
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
  handler: async (input, ctx) => answerOf(await ctx.client.channel.runChecked('lotDiagnostic', `${input.kind} ${input.name}`, ctx.signal)),
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
    const actions = new Map<string, string | undefined>();
    const collect = (suffix: string, handle: (name: string, payload: string) => void) =>
      ctx.client.mqtt.listen(`${base}/Actions/+${suffix}`, 0, ({ topic, payload }) => {
        const levels = topic.split('/');
        handle(levels[suffix ? levels.length - 2 : levels.length - 1]!, payload.toString('utf8'));
      });
    const stops = await Promise.all([
      collect('', (name) => {
        if (!actions.has(name)) actions.set(name, undefined);
      }),
      collect('/Description', (name, payload) => {
        let description = payload;
        try {
          const parsed = JSON.parse(payload) as { description?: unknown };
          if (parsed && typeof parsed.description === 'string') description = parsed.description;
        } catch {
          // Plain-text descriptions are used as they are.
        }
        actions.set(name, head(description, 500));
      }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, input.wait_ms));
    await Promise.all(stops.map((stop) => stop()));
    return { actions: [...actions].sort(([a], [b]) => a.localeCompare(b)).map(([name, description]) => ({ name, description })) };
  },
  render: (out) => (out.actions.length ? out.actions.map((a) => `${a.name}${a.description ? `: ${a.description}` : ''}`).join('\n') : 'No actions found on the broker.'),
});

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
    if (whole) checkLot(whole[1] !== undefined ? whole[1].replace(/\\(["\\])/g, '$1') : whole[2]!, ctx.client, 'The definition');
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
