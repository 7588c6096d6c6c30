// What a caller without a linked account gets instead of a result (per-user mode): a request to connect it, through
// MCP URL-mode elicitation where the client supports it, else a tool error carrying the link. The client opens the
// link in a browser; the key goes from there to the connect page, never through the client or the model. Nothing is
// retried here: the client (or the person) calls again once the account is connected.
import { CLIENT_CAPABILITIES_META_KEY, inputRequired, UrlElicitationRequiredError } from '@modelcontextprotocol/server';
import type { CallToolResult, ClientCapabilities, InputRequiredResult, McpServer, ServerContext } from '@modelcontextprotocol/server';
import type { IdentityRequiredError } from '../core/upstream-identity.js';
import { personalCredentialWords } from '../core/vault.js';
import { createConnectLink, type ConnectLinks } from './connect-page.js';

/** The key of the embedded URL request in an input_required result (2026-07-28 clients answer under it). */
const CONNECT_KEY = 'connect_account';
/** The first protocol revision without the urlElicitationRequired error (-32042): it embeds the request instead. */
const MODERN_REVISION = '2026-07-28';

/** Whether the client opens URLs for the server (URL-mode elicitation, protocol 2025-11-25 and later). */
export function supportsUrlElicitation(server: McpServer, ctx: ServerContext): boolean {
  // 2026-07-28 requests carry the client's capabilities in their envelope; 2025 connections declared them once.
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const declared = (envelope?.[CLIENT_CAPABILITIES_META_KEY] ?? server.server.getClientCapabilities()) as ClientCapabilities | undefined;
  return (declared?.elicitation as { url?: object } | undefined)?.url !== undefined;
}

/**
 * The answer to a tool call whose caller has no identity for the connector: returns an input_required result
 * (2026-07-28 clients with URL elicitation) or a tool error with the link (clients without it, or a retry after the
 * person closed the page without connecting); throws UrlElicitationRequiredError (2025-11-25 clients with URL
 * elicitation), which the SDK sends as the -32042 error carrying the link.
 */
export async function connectRequired(
  error: IdentityRequiredError,
  links: ConnectLinks,
  server: McpServer,
  ctx: ServerContext,
): Promise<CallToolResult | InputRequiredResult> {
  const link = await createConnectLink(links, error.connector, error.caller);
  const { service, credential } = personalCredentialWords(error.connector);
  const minutes = Math.max(1, Math.round(links.ttlSeconds / 60));
  const message = `${error.message} Open the link and enter your own ${service} ${credential} there, in your browser: it never passes through the assistant.`;
  const answered = ctx.mcpReq.inputResponses !== undefined && CONNECT_KEY in ctx.mcpReq.inputResponses;
  if (supportsUrlElicitation(server, ctx) && !answered) {
    const modern = (server.server.getNegotiatedProtocolVersion() ?? '') >= MODERN_REVISION;
    if (modern) return inputRequired({ inputRequests: { [CONNECT_KEY]: inputRequired.elicitUrl({ message, url: link.toString() }) } });
    throw new UrlElicitationRequiredError([{ mode: 'url', message, url: link.toString(), elicitationId: crypto.randomUUID() }], error.message);
  }
  const text = [
    error.message,
    `To connect it: open this link in your browser and enter your own ${service} ${credential} there (not in this chat): ${link.toString()}`,
    `The link works once, for ${minutes} minute${minutes === 1 ? '' : 's'}, and only for caller "${error.caller}". Then run the request again.`,
  ].join('\n');
  return { isError: true, content: [{ type: 'text', text }] };
}
