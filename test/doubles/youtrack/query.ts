// A subset of YouTrack's search language (YQL) for GET /api/issues?query=.
//
// Supported: `project: KEY` (or `in: KEY`), `#Unresolved`, `#Resolved`, `#<tag or value>`, `<field>: value[, value]` for any custom
// field (multi-word values and names in braces: `State: {In Progress}`, `{Fix versions}: 1.0`), `-value` negation,
// `for: me|login`, `Assignee: me|Unassigned|login`, `reporter:`/`by:`, `tag:`, `has:`, `summary:`, `description:`,
// `issue id:`, `created:`/`updated:`/`resolved date:` with `YYYY-MM-DD`, `today`, `yesterday` and `a .. b` ranges,
// free words and "quoted phrases" (summary, description or issue id), `and`, `or`, parentheses and `sort by:`.
// Anything that does not parse (unbalanced braces, quotes or closing parentheses) is a 400 invalid_query; an unknown
// field matches nothing (200 []) and a query of only "(" drops the filter, as measured on 2026.1.
import { HttpError } from './errors.js';
import { midnightUtc, parseDuration, projectOf, type FieldValue, type IssueRecord, type ProjectField, type UserRecord, type YouTrackState } from './model.js';

type Token = { kind: 'word' | 'braced' | 'quoted' | '(' | ')' | ',' | ':' | '#' | '-'; text: string };
type Predicate = (issue: IssueRecord) => boolean;
interface Value {
  negated: boolean;
  text: string;
  /** The upper bound of `a .. b`; `text` is then the lower bound. */
  upTo?: string;
}
interface SortKey {
  key: string;
  descending: boolean;
}

export interface IssueQuery {
  matches: Predicate;
  sort: SortKey[];
}

const DAY = 86_400_000;

/**
 * A query the server cannot parse answers 400 `invalid_query` with `error_children` (measured on 2026.1).
 * Assumption: the wording of the texts.
 */
function fail(query: string, reason: string): never {
  throw new HttpError(400, {
    error: 'invalid_query',
    error_description: `Can't parse search query "${query}"`,
    error_children: [{ error: 'invalid_query', error_description: reason, error_developer_message: reason }],
  });
}

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const char = query[i]!;
    if (/\s/.test(char)) {
      i += 1;
    } else if ('(),:#'.includes(char)) {
      tokens.push({ kind: char as Token['kind'], text: char });
      i += 1;
    } else if (char === '{' || char === '"') {
      const close = char === '{' ? '}' : '"';
      const end = query.indexOf(close, i + 1);
      if (end < 0) fail(query, char === '{' ? 'unbalanced braces' : 'unbalanced quotes');
      const inner = query.slice(i + 1, end);
      if (char === '{' && inner.includes('{')) fail(query, 'unbalanced braces');
      tokens.push({ kind: char === '{' ? 'braced' : 'quoted', text: inner.trim() });
      i = end + 1;
    } else if (char === '}') {
      fail(query, 'unbalanced braces');
    } else if (char === '-' && (query[i + 1] === '{' || query[i + 1] === '"' || query[i + 1] === '(')) {
      tokens.push({ kind: '-', text: '-' });
      i += 1;
    } else {
      const start = i;
      while (i < query.length && !/[\s(),:{}"#]/.test(query[i]!)) i += 1;
      tokens.push({ kind: 'word', text: query.slice(start, i) });
    }
  }
  return tokens;
}

const TWO_WORD_ATTRIBUTES = new Set(['issue id', 'created by', 'resolved date', 'updated by']);
const SORT_KEYS = new Set(['created', 'updated', 'resolved', 'summary', 'votes', 'id', 'issue']);

