// Every Redmine tool, in the order tools/list shows them.
import type { AnyTool } from '../../../core/tool.js';
import { getCurrentUser, listUsers, lookup, search } from './discovery.js';
import { getAttachment, uploadAttachment } from './files.js';
import { deleteAttachment, downloadAttachment } from './attachments.js';
import { addMember, createCategory, deleteCategory, listFiles, listNews, removeMember, updateCategory, updateMember } from './team.js';
import { addWatcher, createRelation, deleteRelation, removeWatcher, updateJournal } from './issue-links.js';
import { addNote, createIssue, deleteIssue, getIssue, searchIssues, updateIssue } from './issues.js';
import { copyIssue, createSubtasks } from './issue-copy.js';
import { createVersion, getProject, listProjects, listVersions, updateVersion } from './projects.js';
import { archiveProject, createProject, deleteProject, deleteVersion, getVersion, unarchiveProject, updateProject } from './project-admin.js';
import { deleteTimeEntry, listTimeEntries, logTime, updateTimeEntry } from './time.js';
import { getWikiPage, listWikiPages, putWikiPage } from './wiki.js';
import { deleteWikiPage, listWikiVersions } from './wiki-admin.js';

export const redmineTools: AnyTool[] = [
  searchIssues,
  getIssue,
  createIssue,
  updateIssue,
  addNote,
  deleteIssue,
  copyIssue,
  createSubtasks,
  addWatcher,
  removeWatcher,
  createRelation,
  deleteRelation,
  updateJournal,
  listProjects,
  getProject,
  listVersions,
  createVersion,
  updateVersion,
  createProject,
  updateProject,
  archiveProject,
  unarchiveProject,
  deleteProject,
  getVersion,
  deleteVersion,
  listTimeEntries,
  logTime,
  updateTimeEntry,
  deleteTimeEntry,
  listWikiPages,
  getWikiPage,
  putWikiPage,
  listWikiVersions,
  deleteWikiPage,
  uploadAttachment,
  getAttachment,
  downloadAttachment,
  deleteAttachment,
  listFiles,
  addMember,
  updateMember,
  removeMember,
  createCategory,
  updateCategory,
  deleteCategory,
  listNews,
  getCurrentUser,
  listUsers,
  lookup,
  search,
];
