// Every Redmine tool, in the order tools/list shows them.
import type { AnyTool } from '../../../core/tool.js';
import { getCurrentUser } from './discovery.js';
import { addWatcher, createRelation, deleteRelation, removeWatcher, updateJournal } from './issue-links.js';
import { createIssue, deleteIssue, getIssue, searchIssues, updateIssue } from './issues.js';

export const redmineTools: AnyTool[] = [
  searchIssues,
  getIssue,
  createIssue,
  updateIssue,
  deleteIssue,
  addWatcher,
  removeWatcher,
  createRelation,
  deleteRelation,
  updateJournal,
  getCurrentUser,
];
