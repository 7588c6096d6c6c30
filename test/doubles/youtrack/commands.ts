// YouTrack commands (POST /api/commands): a parser for the common command forms and their effect on issues.
//
// Supported: `<Field> <value>` for enum, state, version and user fields (`State In Progress`, `State {In Progress}`,
// `Priority Major`, `Type Bug`, `Fix versions 2.0`, `Assignee jane`), a bare value when exactly one field has it
// (`Fixed`), `for <login>|me|Unassigned`, `tag X`, `untag X`, link verbs (`relates to KEY-N`, `depends on`,
// `is required for`, `duplicates`, `is duplicated by`, `subtask of`, `parent for`) and `remove <link verb> KEY-N`.
// Several commands can follow each other: `State Fixed for jane`. Anything else is a 400 and nothing changes.
import { badRequest } from './errors.js';
import {
  findIssue,
  findUser,
  nextId,
  projectOf,
  refreshResolved,
  removeWhere,
  touch,
  type FieldValue,
  type IssueRecord,
  type LinkTypeRecord,
  type ProjectField,
  type UserRecord,
  type YouTrackState,
} from './model.js';

type Token = { text: string; braced: boolean };

export type CommandOp =
  | { kind: 'field'; field: ProjectField; value: FieldValue; add: boolean }
  | { kind: 'tag'; name: string }
  | { kind: 'untag'; tagId: string }
  | { kind: 'link'; type: LinkTypeRecord; outward: boolean; otherId: string; remove: boolean };

export interface ParsedCommand {
  ops: CommandOp[];
  /** Human-readable descriptions, one per command, for /commands/assist. */
  descriptions: string[];
}

/** Link verbs are the link types' own wording: the issue a command applies to is the source of `sourceToTarget`. */
function linkVerbs(state: YouTrackState): Array<{ words: string[]; type: LinkTypeRecord; outward: boolean }> {
  return state.linkTypes.flatMap((type) => [
    ...(type.sourceToTarget ? [{ words: type.sourceToTarget.toLowerCase().split(/\s+/), type, outward: true }] : []),
    ...(type.targetToSource && type.targetToSource !== type.sourceToTarget ? [{ words: type.targetToSource.toLowerCase().split(/\s+/), type, outward: false }] : []),
  ]);
}

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const char = query[i]!;
    if (/\s/.test(char)) {
      i += 1;
    } else if (char === '{') {
      const end = query.indexOf('}', i + 1);
      if (end < 0) throw badRequest(`Command [${query}] is invalid: unbalanced braces`);
      tokens.push({ text: query.slice(i + 1, end).trim(), braced: true });
      i = end + 1;
    } else if (char === '}') {
      throw badRequest(`Command [${query}] is invalid: unbalanced braces`);
    } else {
      const start = i;
      while (i < query.length && !/[\s{}]/.test(query[i]!)) i += 1;
      tokens.push({ text: query.slice(start, i), braced: false });
    }
  }
  return tokens;
}

