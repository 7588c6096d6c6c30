// The README is the user's reference: it must name every tool and every setting the code has.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REDMINE_VARIABLES } from '../../src/connectors/redmine/index.js';
import { redmineTools } from '../../src/connectors/redmine/tools/index.js';
import { COREFLUX_VARIABLES } from '../../src/connectors/coreflux/index.js';
import { corefluxTools } from '../../src/connectors/coreflux/tools/index.js';
import { ETIM_VARIABLES } from '../../src/connectors/etim/index.js';
import { etimTools } from '../../src/connectors/etim/tools/index.js';
import { YOUTRACK_VARIABLES } from '../../src/connectors/youtrack/index.js';
import { youtrackTools } from '../../src/connectors/youtrack/tools/index.js';
import { GlobalSettingsSchema } from '../../src/core/config.js';

const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');

describe('README', () => {
  it('lists every tool', () => {
    for (const tool of [...redmineTools, ...youtrackTools, ...etimTools, ...corefluxTools]) expect(readme, tool.name).toContain(`\`${tool.name}\``);
  });

  it('documents every setting', () => {
    for (const variable of [...REDMINE_VARIABLES, ...YOUTRACK_VARIABLES, ...ETIM_VARIABLES, ...COREFLUX_VARIABLES].map((v) => v.name).concat(Object.keys(GlobalSettingsSchema.shape))) {
      expect(readme, variable).toContain(`\`${variable}\``);
    }
    expect(readme).toContain('`BASTION_ENV_FILE`');
    expect(readme).toContain('`BASTION_CONFIG`');
  });
});

describe('tool definitions', () => {
  it('declare all four annotation hints, truthful destructiveness and unique names', () => {
    const names = new Set<string>();
    for (const tool of [...redmineTools, ...youtrackTools, ...etimTools, ...corefluxTools]) {
      expect(names.has(tool.name), tool.name).toBe(false);
      names.add(tool.name);
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
        expect(typeof tool.annotations[hint], `${tool.name}.${hint}`).toBe('boolean');
      }
      if (/_delete_|_remove_|_update_|_put_/.test(tool.name)) expect(tool.annotations.destructiveHint, tool.name).toBe(true);
      if (/_(get|list|search|lookup)(_|$)/.test(tool.name)) expect(tool.annotations.readOnlyHint, tool.name).toBe(true);
      expect(tool.description.length, tool.name).toBeGreaterThan(40);
    }
  });
});

describe('SECURITY.md', () => {
  const security = readFileSync(resolve(import.meta.dirname, '../../SECURITY.md'), 'utf8');
  const root = resolve(import.meta.dirname, '../..');

  it('names only tests that exist, in the files it names', () => {
    const section = security.slice(security.indexOf('## Each promise, and the test that proves it'));
    const rows = section.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| Promise'));
    expect(rows.length).toBeGreaterThan(10);
    let named = 0;
    for (const row of rows) {
      const tests = row.split('|')[2]!;
      for (const part of tests.split(';')) {
        const file = /`(test\/[^`]+\.test\.ts)`/.exec(part)?.[1];
        expect(file, `a test file in: ${part}`).toBeDefined();
        const source = readFileSync(resolve(root, file!), 'utf8').replace(/\\'/g, "'");
        for (const [, title] of part.matchAll(/"([^"]+)"/g)) {
          expect(source, `${file} › "${title}"`).toContain(title!);
          named += 1;
        }
      }
    }
    expect(named).toBeGreaterThan(30);
  });
});
