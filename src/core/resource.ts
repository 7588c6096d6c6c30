// defineResource(): read-only reference data a connector offers as MCP resources (e.g. etim://languages).
// The server build registers them; they pass through the same policy as tools (a policy name like a read tool's),
// are audited per read, and their text passes through the same cleaning and redaction as tool results.
import type { PolicyTool } from './policy.js';

export interface ResourceDefinition<Client> {
  uri: string;
  /** `<connector>-<what>`, e.g. etim-languages. */
  name: string;
  title: string;
  description: string;
  mimeType: 'text/plain' | 'text/markdown' | 'application/json';
  read: (ctx: { client: Client; signal: AbortSignal }) => Promise<string>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyResource = ResourceDefinition<any>;

export function defineResource<Client>(definition: ResourceDefinition<Client>): ResourceDefinition<Client> {
  if (!/^[a-z][a-z0-9+.-]*:\/\/\S+$/.test(definition.uri)) throw new Error(`Resource URI "${definition.uri}" must look like scheme://path.`);
  if (!/^[a-z][a-z0-9]*-[a-z0-9-]+$/.test(definition.name)) throw new Error(`Resource name "${definition.name}" must look like <connector>-<what>.`);
  return definition;
}

/**
 * The name allow and deny lists (BASTION_TOOLS, BASTION_EXCLUDE_TOOLS) and caller scopes know a resource by:
 * `<connector>_resource_<what>` (etim-languages → etim_resource_languages), so `etim_*` covers a connector's tools and
 * resources alike. Resources only read, so read-only mode keeps them.
 */
export function resourcePolicyTool(connector: string, resource: AnyResource): PolicyTool {
  const what = resource.name.replace(new RegExp(`^${connector}-`), '').replace(/-/g, '_');
  return { name: `${connector}_resource_${what}`, annotations: { readOnlyHint: true } };
}
