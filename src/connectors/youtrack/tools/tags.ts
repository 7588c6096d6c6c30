// Tags: the tags this token can see, and adding or removing one on an issue by name.
import { z } from 'zod';
import { InputError, UpstreamError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { adds, deletes, issueIdSchema, readOnly, skipSchema, topSchema, youtrackTool, type YouTrackContext } from './shared.js';

interface YtTag {
  id: string;
  name: string;
  owner?: { login?: string } | null;
  tagSharingSettings?: { permittedUsers?: Array<{ login?: string }> | null; permittedGroups?: Array<{ name?: string }> | null } | null;
}

/** What decides whether a tag can be added: its owner and who it is shared with for tagging (not admin rights). */
const TAG_USE_FIELDS = 'id,name,owner(login),tagSharingSettings(permittedUsers(login),permittedGroups(name))';

const TAG_PAGE = 100;
const MAX_TAGS = 2000;

/** Every tag visible to the token (YouTrack has no exact-name lookup), read page by page. */
async function allTags(ctx: YouTrackContext): Promise<YtTag[]> {
  const tags: YtTag[] = [];
  for (let skip = 0; skip < MAX_TAGS; skip += TAG_PAGE) {
    const page = await ctx.client.get<YtTag[]>('/tags', TAG_USE_FIELDS, { $skip: skip, $top: TAG_PAGE }, ctx.signal);
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

/** A tag and whose it is, as the user sees it in lists: "release (owner jane)". */
function tagLabel(tag: YtTag): string {
  return `${tag.name} (owner ${tag.owner?.login ?? 'unknown'})`;
}

/**
 * The tag to add among the visible ones of that name (names are unique per owner only): the user's own, or one shared
 * with the user for tagging; `owner` picks one. Several usable ones and no owner given is an ambiguity the user settles.
 */
function chooseTag(tags: YtTag[], name: string, owner: string | undefined, me: string): YtTag {
  const named = tags.filter((t) => t.name.toLowerCase() === name.toLowerCase());
  if (!named.length) throw new InputError(`tag: there is no tag "${name}" visible to this token. Tags: ${namesList(tags)}.`);
  if (owner !== undefined) {
    const owned = named.find((t) => t.owner?.login?.toLowerCase() === owner.toLowerCase());
    if (!owned) throw new InputError(`owner: no tag "${name}" of ${owner} is visible. Tags of that name: ${named.map(tagLabel).join(', ')}.`);
    return owned;
  }
  if (named.length === 1) return named[0]!;
  const mine = named.find((t) => t.owner?.login === me);
  if (mine) return mine;
  // Shared with a group may include the user too; only a direct share is certain.
  const usable = named.filter((t) => t.tagSharingSettings?.permittedUsers?.some((u) => u.login === me));
  if (usable.length === 1) return usable[0]!;
  throw new InputError(`tag: ${named.length} tags are named "${name}": ${named.map(tagLabel).join(', ')}. Give owner to choose one.`);
}
const taggedOutput = z.object({ issue: z.string(), tag: z.string(), tags: z.array(z.string()) });

export const addTag = youtrackTool({
  name: 'youtrack_add_tag',
  title: 'Tag a YouTrack issue',
  description:
    'Add an existing tag (see youtrack_list_tags) to an issue; your own tag or one shared with you for tagging.',
  inputSchema: z.object({
    issue_id: issueIdSchema,
    tag: tagNameSchema,
    owner: z.string().max(100).trim().min(1).optional().describe('Login of the tag\'s owner, when several tags have the name'),
  }),
  outputSchema: taggedOutput,
  annotations: adds,
  handler: async (input, ctx) => {
    const issue = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    const [tags, me] = await Promise.all([allTags(ctx), ctx.client.myLogin(ctx.signal)]);
    const tag = chooseTag(tags, input.tag, input.owner, me);
    await ctx.client.post(`/issues/${pathSegment(issue.id)}/tags`, { id: tag.id }, 'id,name', ctx.signal).catch((error: unknown) => {
      // A tag shared for reading only is listed but cannot be added: YouTrack answers 403 with its reason.
      if (error instanceof UpstreamError && error.status === 403) {
        throw new InputError(`tag: YouTrack refused to add ${tagLabel(tag)}: ${error.message} The tag is visible to you but not shared with you for tagging; ask ${tag.owner?.login ?? 'its owner'} to share it, or use a tag of your own.`);
      }
      throw error;
    });
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
