// Endpoints around issues: projects and their schema, users, tags, link types, articles and agile boards.
import { badRequest, entityNotFound, invalidProperties } from './errors.js';
import { findArticle, findProject, findUser, nextId, tick, type ProjectRecord, type UserRecord } from './model.js';
import { entity, isRecord, objectBody, optionalString, page, type RequestContext, type Route } from './router.js';
import { buildFields, DEMO_SCHEMA } from './seed.js';

function projectParam(context: RequestContext): ProjectRecord {
  const project = findProject(context.state, context.params.project!);
  if (!project) throw entityNotFound(context.params.project!);
  return project;
}

function userParam(context: RequestContext): UserRecord {
  const user = findUser(context.state, context.params.user!);
  if (!user) throw entityNotFound(context.params.user!);
  return user;
}

function contains(haystack: Array<string | null>, needle: string | undefined): boolean {
  if (!needle) return true;
  const lower = needle.toLowerCase();
  return haystack.some((text) => text?.toLowerCase().includes(lower));
}

function createProject(context: RequestContext) {
  const { state, me } = context;
  const body = objectBody(context);
  const name = optionalString(body, 'name');
  const shortName = optionalString(body, 'shortName');
  if (!name || !name.trim()) throw invalidProperties('Project name is required', 'Project-is-invalid');
  if (!shortName || !shortName.trim()) throw invalidProperties('Project ID is required', 'Project-is-invalid');
  if (/^\d+$/.test(shortName)) throw invalidProperties('Project ID cannot be numeric', 'no-type-is-invalid');
  if (!/^[A-Za-z0-9_]+$/.test(shortName)) throw invalidProperties(`Project ID "${shortName}" may contain only letters, digits and underscores`, 'Project-is-invalid');
  if (findProject(state, shortName)) throw invalidProperties(`Project ID "${shortName}" is already in use`, 'Project-is-invalid');
  let leaderId = me.id;
  if (isRecord(body.leader)) {
    const key = typeof body.leader.id === 'string' ? body.leader.id : typeof body.leader.login === 'string' ? body.leader.login : '';
    const leader = findUser(state, key);
    if (!leader) throw entityNotFound(key);
    leaderId = leader.id;
  }
  const project: ProjectRecord = {
    id: nextId(state, '0'),
    shortName: shortName.toUpperCase(),
    name,
    description: optionalString(body, 'description') ?? null,
    archived: false,
    leaderId,
    createdById: me.id,
    fields: buildFields(state, DEMO_SCHEMA),
    workItemTypeIds: state.workItemTypes.filter((type) => type.autoAttached).map((type) => type.id),
    nextIssueNumber: 1,
    nextArticleNumber: 1,
  };
  state.projects.push(project);
  tick(state);
  return entity(context, context.views.project(project));
}

function updateProject(context: RequestContext) {
  const project = projectParam(context);
  const body = objectBody(context);
  const name = optionalString(body, 'name');
  if (name !== undefined) {
    if (!name || !name.trim()) throw invalidProperties('Project name is required', 'Project-is-invalid');
    project.name = name;
  }
  const description = optionalString(body, 'description');
  if (description !== undefined) project.description = description;
  if (body.archived !== undefined) {
    if (typeof body.archived !== 'boolean') throw badRequest('archived must be a boolean');
    project.archived = body.archived;
  }
  return entity(context, context.views.project(project));
}

function articleParam(context: RequestContext) {
  const article = findArticle(context.state, context.params.article!);
  if (!article) throw entityNotFound(context.params.article!);
  return article;
}

function agileParam(context: RequestContext) {
  const agile = context.state.agiles.find((candidate) => candidate.id === context.params.agile);
  if (!agile) throw entityNotFound(context.params.agile!);
  return agile;
}