export function parseIssueQuery(state: YouTrackState, me: UserRecord, query: string): IssueQuery {
  const tokens = tokenize(query);
  const sort: SortKey[] = [];
  let position = 0;
  const peek = (offset = 0) => tokens[position + offset];
  const isWord = (token: Token | undefined, text: string) => token?.kind === 'word' && token.text.toLowerCase() === text;

  function parseOr(): Predicate {
    let left = parseAnd();
    while (isWord(peek(), 'or')) {
      position += 1;
      const right = parseAnd();
      const first = left;
      left = (issue) => first(issue) || right(issue);
    }
    return left;
  }

  function parseAnd(): Predicate {
    const terms: Predicate[] = [];
    for (;;) {
      const token = peek();
      if (!token || token.kind === ')' || isWord(token, 'or')) break;
      if (isWord(token, 'and')) {
        position += 1;
        continue;
      }
      const term = parseTerm();
      if (term) terms.push(term);
    }
    return (issue) => terms.every((term) => term(issue));
  }

  function parseTerm(): Predicate | undefined {
    const token = peek()!;
    if (token.kind === '(') {
      position += 1;
      const inner = parseOr();
      if (peek()?.kind !== ')') fail(query, 'unbalanced parentheses');
      position += 1;
      return inner;
    }
    if (token.kind === ')' || token.kind === ',' || token.kind === ':') fail(query, `unexpected "${token.text}"`);
    if (token.kind === '#') {
      position += 1;
      const value = peek();
      if (!value || (value.kind !== 'word' && value.kind !== 'braced')) fail(query, '"#" must be followed by a value');
      position += 1;
      return hashTerm(value.text);
    }
    if (token.kind === '-') {
      position += 1;
      const inner = parseTerm();
      return inner ? (issue) => !inner(issue) : undefined;
    }
    // Attribute names: `name:`, `{multi word name}:` and a few two-word keywords.
    const second = peek(1);
    if ((token.kind === 'word' || token.kind === 'braced') && second?.kind === ':') {
      position += 2;
      return attribute(token.text, parseValues(token.text));
    }
    if (token.kind === 'word' && second?.kind === 'word' && peek(2)?.kind === ':') {
      const name = `${token.text} ${second.text}`.toLowerCase();
      if (name === 'sort by' || name === 'order by') {
        position += 3;
        parseSort();
        return undefined;
      }
      if (TWO_WORD_ATTRIBUTES.has(name)) {
        position += 3;
        return attribute(name, parseValues(name));
      }
    }
    position += 1;
    if (token.kind === 'word' && token.text.startsWith('-') && token.text.length > 1) {
      const text = token.text.slice(1);
      return (issue) => !textMatches(issue, text);
    }
    return (issue) => textMatches(issue, token.text);
  }

  function parseValues(name: string): Value[] {
    const values: Value[] = [];
    for (;;) {
      let negated = false;
      let token = peek();
      if (token?.kind === '-') {
        negated = true;
        position += 1;
        token = peek();
      }
      if (!token || (token.kind !== 'word' && token.kind !== 'braced' && token.kind !== 'quoted')) fail(query, `a value is expected after "${name}:"`);
      position += 1;
      let text = token.text;
      if (token.kind === 'word' && text.startsWith('-') && text.length > 1) {
        negated = true;
        text = text.slice(1);
      }
      const value: Value = { negated, text };
      if (token.kind === 'word' && text.includes('..') && text !== '..') {
        const [low, high] = text.split('..');
        value.text = low || '*';
        value.upTo = high || '*';
      } else if (isWord(peek(), '..')) {
        position += 1;
        const high = peek();
        if (!high || high.kind !== 'word') fail(query, 'a range needs an upper bound');
        position += 1;
        value.upTo = high.text;
      }
      values.push(value);
      if (peek()?.kind !== ',') return values;
      position += 1;
    }
  }

  /** `sort by: key [asc|desc][, key [asc|desc]]...` */
  function parseSort(): void {
    for (;;) {
      const token = peek();
      if (!token || (token.kind !== 'word' && token.kind !== 'braced')) fail(query, 'a field is expected after "sort by:"');
      position += 1;
      const key = token.text.toLowerCase();
      if (!SORT_KEYS.has(key) && fieldsNamed(key).length === 0) fail(query, `unknown sort field "${token.text}"`);
      let descending = false;
      const direction = peek();
      if (direction?.kind === 'word' && /^(asc|desc)$/i.test(direction.text)) {
        descending = direction.text.toLowerCase() === 'desc';
        position += 1;
      }
      sort.push({ key, descending });
      if (peek()?.kind !== ',') return;
      position += 1;
    }
  }

  function fieldsNamed(name: string): ProjectField[] {
    const lower = name.toLowerCase();
    return state.projects.flatMap((project) => project.fields.filter((field) => field.name.toLowerCase() === lower));
  }

  function fieldOf(issue: IssueRecord, name: string): ProjectField | undefined {
    const lower = name.toLowerCase();
    return projectOf(state, issue).fields.find((field) => field.name.toLowerCase() === lower);
  }

  function anyOf(values: Value[], test: (value: Value) => boolean): Predicate {
    const positive = values.filter((value) => !value.negated);
    const negative = values.filter((value) => value.negated);
    return () => (positive.length === 0 || positive.some(test)) && !negative.some(test);
  }

  function perIssue(values: Value[], test: (issue: IssueRecord, value: Value) => boolean): Predicate {
    return (issue) => anyOf(values, (value) => test(issue, value))(issue);
  }

  function attribute(rawName: string, values: Value[]): Predicate | undefined {
    const name = rawName.toLowerCase();
    switch (name) {
      case 'project':
      case 'in':
        return perIssue(values, (issue, value) => {
          const project = projectOf(state, issue);
          const text = value.text.toLowerCase();
          return project.shortName.toLowerCase() === text || project.name.toLowerCase() === text;
        });
      case 'tag':
        return perIssue(values, (issue, value) =>
          issue.tagIds.some((id) => state.tags.find((tag) => tag.id === id)?.name.toLowerCase() === value.text.toLowerCase()),
        );
      case 'for':
        return perIssue(values, (issue, value) => userFieldMatches(issue.fields.Assignee ?? null, value.text, 'Unassigned'));
      case 'reporter':
      case 'by':
      case 'created by':
        return perIssue(values, (issue, value) => userFieldMatches(state.users.find((user) => user.id === issue.reporterId)?.login ?? null, value.text, ''));
      case 'updated by':
        return perIssue(values, (issue, value) => userFieldMatches(state.users.find((user) => user.id === issue.updaterId)?.login ?? null, value.text, ''));
      case 'summary':
        return perIssue(values, (issue, value) => issue.summary.toLowerCase().includes(value.text.toLowerCase()));
      case 'description':
        return perIssue(values, (issue, value) => (issue.description ?? '').toLowerCase().includes(value.text.toLowerCase()));
      case 'issue id':
        return perIssue(values, (issue, value) => issue.idReadable.toLowerCase() === value.text.toLowerCase() || issue.id === value.text);
      case 'created':
        return dateTerm(values, (issue) => issue.created);
      case 'updated':
        return dateTerm(values, (issue) => issue.updated);
      case 'resolved date':
        return dateTerm(values, (issue) => issue.resolved);
      case 'has':
        for (const value of values) if (fieldsNamed(value.text).length === 0 && !['tag', 'comments'].includes(value.text.toLowerCase())) fail(query, `unknown field "${value.text}"`);
        return perIssue(values, (issue, value) => {
          const lower = value.text.toLowerCase();
          if (lower === 'tag') return issue.tagIds.length > 0;
          if (lower === 'comments') return state.comments.some((comment) => comment.issueId === issue.id && !comment.deleted);
          const field = fieldOf(issue, value.text);
          const stored = field ? issue.fields[field.name] : null;
          return stored !== null && stored !== undefined && !(Array.isArray(stored) && stored.length === 0);
        });
    }
    // An unknown field gives 200 [] on 2026.1 (measured), not an error.
    if (fieldsNamed(rawName).length === 0) return () => false;
    return perIssue(values, (issue, value) => {
      const field = fieldOf(issue, rawName);
      if (!field) return false;
      if (field.kind === 'state' && /^(un)?resolved$/i.test(value.text)) {
        return (issue.resolved === null) === (value.text.toLowerCase() === 'unresolved');
      }
      return fieldMatches(field, issue.fields[field.name] ?? null, value);
    });
  }

  function userFieldMatches(login: FieldValue, text: string, emptyText: string): boolean {
    const lower = text.toLowerCase();
    if (lower === 'me') return login === me.login;
    if (emptyText && lower === emptyText.toLowerCase()) return login === null;
    return typeof login === 'string' && login.toLowerCase() === lower;
  }

  function fieldMatches(field: ProjectField, stored: FieldValue, value: Value): boolean {
    const empty = stored === null || (Array.isArray(stored) && stored.length === 0);
    if (value.text.toLowerCase() === field.emptyFieldText.toLowerCase()) return empty;
    switch (field.kind) {
      case 'enum':
      case 'state':
      case 'version':
      case 'build':
      case 'ownedField':
      case 'group':
      case 'string':
      case 'text': {
        const names = Array.isArray(stored) ? stored : typeof stored === 'string' ? [stored] : [];
        return names.some((name) => name.toLowerCase() === value.text.toLowerCase());
      }
      case 'user':
        return Array.isArray(stored)
          ? stored.some((login) => userFieldMatches(login, value.text, field.emptyFieldText))
          : userFieldMatches(stored, value.text, field.emptyFieldText);
      case 'integer':
      case 'float':
        return typeof stored === 'number' && inNumberRange(stored, value);
      case 'period': {
        const minutes = parseDuration(value.text);
        if (minutes === undefined) fail(query, `"${value.text}" is not a duration`);
        return stored === minutes;
      }
      case 'date':
      case 'date and time':
        return typeof stored === 'number' && inDateRange(stored, value);
    }
  }

  function inNumberRange(stored: number, value: Value): boolean {
    const bound = (text: string, open: number) => {
      if (text === '*') return open;
      const number = Number(text);
      if (!Number.isFinite(number)) fail(query, `"${text}" is not a number`);
      return number;
    };
    if (value.upTo === undefined) return stored === bound(value.text, NaN);
    return bound(value.text, -Infinity) <= stored && stored <= bound(value.upTo, Infinity);
  }

  function day(text: string): [number, number] {
    const lower = text.toLowerCase();
    const today = midnightUtc(Date.now());
    if (lower === 'today') return [today, today + DAY - 1];
    if (lower === 'yesterday') return [today - DAY, today - 1];
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (!match) fail(query, `"${text}" is not a date`);
    const start = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
    if (Number.isNaN(start)) fail(query, `"${text}" is not a date`);
    return [start, start + DAY - 1];
  }

  function inDateRange(stored: number, value: Value): boolean {
    if (value.upTo === undefined) {
      const [start, end] = day(value.text);
      return start <= stored && stored <= end;
    }
    const low = value.text === '*' ? -Infinity : day(value.text)[0];
    const high = value.upTo === '*' ? Infinity : day(value.upTo)[1];
    return low <= stored && stored <= high;
  }

  function dateTerm(values: Value[], read: (issue: IssueRecord) => number | null): Predicate {
    for (const value of values) {
      if (value.text !== '*') day(value.text);
      if (value.upTo !== undefined && value.upTo !== '*') day(value.upTo);
    }
    return perIssue(values, (issue, value) => {
      const stored = read(issue);
      return stored !== null && inDateRange(stored, value);
    });
  }

  function hashTerm(text: string): Predicate {
    const lower = text.toLowerCase();
    if (lower === 'unresolved') return (issue) => issue.resolved === null;
    if (lower === 'resolved') return (issue) => issue.resolved !== null;
    if (lower === 'me') return (issue) => issue.fields.Assignee === me.login || issue.reporterId === me.id;
    if (lower === 'unassigned') return (issue) => (issue.fields.Assignee ?? null) === null;
    return (issue) => {
      const project = projectOf(state, issue);
      if (project.shortName.toLowerCase() === lower) return true;
      if (issue.tagIds.some((id) => state.tags.find((tag) => tag.id === id)?.name.toLowerCase() === lower)) return true;
      return project.fields.some((field) => {
        const stored = issue.fields[field.name] ?? null;
        const names = Array.isArray(stored) ? stored : typeof stored === 'string' ? [stored] : [];
        return field.kind !== 'user' && names.some((name) => name.toLowerCase() === lower);
      });
    };
  }

  function textMatches(issue: IssueRecord, text: string): boolean {
    const lower = text.toLowerCase();
    if (issue.idReadable.toLowerCase() === lower) return true;
    return issue.summary.toLowerCase().includes(lower) || (issue.description ?? '').toLowerCase().includes(lower);
  }

  const matches = parseOr();
  if (position < tokens.length) fail(query, 'unbalanced parentheses');
  return { matches, sort };
}

