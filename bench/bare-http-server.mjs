// The baseline for HTTP throughput: a bare node:http server that speaks just enough MCP for the SDK client
// (initialize, notifications, tools/call) and, for every tools/call, does the same upstream GET Bastion does,
// parses the answer as JSON and replies with a JSON-RPC result of the same size as Bastion's.
// No authentication, validation, policy, redaction or audit: the cost floor of one JSON round trip over HTTP.
// Settings (environment): BARE_UPSTREAM (the URL to GET), BARE_API_KEY, BARE_RESULT (the JSON result to send).
// Prints "listening on <url>/mcp" on stdout.
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import process from 'node:process';
import { Agent, request } from 'undici';

const upstream = process.env.BARE_UPSTREAM;
const apiKey = process.env.BARE_API_KEY ?? '';
if (!upstream || !process.env.BARE_RESULT) throw new Error('BARE_UPSTREAM and BARE_RESULT are required');
const result = JSON.parse(process.env.BARE_RESULT);
const agent = new Agent({ keepAliveTimeout: 60_000 });

function reply(res, status, body) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

async function handle(req, res) {
  if (req.method !== 'POST') return reply(res, 405, { error: 'method_not_allowed' });
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const message = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  if (message.id === undefined) return reply(res, 202);
  if (message.method === 'initialize') {
    return reply(res, 200, {
      jsonrpc: '2.0',
      id: message.id,
      result: { protocolVersion: message.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'bare', version: '1.0.0' } },
    });
  }
  if (message.method !== 'tools/call') return reply(res, 200, { jsonrpc: '2.0', id: message.id, result: {} });
  const answer = await request(upstream, { dispatcher: agent, headers: { 'X-Redmine-API-Key': apiKey, Accept: 'application/json' } });
  if (answer.statusCode !== 200) throw new Error(`upstream answered ${answer.statusCode}`);
  JSON.parse(await answer.body.text());
  reply(res, 200, { jsonrpc: '2.0', id: message.id, result });
}

const server = createServer((req, res) => {
  handle(req, res).catch((error) => reply(res, 500, { error: String(error) }));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}/mcp\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
