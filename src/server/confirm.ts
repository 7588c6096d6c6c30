// Destructive tools ask the person at the client before they run, where the client can ask (MCP form
// elicitation). The SDK carries the question either way: on 2026-07-28 connections as an input_required result
// the client answers and retries, on 2025 connections as an elicitation request it sends for us. The answer comes
// from the client, never from the model: a model only writes tool arguments.
import { acceptedContent, CLIENT_CAPABILITIES_META_KEY, inputRequired } from '@modelcontextprotocol/server';
import type { ClientCapabilities, InputRequiredResult, McpServer, ServerContext } from '@modelcontextprotocol/server';
import { redact } from '../core/redact.js';
import { safeSlice } from '../core/untrusted.js';
import type { AnyTool } from '../core/tool.js';

const ANSWER_KEY = 'confirm';
const ANSWER_SCHEMA = {
  type: 'object' as const,
  properties: { confirm: { type: 'boolean' as const, title: 'Run it', description: 'Yes to run this change now' } },
  required: ['confirm'],
};
/** Arguments longer than this are cut in the question; the audit log keeps them. */
const MAX_ARGUMENTS_SHOWN = 600;

/** `run`: go ahead (confirmed, or the client cannot ask); `declined`: the person said no; otherwise: ask first. */
export type Confirmation = 'run' | 'declined' | InputRequiredResult;

/** Whether this connection's client can show a form: a bare `elicitation: {}` means form mode. */
function canAsk(server: McpServer, ctx: ServerContext): boolean {
  // 2026-07-28 requests carry the client's capabilities in their envelope; 2025 connections declared them once.
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const declared = (envelope?.[CLIENT_CAPABILITIES_META_KEY] ?? server.server.getClientCapabilities()) as ClientCapabilities | undefined;
  const elicitation = declared?.elicitation as { form?: object; url?: object } | undefined;
  return elicitation !== undefined && (elicitation.form !== undefined || elicitation.url === undefined);
}

export function confirmDestructive(tool: AnyTool, input: Record<string, unknown>, server: McpServer, ctx: ServerContext): Confirmation {
  const responses = ctx.mcpReq.inputResponses;
  if (responses && ANSWER_KEY in responses) {
    return acceptedContent<{ confirm?: unknown }>(responses, ANSWER_KEY)?.confirm === true ? 'run' : 'declined';
  }
  if (!canAsk(server, ctx)) return 'run';
  const shown = safeSlice(redact(JSON.stringify(input)), MAX_ARGUMENTS_SHOWN);
  return inputRequired({
    inputRequests: {
      [ANSWER_KEY]: inputRequired.elicit({
        message: `${tool.title} (${tool.name}) changes data in a way that cannot simply be undone. Arguments: ${shown}. Run it?`,
        requestedSchema: ANSWER_SCHEMA,
      }),
    },
  });
}
