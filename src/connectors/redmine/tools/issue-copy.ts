// Issues made from others: a copy of an issue (with its subtasks and files, if asked), and a set of subtasks at once.
import { z } from 'zod';
import { InputError, UpstreamError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import type { NamedRef } from '../client.js';
import { creates, done, idSchema, projectSchema, redmineTool, type RedmineContext } from './shared.js';
import { editableFields, issuePayload, type RedmineIssue } from './issues.js';

type IssueTree = { id: number; subject: string; children?: IssueTree[] };

/** The ids of every issue below one, from Redmine's nested `children`. */
function descendants(issue: IssueTree): number[] {
  return (issue.children ?? []).flatMap((child) => [child.id, ...descendants(child)]);
}

/** POSTs a new issue: never repeated, since a repeat would create it twice. */
function postIssue(ctx: RedmineContext, body: unknown, howToCheck: string): Promise<{ issue: RedmineIssue }> {
  return ctx.client.http.requestJson<{ issue: RedmineIssue }>({ method: 'POST', path: '/issues.json', json: body, signal: ctx.signal, howToCheck });
}

// ---------------------------------------------------------------- redmine_copy_issue

export const copyIssue = redmineTool({
  name: 'redmine_copy_issue',
  title: 'Copy a Redmine issue',
  description: 'Copy an issue, optionally with its subtasks and attachments, into its own or another project.',
  inputSchema: z.object({
    issue_id: idSchema(),
    project: projectSchema.optional().describe('Target project; default: the issue\'s own'),
    subject: editableFields.subject.optional().describe('Default: the original subject'),
    with_subtasks: z.boolean().default(false),
    with_attachments: z.boolean().default(false),
    link: z.boolean().default(true).describe('Relate original and copy ("copied to")'),
  }),
  outputSchema: z.object({
    id: z.number(),
    subject: z.string(),
    project: z.string(),
    copied_from: z.number(),
    subtasks: z.number().describe('Subtasks the copy has'),
    attachments: z.number(),
    warnings: z.array(z.string()),
    url: z.string(),
  }),
  annotations: creates,
  handler: async (input, ctx) => {
    const { issue: source } = await ctx.client.get<{ issue: RedmineIssue & { children?: IssueTree[] } }>(
      `/issues/${pathSegment(input.issue_id)}.json`,
      { include: 'children' },
      ctx.signal,
    );
    await ctx.client.assertProjectInScope(ctx.scope, source.project, `Issue #${input.issue_id}`, ctx.signal);
    if (input.project !== undefined) await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    const below = input.with_subtasks ? descendants(source) : [];
    const warnings: string[] = [];
    let parent: string | undefined;
    if (ctx.scope.active) {
      // Copying subtasks of another project would carry their content into this one.
      const allowed = await ctx.client.issuesInScope(ctx.scope, [...below, ...(source.parent ? [source.parent.id] : [])], ctx.signal);
      if (below.some((id) => !allowed.has(id))) {
        throw new InputError(`Issue #${input.issue_id} has subtasks outside the allowed projects (${ctx.scope.setting}): copy it without with_subtasks.`);
      }
      // Redmine gives the copy the original's parent; one outside the scope is not tied to it.
      if (source.parent && !allowed.has(source.parent.id)) {
        parent = '';
        warnings.push('The copy has no parent: the original\'s parent is outside the allowed projects.');
      }
    }
    const target = input.project ?? source.project.id;
    const body = {
      copy_from: source.id,
      // Redmine copies subtasks and attachments when these are present at all, whatever their value.
      copy_subtasks: input.with_subtasks ? '1' : undefined,
      copy_attachments: input.with_attachments ? '1' : undefined,
      link_copy: input.link ? '1' : '0',
      issue: { project_id: target, subject: input.subject, parent_issue_id: parent },
    };
    let created: RedmineIssue;
    try {
      ({ issue: created } = await postIssue(ctx, body, `look for the copy with redmine_search_issues in project ${target}`));
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 422 && input.project !== undefined) {
        throw (await ctx.client.unknownProject(input.project, ctx.signal)) ?? error;
      }
      throw error;
    }
    const { issue: copy } = await ctx.client.get<{ issue: RedmineIssue & { children?: IssueTree[] } }>(
      `/issues/${pathSegment(created.id)}.json`,
      { include: 'children,attachments,relations' },
      ctx.signal,
    );
    if (input.link && !copy.relations?.some((r) => r.relation_type === 'copied_to' && r.issue_id === source.id)) {
      warnings.push(
        'The copy is not linked to the original: Redmine links a copy in another project only when cross-project issue relations are allowed ' +
          '(Administration > Settings > Issue tracking). Link them with redmine_create_relation if needed.',
      );
    }
    const subtasks = descendants(copy).length;
    if (input.with_subtasks && subtasks < below.length) {
      warnings.push(`Only ${subtasks} of ${below.length} subtasks were copied: Redmine skips those the key's user cannot see or that the target project does not accept.`);
    }
    return {
      id: copy.id,
      subject: copy.subject,
      project: copy.project.name,
      copied_from: source.id,
      subtasks,
      attachments: copy.attachments?.length ?? 0,
      warnings,
      url: ctx.client.webUrl(`/issues/${copy.id}`),
    };
  },
  render: (out) =>
    [
      done(
        `Copied issue #${out.copied_from} to #${out.id} "${out.subject}" in ${out.project}` +
          `${out.subtasks ? `, with ${out.subtasks} subtask(s)` : ''}${out.attachments ? `, ${out.attachments} attachment(s)` : ''}`,
        out.url,
      ),
      ...out.warnings.map((w) => `Warning: ${w}`),
    ].join('\n'),
});

