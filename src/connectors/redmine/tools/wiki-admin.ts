// Wiki pages over time and their removal: a page's versions (history), and deleting a page.
// Redmine 5.0's REST API has no rename (its rename action takes no API key), so no tool renames a page.
import { z } from 'zod';
import { InputError, UpstreamError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { clip } from '../../../core/untrusted.js';
import { deletes, projectSchema, readOnly, redmineTool, type RedmineContext } from './shared.js';
import { pageUrl, titleSchema, wikiTitle, type RedmineWikiPage } from './wiki.js';

const wikiPath = (project: string, title: string) => `/projects/${pathSegment(project)}/wiki/${pathSegment(title)}`;

async function readPage(ctx: RedmineContext, project: string, title: string, version?: number): Promise<RedmineWikiPage> {
  const path = version === undefined ? `${wikiPath(project, title)}.json` : `${wikiPath(project, title)}/${pathSegment(version)}.json`;
  return (await ctx.client.get<{ wiki_page: RedmineWikiPage }>(path, undefined, ctx.signal)).wiki_page;
}

// ---------------------------------------------------------------- redmine_list_wiki_versions

export const listWikiVersions = redmineTool({
  name: 'redmine_list_wiki_versions',
  title: 'List versions of a Redmine wiki page',
  description: 'A wiki page\'s history, newest first: who saved each version, when, with what comment. Read one: redmine_get_wiki_page version.',
  inputSchema: z.object({
    project: projectSchema,
    title: titleSchema,
    offset: z.number().int().min(0).max(100_000).default(0).describe('Versions to skip from the newest'),
    limit: z.number().int().min(1).max(25).default(10),
  }),
  outputSchema: z.object({
    title: z.string(),
    current_version: z.number(),
    offset: z.number(),
    versions: z.array(
      z.object({
        version: z.number(),
        author: z.string().optional(),
        comments: z.string().optional(),
        updated_on: z.string().optional(),
        text_length: z.number().optional(),
        deleted: z.boolean().optional().describe('Set for a version removed from the history'),
      }),
    ),
    next_offset: z.number().optional(),
    url: z.string(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    const title = wikiTitle(input.title);
    const current = await readPage(ctx, input.project, title);
    // Redmine's REST API lists no history: each version is read by its number (the page keeps every number up to
    // the current one, unless someone deleted that version).
    const newest = current.version - input.offset;
    const oldest = Math.max(1, newest - input.limit + 1);
    const versions = [];
    for (let number = newest; number >= oldest; number -= 1) {
      try {
        const page = number === current.version ? current : await readPage(ctx, input.project, title, number);
        versions.push({
          version: page.version,
          author: page.author?.name,
          comments: page.comments ? clip(page.comments, 300, 'the comment is longer') : undefined,
          updated_on: page.updated_on,
          text_length: (page.text ?? '').length,
        });
      } catch (error) {
        if (error instanceof UpstreamError && error.status === 404) versions.push({ version: number, deleted: true });
        else if (error instanceof UpstreamError && error.status === 403) {
          throw new UpstreamError('Reading old versions needs the "View wiki history" permission, which the key\'s user lacks in this project.', 'http', 403);
        } else throw error;
      }
    }
    return {
      title: current.title,
      current_version: current.version,
      offset: input.offset,
      versions,
      next_offset: oldest > 1 ? input.offset + (newest - oldest + 1) : undefined,
      url: pageUrl(ctx, input.project, current.title),
    };
  },
  render: (out) => {
    if (!out.versions.length) return `${out.title} has ${out.current_version} version(s); none at offset ${out.offset}.`;
    const lines = out.versions.map((v) =>
      v.deleted
        ? `- v${v.version}: deleted from the history`
        : `- v${v.version}${v.updated_on ? ` ${v.updated_on}` : ''}${v.author ? ` by ${v.author}` : ''}, ${v.text_length} chars${v.comments ? `: "${v.comments}"` : ''}`,
    );
    const more = out.next_offset !== undefined ? `\nOlder: call again with offset=${out.next_offset}.` : '';
    return `${out.title}, current version ${out.current_version} ${out.url}\n${lines.join('\n')}${more}`;
  },
});

// ---------------------------------------------------------------- redmine_delete_wiki_page

export const deleteWikiPage = redmineTool({
  name: 'redmine_delete_wiki_page',
  title: 'Delete a Redmine wiki page',
  description: 'Permanently delete a wiki page with its history and files; its child pages move to the top level, or are deleted too.',
  inputSchema: z.object({
    project: projectSchema,
    title: titleSchema,
    children: z.enum(['move_to_top', 'delete']).default('move_to_top').describe('What happens to its child pages'),
  }),
  outputSchema: z.object({
    title: z.string(),
    deleted: z.boolean(),
    children: z.array(z.string()).describe('Pages deleted with it, or its direct children now at the top level'),
    children_deleted: z.boolean(),
  }),
  annotations: deletes,
  handler: async (input, ctx) => {
    await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    const title = wikiTitle(input.title);
    const { wiki_pages } = await ctx.client.get<{ wiki_pages: RedmineWikiPage[] }>(`/projects/${pathSegment(input.project)}/wiki/index.json`, undefined, ctx.signal);
    const page = wiki_pages.find((p) => p.title === title);
    if (!page) throw new InputError(`title: project ${input.project} has no wiki page "${title}"; redmine_list_wiki_pages lists them.`);
    // The pages below it, at any depth, for the result (Redmine's answer is empty).
    const below = new Set([title]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const p of wiki_pages) if (p.parent && below.has(p.parent.title) && !below.has(p.title)) grew = Boolean(below.add(p.title));
    }
    below.delete(title);
    const todo = input.children === 'delete' ? 'destroy' : 'nullify';
    await ctx.client.http.request({ method: 'DELETE', path: `${wikiPath(input.project, title)}.json`, query: { todo }, signal: ctx.signal });
    // Redmine moves only the direct children to the top level; their own children stay under them.
    const children = input.children === 'delete' ? [...below] : wiki_pages.filter((p) => p.parent?.title === title).map((p) => p.title);
    return { title, deleted: true, children, children_deleted: input.children === 'delete' && children.length > 0 };
  },
  render: (out) =>
    `Deleted wiki page ${out.title}` +
    (out.children.length ? (out.children_deleted ? `, and the pages below it: ${out.children.join(', ')}` : `; its child pages are now top-level: ${out.children.join(', ')}`) : '') +
    '.',
});
