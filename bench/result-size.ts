// Measurement 2: how much the model reads for a search of 25 issues and for one issue with 16 journals,
// against the real local Redmine (text plus structured content, tokens = bytes / 4), with the default compact
// results and, for comparison, with BASTION_TOOL_SCHEMAS=full (structured content too).
import { redmine } from '../test/helpers/redmine.js';
import { benchIssueId, callTool, GET_SUBJECT, GET_TOOL, SEARCH_ARGS, SEARCH_TOOL } from './lib/calls.js';
import type { Section } from './lib/report.js';
import { spawnBastion, type Services } from './lib/services.js';
import { bytesOf, fmtInt } from './lib/stats.js';

const SEARCH_TARGET = 1500;
const GET_TARGET = 1200;

export async function benchResultSize(services: Services): Promise<Section> {
  const issueId = await benchIssueId();
  const raw = await redmine<{ issue: { journals?: unknown[] } }>('GET', `/issues/${issueId}.json?include=journals`);
  const journals = raw.body.issue.journals?.length ?? 0;
  const bastion = await spawnBastion(services.env(['redmine']));
  const full = await spawnBastion(services.env(['redmine'], { BASTION_TOOL_SCHEMAS: 'full' }));
  try {
    const search = await callTool(bastion.client, SEARCH_TOOL, SEARCH_ARGS);
    const get = await callTool(bastion.client, GET_TOOL, { issue_id: issueId });
    const getAll = await callTool(bastion.client, GET_TOOL, { issue_id: issueId, journal_limit: 100 });
    const searchFull = await callTool(full.client, SEARCH_TOOL, SEARCH_ARGS);
    const getFull = await callTool(full.client, GET_TOOL, { issue_id: issueId });
    if (search.isError || get.isError) throw new Error(`tool error: ${search.isError ? search.text : get.text}`);
    const part = (o: { text: string; structured: unknown }) =>
      `text ${fmtInt(bytesOf(o.text) / 4)} + structured ${fmtInt(o.structured === undefined ? 0 : bytesOf(JSON.stringify(o.structured)) / 4)}`;
    const rawSearch = await redmine<{ issues: unknown[] }>('GET', '/issues.json?project_id=alpha&status_id=*&limit=25');
    const rawGet = await redmine('GET', `/issues/${issueId}.json?include=journals,attachments,relations,children`);
    const searchItems = rawSearch.body.issues.length;
    return {
      id: '2',
      title: 'Result size (text + structured content)',
      rows: [
        {
          figure: `${SEARCH_TOOL} (${searchItems} issues)`,
          value: `${fmtInt(search.bytes / 4)} tok (${part(search)})`,
          target: `<= ${fmtInt(SEARCH_TARGET)} tok`,
          met: search.bytes / 4 <= SEARCH_TARGET,
        },
        {
          figure: `${GET_TOOL} (${journals} journals, default page)`,
          value: `${fmtInt(get.bytes / 4)} tok (${part(get)})`,
          target: `<= ${fmtInt(GET_TARGET)} tok`,
          met: get.bytes / 4 <= GET_TARGET,
        },
        {
          figure: `${GET_TOOL} (all ${journals} journals, journal_limit 100)`,
          value: `${fmtInt(getAll.bytes / 4)} tok (${part(getAll)})`,
        },
        { figure: `${SEARCH_TOOL} with BASTION_TOOL_SCHEMAS=full`, value: `${fmtInt(searchFull.bytes / 4)} tok (${part(searchFull)})` },
        { figure: `${GET_TOOL} with BASTION_TOOL_SCHEMAS=full`, value: `${fmtInt(getFull.bytes / 4)} tok (${part(getFull)})` },
      ],
      notes: [
        `Search arguments: ${JSON.stringify(SEARCH_ARGS)}; get: issue #${issueId} ("${GET_SUBJECT}") with default arguments (journal_limit 10).`,
        `For comparison, Redmine's own JSON: search ${fmtInt(bytesOf(JSON.stringify(rawSearch.body)) / 4)} tok, issue with journals ${fmtInt(bytesOf(JSON.stringify(rawGet.body)) / 4)} tok.`,
        'By default a result is its text only: the model reads each value once. The text keeps what a model needs (ids, subject, status, priority, assignee, dates, the change summary of each journal, and how to get the next page); the structured content repeats it for programs and is sent only with BASTION_TOOL_SCHEMAS=full, which about doubles the size (the last two rows).',
      ],
    };
  } finally {
    await Promise.all([bastion.close(), full.close()]);
  }
}
