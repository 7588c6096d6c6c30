// The YouTrack tools against YouTrack's own OpenAPI description (2026.1): every tool is called with valid input on
// the double, and every request Bastion sent (method, path, query parameter names, body attributes, `$type` values)
// must be declared there. A real server ignores what it does not declare and answers 200, so this is the only place
// such a mistake shows. (Every YouTrack test file is also checked at its end: see test/helpers/youtrack.ts.)
import { describe, expect, it } from 'vitest';
import type { YouTrackDouble } from '../doubles/youtrack.js';
import { call, type Bastion } from '../helpers/bastion.js';
import { useYouTrackBastion } from '../helpers/youtrack.js';
import { contractViolations, readsWithoutTop, undeclared } from '../helpers/youtrack-contract.js';

let double: YouTrackDouble;
let bastion: Bastion;

useYouTrackBastion((running) => ({ double, bastion } = running));

/** Each YouTrack tool with valid input, in an order where later calls find what earlier ones made. */
const CALLS: Array<[tool: string, input: Record<string, unknown>]> = [
  ['youtrack_get_current_user', {}],
  ['youtrack_find_users', { query: 'jane' }],
  ['youtrack_list_projects', { include_archived: true }],
  ['youtrack_get_project', { project: 'DEV' }],
  ['youtrack_search_issues', { query: 'project: DEMO #Unresolved', top: 3 }],
  ['youtrack_get_issue', { issue_id: 'DEMO-1', comments: 3 }],
  [
    'youtrack_create_issue',
    {
      project: 'DEV',
      summary: 'Contract',
      description: 'All kinds',
      custom_fields: {
        Type: 'Task',
        Категория: 'Развитие технологий',
        Клиент: ['ACME'],
        'Модуль системы': ['Инфраструктура. DevOps'],
        Assignee: 'me',
        'Дата начала работы': '2026-05-01T09:30:00Z',
        'Плановая дата решения': '2026-05-20',
        Коэффициент: 2.5,
        Примечание: 'note',
        'Группы доступа': ['Developers'],
        Подсистемы: ['Backend'],
        Сборки: ['1001'],
        'Плановый спринт': ['2026.1'],
        Оценка: 90,
      },
    },
  ],
  ['youtrack_create_issue', { project: 'OPS', summary: 'Machine', custom_fields: { Severity: 'S1', State: 'open' } }],
  ['youtrack_update_issue', { issue_id: 'OPS-1', summary: 'Started', custom_fields: { State: 'start', Priority: 'Major' } }],
  ['youtrack_update_issue', { issue_id: 'DEMO-2', description: 'Changed', custom_fields: { 'Due Date': '2026-01-31', Assignee: null } }],
  ['youtrack_apply_command', { issue_ids: ['DEMO-3'], command: 'Priority Major', comment: 'Raised' }],
  ['youtrack_list_comments', { issue_id: 'DEMO-1' }],
  ['youtrack_add_comment', { issue_id: 'DEMO-1', text: 'Contract comment' }],
  ['youtrack_update_comment', { issue_id: 'DEMO-1', comment_id: '4-3', text: 'Edited' }],
  ['youtrack_delete_comment', { issue_id: 'DEMO-1', comment_id: '4-2' }],
  ['youtrack_upload_attachment', { issue_id: 'DEMO-1', filename: 'shot.png', content: 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', encoding: 'base64', content_type: 'image/png' }],
  ['youtrack_list_attachments', { issue_id: 'DEMO-1' }],
  ['youtrack_download_attachment', { issue_id: 'DEMO-1', attachment_id: '74-1' }],
  ['youtrack_delete_attachment', { issue_id: 'DEMO-1', attachment_id: '74-1' }],
  ['youtrack_list_links', { issue_id: 'DEMO-1' }],
  ['youtrack_link_issues', { issue_id: 'DEMO-6', link: 'depends on', target_issue_id: 'DEMO-7' }],
  ['youtrack_list_tags', {}],
  ['youtrack_add_tag', { issue_id: 'DEMO-2', tag: 'release' }],
  ['youtrack_remove_tag', { issue_id: 'DEMO-1', tag: 'regression' }],
  ['youtrack_list_work_items', { issue_id: 'DEMO-1' }],
  ['youtrack_log_work', { issue_id: 'DEMO-2', duration: '1h', date: '2025-03-04', type: 'Testing', text: 'Work' }],
  ['youtrack_search_articles', { query: 'checklist' }],
  ['youtrack_get_article', { article_id: 'DEMO-A-1' }],
  ['youtrack_list_agile_boards', {}],
  ['youtrack_get_sprint', { board: 'DEMO board' }],
];

describe('YouTrack requests against the 2026.1 OpenAPI description', () => {
  it('sends nothing the description does not declare, from any YouTrack tool', async () => {
    const failed: string[] = [];
    for (const [tool, input] of CALLS) {
      const result = await call(bastion, tool, input);
      if (result.isError) failed.push(`${tool}: ${result.text}`);
    }
    expect(failed).toEqual([]);
    const tools = new Set(CALLS.map(([tool]) => tool));
    expect(tools.size).toBe(28);
    expect(double.requests.length).toBeGreaterThan(CALLS.length);
    expect(contractViolations(double.requests)).toEqual([]);
    // Every collection read says how many it wants: without $top a real server sends up to 1000 records.
    expect(readsWithoutTop(double.requests)).toEqual([]);
    expect(readsWithoutTop([{ method: 'GET', path: '/api/issues/2-1/comments', query: { fields: 'id' } }])).toEqual(['GET /issues/{id}/comments without $top']);
  });

  it('lists what is undeclared: unknown operations, query parameters, body attributes and $types', () => {
    expect(undeclared({ method: 'GET', path: '/api/users', query: { fields: 'login', query: 'jane' } })).toEqual(['GET /users: query parameter query is not declared']);
    expect(undeclared({ method: 'GET', path: '/api/articles', query: { query: 'x' } })).toEqual(['GET /articles: query parameter query is not declared']);
    expect(undeclared({ method: 'POST', path: '/youtrack/api/issues/DEMO-1/comments', query: {}, body: { text: 'x', usesMarkdown: true } })).toEqual([
      'POST /issues/{id}/comments: body.usesMarkdown (not an attribute of IssueComment) is not declared',
    ]);
    expect(undeclared({ method: 'POST', path: '/api/commands', query: {}, body: { query: 'x', issues: [{ idReadable: 'A-1', bogus: 1 }], usesMarkdown: true } })).toEqual([
      'POST /commands: body.issues.bogus (not an attribute of Issue) is not declared',
      'POST /commands: body.usesMarkdown (not an attribute of CommandList) is not declared',
    ]);
    expect(undeclared({ method: 'POST', path: '/api/issues/2-1', query: {}, body: { customFields: [{ name: 'X', $type: 'DateTimeIssueCustomField', value: 1 }] } })).toEqual([
      'POST /issues/{id}: body.customFields.$type "DateTimeIssueCustomField" (not IssueCustomField or a subtype) is not declared',
    ]);
    expect(undeclared({ method: 'PUT', path: '/api/issues/2-1', query: {} })).toEqual(['PUT /issues/2-1: no such operation']);
    // Doctor's permission check is undeclared and accepted only by name, with its reason (KNOWN_UNDECLARED).
    expect(undeclared({ method: 'GET', path: '/api/permissions/cache', query: { fields: 'global' } })).toEqual(['GET /permissions/cache: no such operation']);
    expect(contractViolations([{ method: 'GET', path: '/api/permissions/cache', query: { fields: 'global' } }])).toEqual([]);
    // Declared: the recorded create request of a real client, a state-machine event and a path with a literal segment.
    expect(undeclared({ method: 'POST', path: '/api/issues', query: { fields: 'id' }, body: { project: { id: '0-1' }, summary: 's', customFields: [{ $type: 'MultiEnumIssueCustomField', name: 'Клиент', value: [{ name: 'ACME' }] }] } })).toEqual([]);
    expect(undeclared({ method: 'POST', path: '/api/issues/2-1', query: {}, body: { customFields: [{ name: 'State', $type: 'StateMachineIssueCustomField', event: { id: 'fix', $type: 'Event' } }] } })).toEqual([]);
    expect(undeclared({ method: 'GET', path: '/api/users/me/profiles/general', query: { fields: 'timezone(id)' } })).toEqual([]);
    // Uploads are multipart: the part names must be the declared ones. Attachment content, read from the URL
    // YouTrack gives an attachment, is no API operation and is accepted by its path alone (KNOWN_UNDECLARED_PATHS).
    expect(undeclared({ method: 'POST', path: '/api/issues/2-1/attachments', query: { fields: 'id' }, multipart: [{ name: 'files[0]' }] })).toEqual([]);
    expect(undeclared({ method: 'POST', path: '/api/issues/2-1/attachments', query: {}, multipart: [{ name: 'upload' }] })).toEqual([
      'POST /issues/{id}/attachments: multipart part "upload" is not declared',
    ]);
    expect(undeclared({ method: 'POST', path: '/api/issues/2-1/comments', query: {}, multipart: [{ name: 'files[0]' }] })).toEqual([
      'POST /issues/{id}/comments: a multipart body is not declared',
    ]);
    expect(contractViolations([{ method: 'GET', path: '/youtrack/api/files/74-1', query: { sign: 'x', updated: '1' } }])).toEqual([]);
    expect(contractViolations([{ method: 'GET', path: '/api/files/74-1/more', query: {} }])).toEqual(['GET /files/74-1/more: no such operation']);
  });
});
