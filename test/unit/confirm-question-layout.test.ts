// The exact question a person reads before a destructive tool runs: its lines, which values count as short, where a
// value is cut, and how hidden characters are counted.
import { afterEach, describe, expect, it } from 'vitest';
import { clearRegisteredSecrets, registerSecret } from '../../src/core/redact.js';
import { confirmationQuestion } from '../../src/server/confirm.js';

afterEach(() => clearRegisteredSecrets());

const TOOL = { name: 'redmine_delete_issue', title: 'Delete a Redmine issue' };
const names = (question: string) => [...question.matchAll(/^- ([^:]+): /gm)].map((match) => match[1]);
const line = (question: string, name: string) => new RegExp(`^- ${name}: (.*)$`, 'm').exec(question)?.[1];

describe('the question, line by line', () => {
  it('reads: what the tool does, the arguments, and the question, and nothing else', () => {
    expect(confirmationQuestion(TOOL, { issue_id: 7, notes: 'gone' })).toBe(
      [
        'Delete a Redmine issue (redmine_delete_issue) changes data in a way that cannot simply be undone.',
        'It runs with these arguments (what it changes first):',
        '- issue_id: 7',
        '- notes: "gone"',
        'Run it?',
      ].join('\n'),
    );
  });

  it('puts numbers, booleans and null before long or structured values, in the order given', () => {
    const long = 'x'.repeat(200);
    expect(names(confirmationQuestion(TOOL, { summary: long, extra: { a: 1 }, flag: true, estimate: null, count: 3, label: 'short' }))).toEqual([
      'flag',
      'estimate',
      'count',
      'label',
      'summary',
      'extra',
    ]);
  });

  it('counts text of up to 80 characters on one line as short', () => {
    const question = confirmationQuestion(TOOL, { summary: 'y'.repeat(81), label: 'z'.repeat(80), note: 'a\nb' });
    expect(names(question)).toEqual(['label', 'summary', 'note']);
  });

  it('shows a value of exactly the allowed length whole, and one character more shortened', () => {
    expect(line(confirmationQuestion(TOOL, { issue_id: 1, notes: 'n'.repeat(160) }), 'notes')).toBe(`"${'n'.repeat(160)}"`);
    expect(line(confirmationQuestion(TOOL, { issue_id: 1, notes: 'n'.repeat(161) }), 'notes')).toBe(`"${'n'.repeat(160)}…" (shortened, 161 characters)`);
  });

  it('shortens a value that fits only until its hidden characters are shown as escapes', () => {
    // 100 characters fit, but each is shown as an 8-character escape: 20 of them fit.
    expect(line(confirmationQuestion(TOOL, { issue_id: 1, notes: '\u200b'.repeat(100) }), 'notes')).toBe(`"${'\\u{200b}'.repeat(20)}…" (shortened, 100 characters)`);
  });

  it('gives both notes, separated, for a value that is shortened and partly hidden', () => {
    registerSecret('canary-known-secret-value-123');
    const notes = `key canary-known-secret-value-123 ${'w'.repeat(400)}`;
    expect(line(confirmationQuestion(TOOL, { issue_id: 1, notes }), 'notes')).toMatch(/…" \(shortened, 434 characters; 29 characters hidden\)$/);
  });

  it('counts only the newly hidden characters when the text already said [REDACTED]', () => {
    registerSecret('canary-known-secret-value-123');
    const question = confirmationQuestion(TOOL, { issue_id: 1, notes: 'was [REDACTED], now canary-known-secret-value-123' });
    expect(line(question, 'notes')).toBe('"was [REDACTED], now [REDACTED]" (29 characters hidden)');
  });
});
