// youtrack://query-syntax: YouTrack's search query language in brief, for writing youtrack_search_issues queries.
import { defineResource } from '../../core/resource.js';
import type { YouTrackClient } from './client.js';

// Written from JetBrains' "Search Query Reference"; static, so reading it sends nothing to YouTrack.
export const QUERY_SYNTAX = `YouTrack search queries (youtrack_search_issues, saved searches; completions: youtrack_suggest_query)

Attribute filters: <attribute>: <value>
  project: DEMO            State: Open             Priority: Critical, Major   (comma = any of)
  for: me  (Assignee)      by: jane  (reporter)    Type: Bug                   tag: regression
  Subsystem: {UI Design}   Values with spaces go in braces; field names with spaces too: {Fix versions}: 1.0
  -State: Fixed            A minus excludes:  State: -Fixed  also works
  has: Assignee            has: -attachments        has: comments   links: DEMO-1   subtask of: DEMO-1

Shortcuts (hash tags): #Unresolved  #Resolved  #me  #Bug  (#<value> matches the value in any field)

Dates: created: 2026-01-01 .. 2026-01-31   updated: Today   resolved date: {This week}
  Named periods: Today, Yesterday, {This week}, {Last week}, {This month}, {Last month}
  Relative: updated: {minus 7d} .. Today     Open range: created: 2026-01-01 .. *

Numbers and periods: Estimation: 1d .. 3d      votes: 5 .. *

Text: words without an attribute search summary, description and comments:  login crash
  "exact phrase"   summary: crash   description: timeout   comments: workaround

Logic: and (implied between terms), or, parentheses:  (State: Open or State: {In Progress}) and for: me

Sorting: sort by: updated desc    sort by: Priority asc, created desc

Issue keys: DEMO-12 finds that issue; issue id: DEMO-12, DEMO-13 finds several.
`;

export const youtrackResources = [
  defineResource<YouTrackClient>({
    uri: 'youtrack://query-syntax',
    name: 'youtrack-query-syntax',
    title: 'YouTrack query syntax',
    description: 'YouTrack\'s search query language in brief: attributes, dates, text, logic and sorting.',
    mimeType: 'text/plain',
    read: async () => QUERY_SYNTAX,
  }),
];
