// Replays responses recorded from a running YouTrack 2026.1 (test/fixtures/youtrack) through the connector's parsing:
// the $type Bastion would write for each field of the recorded project must be the $type the real issue carries.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toFieldSchema, youtrackErrorDetails, type YtProjectCustomField } from '../../src/connectors/youtrack/client.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/youtrack/${name}`, import.meta.url), 'utf8'));

const project = fixture('project-custom-field-schema.json') as { customFields: YtProjectCustomField[] };
const issue = fixture('issue-create-response-all-field-types.json') as { customFields: Array<{ name: string; $type: string }> };

describe('recorded YouTrack 2026.1 project and issue', () => {
  const schema = toFieldSchema(project.customFields);
  const onIssue = new Map(issue.customFields.map((field) => [field.name, field.$type]));

  it('writes, for every field of the recorded project on the issue, the $type the real issue carries', () => {
    const mismatches = schema
      .filter((field) => onIssue.has(field.name))
      .map((field) => ({ name: field.name, valueType: field.valueType, writes: field.issueType, real: onIssue.get(field.name) }))
      .filter((row) => row.writes !== row.real);
    expect(mismatches).toEqual([]);
    // 27 of the 28 fields are on the issue; every kind of the project is covered.
    expect(schema).toHaveLength(28);
    expect(schema.filter((field) => onIssue.has(field.name))).toHaveLength(27);
    expect(new Set(schema.map((field) => field.projectType)).size).toBe(10);
  });

  it('knows the one field missing from the issue as conditional, shown for a State value only', () => {
    const missing = schema.filter((field) => !onIssue.has(field.name));
    expect(missing.map((field) => [field.name, field.shownWhen])).toEqual([['Причина отклонения', 'State is Отклонена']]);
  });

  it('writes a "date and time" field as SimpleIssueCustomField and a "date" field as DateIssueCustomField', () => {
    const byValueType = Object.fromEntries(schema.filter((f) => f.projectType === 'SimpleProjectCustomField').map((f) => [f.valueType, f.issueType]));
    expect(byValueType).toEqual({
      date: 'DateIssueCustomField',
      'date and time': 'SimpleIssueCustomField',
      integer: 'SimpleIssueCustomField',
      float: 'SimpleIssueCustomField',
      string: 'SimpleIssueCustomField',
    });
  });

  it('reads the real 401 and 404 bodies into their readable text', () => {
    expect(youtrackErrorDetails(401, fixture('error-401-invalid-token.json'))).toEqual(['Invalid token']);
    expect(youtrackErrorDetails(404, fixture('error-404-issue-not-found.json'))).toEqual(['Entity with id DEV-99999 not found']);
  });
});
