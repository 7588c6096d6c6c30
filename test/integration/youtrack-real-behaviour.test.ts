// YouTrack behaviour measured on a real 2026.1 (test/fixtures/youtrack), through the real MCP client against the
// double: every field kind of the recorded project, state-machine fields, dates and time zones, user search,
// tag sharing, taken-back comments, archived flags, field lists without a project role, and first counts of -1.
import { describe, expect, it } from 'vitest';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import { findIssue, YOUTRACK_USER_TOKEN } from '../doubles/youtrack.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { startBastionOnYouTrack, useYouTrackBastion, writes } from '../helpers/youtrack.js';

let double: YouTrackDouble;
let bastion: Bastion;

useYouTrackBastion((running) => ({ double, bastion } = running));

function lastIssueWrite() {
  return double.requests.filter((r) => r.method === 'POST' && /\/api\/issues(\/[^/]+)?$/.test(r.path)).at(-1)!;
}

/** Runs `work` with a Bastion whose token is jane's (not an administrator, no role in DEV, Asia/Tokyo). */
async function asJane<T>(work: (jane: Bastion) => Promise<T>): Promise<T> {
  const jane = await startBastionOnYouTrack(double, { YOUTRACK_API_TOKEN: YOUTRACK_USER_TOKEN });
  try {
    return await work(jane);
  } finally {
    await jane.close();
  }
}

const REQUIRED_DEV = { Type: 'Task', Категория: 'Развитие технологий', Клиент: ['ACME'], 'Модуль системы': ['Инфраструктура. DevOps'] };

describe('every field kind of the recorded project (DEV)', () => {
  it('creates an issue setting a field of each kind with the $type the real server uses', async () => {
    const result = await call(bastion, 'youtrack_create_issue', {
      project: 'DEV',
      summary: 'All kinds',
      custom_fields: {
        ...REQUIRED_DEV,
        'Дата начала работы': '2026-05-01T09:30:00+02:00',
        'Плановая дата решения': '2026-05-20',
        'Порядок реализации': 3,
        Коэффициент: 1.5,
        'Внешний номер': 'EXT-7',
        Примечание: 'A note',
        'Группа доступа': 'Developers',
        Subsystem: 'Backend',
        'Fixed in build': '1001',
        Релиз: '2026.1',
        Оценка: '2h',
      },
    });
    expect(result.isError).toBeFalsy();
    const sent = (lastIssueWrite().body as { customFields: Array<{ name: string; $type: string }> }).customFields;
    expect(Object.fromEntries(sent.map((f) => [f.name, f.$type]))).toMatchObject({
      'Дата начала работы': 'SimpleIssueCustomField',
      'Плановая дата решения': 'DateIssueCustomField',
      'Порядок реализации': 'SimpleIssueCustomField',
      Коэффициент: 'SimpleIssueCustomField',
      'Внешний номер': 'SimpleIssueCustomField',
      Примечание: 'TextIssueCustomField',
      'Группа доступа': 'SingleGroupIssueCustomField',
      Subsystem: 'SingleOwnedIssueCustomField',
      'Fixed in build': 'SingleBuildIssueCustomField',
      Релиз: 'SingleVersionIssueCustomField',
      Клиент: 'MultiEnumIssueCustomField',
      Оценка: 'PeriodIssueCustomField',
    });
    const stored = findIssue(double.state, result.structured.id)!.fields;
    expect(stored).toMatchObject({ 'Дата начала работы': Date.parse('2026-05-01T07:30:00Z'), 'Плановая дата решения': Date.parse('2026-05-20T12:00:00Z'), Коэффициент: 1.5, Примечание: 'A note' });
    // A date and time is shown readably, in UTC, saying so; a date-only value as its day.
    expect(result.structured.fields).toMatchObject({ 'Дата начала работы': '2026-05-01 07:30 UTC', 'Плановая дата решения': '2026-05-20', Примечание: 'A note' });
    expect(result.text).not.toMatch(/\b1777\d{9}\b/);
  });

  it('refuses a date and time without its time zone, and a date that is not a calendar day, before writing', async () => {
    const before = writes(double);
    const zoneless = await call(bastion, 'youtrack_create_issue', { project: 'DEV', summary: 'x', custom_fields: { ...REQUIRED_DEV, 'Дата начала работы': '2026-05-01 09:30' } });
    expect(zoneless.isError).toBe(true);
    expect(zoneless.text).toContain('Дата начала работы is a date and time: give it with its time zone, e.g. 2026-11-30T09:30:00Z');
    const notADay = await call(bastion, 'youtrack_create_issue', { project: 'DEV', summary: 'x', custom_fields: { ...REQUIRED_DEV, 'Плановая дата решения': '2026-02-30' } });
    expect(notADay.isError).toBe(true);
    expect(notADay.text).toContain('Плановая дата решения is a date: give the day as YYYY-MM-DD');
    expect(writes(double)).toBe(before);
  });

  it('keeps a date-only value on its day for a user west of UTC (the token\'s user is in Los Angeles)', async () => {
    const result = await call(bastion, 'youtrack_update_issue', { issue_id: 'DEMO-5', custom_fields: { 'Due Date': '2026-03-01' } });
    expect(result.isError).toBeFalsy();
    expect(findIssue(double.state, 'DEMO-5')!.fields['Due Date']).toBe(Date.parse('2026-03-01T12:00:00Z'));
    expect(result.structured.fields['Due Date']).toBe('2026-03-01');
  });

  it('shows the conditional field as such, and only while its condition holds', async () => {
    const project = await call(bastion, 'youtrack_get_project', { project: 'DEV' });
    expect(project.structured.fields).toHaveLength(28);
    expect(project.structured.fields.find((f: { name: string }) => f.name === 'Причина отклонения')).toMatchObject({ shown_when: 'State is Отклонена', can_be_empty: false });
    expect(project.text).toContain('- Причина отклонения [enum, required, only when State is Отклонена]');
    const issue = await call(bastion, 'youtrack_get_issue', { issue_id: 'DEV-1' });
    expect(Object.keys(issue.structured.fields)).not.toContain('Причина отклонения');
    const rejected = await call(bastion, 'youtrack_update_issue', { issue_id: 'DEV-1', custom_fields: { State: 'Отклонена', 'Причина отклонения': 'Дубликат' } });
    expect(rejected.isError).toBeFalsy();
    expect(rejected.structured.fields).toMatchObject({ State: 'Отклонена', 'Причина отклонения': 'Дубликат' });
  });
});

