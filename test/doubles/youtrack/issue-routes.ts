// Issue endpoints: issues, custom fields, comments, links, tags on issues, work items and commands.
import { applyCommand, parseCommand, type ParsedCommand } from './commands.js';
import { readCustomFields, readFieldValue } from './custom-fields.js';
import { badRequest, entityNotFound, forbidden, HttpError, invalidProperties, notFound } from './errors.js';
import { view } from './fields.js';
import {
  conditionHolds,
  dayIn,
  ENTITY_ID,
  findIssue,
  findUser,
  midnightIn,
  nextId,
  parseDuration,
  projectOf,
  refreshResolved,
  removeWhere,
  tick,
  touch,
  type AttachmentRecord,
  type CommentRecord,
  type FieldValue,
  type IssueRecord,
  type ProjectRecord,
  type WorkItemRecord,
  type YouTrackState,
} from './model.js';
import { searchIssues } from './query.js';
import { readVisibility, recordChanges } from './search-routes.js';
import { canUseTag } from './views.js';
import { EMPTY, entity, isRecord, objectBody, optionalString, page, type RequestContext, type Route } from './router.js';

function issueParam(context: RequestContext): IssueRecord {
  const issue = findIssue(context.state, context.params.issue!);
  if (!issue) throw entityNotFound(context.params.issue!);
  return issue;
}

function isEmpty(value: FieldValue | undefined): boolean {
  return value === null || value === undefined || (Array.isArray(value) && value.length === 0);
}

function createIssue(context: RequestContext) {
  const { state, me } = context;
  const body = objectBody(context);
  const projectRef = body.project;
  if (!isRecord(projectRef) || projectRef.id === undefined) throw invalidProperties('Project is required');
  if (typeof projectRef.id !== 'string' || !ENTITY_ID.test(projectRef.id)) throw badRequest(`Invalid structure of entity id: ${String(projectRef.id)}`);
  const project = state.projects.find((candidate) => candidate.id === projectRef.id);
  if (!project) throw entityNotFound(projectRef.id);
  const summary = optionalString(body, 'summary');
  if (!summary || !summary.trim()) throw invalidProperties('Summary is required');
  const description = optionalString(body, 'description') ?? null;
  const given = readCustomFields(state, project, body.customFields ?? body.fields, { me });

  const fields: Record<string, FieldValue> = {};
  for (const field of project.fields) {
    fields[field.name] = given.has(field) ? given.get(field)! : (field.defaultValue ?? (field.multi ? [] : null));
  }
  checkFields(project, { fields } as IssueRecord, given.keys());
  const created = tick(state);
  const number = project.nextIssueNumber++;
  const issue: IssueRecord = {
    id: nextId(state, '2'),
    idReadable: `${project.shortName}-${number}`,
    projectId: project.id,
    numberInProject: number,
    summary,
    description,
    usesMarkdown: typeof body.usesMarkdown === 'boolean' ? body.usesMarkdown : true,
    created,
    updated: created,
    resolved: null,
    reporterId: me.id,
    updaterId: me.id,
    fields,
    tagIds: [],
  };
  refreshResolved(state, issue, created);
  state.issues.push(issue);
  return entity(context, context.views.issue(issue));
}

/**
 * Required fields must have a value and a conditional field can only be set while it is shown; a conditional field
 * that is hidden is neither required nor kept. Assumption: the error texts (documented only as "400 conditional field").
 */
function checkFields(project: ProjectRecord, issue: IssueRecord, written: Iterable<{ name: string }>): void {
  for (const field of written) {
    const projectField = project.fields.find((candidate) => candidate.name === field.name)!;
    if (!conditionHolds(issue, projectField)) {
      throw invalidProperties(`${field.name} is not shown for this issue: it applies only when ${projectField.condition!.fieldName} is ${projectField.condition!.values.join(' or ')}`);
    }
  }
  for (const field of project.fields) {
    if (conditionHolds(issue, field) && isEmpty(issue.fields[field.name]) && !field.canBeEmpty) throw invalidProperties(`${field.name} is required`);
  }
}

