// The v1 TypeScript SDK client (@modelcontextprotocol/sdk 1.x), which desktop hosts and many third-party clients
// embed: a 2025-era client independent of the v2 client the other tests use. Installed in test/e2e/tools.
export { Client as V1Client } from '../e2e/tools/node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.js';
export { StdioClientTransport as V1StdioClientTransport } from '../e2e/tools/node_modules/@modelcontextprotocol/sdk/dist/esm/client/stdio.js';
export { StreamableHTTPClientTransport as V1StreamableHTTPClientTransport } from '../e2e/tools/node_modules/@modelcontextprotocol/sdk/dist/esm/client/streamableHttp.js';
export { ElicitRequestSchema as V1ElicitRequestSchema } from '../e2e/tools/node_modules/@modelcontextprotocol/sdk/dist/esm/types.js';
