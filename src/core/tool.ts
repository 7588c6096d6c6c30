// defineTool(): the one shape every connector's tools use. The pipeline in server/build.ts does
// everything else (policy, audit, errors, redaction, untrusted text, result shaping).
import type { z } from 'zod';
import type { MediaContent } from './attachment.js';
import type { Logger } from './logger.js';
import type { Scope } from './policy.js';

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ToolContext<Client> {
  client: Client;
  /** Cancelled when the MCP client cancels the call or the connection closes: pass it to every upstream request. */
  signal: AbortSignal;
  /** The connector's scope (projects, topics) to check objects against. */
  scope: Scope;
  logger: Logger;
  /**
   * Who is calling ("stdio", or the verified HTTP caller's name): state a tool keeps between calls (e.g. MQTT
   * subscriptions) is kept per caller, so that one caller never sees another's.
   */
  caller: string;
  /** Reports progress to the client when it asked for it; a no-op otherwise. */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /** The largest attachment a tool downloads for the model (BASTION_ATTACHMENT_MAX_BYTES). */
  attachmentMaxBytes: number;
  /** Adds an image or embedded resource to the result, after its text (see core/attachment.ts). */
  attach(content: MediaContent): void;
}

export type ObjectSchema = z.ZodObject;

export interface ToolDefinition<Client, Input extends ObjectSchema, Output extends ObjectSchema> {
  /** `<connector>_<verb>_<noun>`, snake_case, at most 64 characters. */
  name: string;
  title: string;
  /** Written for a model: what it does, when to use it, what it returns. */
  description: string;
  /**
   * Advertised to clients as JSON Schema, which describes the arguments as sent: put limits (max, regex) before
   * normalising steps (trim, toUpperCase), and spell case-insensitive patterns out (JSON Schema patterns have no flags).
   */
  inputSchema: Input;
  outputSchema: Output;
  /**
   * Per argument, a conversion of what models send into the form the schema takes (e.g. "1h30" → 1.5 hours), run
   * before validation; return the value unchanged when it is not recognised, so validation names the problem.
   */
  coerce?: Readonly<Record<string, (value: unknown) => unknown>>;
  annotations: ToolAnnotations;
  handler: (input: z.output<Input>, ctx: ToolContext<Client>) => Promise<z.input<Output>>;
  /** Compact text rendering of the result for the model; defaults to compact JSON. */
  render?: (output: z.output<Output>) => string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = ToolDefinition<any, ObjectSchema, ObjectSchema>;

const TOOL_NAME = /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/;
const HINTS = ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const;

export function defineTool<Client, Input extends ObjectSchema, Output extends ObjectSchema>(
  definition: ToolDefinition<Client, Input, Output>,
): ToolDefinition<Client, Input, Output> {
  if (!TOOL_NAME.test(definition.name) || definition.name.length > 64) {
    throw new Error(`Tool name "${definition.name}" must be snake_case <connector>_<verb>_<noun>, at most 64 characters.`);
  }
  for (const hint of HINTS) {
    if (typeof definition.annotations[hint] !== 'boolean') throw new Error(`Tool ${definition.name} must set annotations.${hint} explicitly.`);
  }
  if (definition.annotations.readOnlyHint && definition.annotations.destructiveHint) {
    throw new Error(`Tool ${definition.name} cannot be both read-only and destructive.`);
  }
  // Unknown arguments are an error, not silently dropped: a misspelt filter must not widen a query.
  return { ...definition, inputSchema: definition.inputSchema.strict() as Input };
}