export const catalogRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/admin/projects',
    handler: (c) => page(c, c.state.projects.filter((project) => contains([project.name, project.shortName], c.query.query)).map((project) => c.views.project(project))),
  },
  { method: 'POST', pattern: '/admin/projects', handler: createProject },
  { method: 'GET', pattern: '/admin/projects/:project', handler: (c) => entity(c, c.views.project(projectParam(c))) },
  { method: 'POST', pattern: '/admin/projects/:project', handler: updateProject },
  {
    method: 'GET',
    pattern: '/admin/projects/:project/customFields',
    handler: (c) => {
      const project = projectParam(c);
      // A token without a role in the project is sent its field list as `200 []` (measured on 2026.1).
      if (project.memberLogins && !c.me.admin && !project.memberLogins.includes(c.me.login)) return page(c, []);
      return page(c, project.fields.map((field) => c.views.projectField(project, field)));
    },
  },
  {
    method: 'GET',
    pattern: '/admin/projects/:project/customFields/:field',
    handler: (c) => {
      const project = projectParam(c);
      const field = project.fields.find((candidate) => candidate.id === c.params.field);
      if (!field) throw entityNotFound(c.params.field!);
      return entity(c, c.views.projectField(project, field));
    },
  },
  { method: 'GET', pattern: '/admin/projects/:project/timeTrackingSettings/workItemTypes', handler: (c) => page(c, c.views.projectWorkItemTypes(projectParam(c))) },
  { method: 'GET', pattern: '/admin/timeTrackingSettings/workItemTypes', handler: (c) => page(c, c.state.workItemTypes.map((type) => c.views.workItemType(type))) },
  {
    method: 'GET',
    pattern: '/admin/projects/:project/articles',
    handler: (c) => {
      const project = projectParam(c);
      return page(c, c.state.articles.filter((article) => article.projectId === project.id).map((article) => c.views.article(article)));
    },
  },

  { method: 'GET', pattern: '/users/me', handler: (c) => entity(c, c.views.me()) },
  { method: 'GET', pattern: '/permissions/cache', handler: (c) => page(c, c.views.permissionCache()) },
  // GET /users declares no `query` in the 2026.1 description; like any undeclared parameter it is ignored, so the
  // instance's first users come back whatever was asked. Assumption: ignored rather than refused.
  { method: 'GET', pattern: '/users', handler: (c) => page(c, c.state.users.map((user) => c.views.user(user))) },
  { method: 'GET', pattern: '/users/:user', handler: (c) => entity(c, c.views.user(userParam(c))) },
  {
    method: 'GET',
    pattern: '/users/:user/profiles/general',
    handler: (c) => {
      const user = c.params.user === 'me' ? c.me : userParam(c);
      return entity(c, c.views.generalProfile(user));
    },
  },

  {
    method: 'GET',
    pattern: '/tags',
    handler: (c) => page(c, c.views.visibleTags().filter((tag) => contains([tag.name], c.query.query)).map((tag) => c.views.tag(tag))),
  },
  {
    method: 'GET',
    pattern: '/tags/:tag',
    handler: (c) => {
      const tag = c.state.tags.find((candidate) => candidate.id === c.params.tag);
      if (!tag) throw entityNotFound(c.params.tag!);
      return entity(c, c.views.tag(tag));
    },
  },
  { method: 'GET', pattern: '/issueLinkTypes', handler: (c) => page(c, c.state.linkTypes.map((type) => c.views.linkType(type))) },

  {
    method: 'GET',
    pattern: '/articles',
    handler: (c) => {
      // No `query` is declared for GET /articles in 2026.1: ignored like any undeclared parameter (assumption).
      return page(c, c.state.articles.map((article) => c.views.article(article)));
    },
  },
  { method: 'GET', pattern: '/articles/:article', handler: (c) => entity(c, c.views.article(articleParam(c))) },
  {
    method: 'GET',
    pattern: '/articles/:article/childArticles',
    handler: (c) => {
      const article = articleParam(c);
      return page(c, c.state.articles.filter((child) => child.parentId === article.id).map((child) => c.views.article(child)));
    },
  },

  { method: 'GET', pattern: '/agiles', handler: (c) => page(c, c.state.agiles.map((agile) => c.views.agile(agile))) },
  { method: 'GET', pattern: '/agiles/:agile', handler: (c) => entity(c, c.views.agile(agileParam(c))) },
  {
    method: 'GET',
    pattern: '/agiles/:agile/sprints',
    handler: (c) => {
      const agile = agileParam(c);
      return page(c, c.state.sprints.filter((sprint) => sprint.agileId === agile.id).map((sprint) => c.views.sprint(sprint)));
    },
  },
  {
    method: 'GET',
    pattern: '/agiles/:agile/sprints/:sprint',
    handler: (c) => {
      const agile = agileParam(c);
      const sprint = c.state.sprints.find((candidate) => candidate.agileId === agile.id && candidate.id === c.params.sprint);
      if (!sprint) throw entityNotFound(c.params.sprint!);
      return entity(c, c.views.sprint(sprint));
    },
  },
];
