// Links between issues: read them, and add one through a command (the documented way to link).
import { z } from 'zod';
import { InputError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { adds, issueIdSchema, readOnly, youtrackTool, type YouTrackContext } from './shared.js';

interface YtLink {
  direction: 'OUTWARD' | 'INWARD' | 'BOTH';
  linkType: { name: string; directed?: boolean; sourceToTarget?: string | null; targetToSource?: string | null };
  issues: Array<{ idReadable: string; summary: string; project?: { shortName: string; id?: string } }>;
}

const LINK_FIELDS = 'id,direction,linkType(name,directed,sourceToTarget,targetToSource),issues(idReadable,summary,project(id,shortName))';

const LINK_VERBS = ['relates to', 'depends on', 'is required for', 'duplicates', 'is duplicated by', 'subtask of', 'parent for'] as const;

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
    'Link two issues, read as "<issue_id> <link> <target_issue_id>", e.g. DEMO-5 "subtask of" DEMO-1.',
  inputSchema: z.object({
    issue_id: issueIdSchema,
    link: z.enum(LINK_VERBS),
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
    // Both parts of the command are fixed words or checked issue keys, so the command cannot mean anything else.
    await ctx.client.post('/commands', { query: `${input.link} ${target.idReadable}`, issues: [{ idReadable: source.idReadable }] }, undefined, ctx.signal);
    const { links, hidden } = await readLinks(ctx, source.id);
    const confirmed = links.some((l) => l.issue === target.idReadable && l.relation.toLowerCase() === input.link);
    return { issue: source.idReadable, link: input.link, target: target.idReadable, confirmed, links, hidden_outside_scope: hidden };
  },
  render: (out) => {
    const head = out.confirmed
      ? `Linked: ${out.issue} ${out.link} ${out.target}.`
      : `YouTrack accepted "${out.link} ${out.target}" for ${out.issue}, but the link does not appear in its links (a workflow may have refused or renamed it).`;
    return [head, 'Links now:', ...renderLinks(out.links, out.hidden_outside_scope)].join('\n');
  },
});
