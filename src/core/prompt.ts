// definePrompt(): a connector's MCP prompts (reusable requests a person picks in the client, e.g. "explain this ETIM
// class"). The server build registers them; they pass the same policy as tools (a policy name like a read tool's),
// are audited per prompts/get, and are listed only while every tool they ask the model to use is available.
import type { z } from 'zod';
import type { PolicyTool } from './policy.js';

export interface PromptDefinition<Args extends z.ZodObject> {
  /** `<connector>_<what>`, snake_case, e.g. etim_explain_class. */
  name: string;
  title: string;
  description: string;
  /** Prompt arguments are strings in MCP: string fields only, each with bounds. */
  arguments: Args;
  /** The tools the prompt asks the model to use: the prompt is hidden when policy hides any of them. */
  uses: string[];
  /** The request the prompt puts in the conversation, as the user's message. */
  text: (args: z.output<Args>) => string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPrompt = PromptDefinition<any>;

const PROMPT_NAME = /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/;

export function definePrompt<Args extends z.ZodObject>(definition: PromptDefinition<Args>): PromptDefinition<Args> {
  if (!PROMPT_NAME.test(definition.name) || definition.name.length > 64) {
    throw new Error(`Prompt name "${definition.name}" must be snake_case <connector>_<what>, at most 64 characters.`);
  }
  if (!definition.uses.length) throw new Error(`Prompt ${definition.name} must name the tools it asks the model to use.`);
  // Unknown arguments are an error, as for tools.
  return { ...definition, arguments: definition.arguments.strict() as Args };
}

/**
 * The name allow and deny lists (BASTION_TOOLS, BASTION_EXCLUDE_TOOLS) and caller scopes know a prompt by:
 * `<connector>_prompt_<what>` (etim_explain_class → etim_prompt_explain_class), so `etim_*` covers a connector's
 * tools, resources and prompts alike. A prompt only asks for reads, so read-only mode keeps it.
 */
export function promptPolicyTool(connector: string, prompt: AnyPrompt): PolicyTool {
  const what = prompt.name.replace(new RegExp(`^${connector}_`), '');
  return { name: `${connector}_prompt_${what}`, annotations: { readOnlyHint: true } };
}