function updateIssue(context: RequestContext) {
  const { state, me } = context;
  const issue = issueParam(context);
  const body = objectBody(context);
  const project = projectOf(state, issue);
  if (isRecord(body.project) && body.project.id !== undefined && body.project.id !== project.id && body.project.shortName !== project.shortName) {
    throw badRequest('Moving an issue to another project is not supported here');
  }
  const summary = optionalString(body, 'summary');
  if (summary !== undefined && (summary === null || !summary.trim())) throw invalidProperties('Summary is required');
  const description = optionalString(body, 'description');
  const given = readCustomFields(state, project, body.customFields ?? body.fields, { me, issue });
  const fields = { ...issue.fields };
  for (const [field, value] of given) fields[field.name] = value;
  checkFields(project, { ...issue, fields }, given.keys());
  recordChanges(context, issue, summary || undefined, description, fields);
  if (summary) issue.summary = summary;
  if (description !== undefined) issue.description = description;
  if (typeof body.usesMarkdown === 'boolean') issue.usesMarkdown = body.usesMarkdown;
  const visibility = readVisibility(context, body.visibility);
  if (visibility !== undefined) issue.visibleToGroupIds = visibility.length ? visibility : undefined;
  issue.fields = fields;
  const at = touch(state, issue, me);
  refreshResolved(state, issue, at);
  return entity(context, context.views.issue(issue));
}

function deleteIssue(context: RequestContext) {
  const { state, me } = context;
  const issue = issueParam(context);
  if (!me.admin) throw forbidden(`You have no permission to delete issue ${issue.idReadable}`);
  removeWhere(state.issues, (candidate) => candidate.id === issue.id);
  removeWhere(state.comments, (comment) => comment.issueId === issue.id);
  removeWhere(state.attachments, (attachment) => attachment.issueId === issue.id);
  removeWhere(state.workItems, (item) => item.issueId === issue.id);
  removeWhere(state.links, (link) => link.sourceId === issue.id || link.targetId === issue.id);
  for (const sprint of state.sprints) removeWhere(sprint.issueIds, (id) => id === issue.id);
  return EMPTY;
}

function issueCustomField(context: RequestContext) {
  const issue = issueParam(context);
  const project = projectOf(context.state, issue);
  const field = project.fields.find((candidate) => candidate.id === context.params.field || candidate.name === context.params.field);
  if (!field) throw entityNotFound(context.params.field!);
  return { issue, project, field };
}

function updateIssueCustomField(context: RequestContext) {
  const { state, me } = context;
  const { issue, project, field } = issueCustomField(context);
  const value = readFieldValue(state, project, field, { name: field.name, ...objectBody(context) }, { me, issue });
  issue.fields[field.name] = value;
  const at = touch(state, issue, me);
  refreshResolved(state, issue, at);
  return entity(context, context.views.issueField(issue, project, field));
}

function commentParam(context: RequestContext, issue: IssueRecord): CommentRecord {
  const comment = context.state.comments.find((candidate) => candidate.id === context.params.comment && !candidate.deleted);
  if (!comment || comment.issueId !== issue.id) throw entityNotFound(context.params.comment!);
  return comment;
}

function requireCommentText(body: Record<string, unknown>): string {
  const text = optionalString(body, 'text');
  if (!text || !text.trim()) throw badRequest('Comment text is required');
  return text;
}

function addComment(context: RequestContext) {
  const { state, me } = context;
  const issue = issueParam(context);
  const body = objectBody(context);
  const text = requireCommentText(body);
  const visibility = readVisibility(context, body.visibility);
  const created = touch(state, issue, me);
  const comment: CommentRecord = {
    id: nextId(state, '4'),
    issueId: issue.id,
    text,
    usesMarkdown: typeof body.usesMarkdown === 'boolean' ? body.usesMarkdown : true,
    authorId: me.id,
    created,
    updated: null,
    deleted: false,
    ...(visibility?.length ? { visibleToGroupIds: visibility } : {}),
  };
  state.comments.push(comment);
  return entity(context, context.views.comment(comment));
}

