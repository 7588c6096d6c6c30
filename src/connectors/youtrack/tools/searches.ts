// Saved searches (list and run one) and completion suggestions for a query being written.
import { z } from 'zod';
import { InputError } from '../../../core/errors.js';
import { renderSearch, runSearch, searchOutput } from './issues.js';
import { readOnly, skipSchema, topSchema, userName, youtrackTool, type YouTrackContext, type YtUser } from './shared.js';

interface YtSavedQuery {
  id: string;
  name: string;
  query?: string | null;
  owner?: YtUser | null;
}

/** The saved searches the token's user can see: an instance has tens, so one page of 500 is all of them. */
function savedSearches(ctx: YouTrackContext): Promise<YtSavedQuery[]> {
  return ctx.client.get<YtSavedQuery[]>('/savedQueries', 'id,name,query,owner(login,fullName)', { $top: 500 }, ctx.signal);
}

export const listSavedSearches = youtrackTool({
  name: 'youtrack_list_saved_searches',
  title: 'List YouTrack saved searches',
  description: 'The saved searches you can see, with their queries; run one with youtrack_run_saved_search.',
  inputSchema: z.object({}),
  outputSchema: z.object({ saved_searches: z.array(z.object({ id: z.string(), name: z.string(), query: z.string(), owner: z.string().optional() })) }),
  annotations: readOnly,
  handler: async (_input, ctx) => ({
    saved_searches: (await savedSearches(ctx)).map((s) => ({ id: s.id, name: s.name, query: s.query ?? '', owner: userName(s.owner) })),
  }),
  render: (out) => (out.saved_searches.length ? out.saved_searches.map((s) => `${s.name} [${s.id}]${s.owner ? ` by ${s.owner}` : ''}: ${s.query}`).join('\n') : 'No saved searches.'),
});

export const runSavedSearch = youtrackTool({
  name: 'youtrack_run_saved_search',
  title: 'Run a YouTrack saved search',
  description: 'The issues a saved search finds now (by name or id), one line each, within the allowed projects.',
  inputSchema: z.object({
    search: z.string().max(200).trim().min(1).describe('Name or id, e.g. "Assigned to me"'),
    skip: skipSchema,
    top: topSchema(25),
  }),
  outputSchema: searchOutput.extend({ search: z.string(), query: z.string() }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const all = await savedSearches(ctx);
    const wanted = input.search.toLowerCase();
    const found = all.find((s) => s.id === input.search) ?? all.find((s) => s.name.toLowerCase() === wanted);
    if (!found) {
      throw new InputError(`search: no saved search "${input.search}" is visible to this token. Saved searches: ${all.map((s) => `"${s.name}"`).join(', ') || 'none'}.`);
    }
    // The saved query runs like any other search: limited to the scope's projects.
    const query = found.query ?? '';
    return { search: found.name, query, ...(await runSearch(ctx, query, input.skip, input.top)) };
  },
  render: (out) => `Saved search "${out.search}" (${out.query}):\n${renderSearch(out)}`,
});

interface YtSuggestion {
  option?: string | null;
  description?: string | null;
  prefix?: string | null;
  suffix?: string | null;
  completionStart?: number;
  completionEnd?: number;
}

export const suggestQuery = youtrackTool({
  name: 'youtrack_suggest_query',
  title: 'Complete a YouTrack query',
  description: 'YouTrack\'s completions for a search query being written (attributes, values, keywords), each with the completed query.',
  inputSchema: z.object({
    query: z.string().max(1000),
    caret: z.number().int().min(0).max(1000).optional().describe('Cursor position; default the end'),
    top: z.number().int().min(1).max(50).default(15),
  }),
  outputSchema: z.object({
    query: z.string(),
    suggestions: z.array(z.object({ option: z.string(), description: z.string().optional(), completed: z.string() })),
  }),
  annotations: readOnly,
  handler: async (input, ctx) => {
    const caret = input.caret ?? input.query.length;
    if (caret > input.query.length) throw new InputError(`caret: ${caret} is past the end of the query (${input.query.length} characters).`);
    const answer = await ctx.client.post<{ suggestions?: YtSuggestion[] }>(
      '/search/assist',
      { query: input.query, caret },
      'suggestions(option,description,prefix,suffix,completionStart,completionEnd)',
      ctx.signal,
    );
    const suggestions = (answer.suggestions ?? [])
      .filter((s): s is YtSuggestion & { option: string } => Boolean(s.option))
      .slice(0, input.top)
      .map((s) => {
        // The option replaces the text between completionStart and completionEnd, with its prefix and suffix.
        const start = s.completionStart ?? caret;
        const end = s.completionEnd ?? caret;
        const rest = input.query.slice(end);
        // A suffix ending in a space before text that starts with one would leave two.
        const suffix = /\s$/.test(s.suffix ?? '') && /^\s/.test(rest) ? s.suffix!.trimEnd() : (s.suffix ?? '');
        return { option: s.option, description: s.description || undefined, completed: `${input.query.slice(0, start)}${s.prefix ?? ''}${s.option}${suffix}${rest}` };
      });
    return { query: input.query, suggestions };
  },
  render: (out) =>
    out.suggestions.length
      ? [`Completions for "${out.query}":`, ...out.suggestions.map((s) => `${s.completed}${s.description ? `  (${s.description})` : ''}`)].join('\n')
      : `No completions for "${out.query}".`,
});
