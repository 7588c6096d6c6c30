// Every YouTrack tool, in the order tools/list shows them.
import type { AnyTool } from '../../../core/tool.js';
import { createIssue, getIssue, searchIssues, updateIssue } from './issues.js';
import { findUsers, getCurrentUser } from './users.js';
import { applyCommand } from './commands.js';
import { addComment, deleteComment, listComments, updateComment } from './comments.js';
import { deleteAttachment, downloadAttachment, listAttachments, uploadAttachment } from './attachments.js';
import { linkIssues, listLinks } from './links.js';
import { addTag, listTags, removeTag } from './tags.js';
import { listWorkItems, logWork } from './work.js';
import { getProject, listProjects } from './projects.js';
import { getArticle, searchArticles } from './articles.js';
import { getSprint, listAgileBoards } from './agile.js';

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
];