describe('fields run by a state machine (OPS State)', () => {
  it('changes State through the transition named, found among the issue\'s possible events', async () => {
    const result = await call(bastion, 'youtrack_update_issue', { issue_id: 'OPS-1', custom_fields: { State: 'Start' } });
    expect(result.isError).toBeFalsy();
    expect(findIssue(double.state, 'OPS-1')!.fields.State).toBe('In Progress');
    expect(result.structured.fields.State).toBe('In Progress');
    expect(lastIssueWrite().body).toEqual({ customFields: [{ name: 'State', $type: 'StateMachineIssueCustomField', event: { id: 'start', presentation: 'start', $type: 'Event' } }] });
  });

  it('says which transitions exist when the one asked for does not, writing nothing', async () => {
    const before = writes(double);
    const result = await call(bastion, 'youtrack_update_issue', { issue_id: 'OPS-2', custom_fields: { State: 'Fixed' } });
    expect(result.isError).toBe(true);
    expect(result.text).toContain('State on OPS-2 is run by a workflow state machine and changes by transitions; "Fixed" is not one it can take now (State is Submitted). Transitions: open.');
    expect(writes(double)).toBe(before);
  });

  it('creates an issue and then applies the transition, as the workflow sets the first state itself', async () => {
    const result = await call(bastion, 'youtrack_create_issue', { project: 'OPS', summary: 'Through the machine', custom_fields: { Severity: 'S2', State: 'open' } });
    expect(result.isError).toBeFalsy();
    const stored = findIssue(double.state, result.structured.id)!;
    expect(stored.fields).toMatchObject({ Severity: 'S2', State: 'Open' });
    const create = double.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/api/issues')).at(-1)!;
    expect((create.body as { customFields: Array<{ name: string }> }).customFields.map((f) => f.name)).toEqual(['Severity']);
  });
});