function sortKey(key: string): (issue: IssueRecord, state: YouTrackState) => number | string {
  switch (key) {
    case 'created':
      return (issue) => issue.created;
    case 'updated':
      return (issue) => issue.updated;
    case 'resolved':
      return (issue) => issue.resolved ?? Infinity;
    case 'summary':
      return (issue) => issue.summary.toLowerCase();
    case 'votes':
      return () => 0;
    case 'id':
    case 'issue':
      return (issue) => Number(issue.id.split('-')[1]);
  }
  return (issue, state) => {
    const field = projectOf(state, issue).fields.find((candidate) => candidate.name.toLowerCase() === key);
    const stored = field ? issue.fields[field.name] : null;
    if (field && typeof stored === 'string' && field.values.length > 0) return field.values.find((value) => value.name === stored)?.ordinal ?? Infinity;
    if (typeof stored === 'number') return stored;
    if (typeof stored === 'string') return stored.toLowerCase();
    return Infinity;
  };
}

/** Filters and orders issues; without `sort by` the order is creation order. */
export function searchIssues(state: YouTrackState, me: UserRecord, query: string | undefined): IssueRecord[] {
  // "((((" is answered 200 with the filter dropped (measured on 2026.1). Assumption: only openers, nothing else.
  if (!query || !query.trim() || /^[\s(]+$/.test(query)) return [...state.issues];
  const { matches, sort } = parseIssueQuery(state, me, query);
  const found = state.issues.filter(matches);
  if (sort.length === 0) return found;
  const keys = sort.map((entry) => ({ read: sortKey(entry.key), descending: entry.descending }));
  return found.sort((a, b) => {
    for (const { read, descending } of keys) {
      const left = read(a, state);
      const right = read(b, state);
      if (left === right) continue;
      const order = left < right ? -1 : 1;
      return descending ? -order : order;
    }
    return 0;
  });
}
