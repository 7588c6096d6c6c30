// Links between issues: the instance's link types, read an issue's links, add one through a command (the documented
// way to link) and remove one through the link's resource.
import { z } from 'zod';
import { InputError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import type { YouTrackClient } from '../client.js';
import { adds, deletes, issueIdSchema, readOnly, youtrackTool, type YouTrackContext } from './shared.js';

interface YtLinkType {
  id: string;
  name: string;
  directed?: boolean;
  aggregation?: boolean;
  sourceToTarget?: string | null;
  targetToSource?: string | null;
}

interface YtLink {
  id: string;
  direction: 'OUTWARD' | 'INWARD' | 'BOTH';
  linkType: { name: string; directed?: boolean; sourceToTarget?: string | null; targetToSource?: string | null };
  issues: Array<{ idReadable: string; summary: string; project?: { shortName: string; id?: string } }>;
}

const LINK_FIELDS = 'id,direction,linkType(name,directed,sourceToTarget,targetToSource),issues(idReadable,summary,project(id,shortName))';

const LINK_TYPE_FIELDS = 'id,name,directed,aggregation,sourceToTarget,targetToSource';

/** The instance's link types, custom ones included (an instance has a handful: one page is all of them). */
function linkTypes(client: YouTrackClient, signal: AbortSignal): Promise<YtLinkType[]> {
  return client.get<YtLinkType[]>('/issueLinkTypes', LINK_TYPE_FIELDS, { $top: 200 }, signal);
}

/** The words a link reads as from either side: an undirected type has one ("relates to"), a directed one two. */
function verbsOf(type: YtLinkType): string[] {
  return [type.sourceToTarget, type.targetToSource].filter((verb): verb is string => Boolean(verb?.trim()));
}

/** The verb as the instance spells it; the caller's text never reaches the command itself. */
async function knownVerb(client: YouTrackClient, wanted: string, signal: AbortSignal): Promise<string> {
  const verbs = (await linkTypes(client, signal)).flatMap(verbsOf);
  const found = verbs.find((verb) => verb.toLowerCase() === wanted.toLowerCase());
  if (!found) throw new InputError(`link: "${wanted}" is not a link of this YouTrack. Links: ${verbs.map((v) => `"${v}"`).join(', ')} (youtrack_list_link_types).`);
  return found;
}

const linkVerbSchema = z.string().max(100).trim().min(1).describe('A link as youtrack_list_link_types words it, e.g. "depends on"');

/** How the link reads from this issue's side: "depends on" outward, "is required for" inward. */
function linkVerb(link: YtLink): string {
  if (link.direction === 'INWARD') return link.linkType.targetToSource || link.linkType.name;
  return link.linkType.sourceToTarget || link.linkType.name;
}

const linkEntry = z.object({ relation: z.string(), issue: z.string(), summary: z.string() });

/** The issue's links as "relates to DEMO-2" entries; linked issues outside the scope are counted, not shown. */
async function readLinks(ctx: YouTrackContext, issueId: string): Promise<{ links: Array<z.input<typeof linkEntry>>; hidden: number }> {
  const raw = await ctx.client.get<YtLink[]>(`/issues/${pathSegment(issueId)}/links`, LINK_FIELDS, { $top: 100 }, ctx.signal);
  const links: Array<z.input<typeof linkEntry>> = [];
  let hidden = 0;
  for (const link of raw) {
    for (const other of link.issues) {
      if (other.project && !ctx.scope.allows([other.project.shortName, other.project.id])) {
        hidden += 1;
        continue;
      }
      links.push({ relation: linkVerb(link), issue: other.idReadable, summary: other.summary });
    }
  }
  return { links, hidden };
}

function renderLinks(links: Array<z.output<typeof linkEntry>>, hidden: number): string[] {
  const lines = links.map((l) => `${l.relation} ${l.issue} ${l.summary}`);
  if (hidden) lines.push(`(${hidden} linked issue${hidden === 1 ? '' : 's'} outside the allowed projects not shown)`);
  return lines;
}

export const listLinks = youtrackTool({
  name: 'youtrack_list_links',
  title: 'List links of a YouTrack issue',
  description:
    'List the issues linked to an issue, read from its side, e.g. "depends on DEMO-4".',
  inputSchema: z.object({ issue_id: issueIdSchema }),
  outputSchema: z.object({ issue: z.string(), links: z.array(linkEntry), hidden_outside_scope: z.number() }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const issue = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    const { links, hidden } = await readLinks(ctx, issue.id);
    return { issue: issue.idReadable, links, hidden_outside_scope: hidden };
  },
  render: (out) => {
    const lines = renderLinks(out.links, out.hidden_outside_scope);
    return lines.length ? [`Links of ${out.issue}:`, ...lines].join('\n') : `${out.issue} has no links.`;
  },
});

export const linkIssues = youtrackTool({
  name: 'youtrack_link_issues',
  title: 'Link two YouTrack issues',
  description:
    'Link two issues, read as "<issue_id> <link> <target_issue_id>", e.g. DEMO-5 "subtask of" DEMO-1; links: youtrack_list_link_types.',
  inputSchema: z.object({
    issue_id: issueIdSchema,
    link: linkVerbSchema,
    target_issue_id: issueIdSchema,
  }),
  outputSchema: z.object({
    issue: z.string(),
    link: z.string(),
    target: z.string(),
    confirmed: z.boolean(),
    links: z.array(linkEntry),
    hidden_outside_scope: z.number(),
  }),
  annotations: adds,
  handler: async (input, ctx) => {
    const source = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    const target = await ctx.client.assertIssueInScope(ctx.scope, input.target_issue_id, ctx.signal);
    if (source.id === target.id) throw new InputError('target_issue_id: an issue cannot be linked to itself.');
    const verb = await knownVerb(ctx.client, input.link, ctx.signal);
    // Both parts of the command are the instance's own link words and a checked issue key, so it cannot mean anything else.
    await ctx.client.post('/commands', { query: `${verb} ${target.idReadable}`, issues: [{ idReadable: source.idReadable }] }, undefined, ctx.signal);
    const { links, hidden } = await readLinks(ctx, source.id);
    const confirmed = links.some((l) => l.issue === target.idReadable && l.relation.toLowerCase() === verb.toLowerCase());
    return { issue: source.idReadable, link: verb, target: target.idReadable, confirmed, links, hidden_outside_scope: hidden };
  },
  render: (out) => {
    const head = out.confirmed
      ? `Linked: ${out.issue} ${out.link} ${out.target}.`
      : `YouTrack accepted "${out.link} ${out.target}" for ${out.issue}, but the link does not appear in its links (a workflow may have refused or renamed it).`;
    return [head, 'Links now:', ...renderLinks(out.links, out.hidden_outside_scope)].join('\n');
  },
});

export const listLinkTypes = youtrackTool({
  name: 'youtrack_list_link_types',
  title: 'List YouTrack link types',
  description: 'The link types of this YouTrack, custom ones included, with the words youtrack_link_issues takes.',
  inputSchema: z.object({}),
  outputSchema: z.object({
    link_types: z.array(z.object({ id: z.string(), name: z.string(), directed: z.boolean(), aggregation: z.boolean(), links: z.array(z.string()) })),
  }),
  annotations: readOnly,
  handler: async (_input, ctx) => ({
    link_types: (await linkTypes(ctx.client, ctx.signal)).map((type) => ({
      id: type.id,
      name: type.name,
      directed: type.directed === true,
      aggregation: type.aggregation === true,
      links: verbsOf(type),
    })),
  }),
  render: (out) =>
    out.link_types.length
      ? out.link_types.map((t) => `${t.name}${t.directed ? '' : ' (undirected)'}${t.aggregation ? ' (parent-child)' : ''}: ${t.links.map((l) => `"${l}"`).join(', ')}`).join('\n')
      : 'No link types.',
});

export const unlinkIssues = youtrackTool({
  name: 'youtrack_unlink_issues',
  title: 'Remove a link between YouTrack issues',
  description: 'Remove the link "<issue_id> <link> <target_issue_id>" (as youtrack_list_links shows it).',
  inputSchema: z.object({ issue_id: issueIdSchema, link: linkVerbSchema, target_issue_id: issueIdSchema }),
  outputSchema: z.object({ issue: z.string(), link: z.string(), target: z.string(), links: z.array(linkEntry), hidden_outside_scope: z.number() }),
  annotations: deletes,
  handler: async (input, ctx) => {
    const source = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    const target = await ctx.client.assertIssueInScope(ctx.scope, input.target_issue_id, ctx.signal);
    // The issue's links carry the id of each (type, direction) entry: the one that reads as asked and holds the target.
    const raw = await ctx.client.get<YtLink[]>(`/issues/${pathSegment(source.id)}/links`, LINK_FIELDS, { $top: 100 }, ctx.signal);
    const wanted = input.link.toLowerCase();
    const entry = raw.find((link) => linkVerb(link).toLowerCase() === wanted && link.issues.some((other) => other.idReadable === target.idReadable));
    if (!entry) {
      const { links } = await readLinks(ctx, source.id);
      const current = links.filter((l) => l.issue === target.idReadable).map((l) => `"${l.relation}"`);
      throw new InputError(
        `link: ${source.idReadable} has no "${input.link}" link to ${target.idReadable}${current.length ? `; it has ${current.join(', ')}` : ''} (youtrack_list_links).`,
      );
    }
    await ctx.client.delete(`/issues/${pathSegment(source.id)}/links/${pathSegment(entry.id)}/issues/${pathSegment(target.id)}`, ctx.signal);
    const { links, hidden } = await readLinks(ctx, source.id);
    return { issue: source.idReadable, link: linkVerb(entry), target: target.idReadable, links, hidden_outside_scope: hidden };
  },
  render: (out) => {
    const lines = renderLinks(out.links, out.hidden_outside_scope);
    return [`Removed: ${out.issue} ${out.link} ${out.target}.`, ...(lines.length ? ['Links now:', ...lines] : [`${out.issue} has no links now.`])].join('\n');
  },
});
