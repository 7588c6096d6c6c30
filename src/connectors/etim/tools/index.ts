// Every ETIM tool, in the order tools/list shows them.
import type { AnyTool } from '../../../core/tool.js';
import { compareClasses, diffClassReleases, getClass, getClasses, getClassForRelease, getClassVersions, searchClasses } from './classes.js';
import { entityTools } from './entities.js';
import { lookupCode } from './lookup.js';
import { listLanguages, listReleases } from './reference.js';

export const etimTools: AnyTool[] = [
  searchClasses,
  getClass,
  getClasses,
  getClassVersions,
  getClassForRelease,
  compareClasses,
  diffClassReleases,
  ...entityTools,
  lookupCode,
  listLanguages,
  listReleases,
];
