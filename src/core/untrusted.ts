// Text from upstream systems is data, not instructions. Characters that hide or reorder text
// (zero-width, BiDi controls, Unicode tags) are removed, and long fields are cut with a note.

// Zero-width space and direction marks, the Arabic letter mark, BiDi embeddings/overrides/isolates, word joiner
// and invisible operators, BOM, Unicode tag characters, and C0/C1 controls other than tab, newline and carriage
// return. Zero-width (non-)joiners stay: emoji sequences and several scripts need them.
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const HIDDEN = /[\u00AD\u061C\u180E\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB]|[\u{E0000}-\u{E007F}]|[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/gu;

export function cleanText(text: string): string {
  return text.replace(HIDDEN, '');
}

/** Every string in a JSON-like value, cleaned. */
export function cleanDeep<T>(value: T): T {
  if (typeof value === 'string') return cleanText(value) as T;
  if (Array.isArray(value)) return value.map((item) => cleanDeep(item)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = cleanDeep(item);
    return out as T;
  }
  return value;
}

/** The first `max` UTF-16 units of text, one shorter if that would split a surrogate pair. */
export function safeSlice(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

/**
 * Cuts text longer than `max` characters and says how much is left and how to get it.
 * Returns the text unchanged when it fits.
 */
export function clip(text: string | null | undefined, max: number, howToGetMore: string): string {
  if (!text) return text ?? '';
  if (text.length <= max) return text;
  const kept = safeSlice(text, max);
  return `${kept}… [truncated: ${text.length - kept.length} more characters; ${howToGetMore}]`;
}