function attachmentParam(context: RequestContext, issue: IssueRecord): AttachmentRecord {
  const attachment = context.state.attachments.find((candidate) => candidate.id === context.params.attachment && candidate.issueId === issue.id);
  if (!attachment) throw entityNotFound(context.params.attachment!);
  return attachment;
}

/** A multipart upload of one or more files (any form field names, as a real server takes them); answers the new attachments. */
function addAttachments(context: RequestContext) {
  const { state, me } = context;
  const issue = issueParam(context);
  const files = (context.files ?? []).filter((part) => part.filename);
  if (!files.length) throw badRequest('No files in the multipart request');
  const created = touch(state, issue, me);
  const added = files.map((part) => {
    const attachment: AttachmentRecord = {
      id: nextId(state, '74'),
      issueId: issue.id,
      name: part.filename,
      mimeType: part.contentType,
      content: part.data,
      authorId: me.id,
      created,
      sign: Buffer.from(`${part.filename}:${created}`).toString('base64url'),
    };
    state.attachments.push(attachment);
    return context.views.attachment(attachment);
  });
  return page(context, added);
}

function deleteAttachment(context: RequestContext) {
  const { state, me } = context;
  const issue = issueParam(context);
  const attachment = attachmentParam(context, issue);
  removeWhere(state.attachments, (candidate) => candidate.id === attachment.id);
  touch(state, issue, me);
  return EMPTY;
}

/** An attachment's bytes at its signed URL; a wrong or missing signature is a 404, as for an unknown file. */
function fileContent(context: RequestContext) {
  const attachment = context.state.attachments.find((candidate) => candidate.id === context.params.file);
  if (!attachment || context.query.sign !== attachment.sign) throw notFound();
  return { status: 200, file: { data: attachment.content, contentType: attachment.mimeType } };
}

function changeComment(context: RequestContext, remove: boolean) {
  const { state, me } = context;
  const issue = issueParam(context);
  const comment = commentParam(context, issue);
  if (!me.admin && comment.authorId !== me.id) throw forbidden(`You have no permission to ${remove ? 'delete' : 'update'} this comment`);
  if (remove) {
    removeWhere(state.comments, (candidate) => candidate.id === comment.id);
    touch(state, issue, me);
    return EMPTY;
  }
  const body = objectBody(context);
  if (body.text !== undefined) comment.text = requireCommentText(body);
  if (typeof body.usesMarkdown === 'boolean') comment.usesMarkdown = body.usesMarkdown;
  comment.updated = touch(state, issue, me);
  return entity(context, context.views.comment(comment));
}

/** Link ids are the link type id, plus "s" (outward) or "t" (inward) for directed types. */
function linkParam(context: RequestContext, issue: IssueRecord) {
  const id = context.params.link!;
  const found = context.views.links(issue).find((link) => link.attributes.id!() === id);
  if (!found) throw entityNotFound(id);
  const typeId = id.replace(/[st]$/, '');
  const type = context.state.linkTypes.find((candidate) => candidate.id === typeId)!;
  return { view: found, type, outward: !id.endsWith('t') };
}

function addLinkedIssue(context: RequestContext) {
  const { state, me } = context;
  const issue = issueParam(context);
  const { type, outward } = linkParam(context, issue);
  const body = objectBody(context);
  const key = typeof body.idReadable === 'string' ? body.idReadable : typeof body.id === 'string' ? body.id : undefined;
  if (key === undefined) throw badRequest('An issue id or idReadable is required');
  const other = findIssue(state, key);
  if (!other) throw entityNotFound(key);
  if (other.id === issue.id) throw badRequest('An issue cannot be linked to itself');
  const [sourceId, targetId] = outward ? [issue.id, other.id] : [other.id, issue.id];
  const exists = state.links.some(
    (link) => link.typeId === type.id && ((link.sourceId === sourceId && link.targetId === targetId) || (!type.directed && link.sourceId === targetId && link.targetId === sourceId)),
  );
  if (!exists) state.links.push({ typeId: type.id, sourceId, targetId });
  touch(state, issue, me);
  touch(state, other, me);
  return entity(context, context.views.issue(other));
}

