// Saved searches, search completion (POST /search/assist), user groups and article writes, in the shapes of the 2026.1
// description (SavedQuery, SearchSuggestions with Suggestion items, UserGroup and its subtypes, Article).
import { badRequest, entityNotFound, forbidden, invalidProperties } from './errors.js';
import { view, type View } from './fields.js';
import {
  findArticle,
  findIssue,
  findProject,
  findUser,
  nextId,
  tick,
  type ActivityRecord,
  type ArticleRecord,
  type FieldValue,
  type GroupRecord,
  type IssueRecord,
  type ProjectRecord,
  type SavedQueryRecord,
  type YouTrackState,
} from './model.js';
import { searchIssues } from './query.js';
import { entity, isRecord, objectBody, optionalString, page, type RequestContext, type Route } from './router.js';
import type { Views } from './views.js';

function groupView(context: RequestContext, group: GroupRecord): View {
  const project = group.projectId ? context.state.projects.find((candidate) => candidate.id === group.projectId) : undefined;
  return view(group.$type, {
    id: () => group.id,
    name: () => group.name,
    ringId: () => `c0a8f6f2-0000-4000-9000-${group.id.replace('-', '').padStart(12, '0')}`,
    usersCount: () => group.memberIds.length,
    icon: () => null,
    allUsersGroup: () => group.$type === 'AllUsersGroup',
    teamForProject: () => (project ? context.views.project(project) : null),
  });
}

/** The saved searches a user sees: their own and those shared with all users (assumption: sharing is all or nothing). */
function visibleQueries(context: RequestContext): SavedQueryRecord[] {
  return context.state.savedQueries.filter((query) => query.ownerId === context.me.id || query.sharedWithAll);
}

function savedQueryView(context: RequestContext, query: SavedQueryRecord): View {
  return view('SavedQuery', {
    id: () => query.id,
    name: () => query.name,
    query: () => query.query,
    owner: () => context.views.userById(query.ownerId),
    visibleFor: () => null,
    updateableBy: () => null,
    issues: () => [],
  });
}

interface Completion {
  option: string;
  description: string;
  group: string;
  /** An attribute is followed by ": ", a value by " "; a value with spaces is put in braces. */
  kind: 'attribute' | 'value';
}

const KEYWORDS: Completion[] = [
  ...['project', 'for', 'by', 'tag', 'has', 'created', 'updated', 'resolved date', 'summary', 'description', 'sort by', 'links'].map((option) => ({
    option,
    description: 'attribute',
    group: 'Attributes',
    kind: 'attribute' as const,
  })),
  ...['#Unresolved', '#Resolved', '#me'].map((option) => ({ option, description: 'shortcut', group: 'Shortcuts', kind: 'value' as const })),
];

/** What may follow "<attribute>: ": the attribute's values as the caller may see them. */
function valuesOf(context: RequestContext, attribute: string): Completion[] {
  const { state, me } = context;
  const lower = attribute.replace(/^\{|\}$/g, '').toLowerCase();
  const value = (option: string, description: string): Completion => ({ option, description, group: attribute, kind: 'value' });
  if (lower === 'project') return state.projects.filter((p) => !p.memberLogins || me.admin || p.memberLogins.includes(me.login)).map((p) => value(p.shortName, p.name));
  if (lower === 'for' || lower === 'by' || lower === 'assignee' || lower === 'reporter') return [value('me', me.fullName), ...state.users.map((u) => value(u.login, u.fullName))];
  if (lower === 'tag') return context.views.visibleTags().map((t) => value(t.name, 'tag'));
  const fields = state.projects.flatMap((p) => p.fields).filter((f) => f.name.toLowerCase() === lower);
  return [...new Set(fields.flatMap((f) => f.values.filter((v) => !v.archived).map((v) => v.name)))].map((name) => value(name, fields[0]!.name));
}

/**
 * POST /search/assist: completions for the word at the caret. After "<attribute>:" the attribute's values, otherwise
 * attributes (keywords and the projects' field names) and shortcuts starting with the word. Each Suggestion says what
 * it replaces (completionStart..completionEnd) and the text around the option (prefix, suffix), as the description
 * declares. Assumption: the real ranking is richer; this one keeps the order above.
 */
