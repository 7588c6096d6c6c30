// Which server answers an MCP request over HTTP, and how a follow-up message finds the call it belongs to.
//
// 2026-07-28 requests carry everything they need: each one is answered by a fresh server (createMcpHandler).
// 2025-era clients declare their capabilities once, at `initialize`, and then send the answer to a question, or a
// cancellation, as separate POSTs: they are served sessionfully here, so the server that runs a call knows the
// client can be asked, and the answer or the cancellation reaches the waiting call.
//
// Sessions are bound to the caller that opened them, end on DELETE or after BASTION_HTTP_SESSION_IDLE without use,
// and are bounded in number. Their metadata lives in the shared cache, so any instance behind a load balancer can
// serve a session's ordinary requests; a message for a call in flight on another instance goes over the relay.
import { randomUUID } from 'node:crypto';
import {
  createMcpHandler,
  isJsonContentType,
  isLegacyRequest,
  readRequestBody,
  WebStandardStreamableHTTPServerTransport,
  type AuthInfo,
  type JSONRPCMessage,
  type McpServer,
  type TransportSendOptions,
} from '@modelcontextprotocol/server';
import { NamespacedCache, type CacheStore } from '../core/cache.js';
import type { Logger } from '../core/logger.js';
import type { Relay } from '../core/relay.js';
import type { Caller } from './http-auth.js';

export interface McpRoutingOptions {
  /** The server factory for a caller (its scopes decide which tools it sees and may call). */
  factoryFor: (caller: Caller | undefined) => () => McpServer;
  cache: CacheStore;
  relay: Relay;
  logger: Logger;
  /** A 2025-era session unused this long ends (BASTION_HTTP_SESSION_IDLE). */
  idleSeconds: number;
  /** At most this many sessions live on one instance (BASTION_HTTP_MAX_SESSIONS). */
  maxSessions: number;
  maxBodyBytes: number;
}

export interface McpRouting {
  fetch(request: Request, caller: Caller | undefined, authInfo: AuthInfo | undefined): Promise<Response>;
  close(): Promise<void>;
}

type Message = Record<string, unknown> & { id?: string | number; method?: string; params?: Record<string, unknown> };
type RequestId = string | number;

/** What any instance needs to serve a session: who opened it and what its client declared at `initialize`. */
interface SessionRecord {
  caller: string;
  protocolVersion: string;
  capabilities: Record<string, unknown>;
  clientInfo: Record<string, unknown>;
}

type RelayMessage =
  | { kind: 'deliver'; session: string; caller: string; messages: Message[] }
  | { kind: 'ended'; session: string }
  | { kind: 'cancel'; caller: string; requestId: RequestId };

/** The 2025 transport, noting which requests are open in each direction (so follow-ups can be routed). */
class SessionTransport extends WebStandardStreamableHTTPServerTransport {
  /** The client's requests this instance is answering. */
  readonly clientRequests = new Set<RequestId>();
  /** Our requests to the client (questions) still waiting for an answer. */
  readonly serverRequests = new Set<RequestId>();
  lastUsed = Date.now();

  override async send(message: JSONRPCMessage, options?: { relatedRequestId?: RequestId } & TransportSendOptions): Promise<void> {
    const m = message as Message;
    if (m.id !== undefined && m.method !== undefined) this.serverRequests.add(m.id);
    else if (m.id !== undefined) this.clientRequests.delete(m.id);
    this.lastUsed = Date.now();
    return super.send(message, options);
  }
}

interface Session {
  id: string;
  caller: string;
  transport: SessionTransport;
  server: McpServer;
  /** The shared record, and when its expiry was last pushed back. */
  record: string;
  touched: number;
}

const isResponse = (m: Message): boolean => m.id !== undefined && m.method === undefined && ('result' in m || 'error' in m);
const isCancel = (m: Message): boolean => m.method === 'notifications/cancelled' && m.id === undefined;
const cancelTarget = (m: Message): RequestId | undefined => {
  const id = m.params?.requestId;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
};

function jsonRpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  });
}

/**
 * Who may use a session: the caller's name and scopes, so a token with other rights cannot take it over, and the
 * person's upstream login (per-user mode), so that people whose tokens share a client name never share a session.
 */
