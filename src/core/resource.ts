// defineResource(): read-only reference data a connector offers as MCP resources (e.g. etim://languages).
// The server build registers them; their text passes through the same cleaning and redaction as tool results.

export interface ResourceDefinition<Client> {
  uri: string;
  name: string;
  title: string;
  description: string;
  mimeType: 'text/plain' | 'application/json';
  read: (ctx: { client: Client; signal: AbortSignal }) => Promise<string>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyResource = ResourceDefinition<any>;

export function defineResource<Client>(definition: ResourceDefinition<Client>): ResourceDefinition<Client> {
  if (!/^[a-z][a-z0-9+.-]*:\/\/\S+$/.test(definition.uri)) throw new Error(`Resource URI "${definition.uri}" must look like scheme://path.`);
  return definition;
}
