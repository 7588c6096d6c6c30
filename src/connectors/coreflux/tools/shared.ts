// Schema pieces and helpers shared by the Coreflux / MQTT tools.
import { z } from 'zod';
import { redactBytes } from '../../../core/redact.js';
import { defineTool, type ObjectSchema, type ToolContext, type ToolDefinition } from '../../../core/tool.js';
import { page } from '../../../core/untrusted.js';
import type { CorefluxClient } from '../client.js';

export type CorefluxContext = ToolContext<CorefluxClient>;

export function corefluxTool<Input extends ObjectSchema, Output extends ObjectSchema>(
  definition: ToolDefinition<CorefluxClient, Input, Output>,
): ToolDefinition<CorefluxClient, Input, Output> {
  return defineTool(definition);
}

export const entityNameSchema = z.string().min(1).max(100).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a LoT name: letters, digits and _, not starting with a digit');

export const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;
/** Replaces or removes broker entities, or acts on devices: destructive; repeating gives the same state. */
export const changes = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true } as const;
/** Has effects each time it runs (runs an action, publishes a message, any command). */
export const acts = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true } as const;

/**
 * A payload for display: UTF-8 text when it is text, base64 otherwise; cut at max characters. Secrets are removed
 * from the bytes first: in base64 they would no longer look like themselves.
 */
export function showPayload(raw: Buffer, max: number): { payload: string; encoding: 'text' | 'base64'; truncated?: number } {
  const payload = redactBytes(raw);
  const text = payload.toString('utf8');
  // eslint-disable-next-line no-control-regex -- binary payloads are told apart by their control bytes
  const isText = Buffer.from(text, 'utf8').equals(payload) && !/[\u0000-\u0008\u000E-\u001F]/.test(text);
  const encoding = isText ? 'text' : 'base64';
  const shown = page(isText ? text : payload.toString('base64'), 0, max);
  return shown.next === undefined ? { payload: shown.text, encoding } : { payload: shown.text, encoding, truncated: shown.total - shown.next };
}
