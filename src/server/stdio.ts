// MCP over stdio: stdout carries the protocol, so nothing else may write to it.
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { createServerFactory, enabledTools } from './build.js';
import type { Runtime } from './runtime.js';

export async function serveOverStdio(runtime: Runtime): Promise<void> {
  const factory = createServerFactory({ ...runtime, caller: 'stdio', toolSchemas: runtime.global.BASTION_TOOL_SCHEMAS, confirmDestructive: runtime.global.BASTION_CONFIRM_DESTRUCTIVE, attachmentMaxBytes: runtime.global.BASTION_ATTACHMENT_MAX_BYTES });
  const handle = serveStdio(factory, { onerror: (error) => runtime.logger.error({ err: error }, 'stdio transport error') });
  const tools = enabledTools(runtime);
  runtime.logger.info(
    { connectors: runtime.connectors.map((c) => c.runtime.name), tools: tools.length, read_only: runtime.global.BASTION_READ_ONLY },
    'serving MCP over stdio',
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      void handle.close().finally(resolve);
    };
    process.stdin.once('end', stop);
    process.stdin.once('close', stop);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await runtime.close();
}
