// The shape every benchmark returns, and the printed table / RESULTS.md built from it.
export interface Row {
  figure: string;
  /** The measured value, already formatted (min / median / max for distributions). */
  value: string;
  target?: string;
  /** undefined when the figure has no target of its own. */
  met?: boolean;
}

export interface Section {
  id: string;
  title: string;
  rows: Row[];
  notes: string[];
}

function verdict(row: Row): string {
  if (row.met === undefined) return row.target ? '-' : '';
  return row.met ? 'met' : 'MISSED';
}

export function printTable(sections: readonly Section[]): string {
  const lines: string[] = [];
  const all = sections.flatMap((s) => s.rows.map((r) => ({ section: s, row: r })));
  const w0 = Math.max(6, ...all.map(({ section, row }) => `${section.id} ${row.figure}`.length));
  const w1 = Math.max(5, ...all.map(({ row }) => row.value.length));
  const w2 = Math.max(6, ...all.map(({ row }) => (row.target ?? '').length));
  const line = (a: string, b: string, c: string, d: string) => `${a.padEnd(w0)} | ${b.padEnd(w1)} | ${c.padEnd(w2)} | ${d}`;
  lines.push(line('figure', 'value', 'target', 'verdict'));
  lines.push(`${'-'.repeat(w0)}-+-${'-'.repeat(w1)}-+-${'-'.repeat(w2)}-+--------`);
  for (const section of sections) {
    for (const row of section.rows) lines.push(line(`${section.id} ${row.figure}`, row.value, row.target ?? '', verdict(row)));
  }
  return lines.join('\n');
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

export function markdown(sections: readonly Section[], header: string[]): string {
  const out: string[] = [...header, ''];
  for (const section of sections) {
    out.push(`## ${section.id}. ${section.title}`, '', '| figure | value | target | verdict |', '|---|---|---|---|');
    for (const row of section.rows) out.push(`| ${cell(row.figure)} | ${cell(row.value)} | ${cell(row.target ?? '')} | ${verdict(row)} |`);
    if (section.notes.length) out.push('', ...section.notes.map((note) => `- ${note}`));
    out.push('');
  }
  return out.join('\n');
}
