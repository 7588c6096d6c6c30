// Tags: the tags this token can see, and adding or removing one on an issue by name.
import { z } from 'zod';
import { InputError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { adds, deletes, issueIdSchema, readOnly, skipSchema, topSchema, youtrackTool, type YouTrackContext } from './shared.js';

interface YtTag {
  id: string;
  name: string;
  owner?: { login?: string } | null;
}

const TAG_PAGE = 100;
const MAX_TAGS = 2000;

/** Every tag visible to the token (YouTrack has no exact-name lookup), read page by page. */
async function allTags(ctx: YouTrackContext): Promise<YtTag[]> {
  const tags: YtTag[] = [];
  for (let skip = 0; skip < MAX_TAGS; skip += TAG_PAGE) {
    const page = await ctx.client.get<YtTag[]>('/tags', 'id,name', { $skip: skip, $top: TAG_PAGE }, ctx.signal);
    tags.push(...page);
    if (page.length < TAG_PAGE) break;
  }
  return tags;
}

function namesList(tags: YtTag[]): string {
  const names = tags.slice(0, 50).map((t) => t.name);
  return `${names.join(', ') || 'none'}${tags.length > names.length ? ` (+${tags.length - names.length} more; youtrack_list_tags lists them)` : ''}`;
}

function issueTags(ctx: YouTrackContext, issueId: string): Promise<YtTag[]> {
  return ctx.client.get<YtTag[]>(`/issues/${pathSegment(issueId)}/tags`, 'id,name', { $top: 200 }, ctx.signal);
}

export const listTags = youtrackTool({
  name: 'youtrack_list_tags',
  title: 'List YouTrack tags',
  description: 'List the tags you can see, your own and shared ones.',
  inputSchema: z.object({ skip: skipSchema, top: topSchema(50) }),
  outputSchema: z.object({
    skip: z.number(),
    tags: z.array(z.object({ id: z.string(), name: z.string(), owner: z.string().optional() })),
    next_skip: z.number().optional(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const { items, more } = await ctx.client.page<YtTag>('/tags', 'id,name,owner(login)', {}, input.skip, input.top, ctx.signal);
    return {
      skip: input.skip,
      tags: items.map((t) => ({ id: t.id, name: t.name, owner: t.owner?.login })),
      next_skip: more ? input.skip + items.length : undefined,
    };
  },
  render: (out) => {
    if (!out.tags.length) return 'No tags.';
    const lines = out.tags.map((t) => `${t.name} (id ${t.id}${t.owner ? `, owner ${t.owner}` : ''})`);
    if (out.next_skip !== undefined) lines.push(`(more: skip=${out.next_skip})`);
    return lines.join('\n');
  },
});

const tagNameSchema = z.string().max(100).trim().min(1).describe('Name, any case');
const taggedOutput = z.object({ issue: z.string(), tag: z.string(), tags: z.array(z.string()) });

export const addTag = youtrackTool({
  name: 'youtrack_add_tag',
  title: 'Tag a YouTrack issue',
  description:
    'Add an existing tag (see youtrack_list_tags) to an issue.',
  inputSchema: z.object({ issue_id: issueIdSchema, tag: tagNameSchema }),
  outputSchema: taggedOutput,
  annotations: adds,
  handler: async (input, ctx) => {
    const issue = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    const tags = await allTags(ctx);
    const tag = tags.find((t) => t.name.toLowerCase() === input.tag.toLowerCase());
    if (!tag) throw new InputError(`tag: there is no tag "${input.tag}" visible to this token. Tags: ${namesList(tags)}.`);
    await ctx.client.post(`/issues/${pathSegment(issue.id)}/tags`, { id: tag.id }, 'id,name', ctx.signal);
    const now = await issueTags(ctx, issue.id);
    return { issue: issue.idReadable, tag: tag.name, tags: now.map((t) => t.name) };
  },
  render: (out) => `Tagged ${out.issue} with "${out.tag}". Tags now: ${out.tags.join(', ') || 'none'}.`,
});

export const removeTag = youtrackTool({
  name: 'youtrack_remove_tag',
  title: 'Untag a YouTrack issue',
  description: 'Remove a tag from an issue, by name; a tag the issue lacks changes nothing.',
  inputSchema: z.object({ issue_id: issueIdSchema, tag: tagNameSchema }),
  outputSchema: taggedOutput,
  annotations: deletes,
  handler: async (input, ctx) => {
    const issue = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    const current = await issueTags(ctx, issue.id);
    const tag = current.find((t) => t.name.toLowerCase() === input.tag.toLowerCase());
    if (!tag) throw new InputError(`tag: ${issue.idReadable} has no tag "${input.tag}". Its tags: ${current.map((t) => t.name).join(', ') || 'none'}.`);
    await ctx.client.delete(`/issues/${pathSegment(issue.id)}/tags/${pathSegment(tag.id)}`, ctx.signal);
    return { issue: issue.idReadable, tag: tag.name, tags: current.filter((t) => t.id !== tag.id).map((t) => t.name) };
  },
  render: (out) => `Removed tag "${out.tag}" from ${out.issue}. Tags now: ${out.tags.join(', ') || 'none'}.`,
});
