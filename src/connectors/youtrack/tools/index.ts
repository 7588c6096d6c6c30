// Every YouTrack tool, in the order tools/list shows them.
import type { AnyTool } from '../../../core/tool.js';
import { createIssue, getIssue, searchIssues, updateIssue } from './issues.js';
import { getCurrentUser } from './users.js';

export const youtrackTools: AnyTool[] = [searchIssues, getIssue, createIssue, updateIssue, getCurrentUser];
