// Comments on an issue: list, add, edit and delete. YouTrack addresses a comment only through its issue,
// so edits and deletes take both ids.
import { z } from 'zod';
import { InputError, UpstreamError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { clip } from '../../../core/untrusted.js';
import type { YouTrackClient } from '../client.js';
import { visibilityFor, visibleToGroupsSchema } from './users.js';
import { creates, deletes, entityIdSchema, isoTime, issueIdSchema, readOnly, skipSchema, topSchema, updates, userName, youtrackTool, type YtUser } from './shared.js';

interface YtComment {
  id: string;
  text?: string | null;
  created?: number;
  updated?: number | null;
  author?: YtUser | null;
  deleted?: boolean;
}

const COMMENT_FIELDS = 'id,text,created,updated,deleted,author(login,fullName)';

// Not trimmed: leading indentation is meaningful in Markdown.
const commentTextSchema = z.string().min(1).max(100_000).regex(/\S/, 'must not be blank');

const commentIdSchema = entityIdSchema('e.g. "4-17"');

function commentUrl(client: YouTrackClient, issueKey: string, commentId: string): string {
  return `${client.webUrl(`/issue/${issueKey}`)}#focus=Comments-${commentId}.0-0`;
}

/** A 404 on a comment path, once the issue is known to exist, means the comment is not on that issue. */
function notOnIssue(error: unknown, commentId: string, issueKey: string): unknown {
  if (error instanceof UpstreamError && error.status === 404) {
    return new InputError(`comment_id: there is no comment ${commentId} on issue ${issueKey} (or it is not visible to this token). youtrack_list_comments lists its comments.`);
  }
  return error;
}

export const listComments = youtrackTool({
  name: 'youtrack_list_comments',
  title: 'List comments of a YouTrack issue',
  description:
    'List an issue\'s comments with their ids, oldest first.',
  inputSchema: z.object({
    issue_id: issueIdSchema,
    skip: skipSchema,
    top: topSchema(20),
    max_chars: z.number().int().min(100).max(100_000).default(2000),
  }),
  outputSchema: z.object({
    issue: z.string(),
    skip: z.number(),
    comments: z.array(
      z.object({ id: z.string(), author: z.string().optional(), created: z.string().optional(), updated: z.string().optional(), text: z.string() }),
    ),
    next_skip: z.number().optional(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const issue = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    const { items, more } = await ctx.client.page<YtComment>(`/issues/${pathSegment(issue.id)}/comments`, COMMENT_FIELDS, {}, input.skip, input.top, ctx.signal);
    return {
      issue: issue.idReadable,
      skip: input.skip,
      comments: items
        .filter((c) => !c.deleted)
        .map((c) => ({
          id: c.id,
          author: userName(c.author),
          created: isoTime(c.created),
          updated: isoTime(c.updated),
          text: clip(c.text ?? '', input.max_chars, 'call youtrack_list_comments with a larger max_chars'),
        })),
      next_skip: more ? input.skip + items.length : undefined,
    };
  },
  render: (out) => {
    if (!out.comments.length) return `No comments on ${out.issue}${out.skip ? ` after ${out.skip}` : ''}.`;
    const lines = [`Comments on ${out.issue} (${out.skip + 1}-${out.skip + out.comments.length}${out.next_skip !== undefined ? `, more: skip=${out.next_skip}` : ''}):`];
    for (const c of out.comments) {
      lines.push(`[${c.id}] ${c.created ?? ''} ${c.author ?? ''}${c.updated ? ` (edited ${c.updated})` : ''}: ${c.text.replace(/\n/g, '\n  ')}`);
    }
    return lines.join('\n');
  },
});

const writtenCommentOutput = z.object({ issue: z.string(), comment_id: z.string(), url: z.string() });

export const addComment = youtrackTool({
  name: 'youtrack_add_comment',
  title: 'Comment on a YouTrack issue',
  description: 'Add a comment to an issue; its text is Markdown (YouTrack\'s default).',
  inputSchema: z.object({
    issue_id: issueIdSchema,
    text: commentTextSchema,
    visible_to_groups: visibleToGroupsSchema.optional(),
  }),
  outputSchema: writtenCommentOutput.extend({ visible_to_groups: z.array(z.string()).optional() }),
  annotations: creates,
  handler: async (input, ctx) => {
    const issue = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    // Limited when it is created, so that nobody outside the groups is notified of it.
    const visibility = input.visible_to_groups?.length ? await visibilityFor(ctx, input.visible_to_groups) : undefined;
    const comment = await ctx.client.post<YtComment>(
      `/issues/${pathSegment(issue.id)}/comments`,
      // IssueComment has no usesMarkdown attribute in 2026.1: comments are Markdown, YouTrack's default.
      { text: input.text, visibility: visibility?.body },
      'id',
      ctx.signal,
    );
    return { issue: issue.idReadable, comment_id: comment.id, url: commentUrl(ctx.client, issue.idReadable, comment.id), visible_to_groups: visibility?.groups };
  },
  render: (out) => `Added comment ${out.comment_id} to ${out.issue} (${out.url})${out.visible_to_groups ? `, visible to ${out.visible_to_groups.join(', ')} only` : ''}`,
});

export const updateComment = youtrackTool({
  name: 'youtrack_update_comment',
  title: 'Edit a YouTrack comment',
  description:
    'Replace the text of a comment (ids: youtrack_list_comments).',
  inputSchema: z.object({
    issue_id: issueIdSchema,
    comment_id: commentIdSchema,
    text: commentTextSchema,
  }),
  outputSchema: writtenCommentOutput,
  annotations: updates,
  handler: async (input, ctx) => {
    const issue = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    await ctx.client
      .post<YtComment>(
        `/issues/${pathSegment(issue.id)}/comments/${pathSegment(input.comment_id)}`,
        { text: input.text },
        'id',
        ctx.signal,
      )
      .catch((error: unknown) => {
        throw notOnIssue(error, input.comment_id, issue.idReadable);
      });
    return { issue: issue.idReadable, comment_id: input.comment_id, url: commentUrl(ctx.client, issue.idReadable, input.comment_id) };
  },
  render: (out) => `Updated comment ${out.comment_id} on ${out.issue} (${out.url})`,
});

export const deleteComment = youtrackTool({
  name: 'youtrack_delete_comment',
  title: 'Delete a YouTrack comment',
  description: 'Delete a comment from an issue (ids: youtrack_list_comments).',
  inputSchema: z.object({ issue_id: issueIdSchema, comment_id: commentIdSchema }),
  outputSchema: z.object({ issue: z.string(), comment_id: z.string(), deleted: z.boolean() }),
  annotations: deletes,
  handler: async (input, ctx) => {
    const issue = await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    await ctx.client.delete(`/issues/${pathSegment(issue.id)}/comments/${pathSegment(input.comment_id)}`, ctx.signal).catch((error: unknown) => {
      throw notOnIssue(error, input.comment_id, issue.idReadable);
    });
    return { issue: issue.idReadable, comment_id: input.comment_id, deleted: true };
  },
  render: (out) => `Deleted comment ${out.comment_id} from ${out.issue}.`,
});