function removeLinkedIssue(context: RequestContext) {
  const { state, me } = context;
  const issue = issueParam(context);
  const { type, outward } = linkParam(context, issue);
  const other = findIssue(state, context.params.other!);
  if (!other) throw entityNotFound(context.params.other!);
  const [sourceId, targetId] = outward ? [issue.id, other.id] : [other.id, issue.id];
  const before = state.links.length;
  removeWhere(
    state.links,
    (link) => link.typeId === type.id && ((link.sourceId === sourceId && link.targetId === targetId) || (!type.directed && link.sourceId === targetId && link.targetId === sourceId)),
  );
  if (state.links.length === before) throw entityNotFound(context.params.other!);
  touch(state, issue, me);
  touch(state, other, me);
  return EMPTY;
}

function tagParam(context: RequestContext, issue: IssueRecord) {
  const tag = context.state.tags.find((candidate) => candidate.id === context.params.tag);
  if (!tag || !issue.tagIds.includes(tag.id)) throw entityNotFound(context.params.tag!);
  return tag;
}

function addTag(context: RequestContext) {
  const { state, me } = context;
  const issue = issueParam(context);
  const body = objectBody(context);
  if (typeof body.id !== 'string') throw badRequest('The tag id is required');
  const tag = state.tags.find((candidate) => candidate.id === body.id);
  if (!tag) throw entityNotFound(body.id);
  if (!canUseTag(tag, me)) {
    // Measured on 2026.1: a localised error_description and an English error_developer_message. Assumption: the
    // `error` code and the Russian wording (the instance's locale).
    throw new HttpError(403, { error: 'Forbidden', error_description: 'Недостаточно прав для добавления тега', error_developer_message: "Can't tag issue" });
  }
  if (!issue.tagIds.includes(tag.id)) issue.tagIds.push(tag.id);
  touch(state, issue, me);
  return entity(context, context.views.tag(tag));
}

function removeTag(context: RequestContext) {
  const { state, me } = context;
  const issue = issueParam(context);
  const tag = tagParam(context, issue);
  removeWhere(issue.tagIds, (id) => id === tag.id);
  touch(state, issue, me);
  return EMPTY;
}

function workItemFields(context: RequestContext, issue: IssueRecord, body: Record<string, unknown>, existing?: WorkItemRecord) {
  const { state } = context;
  const project = projectOf(state, issue);
  let minutes = existing?.minutes;
  if (body.duration !== undefined || !existing) {
    const duration = body.duration;
    if (!isRecord(duration)) throw badRequest('Work item duration is required: {"minutes": n} or {"presentation": "1h 30m"}');
    if (typeof duration.minutes === 'number') {
      if (!Number.isInteger(duration.minutes) || duration.minutes <= 0) throw badRequest(`Invalid duration: ${duration.minutes}`);
      minutes = duration.minutes;
    } else if (typeof duration.presentation === 'string') {
      minutes = parseDuration(duration.presentation);
      if (!minutes) throw badRequest(`Invalid duration: "${duration.presentation}"`);
    } else {
      throw badRequest('Work item duration needs "minutes" or "presentation"');
    }
  }
  // A work item's date is midnight of its day in the author's time zone (YouTrack's documentation: "normalised to
  // midnight"). Assumption: the day is the one the instant sent falls on in the caller's time zone.
  const zone = context.me.timezone;
  let date = existing?.date ?? midnightIn(dayIn(Date.now(), zone), zone);
  if (body.date !== undefined) {
    if (typeof body.date !== 'number' || !Number.isFinite(body.date)) throw badRequest('Work item date must be a timestamp in milliseconds');
    date = midnightIn(dayIn(body.date, zone), zone);
  }
  let typeId = existing?.typeId ?? null;
  if (body.type !== undefined && body.type !== null) {
    if (!isRecord(body.type)) throw badRequest('Work item type must be an object with "id" or "name"');
    const ref = body.type;
    const type = state.workItemTypes.find((candidate) => (typeof ref.id === 'string' ? candidate.id === ref.id : candidate.name === ref.name));
    if (!type) throw badRequest(`Unknown work item type ${JSON.stringify(ref.id ?? ref.name)}`);
    if (!project.workItemTypeIds.includes(type.id)) throw badRequest(`Work item type "${type.name}" is not used in project ${project.shortName}`);
    typeId = type.id;
  } else if (body.type === null) {
    typeId = null;
  }
  let authorId = existing?.authorId ?? context.me.id;
  if (isRecord(body.author)) {
    const key = typeof body.author.login === 'string' ? body.author.login : typeof body.author.id === 'string' ? body.author.id : '';
    const author = findUser(state, key);
    if (!author) throw badRequest(`Unknown user ${JSON.stringify(key)}`);
    authorId = author.id;
  }
  const text = optionalString(body, 'text');
  return { minutes: minutes!, date, typeId, authorId, text: text === undefined ? (existing?.text ?? null) : text };
}

