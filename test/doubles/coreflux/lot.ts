// Just enough LoT ("Language of Things") reading for the Coreflux doubles: the `DEFINE <KIND> <Name>` header that
// names an entity (a route's also `WITH TYPE <type>`), the optional `DESCRIPTION "..."` line of an action, and its
// `PUBLISH TOPIC "..." WITH ...` statements. Nothing else of the language is interpreted.

export type LotKind = 'MODEL' | 'ACTION' | 'RULE' | 'ROUTE';
export const LOT_KINDS: readonly LotKind[] = ['MODEL', 'ACTION', 'RULE', 'ROUTE'];

/** One problem in a definition, positioned 1-based like the broker's and the verifier's error entries. */
export interface LotProblem {
  message: string;
  line: number;
  column: number;
  /** The offending source line. */
  source: string;
  suggestion: string;
}

export type LotHeader = { ok: true; kind: LotKind; name: string; line: number } | { ok: false; problem: LotProblem };

/** Entity names: a letter or underscore, then letters, digits or underscores. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads the header of a definition: the first non-blank line must be `DEFINE <KIND> <Name>` (keywords in any case,
 * more text may follow the name). With `expected`, the kind must also match.
 */
export function parseLotHeader(source: string, expected?: LotKind): LotHeader {
  const lines = source.split(/\r?\n/);
  const index = lines.findIndex((line) => line.trim() !== '');
  if (index < 0) {
    return { ok: false, problem: { message: 'Empty definition', line: 1, column: 1, source: '', suggestion: `Start with DEFINE ${expected ?? '<KIND>'} <Name>` } };
  }
  const text = lines[index]!;
  const line = index + 1;
  const indent = text.length - text.trimStart().length;
  const fail = (message: string, column: number): LotHeader => ({
    ok: false,
    problem: { message, line, column, source: text, suggestion: `Start with DEFINE ${expected ?? '<KIND>'} <Name>` },
  });

  const tokens = [...text.matchAll(/\S+/g)].map((match) => ({ text: match[0], column: (match.index ?? 0) + 1 }));
  const [define, kindToken, nameToken] = tokens;
  if (!define || define.text.toUpperCase() !== 'DEFINE') return fail(`Expected DEFINE at the start of the definition, found '${define?.text ?? ''}'`, indent + 1);
  if (!kindToken) return fail(`Expected an entity kind (${LOT_KINDS.join(', ')}) after DEFINE`, define.column + define.text.length + 1);
  const kind = kindToken.text.toUpperCase() as LotKind;
  if (!LOT_KINDS.includes(kind)) return fail(`Unknown entity kind '${kindToken.text}'; expected ${LOT_KINDS.join(', ')}`, kindToken.column);
  if (expected && kind !== expected) return fail(`Expected DEFINE ${expected}, found DEFINE ${kind}`, kindToken.column);
  if (!nameToken) return fail(`Expected a name after DEFINE ${kind}`, kindToken.column + kindToken.text.length + 1);
  if (!NAME.test(nameToken.text)) return fail(`Invalid ${kind.toLowerCase()} name '${nameToken.text}'`, nameToken.column);
  if (kind === 'ROUTE') {
    // Coreflux's route reference: every route declares its type after its name ("Missing WITH TYPE" is an error).
    const [, , , withToken, typeKeyword, typeToken] = tokens;
    const after = nameToken.column + nameToken.text.length + 1;
    if (withToken?.text.toUpperCase() !== 'WITH' || typeKeyword?.text.toUpperCase() !== 'TYPE' || !typeToken || !/^[A-Za-z][A-Za-z0-9_]*$/.test(typeToken.text)) {
      return { ok: false, problem: { message: `Expected WITH TYPE <route type> after DEFINE ROUTE ${nameToken.text}`, line, column: withToken?.column ?? after, source: text, suggestion: `DEFINE ROUTE ${nameToken.text} WITH TYPE MQTT_BRIDGE` } };
    }
  }
  return { ok: true, kind, name: nameToken.text, line };
}

/** The text of the first `DESCRIPTION "..."` line, unescaped; undefined when there is none. */
export function lotDescription(source: string): string | undefined {
  const match = /^[ \t]*DESCRIPTION[ \t]+"((?:[^"\\\r\n]|\\.)*)"/im.exec(source);
  return match ? unescape(match[1]!) : undefined;
}

/** `PUBLISH TOPIC "<topic>" WITH <value>` statements: a quoted value is unquoted, anything else is kept as written. */
export function lotPublishes(source: string): Array<{ topic: string; payload: string }> {
  const statements: Array<{ topic: string; payload: string }> = [];
  for (const match of source.matchAll(/^[ \t]*PUBLISH[ \t]+TOPIC[ \t]+"((?:[^"\\\r\n]|\\.)*)"[ \t]+WITH[ \t]+(.*?)[ \t]*$/gim)) {
    const value = match[2]!;
    const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(value);
    statements.push({ topic: unescape(match[1]!), payload: quoted ? unescape(quoted[1]!) : value });
  }
  return statements;
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, (_, character: string) => (character === 'n' ? '\n' : character === 't' ? '\t' : character));
}
