// What hangs off an issue: watchers, relations between issues, and edits to existing notes.
import { z } from 'zod';
import { InputError } from '../../../core/errors.js';
import { pathSegment } from '../../../core/http.js';
import { adds, deletes, idSchema, redmineTool, updates } from './shared.js';

const RELATION_TYPES = ['relates', 'duplicates', 'duplicated', 'blocks', 'blocked', 'precedes', 'follows', 'copied_to', 'copied_from'] as const;

export const addWatcher = redmineTool({
  name: 'redmine_add_watcher',
  title: 'Add a watcher to a Redmine issue',
  description: 'Make a user watch an issue, so they are notified of its changes.',
  inputSchema: z.object({ issue_id: idSchema(), user_id: idSchema() }),
  outputSchema: z.object({ issue_id: z.number(), user_id: z.number(), watching: z.boolean() }),
  annotations: adds,
  handler: async (input, ctx) => {
    await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    await ctx.client.post(`/issues/${pathSegment(input.issue_id)}/watchers.json`, { user_id: input.user_id }, ctx.signal);
    return { issue_id: input.issue_id, user_id: input.user_id, watching: true };
  },
  render: (out) => `User ${out.user_id} now watches issue #${out.issue_id}.`,
});

export const removeWatcher = redmineTool({
  name: 'redmine_remove_watcher',
  title: 'Remove a watcher from a Redmine issue',
  description: 'Remove a user from the watchers of an issue.',
  inputSchema: z.object({ issue_id: idSchema(), user_id: idSchema() }),
  outputSchema: z.object({ issue_id: z.number(), user_id: z.number(), watching: z.boolean() }),
  annotations: deletes,
  handler: async (input, ctx) => {
    await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    await ctx.client.delete(`/issues/${pathSegment(input.issue_id)}/watchers/${pathSegment(input.user_id)}.json`, ctx.signal);
    return { issue_id: input.issue_id, user_id: input.user_id, watching: false };
  },
  render: (out) => `User ${out.user_id} no longer watches issue #${out.issue_id}.`,
});

const relationOutput = z.object({ id: z.number(), issue_id: z.number(), issue_to_id: z.number(), relation_type: z.string(), delay: z.number().optional() });

export const createRelation = redmineTool({
  name: 'redmine_create_relation',
  title: 'Relate two Redmine issues',
  description:
    'Relate one issue to another (e.g. issue_id blocks issue_to_id); the relation id it returns is needed to delete it.',
  inputSchema: z.object({
    issue_id: idSchema(),
    issue_to_id: idSchema(),
    relation_type: z.enum(RELATION_TYPES),
    delay: z.number().int().min(0).max(3650).optional().describe('Days; precedes/follows only'),
  }),
  outputSchema: relationOutput,
  annotations: adds,
  handler: async (input, ctx) => {
    if (input.issue_id === input.issue_to_id) throw new InputError('issue_to_id: an issue cannot be related to itself.');
    if (input.delay !== undefined && !['precedes', 'follows'].includes(input.relation_type)) {
      throw new InputError('delay: only precedes and follows relations take a delay.');
    }
    await ctx.client.assertIssueInScope(ctx.scope, input.issue_id, ctx.signal);
    await ctx.client.assertIssueInScope(ctx.scope, input.issue_to_id, ctx.signal);
    const { relation } = await ctx.client.post<{ relation: z.input<typeof relationOutput> & { delay?: number | null } }>(
      `/issues/${pathSegment(input.issue_id)}/relations.json`,
      { relation: { issue_to_id: input.issue_to_id, relation_type: input.relation_type, delay: input.delay } },
      ctx.signal,
    );
    return { ...relation, delay: relation.delay ?? undefined };
  },
  render: (out) => `Created relation ${out.id}: #${out.issue_id} ${out.relation_type} #${out.issue_to_id}${out.delay ? ` (delay ${out.delay} days)` : ''}.`,
});

export const deleteRelation = redmineTool({
  name: 'redmine_delete_relation',
  title: 'Delete a relation between Redmine issues',
  description: 'Delete a relation between issues by its id (listed by redmine_get_issue).',
  inputSchema: z.object({ relation_id: idSchema() }),
  outputSchema: relationOutput.extend({ deleted: z.boolean() }),
  annotations: deletes,
  handler: async (input, ctx) => {
    const path = `/relations/${pathSegment(input.relation_id)}.json`;
    const { relation } = await ctx.client.get<{ relation: z.input<typeof relationOutput> & { delay?: number | null } }>(path, undefined, ctx.signal);
    await ctx.client.assertIssueInScope(ctx.scope, relation.issue_id, ctx.signal);
    await ctx.client.delete(path, ctx.signal);
    return { ...relation, delay: relation.delay ?? undefined, deleted: true };
  },
  render: (out) => `Deleted relation ${out.id} (#${out.issue_id} ${out.relation_type} #${out.issue_to_id}).`,
});

export const updateJournal = redmineTool({
  name: 'redmine_update_journal',
  title: 'Edit a note in a Redmine issue\'s history',
  description:
    'Edit the text or privacy of an existing note on an issue. Needs the "edit notes" permission.',
  inputSchema: z.object({
    issue_id: idSchema(),
    journal_id: idSchema('From redmine_get_issue history'),
    notes: z.string().min(1).max(100_000).optional().describe('New text'),
    private_notes: z.boolean().optional(),
  }),
  outputSchema: z.object({ issue_id: z.number(), journal_id: z.number(), changed: z.array(z.string()) }),
  annotations: updates,
  handler: async (input, ctx) => {
    const changed = (['notes', 'private_notes'] as const).filter((key) => input[key] !== undefined);
    if (!changed.length) throw new InputError('Nothing to update: give notes and/or private_notes.');
    const { issue } = await ctx.client.get<{ issue: { project: { id: number }; journals?: Array<{ id: number }> } }>(
      `/issues/${pathSegment(input.issue_id)}.json`,
      { include: 'journals' },
      ctx.signal,
    );
    await ctx.client.assertProjectInScope(ctx.scope, issue.project, `Issue #${input.issue_id}`, ctx.signal);
    if (!issue.journals?.some((j) => j.id === input.journal_id)) {
      throw new InputError(`journal_id: journal ${input.journal_id} is not part of issue #${input.issue_id}'s history.`);
    }
    await ctx.client.put(`/journals/${pathSegment(input.journal_id)}.json`, { journal: { notes: input.notes, private_notes: input.private_notes } }, ctx.signal);
    return { issue_id: input.issue_id, journal_id: input.journal_id, changed };
  },
  render: (out) => `Updated journal ${out.journal_id} on issue #${out.issue_id}: ${out.changed.join(', ')}.`,
});