function addWorkItem(context: RequestContext) {
  const { state, me } = context;
  const issue = issueParam(context);
  const body = objectBody(context);
  const values = workItemFields(context, issue, body);
  const created = touch(state, issue, me);
  const item: WorkItemRecord = {
    id: nextId(state, '8'),
    issueId: issue.id,
    creatorId: me.id,
    usesMarkdown: typeof body.usesMarkdown === 'boolean' ? body.usesMarkdown : true,
    created,
    updated: null,
    ...values,
  };
  state.workItems.push(item);
  return entity(context, context.views.workItem(item));
}

function workItemParam(context: RequestContext, issue: IssueRecord): WorkItemRecord {
  const item = context.state.workItems.find((candidate) => candidate.id === context.params.item);
  if (!item || item.issueId !== issue.id) throw entityNotFound(context.params.item!);
  return item;
}

function changeWorkItem(context: RequestContext, remove: boolean) {
  const { state, me } = context;
  const issue = issueParam(context);
  const item = workItemParam(context, issue);
  if (!me.admin && item.creatorId !== me.id) throw forbidden('You have no permission to change this work item');
  if (remove) {
    removeWhere(state.workItems, (candidate) => candidate.id === item.id);
    touch(state, issue, me);
    return EMPTY;
  }
  Object.assign(item, workItemFields(context, issue, objectBody(context), item));
  item.updated = touch(state, issue, me);
  return entity(context, context.views.workItem(item));
}

/** A `YYYY-MM-DD` query parameter (startDate, endDate); anything else is a 400, as for any malformed parameter. */
function dayParameter(context: RequestContext, name: string): string | undefined {
  const raw = context.query[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) throw badRequest(`Invalid value of parameter ${name}: ${raw}`);
  return raw;
}

/**
 * GET /workItems: every work item on issues the caller can read, filtered by an issue query, an interval of work days
 * (startDate/endDate, both inclusive) and an author (login, id or "me"). Assumption: the days are read in the
 * caller's time zone (the one work-item dates are written in); items come in creation order.
 */
function allWorkItems(context: RequestContext) {
  const { state, me } = context;
  const issues = new Set(searchIssues(state, me, context.query.query).map((issue) => issue.id));
  const start = dayParameter(context, 'startDate');
  const end = dayParameter(context, 'endDate');
  let authorId: string | undefined;
  if (context.query.author) {
    const author = context.query.author === 'me' ? me : findUser(state, context.query.author);
    if (!author) return page(context, []);
    authorId = author.id;
  }
  const items = state.workItems.filter((item) => {
    if (!issues.has(item.issueId) || (authorId && item.authorId !== authorId)) return false;
    const day = dayIn(item.date, me.timezone);
    return (!start || day >= start) && (!end || day <= end);
  });
  return page(context, items.map((item) => context.views.workItem(item)));
}

function commandIssues(state: YouTrackState, body: Record<string, unknown>): IssueRecord[] {
  if (!Array.isArray(body.issues) || body.issues.length === 0) throw badRequest('Command needs at least one issue');
  return body.issues.map((ref) => {
    if (!isRecord(ref)) throw badRequest('Each issue must be an object with "id" or "idReadable"');
    const key = typeof ref.idReadable === 'string' ? ref.idReadable : typeof ref.id === 'string' ? ref.id : undefined;
    if (key === undefined) throw badRequest('Each issue must have "id" or "idReadable"');
    const issue = findIssue(state, key);
    if (!issue) throw entityNotFound(key);
    return issue;
  });
}

