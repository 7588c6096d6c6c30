// Knowledge base: search articles and read one, limited to the allowed projects.
import { z } from 'zod';
import { InputError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { clip } from '../../../core/untrusted.js';
import { collectPage } from './projects.js';
import { creates, isoTime, projectSchema, readOnly, updates, skipSchema, topSchema, userName, youtrackTool, type YouTrackContext, type YtUser } from './shared.js';

interface YtArticleRef {
  id: string;
  idReadable: string;
  summary?: string | null;
}

interface YtArticle extends YtArticleRef {
  content?: string | null;
  created?: number;
  updated?: number;
  project?: { id: string; name?: string; shortName: string } | null;
  reporter?: YtUser | null;
  parentArticle?: YtArticleRef | null;
  childArticles?: YtArticleRef[];
}

const articleIdSchema = z
  .string()
  .min(1)
  .max(60)
  .regex(/^(?:[A-Za-z][A-Za-z0-9_]*-[Aa]-\d+|\d+-\d+)$/, 'must be an article key like "DEMO-A-1" (or a database id like "9-1")')
  .describe('e.g. "DEMO-A-1"');

export const searchArticles = youtrackTool({
  name: 'youtrack_search_articles',
  title: 'Search YouTrack articles',
  description:
    'Search the knowledge base by text; read an article with youtrack_get_article.',
  inputSchema: z.object({
    query: z.string().max(500).default('').describe('Empty lists every article'),
    project: projectSchema.optional(),
    skip: skipSchema,
    top: topSchema(20),
  }),
  outputSchema: z.object({
    articles: z.array(z.object({ id: z.string(), summary: z.string(), project: z.string().optional(), updated: z.string().optional() })),
    next_skip: z.number().optional(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    let only: { id: string; shortName: string } | undefined;
    if (input.project) {
      only = await ctx.client.project(input.project, ctx.signal);
      ctx.client.assertProjectInScope(ctx.scope, only, `Project ${only.shortName}`);
    }
    // GET /articles declares no `query` in YouTrack 2026.1 (a server ignores it), and no project filter: the words,
    // the project and the scope are all matched here, on the summary and the content.
    const words = input.query.toLowerCase().split(/\s+/).filter(Boolean);
    const { items, nextSkip } = await collectPage<YtArticle & { content?: string | null }>(
      ctx.client,
      '/articles',
      'id,idReadable,summary,content,updated,project(id,shortName)',
      {},
      input,
      (a) =>
        (only ? a.project?.id === only.id : ctx.scope.allows([a.project?.shortName, a.project?.id])) &&
        words.every((word) => `${a.summary ?? ''}\n${a.content ?? ''}`.toLowerCase().includes(word)),
      ctx.signal,
      2000,
    );
    return {
      articles: items.map((a) => ({ id: a.idReadable, summary: a.summary ?? '', project: a.project?.shortName, updated: isoTime(a.updated)?.slice(0, 10) })),
      next_skip: nextSkip,
    };
  },
  render: (out) => {
    if (!out.articles.length) return 'No articles found.';
    const lines = out.articles.map((a) => `${a.id} ${a.summary}${a.updated ? ` · ${a.updated}` : ''}`);
    if (out.next_skip !== undefined) lines.push(`(more: skip=${out.next_skip})`);
    return lines.join('\n');
  },
});

const articleRef = z.object({ id: z.string(), summary: z.string() });

export const getArticle = youtrackTool({
  name: 'youtrack_get_article',
  title: 'Get a YouTrack article',
  description:
    'A knowledge-base article with its Markdown content and the keys of its parent and sub-articles.',
  inputSchema: z.object({
    article_id: articleIdSchema,
    max_chars: z.number().int().min(100).max(100_000).default(5000),
  }),
  outputSchema: z.object({
    id: z.string(),
    summary: z.string(),
    url: z.string(),
    project: z.string().optional(),
    reporter: z.string().optional(),
    created: z.string().optional(),
    updated: z.string().optional(),
    parent: articleRef.optional(),
    children: z.array(articleRef),
    content: z.string(),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const article = await ctx.client.get<YtArticle>(
      `/articles/${pathSegment(input.article_id)}`,
      'id,idReadable,summary,content,created,updated,project(id,name,shortName),reporter(login,fullName),' +
        'parentArticle(id,idReadable,summary),childArticles(id,idReadable,summary)',
      undefined,
      ctx.signal,
    );
    ctx.scope.assert([article.project?.shortName, article.project?.id], `Article ${article.idReadable}`);
    const ref = (a: YtArticleRef) => ({ id: a.idReadable, summary: a.summary ?? '' });
    return {
      id: article.idReadable,
      summary: article.summary ?? '',
      url: ctx.client.webUrl(`/articles/${article.idReadable}`),
      project: article.project?.shortName,
      reporter: userName(article.reporter),
      created: isoTime(article.created),
      updated: isoTime(article.updated),
      parent: article.parentArticle ? ref(article.parentArticle) : undefined,
      children: (article.childArticles ?? []).map(ref),
      content: clip(article.content ?? '', input.max_chars, 'call youtrack_get_article with a larger max_chars'),
    };
  },
  render: (out) => {
    const lines = [
      `${out.id} ${out.summary} (${out.url})`,
      [out.project, out.reporter && `by ${out.reporter}`, out.updated && `updated ${out.updated}`].filter(Boolean).join(' · '),
    ];
    if (out.parent) lines.push(`Parent: ${out.parent.id} ${out.parent.summary}`);
    if (out.children.length) lines.push(`Sub-articles: ${out.children.map((c) => `${c.id} ${c.summary}`).join('; ')}`);
    lines.push('Content:', out.content);
    return lines.filter(Boolean).join('\n');
  },
});

const writtenArticleOutput = z.object({ id: z.string(), summary: z.string(), project: z.string().optional(), parent: z.string().optional(), url: z.string(), changed: z.array(z.string()) });

const ARTICLE_WRITE_FIELDS = 'id,idReadable,summary,project(id,shortName),parentArticle(idReadable)';

/** An article's project, checked against the scope before anything is written to or under it. */
async function articleInScope(ctx: YouTrackContext, articleId: string, what: string): Promise<YtArticle> {
  const article = await ctx.client.get<YtArticle>(`/articles/${pathSegment(articleId)}`, 'id,idReadable,summary,project(id,shortName)', undefined, ctx.signal);
  ctx.scope.assert([article.project?.shortName, article.project?.id], `${what} ${article.idReadable}`);
  return article;
}

function writtenArticle(ctx: YouTrackContext, a: YtArticle, changed: string[]): z.input<typeof writtenArticleOutput> {
  return { id: a.idReadable, summary: a.summary ?? '', project: a.project?.shortName, parent: a.parentArticle?.idReadable, url: ctx.client.webUrl(`/articles/${a.idReadable}`), changed };
}

export const createArticle = youtrackTool({
  name: 'youtrack_create_article',
  title: 'Create a YouTrack article',
  description: 'Write a knowledge-base article (Markdown) in a project, optionally under a parent article.',
  inputSchema: z.object({
    project: projectSchema,
    summary: z.string().max(500).trim().min(1),
    content: z.string().max(200_000).default('').describe('Markdown'),
    parent_article_id: articleIdSchema.optional(),
  }),
  outputSchema: writtenArticleOutput,
  annotations: creates,
  handler: async (input, ctx) => {
    const project = await ctx.client.project(input.project, ctx.signal);
    ctx.client.assertProjectInScope(ctx.scope, project, `Project ${project.shortName}`);
    let parent: YtArticle | undefined;
    if (input.parent_article_id) {
      parent = await articleInScope(ctx, input.parent_article_id, 'Parent article');
      if (parent.project?.id !== project.id) {
        throw new InputError(`parent_article_id: ${parent.idReadable} is in ${parent.project?.shortName ?? 'another project'}, not in ${project.shortName}; give a parent in the same project.`);
      }
    }
    const created = await ctx.client.post<YtArticle>(
      '/articles',
      { project: { id: project.id }, summary: input.summary, content: input.content, parentArticle: parent ? { id: parent.id } : undefined },
      ARTICLE_WRITE_FIELDS,
      ctx.signal,
    );
    return writtenArticle(ctx, created, ['created']);
  },
  render: (out) => `Created article ${out.id} "${out.summary}"${out.parent ? ` under ${out.parent}` : ''} (${out.url})`,
});

export const updateArticle = youtrackTool({
  name: 'youtrack_update_article',
  title: 'Update a YouTrack article',
  description: 'Replace an article\'s title or Markdown content (read it first with youtrack_get_article).',
  inputSchema: z.object({
    article_id: articleIdSchema,
    summary: z.string().max(500).trim().min(1).optional(),
    content: z.string().max(200_000).optional().describe('Markdown; replaces the whole content'),
  }),
  outputSchema: writtenArticleOutput,
  annotations: updates,
  handler: async (input, ctx) => {
    const changed = (['summary', 'content'] as const).filter((key) => input[key] !== undefined);
    if (!changed.length) throw new InputError('Nothing to update: give summary or content.');
    const current = await articleInScope(ctx, input.article_id, 'Article');
    const updated = await ctx.client.post<YtArticle>(`/articles/${pathSegment(current.id)}`, { summary: input.summary, content: input.content }, ARTICLE_WRITE_FIELDS, ctx.signal);
    return writtenArticle(ctx, updated, changed);
  },
  render: (out) => `Updated article ${out.id} "${out.summary}": ${out.changed.join(', ')} (${out.url})`,
});
