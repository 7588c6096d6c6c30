// Project wikis: list, read (optionally an old version) and write pages with optimistic locking.
import { z } from 'zod';
import { UpstreamError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { page as textPage } from '../../../core/untrusted.js';
import type { NamedRef } from '../client.js';
import { limitSchema, MAX_ID, offsetSchema, projectSchema, readOnly, redmineTool, updates, type RedmineContext } from './shared.js';

export interface RedmineWikiPage {
  title: string;
  parent?: { title: string };
  text?: string;
  version: number;
  author?: NamedRef;
  comments?: string | null;
  created_on?: string;
  updated_on?: string;
  attachments?: Array<{ id: number; filename: string; filesize: number; content_type?: string | null; description?: string | null }>;
}

// Redmine strips , . / ? ; | : from titles; rejecting them keeps the page name and the URL unambiguous.
export const titleSchema = z
  .string()
  .max(255)
  .trim()
  .min(1)
  .regex(/^[^,./?;|:]+$/, 'must not contain , . / ? ; | or :');

/** Redmine's own normalisation (Wiki.titleize): whitespace to "_", first letter upper case. It also keeps "index" off the index route. */
export function wikiTitle(title: string): string {
  const underscored = title.trim().replace(/\s+/g, '_');
  return underscored.charAt(0).toUpperCase() + underscored.slice(1);
}

export const pageUrl = (ctx: RedmineContext, project: string, title: string) =>
  ctx.client.webUrl(`/projects/${pathSegment(project)}/wiki/${pathSegment(title)}`);

// ---------------------------------------------------------------- redmine_list_wiki_pages

export const listWikiPages = redmineTool({
  name: 'redmine_list_wiki_pages',
  title: 'List wiki pages of a Redmine project',
  description:
    'List the pages of a project\'s wiki (titles, parents, versions).',
  inputSchema: z.object({
    project: projectSchema,
    offset: offsetSchema,
    limit: limitSchema(100),
  }),
  outputSchema: z.object({
    total_count: z.number(),
    offset: z.number(),
    pages: z.array(z.object({ title: z.string(), parent: z.string().optional(), version: z.number(), updated_on: z.string().optional() })),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    // The wiki index is not paginated by Redmine; it is paged here to keep results small.
    const { wiki_pages } = await ctx.client.get<{ wiki_pages: RedmineWikiPage[] }>(
      `/projects/${pathSegment(input.project)}/wiki/index.json`,
      undefined,
      ctx.signal,
    );
    const pages = [...wiki_pages].sort((a, b) => a.title.localeCompare(b.title));
    return {
      total_count: pages.length,
      offset: input.offset,
      pages: pages.slice(input.offset, input.offset + input.limit).map((page) => ({
        title: page.title,
        parent: page.parent?.title,
        version: page.version,
        updated_on: page.updated_on,
      })),
    };
  },
  render: (out) => {
    if (!out.pages.length) return `No wiki pages (total ${out.total_count}).`;
    const end = out.offset + out.pages.length;
    const lines = out.pages.map((p) => `- ${p.title} (v${p.version}${p.updated_on ? `, ${p.updated_on.slice(0, 10)}` : ''}${p.parent ? `, under ${p.parent}` : ''})`);
    const more = end < out.total_count ? `\nMore: call again with offset=${end}.` : '';
    return `Wiki pages ${out.offset + 1}-${end} of ${out.total_count}:\n${lines.join('\n')}${more}`;
  },
});

// ---------------------------------------------------------------- redmine_get_wiki_page

export const getWikiPage = redmineTool({
  name: 'redmine_get_wiki_page',
  title: 'Read a Redmine wiki page',
  description:
    'Read a wiki page, a long one in parts (text_offset). Keep its version for redmine_put_wiki_page.',
  inputSchema: z.object({
    project: projectSchema,
    title: titleSchema,
    version: z.number().int().min(1).max(MAX_ID).optional().describe('Older version to read'),
    max_chars: z.number().int().min(100).max(100_000).default(4000),
    text_offset: z.number().int().min(0).max(10_000_000).default(0),
  }),
  outputSchema: z.object({
    title: z.string(),
    version: z.number(),
    parent: z.string().optional(),
    author: z.string().optional(),
    comments: z.string().optional(),
    updated_on: z.string().optional(),
    text: z.string(),
    text_length: z.number().describe('Length of the whole text in characters'),
    text_offset: z.number().optional(),
    attachments: z
      .array(z.object({ id: z.number(), filename: z.string(), filesize: z.number(), content_type: z.string().optional(), description: z.string().optional() }))
      .optional(),
    url: z.string(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    const title = wikiTitle(input.title);
    const base = `/projects/${pathSegment(input.project)}/wiki/${pathSegment(title)}`;
    const path = input.version === undefined ? `${base}.json` : `${base}/${pathSegment(input.version)}.json`;
    const { wiki_page: page } = await ctx.client.get<{ wiki_page: RedmineWikiPage }>(path, { include: 'attachments' }, ctx.signal);
    // Paged on the scrubbed text: no choice of offsets puts a secret back together from the parts.
    const part = textPage(page.text ?? '', input.text_offset, input.max_chars);
    const text =
      part.next === undefined
        ? part.text
        : `${part.text}… [truncated: ${part.total - part.next} more characters; call redmine_get_wiki_page again with text_offset=${part.next}` +
          `${input.max_chars < 100_000 ? ` or a larger max_chars (up to 100000)` : ''}]`;
    return {
      title: page.title,
      version: page.version,
      parent: page.parent?.title,
      author: page.author?.name,
      comments: page.comments || undefined,
      updated_on: page.updated_on,
      text,
      text_length: part.total,
      text_offset: input.text_offset || undefined,
      attachments: page.attachments?.length
        ? page.attachments.map((a) => ({
            id: a.id,
            filename: a.filename,
            filesize: a.filesize,
            content_type: a.content_type || undefined,
            description: a.description || undefined,
          }))
        : undefined,
      url: pageUrl(ctx, input.project, page.title),
    };
  },
  render: (out) => {
    const head =
      `${out.title} v${out.version}${out.parent ? ` (under ${out.parent})` : ''}` +
      `${out.author ? `, by ${out.author}` : ''}${out.updated_on ? ` on ${out.updated_on.slice(0, 10)}` : ''}` +
      `${out.comments ? ` "${out.comments}"` : ''} ${out.url}`;
    const range = out.text_offset ? `\n[text from character ${out.text_offset} of ${out.text_length}]` : '';
    const files = out.attachments?.length
      ? `\nAttachments: ${out.attachments.map((a) => `#${a.id} ${a.filename} (${a.filesize} bytes)`).join(', ')}`
      : '';
    return `${head}${files}${range}\n---\n${out.text}`;
  },
});

// ---------------------------------------------------------------- redmine_put_wiki_page

export const putWikiPage = redmineTool({
  name: 'redmine_put_wiki_page',
  title: 'Create or update a Redmine wiki page',
  description:
    'Create a wiki page or replace its whole text. Pass the version you read, so a newer edit is not overwritten.',
  inputSchema: z.object({
    project: projectSchema,
    title: titleSchema,
    text: z.string().max(500_000).regex(/\S/, 'must not be blank (Redmine requires text, even when only attaching files)').describe('Complete text; Textile or Markdown, as configured'),
    comments: z.string().max(1024).optional().describe('Change note'),
    version: z.number().int().min(1).max(MAX_ID).optional().describe('Version your text is based on'),
    parent_title: titleSchema.optional(),
    uploads: z
      .array(
        z.object({
          upload_token: z.string().min(1).max(200),
          filename: z.string().min(1).max(255),
          content_type: z.string().max(255).optional(),
          description: z.string().max(255).optional(),
        }),
      )
      .max(10)
      .optional()
      .describe('Files from redmine_upload_attachment'),
  }),
  outputSchema: z.object({
    title: z.string(),
    created: z.boolean(),
    version: z.number().optional(),
    attached: z.number().optional().describe('Number of the given uploads now attached to the page'),
    warning: z.string().optional(),
    url: z.string(),
  }),
  annotations: updates,
  handler: async (input, ctx) => {
    await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    const title = wikiTitle(input.title);
    const path = `/projects/${pathSegment(input.project)}/wiki/${pathSegment(title)}.json`;
    const wiki_page = {
      text: input.text,
      comments: input.comments,
      version: input.version,
      parent_title: input.parent_title === undefined ? undefined : wikiTitle(input.parent_title),
      uploads: input.uploads?.map((u) => ({ token: u.upload_token, filename: u.filename, content_type: u.content_type, description: u.description })),
    };
    let response;
    try {
      // include=attachments makes a 201's page body list the attached files.
      // The same text saved again makes no new version, but files would be attached again: not repeated then.
      response = await ctx.client.http.request({
        method: 'PUT',
        path,
        query: { include: 'attachments' },
        json: { wiki_page },
        signal: ctx.signal,
        idempotent: !input.uploads?.length,
        howToCheck: `read the page with redmine_get_wiki_page`,
      });
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 409) {
        throw new UpstreamError(
          `The wiki page "${title}" changed since version ${input.version ?? '(none given)'}: someone saved a newer version, and nothing was written. ` +
            'Read it again with redmine_get_wiki_page, merge your change into its current text, and retry with its current version.',
          'http',
          409,
        );
      }
      throw error;
    }
    const created = response.status === 201;
    // 204 carries no body: the page is read back for its new version (needed to chain edits) and its files.
    const page = created
      ? ctx.client.http.parseJson<{ wiki_page?: RedmineWikiPage } | undefined>(response, `PUT ${path}`)?.wiki_page
      : (await ctx.client.get<{ wiki_page: RedmineWikiPage }>(path, { include: 'attachments' }, ctx.signal)).wiki_page;
    // Redmine skips unknown or already used upload tokens without an error, so the result says which files are missing.
    const onPage = new Set((page?.attachments ?? []).map((a) => a.filename));
    const missing = (input.uploads ?? []).map((u) => u.filename).filter((name) => page?.attachments && !onPage.has(name));
    const attached = (input.uploads?.length ?? 0) - missing.length;
    return {
      title: page?.title ?? title,
      created,
      version: page?.version,
      attached: input.uploads?.length ? attached : undefined,
      warning: missing.length
        ? `Redmine did not attach ${missing.join(', ')}: the upload_token was unknown, expired or already used. Upload the file again with redmine_upload_attachment.`
        : undefined,
      url: pageUrl(ctx, input.project, page?.title ?? title),
    };
  },
  render: (out) =>
    `${out.created ? 'Created' : 'Updated'} wiki page ${out.title}${out.version !== undefined ? `, now version ${out.version}` : ''}` +
    `${out.attached ? `, ${out.attached} file(s) attached` : ''} (${out.url})${out.warning ? `\nWarning: ${out.warning}` : ''}`,
});
