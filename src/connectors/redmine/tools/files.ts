// Files: upload bytes for later attaching, and read attachments (metadata, and small text files' content).
import { z } from 'zod';
import { decodeContent } from '../../../core/attachment.js';
import { InputError, PolicyError, UpstreamError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { clip } from '../../../core/untrusted.js';
import type { NamedRef } from '../client.js';
import { creates, idSchema, readOnly, redmineTool, type RedmineContext } from './shared.js';

export interface RedmineAttachment {
  id: number;
  filename: string;
  filesize: number;
  content_type?: string | null;
  description?: string | null;
  author?: NamedRef;
  created_on?: string;
  content_url?: string;
}

/**
 * An attachment's details, checked against the scope: attachments do not name their project, so under a scope
 * they are reached through their issue (which must be in scope and hold the attachment).
 */
export async function findAttachment(input: { attachment_id: number; issue_id?: number; project?: string }, ctx: RedmineContext): Promise<RedmineAttachment> {
  if (input.project !== undefined && input.issue_id === undefined) {
    // A project file (the Files module): found in its project's file list.
    await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    const { files } = await ctx.client.get<{ files: RedmineAttachment[] }>(`/projects/${pathSegment(input.project)}/files.json`, undefined, ctx.signal);
    const file = files.find((f) => f.id === input.attachment_id);
    if (!file) throw new InputError(`Attachment #${input.attachment_id} is not a file of project "${input.project}"; redmine_list_files lists them.`);
    return file;
  }
  if (input.issue_id === undefined) {
    if (ctx.scope.active) {
      throw new InputError(
        `issue_id is required while Bastion is limited to projects (${ctx.scope.setting}=${ctx.scope.values.join(',')}): give the issue the attachment belongs to (or project, for a project file).`,
      );
    }
    return (await ctx.client.get<{ attachment: RedmineAttachment }>(`/attachments/${pathSegment(input.attachment_id)}.json`, undefined, ctx.signal)).attachment;
  }
  const { issue } = await ctx.client.get<{ issue: { project: NamedRef; attachments?: RedmineAttachment[] } }>(
    `/issues/${pathSegment(input.issue_id)}.json`,
    { include: 'attachments' },
    ctx.signal,
  );
  await ctx.client.assertProjectInScope(ctx.scope, issue.project, `Issue #${input.issue_id}`, ctx.signal);
  const attachment = issue.attachments?.find((a) => a.id === input.attachment_id);
  if (!attachment) {
    const message = `Attachment #${input.attachment_id} is not attached to issue #${input.issue_id}.`;
    throw ctx.scope.active ? new PolicyError(message) : new InputError(`${message} redmine_get_issue lists the issue's attachments.`);
  }
  return attachment;
}

/** Redmine's default attachment_max_size is 5120 KB; a larger upload would only fail after the transfer. */
const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;
/** Text content is returned only for files up to this size. */
const MAX_TEXT_BYTES = 1024 * 1024;
const TEXT_TYPES = new Set(['application/json', 'application/xml', 'application/x-yaml', 'application/yaml']);
const TEXT_EXTENSIONS = /\.(?:txt|md|csv|log|json|xml|ya?ml)$/i;

// ---------------------------------------------------------------- redmine_upload_attachment

export const uploadAttachment = redmineTool({
  name: 'redmine_upload_attachment',
  title: 'Upload a file to Redmine',
  description:
    'Upload a file (at most 5 MiB); attach it by passing the upload_token once in the uploads of an issue or wiki page tool.',
  inputSchema: z.object({
    filename: z
      .string()
      .max(255)
      .trim()
      .min(1)
      .regex(/^[^/\\]+$/, 'must be a file name without / or \\'),
    content: z.string().min(1).max(7_340_032),
    encoding: z.enum(['text', 'base64']).default('text').describe('base64 for binary files'),
    content_type: z
      .string()
      .max(255)
      .regex(/^[\w.+-]+\/[\w.+-]+$/, 'must be a MIME type like "text/csv"')
      .optional()
      .describe('Default: guessed from the file name'),
  }),
  outputSchema: z.object({
    upload_token: z.string(),
    upload_id: z.number(),
    filename: z.string(),
    size: z.number().describe('Bytes uploaded'),
    content_type: z.string().optional(),
    note: z.string(),
  }),
  annotations: creates,
  handler: async (input, ctx) => {
    const body = decodeContent(input.content, input.encoding);
    if (body.length > MAX_UPLOAD_BYTES) {
      throw new InputError(
        `content is ${body.length} bytes; Redmine accepts attachments up to 5 MiB (5120 KB, its default attachment_max_size). Split or compress the file.`,
      );
    }
    const response = await ctx.client.http.request({
      method: 'POST',
      path: '/uploads.json',
      query: { filename: input.filename, content_type: input.content_type },
      body,
      // Redmine refuses any other content type for uploads (406).
      contentType: 'application/octet-stream',
      signal: ctx.signal,
    });
    const parsed = ctx.client.http.parseJson<{ upload?: { id: number; token: string } } | undefined>(response, 'POST /uploads.json');
    if (!parsed?.upload?.token) throw new UpstreamError('Redmine answered the upload without an upload token.', 'bad_response', response.status);
    return {
      upload_token: parsed.upload.token,
      upload_id: parsed.upload.id,
      filename: input.filename,
      size: body.length,
      content_type: input.content_type,
      note: 'Attach it by passing {upload_token, filename} in uploads of redmine_create_issue, redmine_update_issue or redmine_put_wiki_page.',
    };
  },
  // The token is put on its own line without "token:" or "token=" before it, which the log scrubber would treat as a credential.
  render: (out) =>
    `Uploaded ${out.filename} (${out.size} bytes) as upload #${out.upload_id}. upload_token for the uploads parameter:\n${out.upload_token}\n${out.note}`,
});

// ---------------------------------------------------------------- redmine_get_attachment

function isTextLike(attachment: RedmineAttachment): boolean {
  const type = (attachment.content_type ?? '').split(';')[0]!.trim().toLowerCase();
  return type.startsWith('text/') || TEXT_TYPES.has(type) || TEXT_EXTENSIONS.test(attachment.filename);
}

export const getAttachment = redmineTool({
  name: 'redmine_get_attachment',
  title: 'Get a Redmine attachment',
  description:
    'An attachment\'s details and, for a text file up to 1 MiB, its content. Ids: redmine_get_issue, redmine_get_wiki_page.',
  inputSchema: z.object({
    attachment_id: idSchema(),
    issue_id: idSchema('Its issue; needed if limited to projects').optional(),
    include_content: z.boolean().default(true),
    max_chars: z.number().int().min(100).max(100_000).default(4000),
  }),
  outputSchema: z.object({
    id: z.number(),
    filename: z.string(),
    filesize: z.number(),
    content_type: z.string().optional(),
    description: z.string().optional(),
    author: z.string().optional(),
    created_on: z.string().optional(),
    url: z.string(),
    content: z.string().optional(),
    content_note: z.string().optional().describe('Why the content is not included'),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const attachment = await findAttachment(input, ctx);
    let content: string | undefined;
    let contentNote: string | undefined;
    if (!input.include_content) {
      contentNote = 'not requested';
    } else if (!isTextLike(attachment)) {
      contentNote = `not a text file (${attachment.content_type || 'unknown type'}); open the link to download it`;
    } else if (attachment.filesize > MAX_TEXT_BYTES) {
      contentNote = `larger than 1 MiB (${attachment.filesize} bytes); open the link to download it`;
    } else {
      const response = await ctx.client.http.request({
        method: 'GET',
        path: `/attachments/download/${pathSegment(attachment.id)}/${pathSegment(attachment.filename)}`,
        signal: ctx.signal,
      });
      const text = response.body.toString('utf8');
      if (text.includes('\u0000')) {
        contentNote = 'the file contains binary data; open the link to download it';
      } else {
        content = clip(text, input.max_chars, `call redmine_get_attachment again with max_chars=${Math.min(100_000, text.length)}`);
      }
    }
    return {
      id: attachment.id,
      filename: attachment.filename,
      filesize: attachment.filesize,
      content_type: attachment.content_type || undefined,
      description: attachment.description || undefined,
      author: attachment.author?.name,
      created_on: attachment.created_on,
      // content_url is built from the host the request reached, which may be internal; the configured URL is used instead.
      url: ctx.client.webUrl(`/attachments/${attachment.id}`),
      content,
      content_note: contentNote,
    };
  },
  render: (out) => {
    const head =
      `Attachment #${out.id} ${out.filename} (${out.filesize} bytes${out.content_type ? `, ${out.content_type}` : ''})` +
      `${out.author ? ` by ${out.author}` : ''}${out.created_on ? ` on ${out.created_on.slice(0, 10)}` : ''} ${out.url}` +
      `${out.description ? `\nDescription: ${out.description}` : ''}`;
    return out.content !== undefined ? `${head}\n---\n${out.content}` : `${head}\nContent: ${out.content_note ?? 'none'}`;
  },
});