function runCommand(context: RequestContext) {
  const { state, me } = context;
  const body = objectBody(context);
  const query = optionalString(body, 'query') ?? '';
  const comment = optionalString(body, 'comment') ?? '';
  const issues = commandIssues(state, body);
  if (!query.trim() && !comment.trim()) throw badRequest('Command is empty');
  // Parse for every issue first: a command that fails for one issue changes none.
  const parsed: Array<[IssueRecord, ParsedCommand]> = issues.map((issue) => [issue, parseCommand(state, me, issue, query)]);
  for (const [issue, command] of parsed) {
    applyCommand(state, me, issue, command);
    if (comment.trim()) {
      state.comments.push({ id: nextId(state, '4'), issueId: issue.id, text: comment, usesMarkdown: body.usesMarkdown !== false, authorId: me.id, created: tick(state), updated: null, deleted: false });
    }
  }
  if (!context.fields) return EMPTY;
  return entity(context, commandList(context, query, parsed));
}

function commandList(context: RequestContext, query: string, parsed: Array<[IssueRecord, ParsedCommand]>, error?: string) {
  const descriptions = parsed[0]?.[1].descriptions ?? [];
  return view('CommandList', {
    query: () => query,
    caret: () => query.length,
    issues: () => parsed.map(([issue]) => context.views.issue(issue)),
    commands: () =>
      error
        ? [view('ParsedCommand', { description: () => error, error: () => true, delete: () => false })]
        : descriptions.map((description) => view('ParsedCommand', { description: () => description, error: () => false, delete: () => false })),
    suggestions: () => [],
  });
}

/** Parses without applying: reports the parsed commands, or the error as a command with `error: true`. */
function assistCommand(context: RequestContext) {
  const { state, me } = context;
  const body = objectBody(context);
  const query = optionalString(body, 'query') ?? '';
  const issues = Array.isArray(body.issues) && body.issues.length > 0 ? commandIssues(state, body) : [];
  if (!context.fields) return { status: 200, body: {} };
  try {
    const parsed: Array<[IssueRecord, ParsedCommand]> = issues.map((issue) => [issue, parseCommand(state, me, issue, query)]);
    return entity(context, commandList(context, query, parsed));
  } catch (error) {
    return entity(context, commandList(context, query, [], (error as Error).message));
  }
}

