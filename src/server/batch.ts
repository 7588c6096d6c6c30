// JSON-RPC batches (a JSON array as the body) are refused over HTTP. MCP had them only in protocol revision
// 2025-03-26; 2025-06-18 and every later revision have none, and no client in use sends them. Served, a batch would
// run many calls on one HTTP request: one rate-limit token for fifty tool calls.
const JSON_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const OPENING_BRACKET = 0x5b;

/**
 * Whether a POST body is a JSON array, from its first byte that is not JSON whitespace. Reads a copy of the body
 * only that far, and never past `maxBytes`; a body it cannot tell about is left to the MCP handler to judge.
 */
export async function isBatch(request: Request, maxBytes: number): Promise<boolean> {
  if (request.method.toUpperCase() !== 'POST' || !request.body) return false;
  const reader = request.clone().body!.getReader();
  let read = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return false;
      for (const byte of value) {
        read += 1;
        if (read > maxBytes) return false;
        if (!JSON_WHITESPACE.has(byte)) return byte === OPENING_BRACKET;
      }
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

/** The answer to a batch: a JSON-RPC Invalid Request error (HTTP 400) that says what to do instead. */
export function batchRefusal(): Response {
  const message = 'Invalid Request: JSON-RPC batches are not supported (MCP has none since protocol revision 2025-06-18); send each request in its own HTTP POST.';
  return new Response(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32600, message } }), {
    status: 400,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}