function assist(context: RequestContext) {
  const body = objectBody(context);
  if (typeof body.query !== 'string') throw badRequest('query must be a string');
  const query = body.query;
  const caret = body.caret === undefined ? query.length : body.caret;
  if (typeof caret !== 'number' || !Number.isInteger(caret) || caret < 0 || caret > query.length) throw badRequest(`Invalid caret: ${JSON.stringify(body.caret)}`);
  const head = query.slice(0, caret);
  const word = /[^\s(),:]*$/.exec(head)![0];
  const start = caret - word.length;
  const end = caret + /^[^\s(),]*/.exec(query.slice(caret))![0].length;
  const attribute = /(\{[^}]+\}|[\p{L}\d#_ -]+?)\s*:\s*$/u.exec(query.slice(0, start))?.[1]?.trim();
  const fieldNames = [...new Set(context.state.projects.flatMap((p) => p.fields.map((f) => f.name)))].map((name) => ({
    option: name,
    description: 'custom field',
    group: 'Fields',
    kind: 'attribute' as const,
  }));
  const candidates = attribute ? valuesOf(context, attribute) : [...KEYWORDS, ...fieldNames];
  const wanted = word.replace(/^\{/, '').toLowerCase();
  const suggestions = candidates
    .filter((c) => c.option.toLowerCase().startsWith(wanted) && c.option.toLowerCase() !== wanted)
    .slice(0, 40)
    .map((c, index) => {
      const braces = /\s/.test(c.option);
      const prefix = braces ? '{' : '';
      const suffix = `${braces ? '}' : ''}${c.kind === 'attribute' ? ': ' : ' '}`;
      return view('Suggestion', {
        id: () => `${index}`,
        completionStart: () => start,
        completionEnd: () => end,
        matchingStart: () => 0,
        matchingEnd: () => wanted.length,
        caret: () => start + prefix.length + c.option.length + suffix.length,
        description: () => c.description,
        option: () => c.option,
        prefix: () => prefix,
        suffix: () => suffix,
        group: () => c.group,
        icon: () => null,
        auxiliaryIcon: () => null,
        className: () => null,
      });
    });
  return entity(
    context,
    view('SearchSuggestions', { id: () => null, query: () => query, caret: () => caret, ignoreUnresolvedSetting: () => false, suggestions: () => suggestions, folders: () => [] }),
  );
}

/** Writing articles needs a role in the project (any user where the double sets no members) or administration. */
function assertMayWrite(context: RequestContext, project: ProjectRecord): void {
  if (project.memberLogins && !context.me.admin && !project.memberLogins.includes(context.me.login)) {
    throw forbidden(`You have no permission to create or update articles in project ${project.shortName}`);
  }
}

function createArticle(context: RequestContext) {
  const { state, me } = context;
  const body = objectBody(context);
  const ref = body.project;
  if (!isRecord(ref) || typeof ref.id !== 'string') throw invalidProperties('Article project is required', 'Article-is-invalid');
  const project = findProject(state, ref.id);
  if (!project) throw entityNotFound(ref.id);
  assertMayWrite(context, project);
  const summary = optionalString(body, 'summary');
  if (!summary || !summary.trim()) throw invalidProperties('Article summary is required', 'Article-is-invalid');
  let parentId: string | null = null;
  if (body.parentArticle !== undefined && body.parentArticle !== null) {
    if (!isRecord(body.parentArticle) || typeof body.parentArticle.id !== 'string') throw badRequest('parentArticle must be an object with "id"');
    const parent = findArticle(state, body.parentArticle.id);
    if (!parent) throw entityNotFound(body.parentArticle.id);
    if (parent.projectId !== project.id) throw badRequest('A sub-article must be in the project of its parent');
    parentId = parent.id;
  }
  const at = tick(state);
  const article: ArticleRecord = {
    id: nextId(state, '9'),
    idReadable: `${project.shortName}-A-${project.nextArticleNumber++}`,
    projectId: project.id,
    summary,
    content: optionalString(body, 'content') ?? '',
    reporterId: me.id,
    created: at,
    updated: at,
    parentId,
    ordinal: state.articles.filter((candidate) => candidate.parentId === parentId && candidate.projectId === project.id).length,
  };
  state.articles.push(article);
  return entity(context, context.views.article(article));
}

function updateArticle(context: RequestContext) {
  const { state } = context;
  const article = findArticle(state, context.params.article!);
  if (!article) throw entityNotFound(context.params.article!);
  assertMayWrite(context, state.projects.find((project) => project.id === article.projectId)!);
  const body = objectBody(context);
  const summary = optionalString(body, 'summary');
  if (summary !== undefined) {
    if (!summary || !summary.trim()) throw invalidProperties('Article summary is required', 'Article-is-invalid');
    article.summary = summary;
  }
  const content = optionalString(body, 'content');
  if (content !== undefined) article.content = content ?? '';
  article.updated = tick(state);
  return entity(context, context.views.article(article));
}

export const searchRoutes: Route[] = [
  { method: 'POST', pattern: '/articles', handler: createArticle },
  { method: 'POST', pattern: '/articles/:article', handler: updateArticle },
  { method: 'GET', pattern: '/savedQueries', handler: (c) => page(c, visibleQueries(c).map((query) => savedQueryView(c, query))) },
  {
    method: 'GET',
    pattern: '/savedQueries/:query',
    handler: (c) => {
      const query = visibleQueries(c).find((candidate) => candidate.id === c.params.query);
      if (!query) throw entityNotFound(c.params.query!);
      return entity(c, savedQueryView(c, query));
    },
  },
  { method: 'POST', pattern: '/search/assist', handler: assist },
  { method: 'GET', pattern: '/groups', handler: (c) => page(c, c.state.groups.map((group) => groupView(c, group))) },
  {
    method: 'GET',
    pattern: '/groups/:group',
    handler: (c) => {
      const group = c.state.groups.find((candidate) => candidate.id === c.params.group);
      if (!group) throw entityNotFound(c.params.group!);
      return entity(c, groupView(c, group));
    },
  },
];

/**
 * A `visibility` attribute of a write: undefined when absent, [] for UnlimitedVisibility, the group ids of a
 * LimitedVisibility (groups by id; an unknown one is a 404 as for any entity). Assumption: a LimitedVisibility without
 * groups is refused, since nobody could see the entity.
 */
export function readVisibility(context: RequestContext, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) throw badRequest('visibility must be an object with a $type');
  if (value.$type === 'UnlimitedVisibility') return [];
  if (value.$type !== 'LimitedVisibility') throw badRequest(`Unknown visibility $type ${JSON.stringify(value.$type)}`);
  const groups = Array.isArray(value.permittedGroups) ? value.permittedGroups : [];
  if (!groups.length) throw badRequest('LimitedVisibility needs permittedGroups');
  return groups.map((ref) => {
    const id = isRecord(ref) && typeof ref.id === 'string' ? ref.id : '';
    const group = context.state.groups.find((candidate) => candidate.id === id);
    if (!group) throw entityNotFound(id);
    return group.id;
  });
}

/** Visibility as an issue or comment carries it: LimitedVisibility with its groups, or UnlimitedVisibility. */
export function visibilityView(state: YouTrackState, views: Views, owner: string, groupIds: string[] | undefined): View {
  if (!groupIds?.length) return view('UnlimitedVisibility', { id: () => `${owner}-visibility` });
  const groups = groupIds.map((id) => state.groups.find((group) => group.id === id)).filter((group): group is GroupRecord => group !== undefined);
  return view('LimitedVisibility', {
    id: () => `${owner}-visibility`,
    permittedGroups: () => groups.map((group) => groupView({ state, views } as RequestContext, group)),
    permittedUsers: () => [],
  });
}

/** Records what an update changes (summary, description, custom fields), for the issue's activities. */
export function recordChanges(context: RequestContext, issue: IssueRecord, summary: string | undefined, description: string | null | undefined, fields: Record<string, FieldValue>): void {
  const { state, me } = context;
  const at = state.clock + 1;
  const push = (category: ActivityRecord['category'], removed: FieldValue, added: FieldValue, field?: string) =>
    state.activities.push({ id: nextId(state, '105'), issueId: issue.id, category, field, removed, added, authorId: me.id, timestamp: at });
  if (summary !== undefined && summary !== issue.summary) push('SummaryCategory', issue.summary, summary);
  if (description !== undefined && description !== issue.description) push('DescriptionCategory', issue.description, description);
  for (const [name, value] of Object.entries(fields)) {
    const before = issue.fields[name] ?? null;
    if (JSON.stringify(before) !== JSON.stringify(value)) push('CustomFieldCategory', before, value, name);
  }
}

interface ActivityEntry {
  issue: IssueRecord;
  timestamp: number;
  category: string;
  view: View;
}

/** A custom-field value in an activity: bundle elements and users as entities, lists as lists, nothing as []. */
function activityValue(context: RequestContext, issue: IssueRecord, field: string | undefined, value: FieldValue): unknown {
  if (field === undefined) return value;
  const project = context.state.projects.find((p) => p.id === issue.projectId)!;
  const definition = project.fields.find((f) => f.name === field);
  if (!definition) return value;
  const shown = context.views.fieldValue(definition, value);
  if (shown === null || shown === undefined) return [];
  return Array.isArray(shown) ? shown : [shown];
}

/**
 * An issue's activities, oldest first, derived from the double's records: creation, recorded changes, comments and
 * work items, with the ActivityItem subtypes of the 2026.1 description. Assumption: changes made by commands and link,
 * tag and attachment changes are not part of this history.
 */
function activitiesOf(context: RequestContext, issue: IssueRecord): ActivityEntry[] {
  const { state, views } = context;
  const category = (id: string) => view('ActivityCategory', { id: () => id });
  const item = ($type: string, id: string, at: number, authorId: string, categoryId: string, extra: Record<string, () => unknown>): ActivityEntry => ({
    issue,
    timestamp: at,
    category: categoryId,
    view: view($type, { id: () => id, timestamp: () => at, author: () => views.userById(authorId), category: () => category(categoryId), target: () => views.issue(issue), targetMember: () => null, field: () => null, added: () => null, removed: () => null, ...extra }),
  });
  const entries: ActivityEntry[] = [item('IssueCreatedActivityItem', `${issue.id}.0-0`, issue.created, issue.reporterId, 'IssueCreatedCategory', {})];
  for (const change of state.activities.filter((a) => a.issueId === issue.id)) {
    const custom = change.category === 'CustomFieldCategory';
    entries.push(
      item(custom ? 'CustomFieldActivityItem' : 'TextMarkupActivityItem', change.id, change.timestamp, change.authorId, change.category, {
        field: () => view(custom ? 'CustomFilterField' : 'PredefinedFilterField', { id: () => change.field ?? change.category, name: () => change.field ?? change.category.replace('Category', '').toLowerCase(), presentation: () => change.field ?? change.category.replace('Category', '').toLowerCase() }),
        targetMember: () => (custom ? '__CUSTOM_FIELD__' : change.category === 'SummaryCategory' ? 'summary' : 'description'),
        added: () => activityValue(context, issue, change.field, change.added),
        removed: () => activityValue(context, issue, change.field, change.removed),
      }),
    );
  }
  for (const comment of state.comments.filter((c) => c.issueId === issue.id)) {
    entries.push(
      item('CommentActivityItem', `${comment.id}.0-0`, comment.created, comment.authorId, 'CommentsCategory', {
        target: () => views.comment(comment),
        added: () => [views.comment(comment)],
        removed: () => [],
      }),
    );
  }
  for (const work of state.workItems.filter((w) => w.issueId === issue.id)) {
    entries.push(
      item('WorkItemActivityItem', `${work.id}.0-0`, work.created, work.authorId, 'WorkItemCategory', {
        target: () => views.workItem(work),
        added: () => [views.workItem(work)],
        removed: () => [],
      }),
    );
  }
  return entries;
}

/** The `categories` parameter, required as on a real server (assumption: an empty list is refused with a 400). */
function categoriesParameter(context: RequestContext): Set<string> {
  const raw = context.query.categories ?? '';
  const categories = raw.split(',').map((c) => c.trim()).filter(Boolean);
  if (!categories.length) throw badRequest('Parameter categories is required');
  return new Set(categories);
}

function activityPage(context: RequestContext, entries: ActivityEntry[]) {
  const categories = categoriesParameter(context);
  const author = context.query.author ? (context.query.author === 'me' ? context.me : findUser(context.state, context.query.author)) : undefined;
  const start = context.query.start ? Number(context.query.start) : 0;
  const end = context.query.end ? Number(context.query.end) : Number.MAX_SAFE_INTEGER;
  const kept = entries
    .filter((e) => categories.has(e.category) && e.timestamp >= start && e.timestamp <= end)
    .filter((e) => !context.query.author || (author && (e.view.attributes.author!() as View | null)?.attributes.id!() === author.id))
    .sort((a, b) => a.timestamp - b.timestamp);
  if (context.query.reverse === 'true') kept.reverse();
  return page(context, kept.map((e) => e.view));
}

export const activityRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/issues/:issue/activities',
    handler: (c) => {
      const issue = findIssue(c.state, c.params.issue!);
      if (!issue) throw entityNotFound(c.params.issue!);
      return activityPage(c, activitiesOf(c, issue));
    },
  },
  {
    method: 'GET',
    pattern: '/activities',
    handler: (c) => activityPage(c, searchIssues(c.state, c.me, c.query.issueQuery).flatMap((issue) => activitiesOf(c, issue))),
  },
];
