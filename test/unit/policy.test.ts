import { describe, expect, it } from 'vitest';
import { ConfigError, PolicyError } from '../../src/core/errors.js';
import { Scope, ToolPolicy, type PolicySettings, type PolicyTool } from '../../src/core/policy.js';

const tool = (name: string, readOnly: boolean): PolicyTool => ({ name, annotations: { readOnlyHint: readOnly } });

const getIssue = tool('redmine_get_issue', true);
const getProject = tool('redmine_get_project', true);
const listIssues = tool('redmine_list_issues', true);
const createIssue = tool('redmine_create_issue', false);
const deleteIssue = tool('redmine_delete_issue', false);
const ALL = [getIssue, getProject, listIssues, createIssue, deleteIssue];
const NAMES = ALL.map((t) => t.name);

function policy(settings: Partial<PolicySettings>): ToolPolicy {
  return new ToolPolicy({ readOnly: false, allow: [], deny: [], ...settings }, NAMES);
}

function enabled(p: ToolPolicy): string[] {
  return ALL.filter((t) => p.isEnabled(t)).map((t) => t.name);
}

describe('ToolPolicy', () => {
  it('enables every tool by default', () => {
    expect(enabled(policy({}))).toEqual(NAMES);
  });

  it('read-only refuses every tool that is not read-only, saying why', () => {
    const p = policy({ readOnly: true });
    expect(enabled(p)).toEqual(['redmine_get_issue', 'redmine_get_project', 'redmine_list_issues']);
    expect(p.refusal(createIssue)).toBe('redmine_create_issue changes data and Bastion runs read-only (--read-only / BASTION_READ_ONLY).');
    expect(() => p.assertEnabled(deleteIssue)).toThrow(PolicyError);
    expect(() => p.assertEnabled(getIssue)).not.toThrow();
  });

  it('allows only the tools matched by the allow list globs', () => {
    const p = policy({ allow: ['redmine_get_*', 'redmine_delete_issue'] });
    expect(enabled(p)).toEqual(['redmine_get_issue', 'redmine_get_project', 'redmine_delete_issue']);
    expect(p.refusal(listIssues)).toBe('redmine_list_issues is not in the --tools allow list (BASTION_TOOLS).');
  });

  it('supports ? as a single-character wildcard and treats other characters literally', () => {
    expect(enabled(policy({ allow: ['redmine_get_issu?'] }))).toEqual(['redmine_get_issue']);
    expect(() => policy({ allow: ['redmine.get.issue'] })).toThrow(ConfigError);
  });

  it('lets the deny list win over the allow list', () => {
    const p = policy({ allow: ['redmine_get_*'], deny: ['redmine_get_project'] });
    expect(enabled(p)).toEqual(['redmine_get_issue']);
    expect(p.refusal(getProject)).toBe('redmine_get_project is excluded by --exclude-tools (BASTION_EXCLUDE_TOOLS).');
    expect(() => p.assertEnabled(getProject)).toThrow(/excluded by --exclude-tools/);
  });

  it('refuses to start with an allow pattern that matches no tool, naming it', () => {
    expect(() => policy({ allow: ['redmine_get_isue'] })).toThrow(ConfigError);
    expect(() => policy({ allow: ['redmine_get_isue'] })).toThrow(/--tools \(BASTION_TOOLS\): "redmine_get_isue" matches no tool/);
  });

  it('treats regular-expression characters in a pattern literally, so a pattern cannot match more than it says', () => {
    // As a regular expression, "()" is an empty group and "redmine_get_issue()" would match redmine_get_issue.
    expect(() => policy({ allow: ['redmine_get_issue()'] })).toThrow(/"redmine_get_issue\(\)" matches no tool/);
    expect(() => policy({ deny: ['redmine_delete_issue|'] })).toThrow(ConfigError);
  });

  it('lists the known tools, comma-separated, when a pattern matches none', () => {
    expect(() => policy({ allow: ['redmine_get_isue'] })).toThrow(`Known tools: ${NAMES.join(', ')}.`);
  });

  it('refuses to start with a deny pattern that matches no tool, naming it', () => {
    expect(() => policy({ deny: ['youtrack_*'] })).toThrow(/--exclude-tools \(BASTION_EXCLUDE_TOOLS\): "youtrack_\*" matches no tool/);
  });
});

describe('Scope', () => {
  it('allows everything when the setting is empty', () => {
    for (const allowed of [undefined, []]) {
      const scope = new Scope('project', 'REDMINE_PROJECTS', allowed);
      expect(scope.active).toBe(false);
      expect(scope.allows(['anything', 42])).toBe(true);
      expect(() => scope.assert([undefined], 'Issue #1')).not.toThrow();
    }
  });

  it('allows an object when any of its keys is in scope', () => {
    const scope = new Scope('project', 'REDMINE_PROJECTS', ['demo', '7']);
    expect(scope.active).toBe(true);
    expect(scope.allows(['demo'])).toBe(true);
    expect(scope.allows([7, 'other-identifier'])).toBe(true);
    expect(scope.allows([undefined, null, 'demo'])).toBe(true);
    expect(scope.allows(['ops', 8])).toBe(false);
    expect(scope.allows([undefined, null])).toBe(false);
    expect(scope.allows([])).toBe(false);
  });

  it('shows no allowed values when the setting is empty', () => {
    expect(new Scope('project', 'REDMINE_PROJECTS', undefined).values).toEqual([]);
    expect(new Scope('project', 'REDMINE_PROJECTS', []).values).toEqual([]);
  });

  it('matches keys case-sensitively unless asked to ignore case', () => {
    const exact = new Scope('project', 'REDMINE_PROJECTS', ['demo']);
    expect(exact.allows(['DEMO'])).toBe(false);
    expect(exact.allows(['demo'])).toBe(true);
    const folded = new Scope('project', 'YOUTRACK_PROJECTS', ['demo'], true);
    expect(folded.allows(['DEMO'])).toBe(true);
    expect(folded.allows(['Demo'])).toBe(true);
    expect(folded.allows(['OPS'])).toBe(false);
    expect(folded.values).toEqual(['demo']);
  });

  it('never lets a missing key match, even a project named "undefined" or "null"', () => {
    const scope = new Scope('project', 'REDMINE_PROJECTS', ['undefined', 'null']);
    expect(scope.allows([undefined])).toBe(false);
    expect(scope.allows([null])).toBe(false);
    expect(scope.allows([undefined, null])).toBe(false);
    expect(scope.allows(['null'])).toBe(true);
  });

  it('throws a PolicyError naming the object and the setting when out of scope', () => {
    const scope = new Scope('project', 'REDMINE_PROJECTS', ['demo', 'ops']);
    expect(() => scope.assert(['secret-project', 99], 'Project secret-project')).toThrow(PolicyError);
    expect(() => scope.assert(['secret-project', 99], 'Project secret-project')).toThrow(
      'Project secret-project is outside the allowed projects (REDMINE_PROJECTS=demo,ops).',
    );
    expect(() => scope.assert(['ops'], 'Project ops')).not.toThrow();
  });
});
