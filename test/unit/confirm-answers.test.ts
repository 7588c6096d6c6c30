// Which answer of the person at the client lets a destructive tool run: only an accepted form with confirm = true.
// Every other answer (no, cancel, a malformed form) stops it, and a client that cannot show the question either
// runs unasked (`ask`) or is refused (`require`), decided by what the client declared it can show.
import { CLIENT_CAPABILITIES_META_KEY, type McpServer, type ServerContext } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import type { AnyTool } from '../../src/core/tool.js';
import { confirmDestructive } from '../../src/server/confirm.js';

const TOOL = { name: 'redmine_delete_issue', title: 'Delete a Redmine issue' } as AnyTool;
const INPUT = { issue_id: 42 };

interface Situation {
  /** What the connection declared at initialisation (2025 protocol). */
  declared?: object;
  /** What this request's envelope carries (2026-07-28 protocol); `null` leaves the key out of the envelope. */
  envelope?: object | null;
  answers?: Record<string, unknown>;
}

function decide(mode: 'ask' | 'require', { declared, envelope = null, answers }: Situation) {
  const server = { server: { getClientCapabilities: () => declared } } as unknown as McpServer;
  const ctx = {
    mcpReq: { envelope: envelope === null ? undefined : { [CLIENT_CAPABILITIES_META_KEY]: envelope }, inputResponses: answers },
  } as unknown as ServerContext;
  return confirmDestructive(TOOL, INPUT, mode, server, ctx);
}

const FORM = { elicitation: {} };
const answer = (action: string, content?: unknown) => ({ confirm: { action, ...(content === undefined ? {} : { content }) } });

describe('confirmDestructive: the question', () => {
  it('asks a client that can show a form, with the question about this call and a yes/no field', () => {
    const result = decide('ask', { envelope: FORM });
    expect(typeof result).toBe('object');
    const request = (result as { inputRequests: Record<string, { method: string; params: { message: string; requestedSchema: unknown } }> }).inputRequests.confirm!;
    expect(request.method).toBe('elicitation/create');
    expect(request.params.message).toContain('Delete a Redmine issue (redmine_delete_issue) changes data');
    expect(request.params.message).toContain('- issue_id: 42');
    expect(request.params.requestedSchema).toEqual({
      type: 'object',
      properties: { confirm: { type: 'boolean', title: 'Run it', description: 'Yes to run this change now' } },
      required: ['confirm'],
    });
  });

  it.each([
    ['a bare elicitation capability (form mode)', { elicitation: {} }],
    ['form mode named', { elicitation: { form: {} } }],
    ['form and url mode', { elicitation: { form: {}, url: {} } }],
  ])('counts %s as able to ask', (_what, capabilities) => {
    expect(typeof decide('require', { envelope: capabilities })).toBe('object');
    expect(typeof decide('require', { declared: capabilities })).toBe('object');
  });

  it.each([
    ['no elicitation capability', {}],
    ['url mode only (it cannot show a yes/no form)', { elicitation: { url: {} } }],
  ])('counts %s as unable to ask: refused in require mode, run unasked in ask mode', (_what, capabilities) => {
    expect(decide('require', { envelope: capabilities })).toBe('cannot-ask');
    expect(decide('require', { declared: capabilities })).toBe('cannot-ask');
    expect(decide('ask', { envelope: capabilities })).toBe('run');
    expect(decide('ask', { declared: capabilities })).toBe('run');
  });

  it('refuses in require mode when the client declared nothing at all', () => {
    expect(decide('require', {})).toBe('cannot-ask');
    expect(decide('ask', {})).toBe('run');
  });

  it("goes by the request's own capabilities over what the connection declared", () => {
    expect(decide('require', { declared: FORM, envelope: {} })).toBe('cannot-ask');
    expect(typeof decide('require', { declared: {}, envelope: FORM })).toBe('object');
  });
});

describe('confirmDestructive: the answer', () => {
  it('runs the tool only when the person accepted with confirm = true', () => {
    expect(decide('ask', { envelope: FORM, answers: answer('accept', { confirm: true }) })).toBe('run');
    expect(decide('require', { envelope: FORM, answers: answer('accept', { confirm: true }) })).toBe('run');
  });

  it.each([
    ['declined', answer('decline')],
    ['cancelled', answer('cancel')],
    ['accepted with confirm = false', answer('accept', { confirm: false })],
    ['accepted with confirm = "true" (a string, not a yes)', answer('accept', { confirm: 'true' })],
    ['accepted with confirm = 1', answer('accept', { confirm: 1 })],
    ['accepted with an empty form', answer('accept', {})],
    ['accepted without a form', answer('accept')],
    ['accepted with a list for a form', answer('accept', [true])],
    ['an unknown action carrying confirm = true', answer('approve', { confirm: true })],
    ['a bare true', { confirm: true }],
    ['null', { confirm: null }],
  ])('does not run when the answer is %s', (_what, answers) => {
    expect(decide('ask', { envelope: FORM, answers })).toBe('declined');
  });

  it('asks (again) when the answers carry nothing for this question', () => {
    expect(typeof decide('ask', { envelope: FORM, answers: { other: { action: 'accept', content: { confirm: true } } } })).toBe('object');
    expect(typeof decide('ask', { envelope: FORM, answers: {} })).toBe('object');
  });

  it('in require mode, ignores a yes sent by a client that cannot show the question', () => {
    expect(decide('require', { envelope: {}, answers: answer('accept', { confirm: true }) })).toBe('cannot-ask');
  });

  it('in ask mode, honours a no sent by a client that declared no form (it did not run unasked)', () => {
    expect(decide('ask', { envelope: {}, answers: answer('decline') })).toBe('declined');
    expect(decide('ask', { envelope: {}, answers: answer('accept', { confirm: true }) })).toBe('run');
  });
});