/** Parses a command for one issue; values are resolved against that issue's project. */
export function parseCommand(state: YouTrackState, me: UserRecord, issue: IssueRecord, query: string): ParsedCommand {
  const project = projectOf(state, issue);
  const tokens = tokenize(query);
  const ops: CommandOp[] = [];
  const descriptions: string[] = [];
  let position = 0;
  const invalid = (reason: string): never => {
    throw badRequest(`Command [${query}] is invalid for ${issue.idReadable}: ${reason}`);
  };
  const lower = (offset: number) => tokens[position + offset]?.text.toLowerCase();
  const startsWith = (words: string[]) => words.every((word, index) => !tokens[position + index]?.braced && lower(index) === word);

  /** The longest run of tokens at the current position that equals one of `names` (case-insensitive). */
  function longest(names: string[]): string | undefined {
    const token = tokens[position];
    if (!token) return undefined;
    if (token.braced) {
      const found = names.find((name) => name.toLowerCase() === token.text.toLowerCase());
      if (found) position += 1;
      return found;
    }
    for (let length = tokens.length - position; length >= 1; length -= 1) {
      const slice = tokens.slice(position, position + length);
      if (slice.some((item) => item.braced)) continue;
      const text = slice.map((item) => item.text).join(' ').toLowerCase();
      const found = names.find((name) => name.toLowerCase() === text);
      if (found) {
        position += length;
        return found;
      }
    }
    return undefined;
  }

  function userValue(field: ProjectField, text: string): string | null {
    if (text.toLowerCase() === 'me') return me.login;
    if (text.toLowerCase() === field.emptyFieldText.toLowerCase()) return null;
    const user = findUser(state, text);
    if (!user) invalid(`unknown user "${text}"`);
    return user!.login;
  }

  function setField(field: ProjectField, value: FieldValue): void {
    if (value === null && !field.canBeEmpty) invalid(`${field.name} is required`);
    // Assumption: a command sets a state-machine field only where one of its transitions leads there.
    if (field.stateMachine && !field.stateMachine.some((t) => t.from === issue.fields[field.name] && t.to === value)) {
      invalid(`${field.name} cannot change from ${String(issue.fields[field.name])} to ${String(value)}: no transition of its state machine leads there`);
    }
    ops.push({ kind: 'field', field, value, add: field.multi });
    descriptions.push(`${field.name} ${value === null ? field.emptyFieldText : String(value)}`);
  }

  function fieldValue(field: ProjectField): void {
    if (field.kind === 'user') {
      const token = tokens[position];
      if (!token) invalid(`a value is expected after "${field.name}"`);
      position += 1;
      setField(field, userValue(field, token!.text));
      return;
    }
    if (field.kind === 'enum' || field.kind === 'state' || field.kind === 'version') {
      const name = longest(field.values.map((value) => value.name));
      if (name === undefined) invalid(`"${tokens[position]?.text ?? ''}" is not a value of ${field.name}`);
      setField(field, name!);
      return;
    }
    invalid(`field ${field.name} cannot be set by this command`);
  }

  function issueArgument(): IssueRecord {
    const token = tokens[position];
    if (!token) invalid('an issue id is expected');
    position += 1;
    const other = findIssue(state, token!.text);
    if (!other) invalid(`unknown issue "${token!.text}"`);
    if (other!.id === issue.id) invalid('an issue cannot be linked to itself');
    return other!;
  }

  function linkVerb(remove: boolean): boolean {
    const verb = linkVerbs(state).find((candidate) => startsWith(candidate.words));
    if (!verb) return false;
    position += verb.words.length;
    const type = verb.type;
    const other = issueArgument();
    ops.push({ kind: 'link', type, outward: verb.outward, otherId: other.id, remove });
    descriptions.push(`${remove ? 'remove ' : ''}${verb.words.join(' ')} ${other.idReadable}`);
    return true;
  }

  while (position < tokens.length) {
    const word = lower(0);
    if (!tokens[position]!.braced && word === 'for') {
      position += 1;
      const assignee = project.fields.find((field) => field.kind === 'user' && field.name === 'Assignee');
      if (!assignee) invalid(`project ${project.shortName} has no Assignee field`);
      const token = tokens[position];
      if (!token) invalid('a user is expected after "for"');
      position += 1;
      setField(assignee!, userValue(assignee!, token!.text));
      continue;
    }
    if (!tokens[position]!.braced && (word === 'tag' || word === 'untag')) {
      position += 1;
      const token = tokens[position];
      if (!token) invalid(`a tag name is expected after "${word}"`);
      position += 1;
      const tag = state.tags.find((candidate) => candidate.name.toLowerCase() === token!.text.toLowerCase());
      if (word === 'tag') {
        ops.push({ kind: 'tag', name: tag?.name ?? token!.text });
      } else {
        if (!tag) invalid(`unknown tag "${token!.text}"`);
        ops.push({ kind: 'untag', tagId: tag!.id });
      }
      descriptions.push(`${word} ${token!.text}`);
      continue;
    }
    if (!tokens[position]!.braced && word === 'remove') {
      position += 1;
      if (!linkVerb(true)) invalid(`"remove" must be followed by a link type such as "relates to"`);
      continue;
    }
    if (linkVerb(false)) continue;
    const field = longestField();
    if (field) {
      fieldValue(field);
      continue;
    }
    const bare = bareValue();
    if (bare) continue;
    invalid(`unknown command "${tokens.slice(position).map((token) => token.text).join(' ')}"`);
  }
  return { ops, descriptions };

  function longestField(): ProjectField | undefined {
    const start = position;
    const name = longest(project.fields.map((field) => field.name));
    if (name === undefined) return undefined;
    if (position >= tokens.length) {
      position = start;
      return undefined;
    }
    return project.fields.find((field) => field.name === name);
  }

  /** A value on its own (`Fixed`, `{In Progress}`) when exactly one bundle field of the project has it. */
  function bareValue(): boolean {
    const start = position;
    let best: { field: ProjectField; name: string; end: number } | undefined;
    let ambiguous = false;
    for (const field of project.fields) {
      if (field.kind !== 'enum' && field.kind !== 'state' && field.kind !== 'version') continue;
      position = start;
      const name = longest(field.values.map((value) => value.name));
      if (name === undefined) continue;
      if (!best || position > best.end) {
        best = { field, name, end: position };
        ambiguous = false;
      } else if (position === best.end) {
        ambiguous = true;
      }
    }
    position = start;
    if (!best) return false;
    if (ambiguous) invalid(`value "${best.name}" is ambiguous; name the field`);
    position = best.end;
    setField(best.field, best.name);
    return true;
  }
}

/** Applies parsed commands to an issue. */
export function applyCommand(state: YouTrackState, me: UserRecord, issue: IssueRecord, parsed: ParsedCommand): void {
  const at = touch(state, issue, me);
  for (const op of parsed.ops) {
    switch (op.kind) {
      case 'field': {
        if (op.add && op.value !== null) {
          const current = issue.fields[op.field.name];
          const list = Array.isArray(current) ? current : [];
          if (!list.includes(op.value as string)) issue.fields[op.field.name] = [...list, op.value as string];
        } else {
          issue.fields[op.field.name] = op.add ? [] : op.value;
        }
        break;
      }
      case 'tag': {
        let tag = state.tags.find((candidate) => candidate.name === op.name);
        if (!tag) {
          tag = { id: nextId(state, '6'), name: op.name, ownerId: me.id, untagOnResolve: false };
          state.tags.push(tag);
        }
        if (!issue.tagIds.includes(tag.id)) issue.tagIds.push(tag.id);
        break;
      }
      case 'untag':
        removeWhere(issue.tagIds, (id) => id === op.tagId);
        break;
      case 'link': {
        const [sourceId, targetId] = op.outward ? [issue.id, op.otherId] : [op.otherId, issue.id];
        const same = (link: { typeId: string; sourceId: string; targetId: string }) =>
          link.typeId === op.type.id &&
          ((link.sourceId === sourceId && link.targetId === targetId) || (!op.type.directed && link.sourceId === targetId && link.targetId === sourceId));
        if (op.remove) {
          removeWhere(state.links, same);
        } else if (!state.links.some(same)) {
          state.links.push({ typeId: op.type.id, sourceId, targetId });
        }
        const other = state.issues.find((candidate) => candidate.id === op.otherId);
        if (other) touch(state, other, me);
        break;
      }
    }
  }
  refreshResolved(state, issue, at);
}
