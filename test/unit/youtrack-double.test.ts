// Self-check of the YouTrack test double: it must answer like YouTrack and refuse what YouTrack refuses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findIssue,
  INJECTION_TEXT,
  startYouTrackDouble,
  YOUTRACK_IDS,
  YOUTRACK_TEST_TOKEN,
  YOUTRACK_USER_TOKEN,
  type YouTrackDouble,
} from '../doubles/youtrack.js';

interface Answer {
  status: number;
  text: string;
  body: any;
}

async function call(base: string, method: string, path: string, body?: unknown, token: string | null = YOUTRACK_TEST_TOKEN): Promise<Answer> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, text, body: text ? JSON.parse(text) : undefined };
}

const q = (query: string) => encodeURIComponent(query);

describe('YouTrack double (cloud layout)', () => {
  let yt: YouTrackDouble;
  const api = (method: string, path: string, body?: unknown, token?: string | null) => call(yt.url, method, `/api${path}`, body, token);

  beforeAll(async () => {
    yt = await startYouTrackDouble({ tokens: [YOUTRACK_TEST_TOKEN, YOUTRACK_USER_TOKEN] });
  });
  afterAll(async () => {
    await yt.close();
  });

  describe('tokens and auth', () => {
    it('uses real-format tokens whose name segment contains "canary"', () => {
      for (const token of [YOUTRACK_TEST_TOKEN, YOUTRACK_USER_TOKEN]) {
        expect(token).toMatch(/^perm[:-][A-Za-z0-9+/=._-]+$/);
        const [login, name, random] = token.slice('perm:'.length).split('.');
        expect(Buffer.from(name!, 'base64').toString()).toContain('canary');
        expect(random).toHaveLength(20);
        expect(['admin', 'jane']).toContain(Buffer.from(login!, 'base64').toString());
      }
      expect(YOUTRACK_TEST_TOKEN).toContain('=');
    });

    it('answers 401 with the error body without a token or with a wrong one', async () => {
      const missing = await api('GET', '/issues', undefined, null);
      expect(missing.status).toBe(401);
      // The body recorded from a real 2026.1.
      expect(missing.body).toEqual({ error: 'Unauthorized', error_description: 'Invalid token' });
      const wrong = await api('GET', '/issues', undefined, `${YOUTRACK_TEST_TOKEN.slice(0, -1)}x`);
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe('Unauthorized');
      const basic = await fetch(`${yt.url}/api/issues`, { headers: { Authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` } });
      expect(basic.status).toBe(401);
    });

    it('maps tokens to users', async () => {
      expect((await api('GET', '/users/me?fields=login,fullName')).body).toEqual({ login: 'admin', fullName: 'Admin', $type: 'Me' });
      expect((await api('GET', '/users/me?fields=login', undefined, YOUTRACK_USER_TOKEN)).body).toEqual({ login: 'jane', $type: 'Me' });
    });

    it('refuses admin writes and issue deletion to a non-admin user', async () => {
      const create = await api('POST', '/admin/projects', { name: 'Jane project', shortName: 'JP' }, YOUTRACK_USER_TOKEN);
      expect(create.status).toBe(403);
      expect(create.body.error_description).toEqual(expect.any(String));
      expect((await api('DELETE', '/issues/DEMO-12', undefined, YOUTRACK_USER_TOKEN)).status).toBe(403);
      expect(findIssue(yt.state, 'DEMO-12')).toBeDefined();
      expect((await api('GET', '/admin/projects?fields=shortName', undefined, YOUTRACK_USER_TOKEN)).status).toBe(200);
    });

    it('accepts only the default token when no tokens are given', async () => {
      const only = await startYouTrackDouble();
      try {
        expect((await call(only.url, 'GET', '/api/users/me')).status).toBe(200);
        expect((await call(only.url, 'GET', '/api/users/me', undefined, YOUTRACK_USER_TOKEN)).status).toBe(401);
      } finally {
        await only.close();
      }
    });
  });

  describe('fields and paging', () => {
    it('returns {id, $type} stubs without fields', async () => {
      const one = await api('GET', '/issues/DEMO-1');
      expect(one.body).toEqual({ id: '2-1', $type: 'Issue' });
      const list = await api('GET', '/issues?$top=2');
      expect(list.body).toEqual([
        { id: '2-1', $type: 'Issue' },
        { id: '2-2', $type: 'Issue' },
      ]);
    });

    it('projects nested fields, always adds $type and leaves out unknown names', async () => {
      const { body } = await api(
        'GET',
        '/issues/DEMO-1?fields=idReadable,bogus,project(shortName),reporter,customFields(name,value(name,login,minutes,presentation)),tags(name)',
      );
      expect(body).toMatchObject({ idReadable: 'DEMO-1', project: { shortName: 'DEMO', $type: 'Project' }, reporter: { $type: 'User' }, $type: 'Issue' });
      expect(body).not.toHaveProperty('bogus');
      expect(body.project).not.toHaveProperty('id');
      const byName = Object.fromEntries(body.customFields.map((field: any) => [field.name, field]));
      expect(byName.Priority).toEqual({ name: 'Priority', value: { name: 'Critical', $type: 'EnumBundleElement' }, $type: 'SingleEnumIssueCustomField' });
      expect(byName.State.$type).toBe('StateIssueCustomField');
      expect(byName.Assignee.value).toMatchObject({ login: 'jane', $type: 'User' });
      expect(byName['Fix versions']).toMatchObject({ value: [{ name: '1.0', $type: 'VersionBundleElement' }], $type: 'MultiVersionIssueCustomField' });
      expect(byName.Estimation.value).toEqual({ minutes: 240, presentation: '4h', $type: 'PeriodValue' });
      expect(byName['Due Date'].value).toBeNull();
      expect(byName['Story points']).toMatchObject({ value: 5, $type: 'SimpleIssueCustomField' });
      expect(body.tags).toEqual([{ name: 'regression', $type: 'Tag' }]);
    });

    it('rejects a fields parameter with unbalanced parentheses', async () => {
      const answer = await api('GET', '/issues/DEMO-1?fields=customFields(name');
      expect(answer.status).toBe(400);
      expect(answer.body.error_description).toEqual(expect.any(String));
    });

    it('pages with a default $top of 1000 and $skip, without totals (measured on 2026.1)', async () => {
      for (let n = 0; n < 30; n += 1) {
        const created = await api('POST', '/issues', { project: { id: '0-1' }, summary: `Paging filler ${n}` });
        expect(created.status).toBe(200);
      }
      const seeded = yt.state.issues.length;
      for (let n = seeded; n < 1005; n += 1) yt.state.issues.push({ ...yt.state.issues[0]!, id: `2-${1000 + n}`, idReadable: `DEMO-${1000 + n}` });
      const total = yt.state.issues.length;
      expect(total).toBeGreaterThan(1000);
      const first = await api('GET', '/issues?fields=idReadable');
      expect(Array.isArray(first.body)).toBe(true);
      expect(first.body).toHaveLength(1000);
      yt.state.issues.splice(seeded);
      const rest = await api('GET', '/issues?fields=idReadable&$skip=40');
      expect(rest.body).toHaveLength(seeded - 40);
      expect(rest.body[0]).toEqual(first.body[40]);
      expect((await api('GET', '/issues?fields=id&$top=5&$skip=1')).body).toHaveLength(5);
    });
  });

  describe('issues', () => {
    it('finds issues by YQL and rejects an unparseable query', async () => {
      const ids = async (query: string) => (await api('GET', `/issues?fields=idReadable&query=${q(query)}`)).body.map((issue: any) => issue.idReadable);
      expect(await ids('project: DEMO State: {In Progress}')).toEqual(['DEMO-3', 'DEMO-10']);
      expect(await ids('Assignee: jane #Unresolved')).toEqual(['DEMO-1', 'DEMO-4', 'DEMO-5']);
      expect(await ids('project: OPS #Resolved')).toEqual(['OPS-3']);
      expect(await ids('tag: regression')).toEqual(['DEMO-1']);
      expect(await ids('project: DEMO Priority: Critical, Show-stopper')).toEqual(['DEMO-1', 'DEMO-4']);
      expect(await ids('database pool')).toEqual(['DEMO-4']);
      const broken = await api('GET', `/issues?query=${q('State: {In Progress')}`);
      expect(broken.status).toBe(400);
      expect(broken.body).toMatchObject({ error: 'invalid_query', error_children: [expect.objectContaining({ error_description: 'unbalanced braces' })] });
      // Measured on 2026.1: an unknown field gives 200 [], and "((((" 200 with the filter dropped.
      expect(await ids('Colour: red')).toEqual([]);
      expect(await ids('((((')).toHaveLength(yt.state.issues.length);
    });

    it('counts the issues a query finds', async () => {
      // A real 2026.1 answers -1 on the first call for a new query and the number on the next.
      const first = await api('POST', '/issuesGetter/count?fields=count', { query: 'project: OPS #Unresolved' });
      expect(first.body).toEqual({ count: -1, $type: 'IssueCountResponse' });
      const answer = await api('POST', '/issuesGetter/count?fields=count', { query: 'project: OPS #Unresolved' });
      expect(answer.body).toEqual({ count: 2, $type: 'IssueCountResponse' });
      expect((await api('POST', '/issuesGetter/count?fields=count', { query: 'State: {Open' })).status).toBe(400);
    });

    it('keeps the injection text of DEMO-8 verbatim', async () => {
      const { body } = await api('GET', '/issues/DEMO-8?fields=description');
      expect(body.description).toBe(INJECTION_TEXT);
      expect(body.description).toContain('Ignore previous instructions');
      expect(body.description).toContain('\u200B');
    });

    it('creates an issue and answers with the projection', async () => {
      const answer = await api('POST', '/issues?fields=idReadable,summary,reporter(login),customFields(name,value(name))', {
        project: { id: '0-2' },
        summary: 'Certificate expired',
        customFields: [{ name: 'Severity', $type: 'SingleEnumIssueCustomField', value: { name: 'S1' } }],
      });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ idReadable: 'OPS-4', summary: 'Certificate expired', reporter: { login: 'admin' }, $type: 'Issue' });
      const created = findIssue(yt.state, 'OPS-4')!;
      expect(created.fields).toEqual({ Priority: 'Normal', State: 'Submitted', Severity: 'S1' });
      expect((await api('POST', '/issues', { project: { id: '0-2' }, summary: 'Stub', customFields: [{ name: 'Severity', $type: 'SingleEnumIssueCustomField', value: { name: 'S3' } }] })).body).toEqual({
        id: expect.stringMatching(/^2-\d+$/),
        $type: 'Issue',
      });
    });

    it('refuses a project shortName or a UUID instead of the entity id', async () => {
      for (const id of ['DEMO', '039de813-e6e5-4b14-9d55-1361df908adf']) {
        const answer = await api('POST', '/issues', { project: { id }, summary: 'Wrong project id' });
        expect(answer.status).toBe(400);
        expect(answer.body).toEqual({ error: 'bad_request', error_description: `Invalid structure of entity id: ${id}` });
      }
      expect((await api('POST', '/issues', { project: { id: '0-1' } })).status).toBe(400);
    });

    it('answers 500 to a wrong custom-field $type and changes nothing', async () => {
      const before = yt.state.issues.length;
      const create = await api('POST', '/issues', {
        project: { id: '0-1' },
        summary: 'Wrong type',
        customFields: [{ name: 'Fix versions', $type: 'SingleEnumIssueCustomField', value: { name: '2.0' } }],
      });
      expect(create.status).toBe(500);
      expect(create.body.error).toBe('server_error');
      expect(create.body.error_description).toEqual(expect.any(String));
      expect(yt.state.issues.length).toBe(before);
      const update = await api('POST', '/issues/DEMO-2', { customFields: [{ name: 'State', $type: 'SingleEnumIssueCustomField', value: { name: 'Open' } }] });
      expect(update.status).toBe(500);
      expect(findIssue(yt.state, 'DEMO-2')!.fields.State).toBe('Submitted');
    });

    it('answers 400 naming the field and the value for a value outside the bundle', async () => {
      const answer = await api('POST', '/issues/DEMO-2', { customFields: [{ name: 'Priority', $type: 'SingleEnumIssueCustomField', value: { name: 'Blocker' } }] });
      expect(answer.status).toBe(400);
      expect(answer.body.error_description).toContain('Priority');
      expect(answer.body.error_description).toContain('Blocker');
    });

    it('answers 400 when a required field (OPS Severity) is missing', async () => {
      const answer = await api('POST', '/issues', { project: { id: '0-2' }, summary: 'No severity' });
      expect(answer.status).toBe(400);
      expect(answer.body.error_description).toContain('Severity');
      expect(yt.state.issues.some((issue) => issue.summary === 'No severity')).toBe(false);
    });

    it('updates an issue, moves updated forward and sets resolved for a resolved state', async () => {
      const issue = findIssue(yt.state, 'DEMO-9')!;
      const before = issue.updated;
      const answer = await api('POST', '/issues/DEMO-9?fields=summary,resolved', {
        summary: 'Improve search speed',
        customFields: [
          { name: 'State', $type: 'StateIssueCustomField', value: { name: 'Fixed' } },
          { name: 'Estimation', $type: 'PeriodIssueCustomField', value: { presentation: '1d 2h' } },
        ],
      });
      expect(answer.status).toBe(200);
      expect(answer.body.summary).toBe('Improve search speed');
      expect(answer.body.resolved).toEqual(expect.any(Number));
      expect(issue.updated).toBeGreaterThan(before);
      expect(issue.fields.Estimation).toBe(600);
    });

    it('rejects malformed JSON, unknown URLs and wrong methods with the error body', async () => {
      const malformed = await fetch(`${yt.url}/api/issues`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${YOUTRACK_TEST_TOKEN}`, 'Content-Type': 'application/json' },
        body: '{"summary": ',
      });
      expect(malformed.status).toBe(400);
      expect(await malformed.json()).toMatchObject({ error: 'bad_request' });
      const unknown = await api('GET', '/nothing/here');
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ error: 'Not Found', error_description: 'HTTP 404 Not Found' });
      expect((await api('GET', '/issues/DEMO-999')).status).toBe(404);
      const wrongMethod = await api('DELETE', '/issues');
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.body.error_description).toEqual(expect.any(String));
    });

    it('lets an admin delete an issue', async () => {
      expect((await api('DELETE', '/issues/DEMO-12')).status).toBe(200);
      expect(findIssue(yt.state, 'DEMO-12')).toBeUndefined();
      expect((await api('GET', '/issues/DEMO-12')).status).toBe(404);
    });
  });

  describe('commands', () => {
    it('changes state, assignee and tags and answers 200 with an empty body', async () => {
      const answer = await api('POST', '/commands', { query: 'State In Progress for john tag ui', issues: [{ idReadable: 'DEMO-2' }], comment: 'Taking this' });
      expect(answer.status).toBe(200);
      expect(answer.text).toBe('');
      const issue = findIssue(yt.state, 'DEMO-2')!;
      expect(issue.fields.State).toBe('In Progress');
      expect(issue.fields.Assignee).toBe('john');
      expect(issue.tagIds).toContain(YOUTRACK_IDS.tags.ui);
      expect(yt.state.comments.some((comment) => comment.issueId === issue.id && comment.text === 'Taking this')).toBe(true);

      expect((await api('POST', '/commands', { query: 'State {Fixed}', issues: [{ id: '2-2' }] })).status).toBe(200);
      expect(issue.fields.State).toBe('Fixed');
      expect(issue.resolved).toEqual(expect.any(Number));
      expect((await api('POST', '/commands', { query: 'Open for Unassigned untag ui', issues: [{ idReadable: 'DEMO-2' }] })).status).toBe(200);
      expect(issue.resolved).toBeNull();
      expect(issue.fields.Assignee).toBeNull();
      expect(issue.tagIds).not.toContain(YOUTRACK_IDS.tags.ui);
    });

    it('adds and removes links', async () => {
      expect((await api('POST', '/commands', { query: 'depends on DEMO-11', issues: [{ idReadable: 'DEMO-10' }] })).status).toBe(200);
      // Depend reads "is required for" from source to target (the recorded default link types): DEMO-11 is the source.
      const links = await api('GET', '/issues/DEMO-11/links?fields=direction,linkType(name,sourceToTarget,targetToSource),issues(idReadable)');
      const outward = links.body.find((link: any) => link.linkType.name === 'Depend' && link.direction === 'OUTWARD');
      expect(outward.linkType).toMatchObject({ sourceToTarget: 'is required for', targetToSource: 'depends on' });
      expect(outward.issues).toEqual([{ idReadable: 'DEMO-10', $type: 'Issue' }]);
      expect((await api('POST', '/commands', { query: 'remove depends on DEMO-11', issues: [{ idReadable: 'DEMO-10' }] })).status).toBe(200);
      expect(yt.state.links.some((link) => link.sourceId === '2-11' && link.targetId === '2-10')).toBe(false);
    });

    it('answers 400 with error_description to an unknown command and changes nothing', async () => {
      const issue = findIssue(yt.state, 'DEMO-3')!;
      const before = { ...issue.fields };
      const answer = await api('POST', '/commands', { query: 'State Open frobnicate everything', issues: [{ idReadable: 'DEMO-3' }] });
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.body.error_description).toEqual(expect.any(String));
      expect(issue.fields).toEqual(before);
      expect((await api('POST', '/commands', { query: 'State Nonsense', issues: [{ idReadable: 'DEMO-3' }] })).status).toBe(400);
    });
  });

  describe('comments, tags, work items', () => {
    it('lists comments and refuses a comment addressed through another issue', async () => {
      const list = await api('GET', '/issues/DEMO-1/comments?fields=id,text,author(login)');
      expect(list.body).toHaveLength(3);
      const commentId = list.body[0].id;
      expect((await api('POST', `/issues/DEMO-2/comments/${commentId}`, { text: 'hijack' })).status).toBe(404);
      expect((await api('DELETE', `/issues/DEMO-2/comments/${commentId}`)).status).toBe(404);
      expect(yt.state.comments.find((comment) => comment.id === commentId)!.text).not.toBe('hijack');
      const added = await api('POST', '/issues/DEMO-1/comments?fields=text,author(login),created', { text: 'Looks good' });
      expect(added.body).toMatchObject({ text: 'Looks good', author: { login: 'admin' }, created: expect.any(Number) });
    });

    it('tags an issue by tag id and refuses an unknown tag', async () => {
      expect((await api('POST', '/issues/DEMO-3/tags?fields=name', { id: YOUTRACK_IDS.tags.ui })).body).toEqual({ name: 'ui', $type: 'Tag' });
      expect((await api('POST', '/issues/DEMO-3/tags', { id: '6-0' })).status).toBe(404);
      expect((await api('DELETE', `/issues/DEMO-3/tags/${YOUTRACK_IDS.tags.ui}`)).status).toBe(200);
      expect(findIssue(yt.state, 'DEMO-3')!.tagIds).toEqual([]);
    });

    it('normalises work item dates to midnight in the user\'s time zone and reads durations back with a presentation', async () => {
      const answer = await api('POST', '/issues/DEMO-1/timeTracking/workItems?fields=date,duration(minutes,presentation),type(name)', {
        date: Date.UTC(2025, 2, 3, 15, 4),
        duration: { presentation: '1h 30m' },
        type: { name: 'Testing' },
      });
      // 15:04 UTC is 07:04 in Los Angeles (admin's zone): midnight there is 08:00 UTC.
      expect(answer.body).toEqual({ date: Date.UTC(2025, 2, 3, 8), duration: { minutes: 90, presentation: '1h 30m', $type: 'DurationValue' }, type: { name: 'Testing', $type: 'WorkItemType' }, $type: 'IssueWorkItem' });
      expect((await api('POST', '/issues/DEMO-1/timeTracking/workItems', { duration: { minutes: 30 }, type: { name: 'Sleeping' } })).status).toBe(400);
    });
  });

  describe('schema, users, articles, agiles', () => {
    it('describes the project schema', async () => {
      const { body } = await api('GET', '/admin/projects/0-2/customFields?fields=field(name,fieldType($type,valueType)),canBeEmpty,bundle(values(name))');
      const severity = body.find((field: any) => field.field.name === 'Severity');
      expect(severity).toEqual({
        field: { name: 'Severity', fieldType: { valueType: 'enum', $type: 'FieldType' }, $type: 'CustomField' },
        canBeEmpty: false,
        bundle: { values: ['S1', 'S2', 'S3'].map((name) => ({ name, $type: 'EnumBundleElement' })), $type: 'EnumBundle' },
        $type: 'EnumProjectCustomField',
      });
      expect((await api('GET', '/admin/projects/DEMO?fields=id,shortName')).body).toEqual({ id: '0-1', shortName: 'DEMO', $type: 'Project' });
    });

    it('finds users, articles and the current sprint', async () => {
      // `query` is not declared for GET /users in 2026.1: it is ignored and the first users come back.
      expect((await api('GET', '/users?query=smith&fields=login')).body).toEqual(['admin', 'jane', 'john'].map((login) => ({ login, $type: 'User' })));
      expect((await api('GET', '/users/jane?fields=id,fullName')).body).toEqual({ id: '1-2', fullName: 'Jane Doe', $type: 'User' });
      const article = await api('GET', '/articles/DEMO-A-2?fields=idReadable,summary,parentArticle(idReadable),project(shortName)');
      expect(article.body).toEqual({ idReadable: 'DEMO-A-2', summary: 'Release checklist', parentArticle: { idReadable: 'DEMO-A-1', $type: 'Article' }, project: { shortName: 'DEMO', $type: 'Project' }, $type: 'Article' });
      expect((await api('GET', '/articles?query=onboarding&fields=idReadable')).body).toHaveLength(yt.state.articles.length);
      const board = await api('GET', '/agiles/120-1?fields=name,currentSprint(name,issues(idReadable))');
      expect(board.body.currentSprint.name).toBe('Sprint 2');
      expect(board.body.currentSprint.issues.map((issue: any) => issue.idReadable)).toContain('DEMO-1');
    });
  });

  describe('requests and fault injection', () => {
    it('records every request and injects failures', async () => {
      const before = yt.requests.length;
      yt.failNext({ method: 'GET', pathPrefix: '/api/issues', count: 1, status: 503, headers: { 'Retry-After': '1' } });
      const failed = await fetch(`${yt.url}/api/issues/DEMO-1`, { headers: { Authorization: `Bearer ${YOUTRACK_TEST_TOKEN}` } });
      expect(failed.status).toBe(503);
      expect(failed.headers.get('retry-after')).toBe('1');
      expect((await api('GET', '/issues/DEMO-1')).status).toBe(200);
      expect(yt.requests.slice(before).map((request) => [request.method, request.path, request.status])).toEqual([
        ['GET', '/api/issues/DEMO-1', 503],
        ['GET', '/api/issues/DEMO-1', 200],
      ]);
    });
  });
});

describe('YouTrack double (self-hosted layout with a path prefix)', () => {
  let yt: YouTrackDouble;
  beforeAll(async () => {
    yt = await startYouTrackDouble({ prefix: '/youtrack' });
  });
  afterAll(async () => {
    await yt.close();
  });

  it('serves the API below the prefix and 404s the unprefixed path', async () => {
    expect(yt.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/youtrack$/);
    const prefixed = await call(yt.url, 'GET', '/api/issues/DEMO-1?fields=idReadable');
    expect(prefixed.body).toEqual({ idReadable: 'DEMO-1', $type: 'Issue' });
    const origin = new URL(yt.url).origin;
    const bare = await call(origin, 'GET', '/api/issues/DEMO-1?fields=idReadable');
    expect(bare.status).toBe(404);
    expect(bare.body).toEqual({ error: 'Not Found', error_description: 'HTTP 404 Not Found' });
    expect(yt.requests.map((request) => request.path)).toEqual(['/youtrack/api/issues/DEMO-1', '/api/issues/DEMO-1']);
    expect(yt.requests[0]!.query).toEqual({ fields: 'idReadable' });
  });
});
