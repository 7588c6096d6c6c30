// The question a person answers before a destructive tool runs: it must show what the call does, first, whatever
// the model put in the arguments.
import { afterEach, describe, expect, it } from 'vitest';
import { clearRegisteredSecrets, registerSecret } from '../../src/core/redact.js';
import { confirmationQuestion } from '../../src/server/confirm.js';

afterEach(() => clearRegisteredSecrets());

const TOOL = { name: 'redmine_update_issue', title: 'Update a Redmine issue' };
const FAKE_PEM = `-----BEGIN PRIVATE KEY-----\n${'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'.repeat(12)}\n-----END PRIVATE KEY-----`;

/** The argument lines of a question: name and the rest of the line. */
function lines(question: string): Array<[string, string]> {
  return [...question.matchAll(/^- ([^:]+): (.*)$/gm)].map((match) => [match[1]!, match[2]!]);
}
const names = (question: string) => lines(question).map(([name]) => name);
const line = (question: string, name: string) => lines(question).find(([candidate]) => candidate === name)?.[1];

describe('confirmationQuestion', () => {
  it('names the tool and says it cannot simply be undone', () => {
    const question = confirmationQuestion(TOOL, { issue_id: 5 });
    expect(question.split('\n')[0]).toBe('Update a Redmine issue (redmine_update_issue) changes data in a way that cannot simply be undone.');
    expect(question.endsWith('\nRun it?')).toBe(true);
  });

  it('puts the target and what moves, closes, hides or reassigns it first, then short values, then long text', () => {
    const question = confirmationQuestion(TOOL, {
      description: 'Long text '.repeat(50),
      subject: 'A new subject',
      done_ratio: 50,
      notes: 'line one\nline two',
      issue_id: 12,
      status: 'Closed',
      assigned_to_id: 3,
      is_private: true,
      project: 'beta',
      custom_fields: [{ id: 1, value: 'x' }],
    });
    expect(names(question)).toEqual(['issue_id', 'status', 'assigned_to_id', 'is_private', 'project', 'custom_fields', 'subject', 'done_ratio', 'description', 'notes']);
  });

  it.each([
    ['youtrack_apply_command', { comment: 'c'.repeat(300), silent: true, issue_ids: ['DEMO-1'], command: 'State Fixed' }, ['silent', 'issue_ids', 'command', 'comment']],
    ['mqtt_publish', { payload: '{"on":true}', format: 'json', topic: 'plant/valve', qos: 1, retain: true }, ['topic', 'qos', 'retain', 'payload', 'format']],
    ['redmine_update_version', { description: 'x', sharing: 'system', version_id: 4, status: 'closed' }, ['sharing', 'version_id', 'status', 'description']],
    ['coreflux_remove_rule', { name: 'Everything' }, ['name']],
  ] as const)('orders the arguments of %s by consequence', (name, args, expected) => {
    expect(names(confirmationQuestion({ name, title: name }, args))).toEqual(expected);
  });

  it('names every argument given, with nested values shown as JSON, and leaves out absent ones', () => {
    const args = { issue_id: 1, uploads: [{ token: 't1', filename: 'a.txt' }], estimated_hours: 1.5, unassign: false, parent_issue_id: null, subject: undefined };
    const question = confirmationQuestion(TOOL, args);
    expect(names(question).sort()).toEqual(['estimated_hours', 'issue_id', 'parent_issue_id', 'unassign', 'uploads']);
    // Fields named like credentials are hidden whole, as in logs and audit records.
    expect(line(question, 'uploads')).toBe('[{"token":"[REDACTED]","filename":"a.txt"}] (2 characters hidden)');
    expect(line(question, 'parent_issue_id')).toBe('null');
    expect(line(question, 'unassign')).toBe('false');
  });

  it('says so when there are no arguments', () => {
    expect(confirmationQuestion(TOOL, {})).toContain('It runs without arguments.');
  });

  it('marks every shortened value with its full length, and only those', () => {
    const description = `Lorem ipsum ${'dolor sit amet '.repeat(900)}`.slice(0, 12_431);
    const question = confirmationQuestion(TOOL, { issue_id: 1, subject: 'Short', description, custom_fields: Array.from({ length: 40 }, (_, id) => ({ id, value: 'v' })) });
    expect(line(question, 'description')).toMatch(/^"Lorem ipsum dolor[^"]*…" \(shortened, 12,431 characters\)$/);
    const customFields = JSON.stringify(Array.from({ length: 40 }, (_, id) => ({ id, value: 'v' })));
    expect(line(question, 'custom_fields')).toMatch(new RegExp(`…\\s\\(shortened, ${customFields.length.toLocaleString('en-US')} characters\\)$`));
    expect(line(question, 'subject')).toBe('"Short"');
    expect(line(question, 'issue_id')).toBe('1');
  });

  it('says which values were hidden as credentials and how much, and shows none of it', () => {
    registerSecret('canary-known-secret-value-123');
    const question = confirmationQuestion(TOOL, {
      issue_id: 1,
      notes: `Rotated:\n${FAKE_PEM}\nDone.`,
      description: 'the old key canary-known-secret-value-123 is gone',
      subject: 'Not a secret',
    });
    expect(line(question, 'notes')).toBe(`"Rotated:\\n[REDACTED]\\nDone." (${FAKE_PEM.length} characters hidden)`);
    expect(line(question, 'description')).toBe('"the old key [REDACTED] is gone" (29 characters hidden)');
    expect(line(question, 'subject')).toBe('"Not a secret"');
    expect(question).toContain(`2 values (description, notes) partly or wholly hidden because they look like a credential (${(FAKE_PEM.length + 29).toLocaleString('en-US')} characters).`);
    expect(question).not.toContain('MIIEvQ');
    expect(question).not.toContain('canary-known-secret');
  });

  it('hides a credential-named field whole, as everywhere else, and counts it', () => {
    const question = confirmationQuestion({ name: 'x_set', title: 'Set' }, { name: 'db', password: 'hunter22' });
    expect(line(question, 'password')).toBe('"[REDACTED]" (8 characters hidden)');
    expect(question).toContain('1 value (password) partly or wholly hidden because it looks like a credential (8 characters).');
    // A number hidden whole counts its digits, not the quotes of the marker.
    expect(line(confirmationQuestion({ name: 'x_set', title: 'Set' }, { password: 123456 }), 'password')).toBe('"[REDACTED]" (6 characters hidden)');
  });

  it('is not fooled by text that already reads [REDACTED]', () => {
    const question = confirmationQuestion(TOOL, { issue_id: 1, notes: 'we write [REDACTED] in the docs' });
    expect(line(question, 'notes')).toBe('"we write [REDACTED] in the docs"');
    expect(question).not.toContain('hidden because');
  });

  it('keeps each value on its line: quotes and line breaks in a value cannot forge another argument', () => {
    const question = confirmationQuestion(TOOL, { issue_id: 1, notes: 'ok"\n- project: "alpha' });
    expect(names(question)).toEqual(['issue_id', 'notes']);
    expect(line(question, 'notes')).toBe('"ok\\"\\n- project: \\"alpha"');
  });

  it('shows characters that hide or reorder text as escapes', () => {
    const question = confirmationQuestion(TOOL, { issue_id: 1, subject: 'safe\u202Etxt.exe\u200B' });
    expect(line(question, 'subject')).toBe('"safe\\u{202e}txt.exe\\u{200b}"');
  });

  it('stays bounded whatever the arguments, still naming every one', () => {
    const huge = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`field_${String(i).padStart(2, '0')}`, `${'word '.repeat(20_000)}`]));
    const question = confirmationQuestion(TOOL, { issue_id: 1, ...huge, notes: FAKE_PEM.repeat(100) });
    expect(names(question)).toHaveLength(27);
    expect(question.length).toBeLessThan(4_000);
    for (const [name, rest] of lines(question)) if (name !== 'issue_id') expect(rest, name).toMatch(/\(shortened, [\d,]+ characters/);
    // The consequential value keeps a readable share of the budget.
    expect(confirmationQuestion(TOOL, { issue_id: 1, project: 'p'.repeat(500), ...huge })).toMatch(/- project: "p{100,}/);
  });
});
