// The broker as a whole: an overview of what it runs and how (from its $SYS/Coreflux state topics), tracing one
// run of an action, and the connection on demand (drop it and connect again with the configured settings).
import { z } from 'zod';
import { InputError, PolicyError } from '../../../core/errors.js';
import { head } from '../../../core/untrusted.js';
import { acts, corefluxTool, entityNameSchema, readOnly, showPayload, type CorefluxContext } from './shared.js';

/** `$SYS/Coreflux`, or the base of a configured MQTT_COMMAND_TOPIC. */
const baseOf = (ctx: CorefluxContext) => ctx.client.channel.commandTopic.replace(/\/Command$/, '');
const allowed = (ctx: CorefluxContext, topic: string) => (/[+#]/.test(topic) ? ctx.client.topics.allowsFilter(topic) : ctx.client.topics.allowsTopic(topic));
const text = (payload: Buffer, max: number) => showPayload(payload, max).payload;

/**
 * Coreflux's $SYS topic map: Version and License/Status (retained), each entity's LoT source on
 * Actions|Models|Routes|Rules/<name> (an empty one: removed), Routes/<name>/status (JSON: type, connection, health,
 * errors) and Actions/<name>/Error (the last runtime error). Each is read only when MQTT_TOPICS allows it.
 */
const SECTIONS = [
  { section: 'version', suffix: 'Version' },
  { section: 'license', suffix: 'License/Status' },
  { section: 'routes', suffix: 'Routes/+' },
  { section: 'route states', suffix: 'Routes/+/status' },
  { section: 'models', suffix: 'Models/+' },
  { section: 'actions', suffix: 'Actions/+' },
  { section: 'action errors', suffix: 'Actions/+/Error' },
  { section: 'rules', suffix: 'Rules/+' },
] as const;

const routeOutput = z.object({ name: z.string(), type: z.string().optional(), connection: z.string().optional(), health: z.string().optional(), consecutive_errors: z.number().optional(), last_error: z.string().optional() });

export const brokerOverview = corefluxTool({
  name: 'coreflux_broker_overview',
  title: 'Coreflux broker overview',
  description: 'Version, licence, routes with their state, models, actions with their last error, and rules; only what MQTT_TOPICS allows.',
  inputSchema: z.object({ wait_ms: z.number().int().min(100).max(5_000).default(1_000).describe('How long to collect the state topics') }),
  outputSchema: z.object({
    version: z.string().optional(),
    license: z.string().optional(),
    routes: z.array(routeOutput).optional(),
    models: z.array(z.string()).optional(),
    actions: z.array(z.object({ name: z.string(), error: z.string().optional() })).optional(),
    rules: z.array(z.string()).optional(),
    not_allowed: z.array(z.string()).describe('sections outside MQTT_TOPICS'),
    refused: z.array(z.string()).describe('sections the broker refused to this user'),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const base = baseOf(ctx);
    const readable = SECTIONS.filter(({ suffix }) => allowed(ctx, `${base}/${suffix}`));
    const notAllowed = SECTIONS.filter((entry) => !readable.includes(entry)).map(({ section }) => section);
    if (!readable.length) {
      throw new PolicyError(
        `The overview reads ${base}/..., and none of its topics is within MQTT_TOPICS (${ctx.client.topics.filters.join(',')}). Ask the operator to add "${base}/#" to MQTT_TOPICS (the broker user also needs the right to subscribe to $SYS).`,
      );
    }
    const sources = new Map<string, Map<string, string>>();
    const seen = (kind: string) => sources.get(kind) ?? sources.set(kind, new Map()).get(kind)!;
    const refused: string[] = [];
    const stops = await Promise.all(
      readable.map(({ section, suffix }) =>
        ctx.client.mqtt
          .listen(
            `${base}/${suffix}`,
            0,
            ({ topic, payload }) => {
              const rest = topic.slice(base.length + 1).split('/');
              const name = suffix.includes('+') ? rest[1]! : section;
              // An empty payload is an entity removed (or a state cleared): the latest message counts.
              if (payload.length === 0) seen(section).delete(name);
              else seen(section).set(name, text(payload, section === 'routes' || section === 'models' || section === 'actions' || section === 'rules' ? 200 : 1_000));
            },
            { fresh: true },
          )
          .catch((error: Error) => {
            refused.push(`${section}: ${error.message}`);
            return undefined;
          }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, input.wait_ms));
    await Promise.all(stops.map((stop) => stop?.()));

    const names = (section: string) => [...(sources.get(section)?.keys() ?? [])].sort((a, b) => a.localeCompare(b));
    const has = (section: string) => readable.some((entry) => entry.section === section) && !refused.some((entry) => entry.startsWith(`${section}:`));
    const states = sources.get('route states') ?? new Map<string, string>();
    const routeNames = [...new Set([...names('routes'), ...states.keys()])].sort((a, b) => a.localeCompare(b));
    const routes = routeNames.map((name) => {
      let status: Record<string, unknown> = {};
      try {
        status = JSON.parse(states.get(name) ?? '{}') as Record<string, unknown>;
      } catch {
        // A status that is not JSON says nothing Bastion can read; the route is still listed.
      }
      const typeInSource = /\bWITH\s+TYPE\s+([A-Z0-9_]+)/i.exec(sources.get('routes')?.get(name) ?? '')?.[1];
      const errors = status.errors && typeof status.errors === 'object' ? (status.errors as { consecutive?: unknown }).consecutive : undefined;
      const str = (value: unknown) => (typeof value === 'string' ? head(value, 200) : undefined);
      return {
        name,
        type: str(status.type) ?? typeInSource?.toUpperCase(),
        connection: str(status.connection),
        health: str(status.health),
        consecutive_errors: typeof errors === 'number' ? errors : undefined,
        last_error: str(status.lastError),
      };
    });
    const errors = sources.get('action errors') ?? new Map<string, string>();
    return {
      version: sources.get('version')?.get('version'),
      license: sources.get('license')?.get('license'),
      routes: has('routes') || has('route states') ? routes : undefined,
      models: has('models') ? names('models') : undefined,
      actions: has('actions') || has('action errors') ? [...new Set([...names('actions'), ...errors.keys()])].sort((a, b) => a.localeCompare(b)).map((name) => ({ name, error: errors.get(name) })) : undefined,
      rules: has('rules') ? names('rules') : undefined,
      not_allowed: notAllowed,
      refused,
    };
  },
  render: (out) =>
    [
      `Coreflux ${out.version ?? '(version not read)'}${out.license ? `; licence: ${out.license}` : ''}`,
      ...(out.routes ? [`Routes (${out.routes.length}): ${out.routes.map((r) => `${r.name}${r.type ? ` ${r.type}` : ''}${r.connection ? ` ${r.connection}` : ''}${r.health ? `/${r.health}` : ''}${r.consecutive_errors ? `, ${r.consecutive_errors} errors in a row` : ''}${r.last_error ? ` (last error: ${r.last_error})` : ''}`).join('; ') || 'none'}`] : []),
      ...(out.models ? [`Models (${out.models.length}): ${out.models.join(', ') || 'none'}`] : []),
      ...(out.actions ? [`Actions (${out.actions.length}): ${out.actions.map((a) => `${a.name}${a.error ? ` (error: ${a.error})` : ''}`).join('; ') || 'none'}`] : []),
      ...(out.rules ? [`Rules (${out.rules.length}): ${out.rules.join(', ') || 'none'}`] : []),
      ...(out.not_allowed.length ? [`Not read (outside MQTT_TOPICS): ${out.not_allowed.join(', ')}`] : []),
      ...(out.refused.length ? [`Refused by the broker: ${out.refused.join('; ')}`] : []),
    ].join('\n'),
});

export const traceAction = corefluxTool({
  name: 'coreflux_trace_action',
  title: 'Trace one run of a Coreflux action',
  description: 'Run an action once with tracing on and report what it published, its trace and its last error. It may drive real devices.',
  inputSchema: z.object({
    name: entityNameSchema,
    input: z.record(z.string().max(100), z.unknown()).optional().describe('INPUT values, or {"topic":..,"payload":..} to simulate a message'),
    wait_seconds: z.number().min(0.5).max(30).default(3).describe('How long to wait for the trace'),
  }),
  outputSchema: z.object({
    action: z.string(),
    trace_id: z.string().optional(),
    status: z.string().optional(),
    armed: z.boolean().describe('whether the broker accepted -actionTrace'),
    published: z.array(z.object({ topic: z.string(), payload: z.string() })),
    published_elsewhere: z.number().describe('messages on topics outside MQTT_TOPICS, not shown'),
    traces: z.array(z.string()),
    error: z.string().optional(),
    trace_topics: z.enum(['read', 'outside MQTT_TOPICS']),
  }),
  annotations: acts,
  handler: async (input, ctx) => {
    const json = input.input ? ` ${JSON.stringify(input.input)}` : '';
    if (json.length > 10_000) throw new InputError('input: at most 10000 characters of JSON.');
    const base = `${baseOf(ctx)}/Actions/${input.name}`;
    const readTraces = allowed(ctx, `${base}/Trace`) && allowed(ctx, `${base}/Error`);
    const traces: Array<{ text: string; id?: string }> = [];
    let error: string | undefined;
    let gotTrace!: () => void;
    const traced = new Promise<void>((resolve) => (gotTrace = resolve));
    let traceId: string | undefined;
    const stops = readTraces
      ? await Promise.all([
          ctx.client.mqtt.listen(`${base}/Trace`, 0, ({ payload }) => {
            if (traces.length >= 20) return;
            let id: string | undefined;
            try {
              id = String((JSON.parse(payload.toString('utf8')) as { traceId?: unknown }).traceId ?? '') || undefined;
            } catch {
              // A trace that is not JSON is shown as it is.
            }
            traces.push({ text: text(payload, 4_000), id });
            if (traceId !== undefined && id === traceId) gotTrace();
          }),
          ctx.client.mqtt.listen(`${base}/Error`, 0, ({ payload }) => (error = payload.length ? text(payload, 1_000) : undefined), { fresh: true }),
        ])
      : [];
    try {
      // Arming only makes the broker publish traces; a broker without -actionTrace still runs the action.
      const armed = await ctx.client.channel.run('actionTrace', input.name, ctx.signal).then(
        (answer) => answer.success,
        () => false,
      );
      // Sent once: an action is never run again because an answer was slow.
      const answer = await ctx.client.channel.runChecked('runAction', `${input.name}${json}`, ctx.signal);
      const data = (answer.data && typeof answer.data === 'object' ? answer.data : {}) as { traceId?: unknown; status?: unknown; published?: unknown };
      traceId = typeof data.traceId === 'string' ? data.traceId : undefined;
      if (readTraces && !traces.some((trace) => traceId !== undefined && trace.id === traceId)) {
        await Promise.race([
          traced,
          new Promise((resolve) => setTimeout(resolve, input.wait_seconds * 1000)),
          new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true })),
        ]);
      }
      const published = (Array.isArray(data.published) ? data.published : []).flatMap((entry: unknown) => {
        const { topic, payload } = (entry ?? {}) as { topic?: unknown; payload?: unknown };
        return typeof topic === 'string' ? [{ topic, payload: typeof payload === 'string' ? payload : JSON.stringify(payload ?? '') }] : [];
      });
      const shown = published.filter((message) => ctx.client.topics.allowsTopic(message.topic));
      return {
        action: input.name,
        trace_id: traceId,
        status: typeof data.status === 'string' ? head(data.status, 100) : undefined,
        armed,
        published: shown.map((message) => ({ topic: message.topic, payload: text(Buffer.from(message.payload, 'utf8'), 2_000) })),
        published_elsewhere: published.length - shown.length,
        traces: traces.map((trace) => trace.text),
        error,
        trace_topics: readTraces ? ('read' as const) : ('outside MQTT_TOPICS' as const),
      };
    } finally {
      await Promise.all(stops.map((stop) => stop()));
    }
  },
  render: (out) =>
    [
      `Ran ${out.action}${out.trace_id ? ` (trace ${out.trace_id})` : ''}${out.status ? `: ${out.status}` : ''}${out.armed ? '' : '; the broker did not accept -actionTrace'}.`,
      `Published ${out.published.length} message(s)${out.published_elsewhere ? ` (+${out.published_elsewhere} outside MQTT_TOPICS, not shown)` : ''}:`,
      ...out.published.map((m) => `  ${m.topic}: ${m.payload}`),
      out.trace_topics === 'read' ? `Traces (${out.traces.length}):` : 'Traces not read: the action\'s Trace and Error topics are outside MQTT_TOPICS.',
      ...out.traces.map((trace) => `  ${trace}`),
      ...(out.error ? [`Last error: ${out.error}`] : []),
    ].join('\n'),
});

export const reconnect = corefluxTool({
  name: 'mqtt_reconnect',
  title: 'Reconnect to the MQTT broker',
  description: 'Drop the broker connection and connect again now with the configured settings; says whether it worked.',
  inputSchema: z.object({ wait_seconds: z.number().min(1).max(60).default(10).describe('How long to wait for the new connection') }),
  outputSchema: z.object({
    reconnected: z.boolean(),
    state: z.string(),
    since: z.string(),
    broker: z.string(),
    protocol: z.string(),
    last_error: z.string().optional(),
  }),
  // Interrupts reads and commands in flight, but changes nothing on the broker; repeating it ends in the same state.
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: async (input, ctx) => ctx.client.mqtt.reconnect(input.wait_seconds * 1000, ctx.signal),
  render: (out) =>
    out.reconnected
      ? `Reconnected to ${out.broker} (${out.protocol}); subscriptions are made again on the new connection.`
      : `Not reconnected to ${out.broker}: ${out.state}${out.last_error ? ` (${out.last_error})` : ''}. Bastion keeps trying in the background; mqtt_broker_status shows the state.`,
});

export const brokerTools = [brokerOverview, traceAction, reconnect];
