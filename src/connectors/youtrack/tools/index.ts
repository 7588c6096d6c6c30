// Every YouTrack tool, in the order tools/list shows them.
import type { AnyTool } from '../../../core/tool.js';
import { createIssue, deleteIssue, getIssue, searchIssues, setIssueVisibility, updateIssue } from './issues.js';
import { findGroups, findUsers, getCurrentUser } from './users.js';
import { applyCommand } from './commands.js';
import { addComment, deleteComment, listComments, updateComment } from './comments.js';
import { deleteAttachment, downloadAttachment, listAttachments, uploadAttachment } from './attachments.js';
import { linkIssues, listLinks, listLinkTypes, unlinkIssues } from './links.js';
import { addTag, listTags, removeTag } from './tags.js';
import { deleteWorkItem, listWorkItems, logWork, timeReport, updateWorkItem } from './work.js';
import { createProject, getProject, listProjects, updateProject } from './projects.js';
import { createArticle, getArticle, searchArticles, updateArticle } from './articles.js';
import { getSprint, listAgileBoards } from './agile.js';
import { listSavedSearches, runSavedSearch, suggestQuery } from './searches.js';
import { getIssueHistory, listProjectComments } from './activity.js';

export const youtrackTools: AnyTool[] = [
  searchIssues,
  getIssue,
  createIssue,
  updateIssue,
  getCurrentUser,
  applyCommand,
  listComments,
  addComment,
  updateComment,
  deleteComment,
  listAttachments,
  downloadAttachment,
  uploadAttachment,
  deleteAttachment,
  listLinks,
  linkIssues,
  listTags,
  addTag,
  removeTag,
  listWorkItems,
  logWork,
  listProjects,
  getProject,
  findUsers,
  searchArticles,
  getArticle,
  listAgileBoards,
  getSprint,
  // Seed parity: link types and unlinking, deleting issues, editing time and reporting it.
  listLinkTypes,
  unlinkIssues,
  deleteIssue,
  updateWorkItem,
  deleteWorkItem,
  timeReport,
  listSavedSearches,
  runSavedSearch,
  suggestQuery,
  findGroups,
  createProject,
  updateProject,
  createArticle,
  updateArticle,
  setIssueVisibility,
  getIssueHistory,
  listProjectComments,
];
