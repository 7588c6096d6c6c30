// The broker connection on demand: drop it and connect again with the configured settings.
import { z } from 'zod';
import { corefluxTool } from './shared.js';

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

export const brokerTools = [reconnect];
