// Named toolsets (--toolsets redmine:issues,youtrack:read): a few sets per connector, by job. Each set is a list of
// tool names or globs; every connector also has `<connector>:read` (its read-only tools) and `<connector>:all`.
// A connector's resources and prompts come with any of its sets. The one place these sets are defined.
import type { ToolsetDefinitions } from '../core/policy.js';

export const TOOLSETS: ToolsetDefinitions = {
  redmine: {
    issues: {
      description: 'issues, notes, watchers, relations, subtasks, copies, lookups and search',
      tools: ['redmine_*issue*', 'redmine_add_note', 'redmine_update_journal', 'redmine_*_watcher', 'redmine_*_relation', 'redmine_create_subtasks', 'redmine_lookup', 'redmine_search'],
    },
    time: { description: 'time entries', tools: ['redmine_*time*'] },
    projects: {
      description: 'projects, versions, memberships, categories, users, news',
      tools: ['redmine_*project*', 'redmine_*version', 'redmine_*versions', 'redmine_*membership*', 'redmine_*categor*', 'redmine_*user*', 'redmine_list_news'],
    },
    wiki: { description: 'wiki pages and their history', tools: ['redmine_*wiki*'] },
    files: { description: 'attachments and project files', tools: ['redmine_*attachment*', 'redmine_list_files'] },
  },
  youtrack: {
    issues: {
      description: 'issues, commands, comments, links, tags, attachments',
      tools: ['youtrack_*issue*', 'youtrack_apply_command', 'youtrack_*comment*', 'youtrack_*link*', 'youtrack_*tag*', 'youtrack_*attachment*'],
    },
    work: { description: 'work items (time tracking) and time reports', tools: ['youtrack_*work*', 'youtrack_time_report'] },
    projects: { description: 'projects, users, agile boards and sprints', tools: ['youtrack_*project*', 'youtrack_*user*', 'youtrack_*agile*', 'youtrack_*sprint*'] },
    knowledge: { description: 'knowledge base articles', tools: ['youtrack_*article*'] },
  },
  etim: {
    classes: { description: 'classes, their versions and comparisons, code lookup', tools: ['etim_*class*', 'etim_lookup_code', 'etim_list_*'] },
    reference: { description: 'features, values, units, groups, feature groups, code lookup', tools: ['etim_*feature*', 'etim_*value*', 'etim_*unit*', 'etim_*group*', 'etim_lookup_code', 'etim_list_*'] },
  },
  coreflux: {
    lot: {
      description: 'LoT models, actions, routes, rules, broker commands',
      tools: ['coreflux_*model*', 'coreflux_*action*', 'coreflux_*route*', 'coreflux_*rule*', 'coreflux_*lot*', 'coreflux_broker_*'],
    },
    mqtt: { description: 'MQTT publish, read and subscriptions', tools: ['mqtt_*', 'coreflux_*subscri*', 'coreflux_reconnect'] },
  },
};