// ---------------------------------------------------------------- redmine_create_subtasks

const MAX_SUBTASKS = 20;

const subtaskInput = z.object({
  subject: editableFields.subject,
  description: editableFields.description.optional(),
  tracker: editableFields.tracker.optional(),
  priority: editableFields.priority.optional(),
  assigned_to_id: editableFields.assigned_to_id.optional(),
  fixed_version_id: editableFields.fixed_version_id.optional(),
  category_id: editableFields.category_id.optional(),
  start_date: editableFields.start_date.optional(),
  due_date: editableFields.due_date.optional(),
  estimated_hours: editableFields.estimated_hours.optional(),
});

export const createSubtasks = redmineTool({
  name: 'redmine_create_subtasks',
  title: 'Create subtasks of a Redmine issue',
  description: `Create up to ${MAX_SUBTASKS} subtasks of an issue in one call, in order; if one fails, the result names those already created.`,
  inputSchema: z.object({
    parent_issue_id: idSchema(),
    project: projectSchema.optional().describe('Default: the parent\'s project'),
    subtasks: z.array(subtaskInput).min(1).max(MAX_SUBTASKS),
  }),
  outputSchema: z.object({
    parent_issue_id: z.number(),
    project: z.string(),
    created: z.array(z.object({ id: z.number(), subject: z.string(), tracker: z.string() })),
    url: z.string(),
  }),
  annotations: creates,
  handler: async (input, ctx) => {
    const { issue: parent } = await ctx.client.get<{ issue: RedmineIssue }>(`/issues/${pathSegment(input.parent_issue_id)}.json`, undefined, ctx.signal);
    await ctx.client.assertProjectInScope(ctx.scope, parent.project, `Issue #${input.parent_issue_id}`, ctx.signal);
    if (input.project !== undefined) await ctx.client.assertProjectInScope(ctx.scope, input.project, `Project "${input.project}"`, ctx.signal);
    const project = input.project ?? parent.project.id;
    // Every name is resolved before the first subtask is sent: a bad one changes nothing.
    const payloads: Array<Record<string, unknown>> = [];
    for (const [index, subtask] of input.subtasks.entries()) {
      try {
        payloads.push({ project_id: project, ...(await issuePayload(subtask, project, [], ctx)), parent_issue_id: parent.id });
      } catch (error) {
        if (error instanceof InputError) throw new InputError(`subtasks[${index}] ("${subtask.subject}"): ${error.message} Nothing was created.`);
        throw error;
      }
    }
    const created: Array<{ id: number; subject: string; tracker: string }> = [];
    for (const [index, payload] of payloads.entries()) {
      try {
        const { issue } = await postIssue(ctx, { issue: payload }, `look at the subtasks of issue #${parent.id} with redmine_get_issue`);
        created.push({ id: issue.id, subject: issue.subject, tracker: issue.tracker.name });
      } catch (error) {
        if (!(error instanceof UpstreamError)) throw error;
        const made = created.length ? created.map((c) => `#${c.id} "${c.subject}"`).join(', ') : 'none';
        const left = payloads.length - index - 1;
        const failed = new UpstreamError(
          `Created ${created.length} of ${payloads.length} subtasks of #${parent.id} (${made}). ` +
            `Subtask ${index + 1} "${input.subtasks[index]!.subject}" failed: ${error.message}` +
            `${left ? ` The ${left} after it were not sent.` : ''} Nothing is repeated automatically: call again with only the subtasks not yet created.`,
          error.kind,
          error.status,
          error.details,
        );
        failed.maybeApplied = error.maybeApplied;
        throw failed;
      }
    }
    return {
      parent_issue_id: parent.id,
      project: created.length ? (await projectName(ctx, project, parent.project)) : parent.project.name,
      created,
      url: ctx.client.webUrl(`/issues/${parent.id}`),
    };
  },
  render: (out) =>
    done(`Created ${out.created.length} subtask(s) of #${out.parent_issue_id} in ${out.project}: ${out.created.map((c) => `#${c.id} ${c.subject} (${c.tracker})`).join('; ')}`, out.url),
});

/** The target project's name: the parent's when it is the same, otherwise read. */
async function projectName(ctx: RedmineContext, project: string | number, parentProject: NamedRef): Promise<string> {
  if (project === parentProject.id) return parentProject.name;
  return (await ctx.client.get<{ project: NamedRef }>(`/projects/${pathSegment(project)}.json`, undefined, ctx.signal)).project.name;
}
