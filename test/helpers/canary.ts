// Canary checks: the forms a leaked secret could take, and where in a set of captured outputs any of them shows up.

/** Each form a leaked secret could take, named: plain, URL-encoded, base64, base64url, and upper-case for hex keys. */
function namedForms(secret: string): Array<[name: string, form: string]> {
  const forms: Array<[string, string]> = [
    ['plain', secret],
    ['url-encoded', encodeURIComponent(secret)],
    ['base64', Buffer.from(secret).toString('base64')],
    ['base64url', Buffer.from(secret).toString('base64url')],
  ];
  // A hex key (Redmine's) is the same key in capitals to whoever reads it.
  if (/^[0-9a-f]+$/.test(secret)) forms.push(['upper-case', secret.toUpperCase()]);
  const seen = new Set<string>();
  return forms.filter(([, form]) => !seen.has(form) && seen.add(form));
}

/** The forms a leaked secret could take: plain, URL-encoded, base64, base64url, and upper-case for hex keys. */
export function secretForms(secret: string): string[] {
  return namedForms(secret).map(([, form]) => form);
}

export interface Captured {
  /** Where the text came from, e.g. "redmine: stderr" or "doctor --json timeouts: stdout". */
  source: string;
  text: string;
}

export interface Leak {
  source: string;
  /** The canary's name (never its value, so that a failure report does not spread it). */
  canary: string;
  form: string;
  count: number;
}

function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count += 1;
  return count;
}

/** Every (source, canary, form) with at least one hit. */
export function findLeaks(captured: readonly Captured[], canaries: Readonly<Record<string, string>>): Leak[] {
  const leaks: Leak[] = [];
  for (const { source, text } of captured) {
    for (const [canary, secret] of Object.entries(canaries)) {
      for (const [form, needle] of namedForms(secret)) {
        const count = occurrences(text, needle);
        if (count > 0) leaks.push({ source, canary, form, count });
      }
    }
  }
  return leaks;
}

/** One line per leak, e.g. `redmine: stderr: REDMINE_KEY (base64) x3`, for assertion messages. */
export function describeLeaks(leaks: readonly Leak[]): string[] {
  return leaks.map((leak) => `${leak.source}: ${leak.canary} (${leak.form}) x${leak.count}`);
}
