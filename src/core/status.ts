// bastion_status: which connectors are enabled, whether each upstream answers, as whom, and the server version.
// It runs each connector's readiness check (one light read, never doctor's probes, nothing written anywhere) and
// asks the connector's credential identity, which is cached between checks.
import { z } from 'zod';
import type { ConnectorRuntime } from './connector.js';
import { isUserFacing } from './errors.js';
import { head } from './untrusted.js';
import { defineTool } from './tool.js';

export interface StatusClient {
  version: string;
  /** The enabled connectors, in start order. */
  connectors: ReadonlyArray<{ title: string; runtime: ConnectorRuntime }>;
}

/** How long one connector may take before it counts as unreachable. */
const CHECK_TIMEOUT_MS = 5_000;

const connectorStatus = z.object({
  name: z.string(),
  title: z.string(),
  reachable: z.boolean(),
  as: z.string().optional(),
  problem: z.string().optional(),
});

async function check(entry: StatusClient['connectors'][number], signal: AbortSignal): Promise<z.input<typeof connectorStatus>> {
  const { runtime, title } = entry;
  const bounded = AbortSignal.any([signal, AbortSignal.timeout(CHECK_TIMEOUT_MS)]);
  try {
    await runtime.ready(bounded);
    const as = runtime.identity ? runtime.identity.describe(await runtime.identity.current(bounded)) : runtime.account;
    return { name: runtime.name, title, reachable: true, as };
  } catch (error) {
    // Bastion's own readable errors say what is wrong; anything else is reported without its detail.
    const problem = isUserFacing(error) || (error instanceof Error && error.name === 'TimeoutError') ? head(error.message, 300) : 'the check failed; the server log has the details';
    return { name: runtime.name, title, reachable: false, as: runtime.account, problem };
  }
}

const statusOutput = z.object({ version: z.string(), connectors: z.array(connectorStatus) });

export const statusTool = defineTool<StatusClient, z.ZodObject, typeof statusOutput>({
  name: 'bastion_status',
  title: 'Bastion status',
  description: 'Which connectors are enabled, whether each upstream answers now and as whom, and the Bastion version. Changes nothing.',
  inputSchema: z.object({}),
  outputSchema: statusOutput,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  handler: async (_input, ctx) => ({
    version: ctx.client.version,
    connectors: await Promise.all(ctx.client.connectors.map((entry) => check(entry, ctx.signal))),
  }),
  render: (out) =>
    [
      `Bastion ${out.version}`,
      ...out.connectors.map((c) => `${c.name} (${c.title}): ${c.reachable ? 'reachable' : 'NOT reachable'}${c.as ? `, as ${c.as}` : ''}${c.problem ? `: ${c.problem}` : ''}`),
    ].join('\n'),
});

/** Bastion's own tools: they belong to no connector and are known to policy as the connector "bastion". */
export const CORE_TOOLS = [statusTool];