export const issueRoutes: Route[] = [
  { method: 'GET', pattern: '/issues', handler: (c) => page(c, searchIssues(c.state, c.me, c.query.query).map((issue) => c.views.issue(issue))) },
  { method: 'POST', pattern: '/issues', handler: createIssue },
  { method: 'GET', pattern: '/issues/:issue', handler: (c) => entity(c, c.views.issue(issueParam(c))) },
  { method: 'POST', pattern: '/issues/:issue', handler: updateIssue },
  { method: 'DELETE', pattern: '/issues/:issue', handler: deleteIssue },
  {
    method: 'GET',
    pattern: '/issues/:issue/customFields',
    handler: (c) => {
      const issue = issueParam(c);
      return page(c, c.views.issueFields(issue, projectOf(c.state, issue)));
    },
  },
  {
    method: 'GET',
    pattern: '/issues/:issue/customFields/:field',
    handler: (c) => {
      const { issue, project, field } = issueCustomField(c);
      return entity(c, c.views.issueField(issue, project, field));
    },
  },
  { method: 'POST', pattern: '/issues/:issue/customFields/:field', handler: updateIssueCustomField },
  { method: 'GET', pattern: '/issues/:issue/comments', handler: (c) => page(c, c.views.commentsOf(issueParam(c)).map((comment) => c.views.comment(comment))) },
  { method: 'POST', pattern: '/issues/:issue/comments', handler: addComment },
  { method: 'GET', pattern: '/issues/:issue/comments/:comment', handler: (c) => entity(c, c.views.comment(commentParam(c, issueParam(c)))) },
  { method: 'POST', pattern: '/issues/:issue/comments/:comment', handler: (c) => changeComment(c, false) },
  { method: 'DELETE', pattern: '/issues/:issue/comments/:comment', handler: (c) => changeComment(c, true) },
  { method: 'GET', pattern: '/issues/:issue/attachments', handler: (c) => page(c, c.views.attachmentsOf(issueParam(c)).map((a) => c.views.attachment(a))) },
  { method: 'POST', pattern: '/issues/:issue/attachments', handler: addAttachments },
  { method: 'GET', pattern: '/issues/:issue/attachments/:attachment', handler: (c) => entity(c, c.views.attachment(attachmentParam(c, issueParam(c)))) },
  { method: 'DELETE', pattern: '/issues/:issue/attachments/:attachment', handler: deleteAttachment },
  { method: 'GET', pattern: '/files/:file', handler: fileContent },
  { method: 'GET', pattern: '/issues/:issue/links', handler: (c) => page(c, c.views.links(issueParam(c))) },
  { method: 'GET', pattern: '/issues/:issue/links/:link', handler: (c) => entity(c, linkParam(c, issueParam(c)).view) },
  { method: 'GET', pattern: '/issues/:issue/links/:link/issues', handler: (c) => page(c, linkParam(c, issueParam(c)).view.attributes.issues!() as unknown[]) },
  { method: 'POST', pattern: '/issues/:issue/links/:link/issues', handler: addLinkedIssue },
  { method: 'DELETE', pattern: '/issues/:issue/links/:link/issues/:other', handler: removeLinkedIssue },
  { method: 'GET', pattern: '/issues/:issue/tags', handler: (c) => page(c, c.views.tagsOf(issueParam(c)).map((tag) => c.views.tag(tag))) },
  { method: 'POST', pattern: '/issues/:issue/tags', handler: addTag },
  { method: 'GET', pattern: '/issues/:issue/tags/:tag', handler: (c) => entity(c, c.views.tag(tagParam(c, issueParam(c)))) },
  { method: 'DELETE', pattern: '/issues/:issue/tags/:tag', handler: removeTag },
  {
    method: 'GET',
    pattern: '/issues/:issue/timeTracking/workItems',
    handler: (c) => {
      const issue = issueParam(c);
      return page(c, c.state.workItems.filter((item) => item.issueId === issue.id).map((item) => c.views.workItem(item)));
    },
  },
  { method: 'POST', pattern: '/issues/:issue/timeTracking/workItems', handler: addWorkItem },
  { method: 'GET', pattern: '/issues/:issue/timeTracking/workItems/:item', handler: (c) => entity(c, c.views.workItem(workItemParam(c, issueParam(c)))) },
  { method: 'POST', pattern: '/issues/:issue/timeTracking/workItems/:item', handler: (c) => changeWorkItem(c, false) },
  { method: 'DELETE', pattern: '/issues/:issue/timeTracking/workItems/:item', handler: (c) => changeWorkItem(c, true) },
  {
    method: 'GET',
    pattern: '/issues/:issue/sprints',
    handler: (c) => {
      const issue = issueParam(c);
      return page(c, c.state.sprints.filter((sprint) => sprint.issueIds.includes(issue.id)).map((sprint) => c.views.sprint(sprint)));
    },
  },
  {
    // IssueCountResponse; a real 2026.1 answers -1 on the first call for a new query and the number on the next.
    method: 'POST',
    pattern: '/issuesGetter/count',
    handler: (c) => {
      const query = optionalString(objectBody(c), 'query') ?? '';
      const found = searchIssues(c.state, c.me, query).length;
      const known = c.state.countedQueries.has(query);
      c.state.countedQueries.add(query);
      const count = known ? found : -1;
      return entity(c, view('IssueCountResponse', { count: () => count, query: () => query, unresolvedOnly: () => false }));
    },
  },
  { method: 'POST', pattern: '/commands', handler: runCommand },
  { method: 'POST', pattern: '/commands/assist', handler: assistCommand },
  { method: 'GET', pattern: '/workItems', handler: allWorkItems },
];