describe('youtrack_find_users without a server-side filter', () => {
  it('returns only users that match, whatever order the instance lists them in', async () => {
    const john = await call(bastion, 'youtrack_find_users', { query: 'john' });
    expect(john.structured.users.map((u: { login: string }) => u.login)).toEqual(['john']);
    const byMail = await call(bastion, 'youtrack_find_users', { query: 'JANE@example' });
    expect(byMail.structured.users.map((u: { login: string }) => u.login)).toEqual(['jane']);
    expect(double.requests.filter((r) => r.path.endsWith('/api/users')).every((r) => r.query.query === undefined)).toBe(true);
  });
});

describe('tags: names unique per owner, sharing decides who may tag', () => {
  it('chooses, among tags of one name, the one shared with the user for tagging', async () => {
    const result = await call(bastion, 'youtrack_add_tag', { issue_id: 'DEMO-6', tag: 'release' });
    expect(result.isError).toBeFalsy();
    expect(findIssue(double.state, 'DEMO-6')!.tagIds).toContain('6-4');
    expect(findIssue(double.state, 'DEMO-6')!.tagIds).not.toContain('6-3');
  });

  it('says so when a name is ambiguous, and takes owner to choose', async () => {
    const before = writes(double);
    const ambiguous = await call(bastion, 'youtrack_add_tag', { issue_id: 'DEMO-6', tag: 'triage' });
    expect(ambiguous.isError).toBe(true);
    expect(ambiguous.text).toContain('2 tags are named "triage": triage (owner jane), triage (owner john). Give owner to choose one.');
    expect(writes(double)).toBe(before);
    const chosen = await call(bastion, 'youtrack_add_tag', { issue_id: 'DEMO-6', tag: 'triage', owner: 'john' });
    expect(chosen.isError).toBeFalsy();
    expect(findIssue(double.state, 'DEMO-6')!.tagIds).toContain('6-7');
  });

  it('shows YouTrack\'s real reason when a visible tag may not be used (403)', async () => {
    const result = await call(bastion, 'youtrack_add_tag', { issue_id: 'DEMO-6', tag: 'audit' });
    expect(result.isError).toBe(true);
    expect(result.text).toContain("Can't tag issue");
    expect(result.text).toContain('Недостаточно прав для добавления тега');
    expect(result.text).toContain('not shared with you for tagging; ask john to share it');
    expect(findIssue(double.state, 'DEMO-6')!.tagIds).not.toContain('6-5');
  });
});

describe('smaller differences of a real server', () => {
  it('leaves taken-back comments out of an issue instead of showing them empty', async () => {
    const result = await call(bastion, 'youtrack_get_issue', { issue_id: 'DEMO-2' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.comments).toEqual([]);
    const listed = await call(bastion, 'youtrack_list_comments', { issue_id: 'DEMO-2' });
    expect(listed.structured.comments).toEqual([]);
  });

  it('does not call projects active when YouTrack does not tell a member token which are archived', async () => {
    double.state.projects.find((p) => p.shortName === 'OPS')!.archived = true;
    try {
      const result = await asJane((jane) => call(jane, 'youtrack_list_projects'));
      expect(result.isError).toBeFalsy();
      expect(result.structured.projects.every((p: { archived?: boolean }) => p.archived === undefined)).toBe(true);
      expect(result.text).toContain('YouTrack does not tell this token which projects are archived');
    } finally {
      double.state.projects.find((p) => p.shortName === 'OPS')!.archived = false;
    }
  });

  it('explains an empty field list (no role in the project) instead of calling every field unknown', async () => {
    const before = writes(double);
    const result = await asJane((jane) => call(jane, 'youtrack_create_issue', { project: 'DEV', summary: 'x', custom_fields: { Type: 'Task' } }));
    expect(result.isError).toBe(true);
    expect(result.text).toContain('YouTrack lists no fields of project DEV for this token (it does so when the token\'s user has no role in the project)');
    expect(writes(double)).toBe(before);
  });

  it('reports the total a search finds although the first count of a new query is -1', async () => {
    const result = await call(bastion, 'youtrack_search_issues', { query: 'project: DEV' });
    expect(result.isError).toBeFalsy();
    expect(result.structured.total).toBe(double.state.issues.filter((i) => i.projectId === '0-3').length);
    const counts = double.requests.filter((r) => r.path.endsWith('/issuesGetter/count') && (r.body as { query: string }).query === 'project: DEV');
    expect(counts.length).toBe(2);
  });
});