export function callerKey(caller: Caller | undefined): string {
  if (!caller) return 'anonymous';
  const key = `${caller.name} ${[...caller.scopes].sort().join(',')}`;
  return caller.person === undefined ? key : `${key} ${JSON.stringify(caller.person)}`;
}

/** The JSON body of a POST, read once from a copy and handed to whichever leg serves it; undefined if none. */
async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  if (request.method !== 'POST' || !isJsonContentType(request.headers.get('content-type'))) return undefined;
  const read = await readRequestBody(request.clone(), maxBytes).catch(() => undefined);
  if (!read || read.tooLarge) return undefined;
  try {
    return JSON.parse(read.text) ?? undefined;
  } catch {
    // The leg answers the parse error in its own words.
    return undefined;
  }
}

/** Calls `done` once the response body has been sent or abandoned. */
function whenFinished(response: Response, done: () => void): Response {
  if (!response.body) {
    done();
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      try {
        const { done: ended, value } = await reader.read();
        if (ended) {
          done();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        done();
        controller.error(error);
      }
    },
    cancel: async (reason) => {
      done();
      await reader.cancel(reason).catch(() => {});
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

export function createMcpRouting(options: McpRoutingOptions): McpRouting {
  const { logger, relay } = options;
  const records = new NamespacedCache(options.cache, 'bastion:session');
  const sessions = new Map<string, Session>();
  const adopting = new Map<string, Promise<Session | undefined>>();
  /** Modern calls in flight on this instance, by caller and request id, to abort on a posted cancellation. */
  const modernCalls = new Map<string, Set<AbortController>>();
  const idleMs = options.idleSeconds * 1000;

  const modern = createMcpHandler(({ authInfo }) => options.factoryFor(authInfo?.extra?.caller as Caller | undefined)(), {
    legacy: 'reject',
    maxRequestBodySize: options.maxBodyBytes,
    onerror: (error) => logger.warn({ err: error }, 'MCP HTTP handler error'),
  });

  const publish = (message: RelayMessage): void => void relay.publish(JSON.stringify(message));

  const forget = async (session: Session): Promise<void> => {
    if (sessions.get(session.id) === session) sessions.delete(session.id);
    await session.transport.close().catch(() => {});
    await session.server.close().catch(() => {});
  };

  /** A session has ended for everyone (DELETE): its record goes, and every instance drops its copy. */
  const end = async (id: string): Promise<void> => {
    await records.delete(id);
    publish({ kind: 'ended', session: id });
  };

  const newTransport = (sessionIdGenerator: () => string): SessionTransport =>
    new SessionTransport({
      sessionIdGenerator,
      maxRequestBodySize: options.maxBodyBytes,
      onsessionclosed: async (id) => {
        const session = sessions.get(id);
        sessions.delete(id);
        void session?.server.close().catch(() => {});
        await end(id);
      },
    });

  const room = (): boolean => {
    if (sessions.size < options.maxSessions) return true;
    sweep(Date.now());
    return sessions.size < options.maxSessions;
  };

  const tooMany = (): Response =>
    jsonRpcError(503, -32000, `This server holds its maximum of ${options.maxSessions} sessions; retry later (BASTION_HTTP_MAX_SESSIONS raises the limit).`, { 'retry-after': '30' });

  /** `initialize` without a session: a new session for this caller, announced in the shared cache. */
  const open = async (request: Request, body: Message, caller: Caller | undefined, authInfo: AuthInfo | undefined): Promise<Response> => {
    if (!room()) return tooMany();
    const key = callerKey(caller);
    const server = options.factoryFor(caller)();
    const transport = newTransport(() => randomUUID());
    const params = (Array.isArray(body) ? undefined : body.params) ?? {};
    const record: SessionRecord = {
      caller: key,
      protocolVersion: String(params.protocolVersion ?? ''),
      capabilities: (params.capabilities as Record<string, unknown>) ?? {},
      clientInfo: (params.clientInfo as Record<string, unknown>) ?? {},
    };
    await server.connect(transport);
    const response = await transport.handleRequest(request, { authInfo, parsedBody: body });
    const id = transport.sessionId;
    if (id && response.ok) {
      sessions.set(id, { id, caller: key, transport, server, record: JSON.stringify(record), touched: Date.now() });
      await records.set(id, JSON.stringify(record), options.idleSeconds);
    } else {
      await transport.close().catch(() => {});
      await server.close().catch(() => {});
    }
    return response;
  };

  /** A session opened on another instance: this one builds its own server for it, from the shared record. */
  const adopt = async (id: string, key: string, caller: Caller | undefined): Promise<Session | undefined> => {
    const stored = await records.get(id);
    if (!stored) return undefined;
    const record = JSON.parse(stored) as SessionRecord;
    if (record.caller !== key) return undefined;
    const server = options.factoryFor(caller)();
    const transport = newTransport(() => id);
    await server.connect(transport);
    // The client's own `initialize`, replayed: the server then knows its capabilities and protocol version.
    const headers = { accept: 'application/json, text/event-stream', 'content-type': 'application/json' };
    const init = { jsonrpc: '2.0', id: `bastion-adopt-${id}`, method: 'initialize', params: { protocolVersion: record.protocolVersion, capabilities: record.capabilities, clientInfo: record.clientInfo } };
    const answer = await transport.handleRequest(new Request('http://session.local/mcp', { method: 'POST', headers, body: JSON.stringify(init) }));
    await answer.text();
    const initialized = { jsonrpc: '2.0', method: 'notifications/initialized' };
    await transport.handleRequest(new Request('http://session.local/mcp', { method: 'POST', headers: { ...headers, 'mcp-session-id': id }, body: JSON.stringify(initialized) }));
    const session = { id, caller: key, transport, server, record: stored, touched: 0 };
    sessions.set(id, session);
    logger.debug({ session: id.slice(0, 8) }, 'serving a session opened on another instance');
    return session;
  };

  const find = async (id: string, key: string, caller: Caller | undefined): Promise<Session | 'full' | undefined> => {
    const local = sessions.get(id);
    if (local) return local.caller === key ? local : undefined;
    let pending = adopting.get(id);
    if (!pending) {
      if (!room()) return 'full';
      pending = adopt(id, key, caller).finally(() => adopting.delete(id));
      adopting.set(id, pending);
    }
    const session = await pending;
    return session && session.caller === key ? session : undefined;
  };

  /** Whether this instance holds the call or question a follow-up message is for. */
  const owns = (session: Session, m: Message): boolean => {
    if (isResponse(m)) return session.transport.serverRequests.has(m.id!);
    if (isCancel(m)) {
      const target = cancelTarget(m);
      return target !== undefined && session.transport.clientRequests.has(target);
    }
    return true;
  };

  const deliver = (session: Session, messages: Message[]): void => {
    for (const m of messages) {
      if (isResponse(m)) session.transport.serverRequests.delete(m.id!);
      if (isCancel(m)) session.transport.clientRequests.delete(cancelTarget(m)!);
      session.transport.onmessage?.(m as JSONRPCMessage);
    }
  };

  const serveSession = async (request: Request, body: unknown, caller: Caller | undefined, authInfo: AuthInfo | undefined): Promise<Response> => {
    const key = callerKey(caller);
    const id = request.headers.get('mcp-session-id');
    const messages = (Array.isArray(body) ? body : body === undefined ? [] : [body]) as Message[];
    if (!id) {
      // A batch with initialize goes to the transport too, which refuses it as a whole.
      if (messages.some((m) => m.method === 'initialize')) return open(request, body as Message, caller, authInfo);
      if (messages.length && messages.every(isCancel)) return cancelModern(key, messages);
      return jsonRpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required; send initialize first to open a session.');
    }
    const session = await find(id, key, caller);
    if (session === 'full') return tooMany();
    // Another caller's session is answered like an unknown one: its existence is not for them to learn.
    if (!session) return jsonRpcError(404, -32001, 'Session not found: it ended, expired or belongs to another caller; send initialize to open a new one.');
    session.transport.lastUsed = Date.now();
    // The shared record expires when the session is idle everywhere; its expiry is pushed back now and then.
    if (session.transport.lastUsed - session.touched > idleMs / 10) {
      session.touched = session.transport.lastUsed;
      await records.set(id, session.record, options.idleSeconds);
    }
    if (request.method !== 'POST' || !messages.length) return session.transport.handleRequest(request, { authInfo });

    // Answers and cancellations for work held by another instance go to it; everything else is served here.
    const elsewhere = messages.filter((m) => (isResponse(m) || isCancel(m)) && !owns(session, m));
    if (elsewhere.length) publish({ kind: 'deliver', session: id, caller: key, messages: elsewhere });
    const here = messages.filter((m) => !elsewhere.includes(m));
    if (!here.length) return new Response(null, { status: 202 });
    for (const m of here) {
      if (m.id !== undefined && m.method !== undefined) session.transport.clientRequests.add(m.id);
      if (isResponse(m)) session.transport.serverRequests.delete(m.id!);
      if (isCancel(m)) session.transport.clientRequests.delete(cancelTarget(m)!);
    }
    return session.transport.handleRequest(request, { authInfo, parsedBody: Array.isArray(body) ? here : here[0] });
  };

  const modernKey = (key: string, id: RequestId): string => `${key}\n${JSON.stringify(id)}`;

  /** Aborts the modern calls a posted cancellation names, here or (over the relay) on another instance. */
  const cancelModern = (key: string, messages: Message[], relayed = false): Response => {
    for (const m of messages) {
      const target = cancelTarget(m);
      if (target === undefined) continue;
      const calls = modernCalls.get(modernKey(key, target));
      if (calls?.size === 1) for (const call of calls) call.abort(new Error('cancelled by the client'));
      else if (!relayed) publish({ kind: 'cancel', caller: key, requestId: target });
    }
    return new Response(null, { status: 202 });
  };

  const serveModern = async (request: Request, body: unknown, caller: Caller | undefined, authInfo: AuthInfo | undefined): Promise<Response> => {
    const m = body as Message | undefined;
    if (m && !Array.isArray(m) && isCancel(m)) return cancelModern(callerKey(caller), [m]);
    if (!m || Array.isArray(m) || m.id === undefined || m.method === undefined) return modern.fetch(request, { authInfo, parsedBody: body });
    // The exchange ends when its request is aborted: the client closing the stream, or a posted cancellation.
    const key = modernKey(callerKey(caller), m.id);
    const controller = new AbortController();
    const calls = modernCalls.get(key) ?? new Set<AbortController>();
    calls.add(controller);
    modernCalls.set(key, calls);
    const finished = (): void => {
      calls.delete(controller);
      if (!calls.size && modernCalls.get(key) === calls) modernCalls.delete(key);
    };
    try {
      const tracked = new Request(request, { signal: AbortSignal.any([request.signal, controller.signal]) });
      return whenFinished(await modern.fetch(tracked, { authInfo, parsedBody: body }), finished);
    } catch (error) {
      finished();
      throw error;
    }
  };

  const stopListening = relay.subscribe((raw) => {
    let message: RelayMessage;
    try {
      message = JSON.parse(raw) as RelayMessage;
    } catch {
      return;
    }
    if (message.kind === 'cancel') {
      cancelModern(message.caller, [{ method: 'notifications/cancelled', params: { requestId: message.requestId } }], true);
      return;
    }
    const session = sessions.get(message.session);
    if (!session) return;
    if (message.kind === 'ended') void forget(session);
    else if (message.kind === 'deliver' && message.caller === session.caller && Array.isArray(message.messages)) {
      deliver(session, message.messages.filter((m) => owns(session, m)));
    }
  });

  /** Drops this instance's copy of sessions unused for the idle time (the shared record expires on its own). */
  const sweep = (now: number): void => {
    for (const session of sessions.values()) {
      if (session.transport.clientRequests.size === 0 && now - session.transport.lastUsed >= idleMs) void forget(session);
    }
  };
  const sweeper = setInterval(() => sweep(Date.now()), Math.min(idleMs, 30_000));
  sweeper.unref();

  return {
    fetch: async (request, caller, authInfo) => {
      const body = await readJsonBody(request, options.maxBodyBytes);
      if (await isLegacyRequest(request, body, { maxRequestBodySize: options.maxBodyBytes })) return serveSession(request, body, caller, authInfo);
      return serveModern(request, body, caller, authInfo);
    },
    close: async () => {
      clearInterval(sweeper);
      stopListening();
      await Promise.all([...sessions.values()].map(forget));
      await modern.close();
    },
  };
}
