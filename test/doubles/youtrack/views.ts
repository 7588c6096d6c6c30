// How each record looks through the REST API: `$type` names and attribute sets per the JetBrains
// entity reference (Issue, IssueCustomField, ProjectCustomField, IssueLink, IssueWorkItem, Article, Agile, Sprint, ...).
import { view, type View } from './fields.js';
import { visibilityView } from './search-routes.js';
import {
  conditionHolds,
  zoneOffset,
  presentDuration,
  projectOf,
  type AgileRecord,
  type ArticleRecord,
  type BundleElement,
  type AttachmentRecord,
  type CommentRecord,
  type FieldValue,
  type IssueRecord,
  type LinkTypeRecord,
  type ProjectField,
  type ProjectRecord,
  type SprintRecord,
  type TagRecord,
  type UserRecord,
  type WorkItemRecord,
  type WorkItemTypeRecord,
  type YouTrackState,
} from './model.js';

// IssueCustomField and ProjectCustomField $types per kind, as the recorded YouTrack 2026.1 issue and project carry them
// (test/fixtures/youtrack): a "date and time" field is a SimpleIssueCustomField, only "date" is a DateIssueCustomField.
const ISSUE_FIELD_TYPE: Record<ProjectField['kind'], [single: string, multi: string]> = {
  enum: ['SingleEnumIssueCustomField', 'MultiEnumIssueCustomField'],
  state: ['StateIssueCustomField', 'StateIssueCustomField'],
  user: ['SingleUserIssueCustomField', 'MultiUserIssueCustomField'],
  version: ['SingleVersionIssueCustomField', 'MultiVersionIssueCustomField'],
  build: ['SingleBuildIssueCustomField', 'MultiBuildIssueCustomField'],
  ownedField: ['SingleOwnedIssueCustomField', 'MultiOwnedIssueCustomField'],
  group: ['SingleGroupIssueCustomField', 'MultiGroupIssueCustomField'],
  period: ['PeriodIssueCustomField', 'PeriodIssueCustomField'],
  date: ['DateIssueCustomField', 'DateIssueCustomField'],
  'date and time': ['SimpleIssueCustomField', 'SimpleIssueCustomField'],
  integer: ['SimpleIssueCustomField', 'SimpleIssueCustomField'],
  float: ['SimpleIssueCustomField', 'SimpleIssueCustomField'],
  string: ['SimpleIssueCustomField', 'SimpleIssueCustomField'],
  text: ['TextIssueCustomField', 'TextIssueCustomField'],
};

export const PROJECT_FIELD_TYPE: Record<ProjectField['kind'], string> = {
  enum: 'EnumProjectCustomField',
  state: 'StateProjectCustomField',
  user: 'UserProjectCustomField',
  version: 'VersionProjectCustomField',
  build: 'BuildProjectCustomField',
  ownedField: 'OwnedProjectCustomField',
  group: 'GroupProjectCustomField',
  period: 'PeriodProjectCustomField',
  date: 'SimpleProjectCustomField',
  'date and time': 'SimpleProjectCustomField',
  integer: 'SimpleProjectCustomField',
  float: 'SimpleProjectCustomField',
  string: 'SimpleProjectCustomField',
  text: 'TextProjectCustomField',
};

const BUNDLE_TYPE: Partial<Record<ProjectField['kind'], [bundle: string, element: string]>> = {
  enum: ['EnumBundle', 'EnumBundleElement'],
  state: ['StateBundle', 'StateBundleElement'],
  version: ['VersionBundle', 'VersionBundleElement'],
  build: ['BuildBundle', 'BuildBundleElement'],
  ownedField: ['OwnedBundle', 'OwnedBundleElement'],
};

/** The IssueCustomField `$type` that a write must carry for this project field. */
export function issueFieldType(field: ProjectField): string {
  if (field.stateMachine) return 'StateMachineIssueCustomField';
  const [single, multi] = ISSUE_FIELD_TYPE[field.kind];
  return field.multi ? multi : single;
}

/** Per-project permissions of a project role such as Developer (Read Issue first: a guest holds only that one). */
const PROJECT_PERMISSIONS: Array<[key: string, name: string]> = [
  ['JetBrains.YouTrack.READ_ISSUE', 'Read Issue'],
  ['JetBrains.YouTrack.CREATE_ISSUE', 'Create Issue'],
  ['JetBrains.YouTrack.UPDATE_ISSUE', 'Update Issue'],
  ['JetBrains.YouTrack.CREATE_COMMENT', 'Create Comment'],
  ['jetbrains.jetpass.project-read-basic', 'Read Project Basic'],
];

/** Some of what the System Admin role holds globally; Low-level Admin Write is what marks an administrator. */
const SYSTEM_ADMIN_PERMISSIONS: Array<[key: string, name: string]> = [
  ...PROJECT_PERMISSIONS,
  ['JetBrains.YouTrack.DELETE_ISSUE', 'Delete Issue'],
  ['jetbrains.jetpass.project-create', 'Create Project'],
  ['jetbrains.jetpass.project-update', 'Update Project'],
  ['jetbrains.jetpass.user-update', 'Update User'],
  ['jetbrains.jetpass.low-level-read', 'Low-level Admin Read'],
  ['jetbrains.jetpass.low-level', 'Low-level Admin Write'],
];

export class Views {
  constructor(
    private readonly state: YouTrackState,
    private readonly caller: UserRecord,
  ) {}

  user(user: UserRecord, $type = 'User'): View {
    return view($type, {
      id: () => user.id,
      login: () => user.login,
      fullName: () => user.fullName,
      name: () => user.fullName,
      email: () => user.email,
      ringId: () => user.ringId,
      guest: () => user.guest,
      online: () => false,
      banned: () => user.banned,
      avatarUrl: () => `/hub/api/rest/avatar/${user.ringId}`,
      tags: () => (user.id === this.caller.id ? this.state.tags.filter((tag) => tag.ownerId === user.id).map((tag) => this.tag(tag)) : []),
    });
  }

  /** GeneralUserProfile: the time zone is what places work-item dates and date-only values on a day. */
  generalProfile(user: UserRecord): View {
    return view('GeneralUserProfile', {
      id: () => `${user.id}-general`,
      timezone: () =>
        view('TimeZoneDescriptor', {
          id: () => user.timezone,
          presentation: () => user.timezone,
          offset: () => Math.round(zoneOffset(Date.now(), user.timezone) / 1000),
        }),
    });
  }

  me(): View {
    return this.user(this.caller, 'Me');
  }

  /**
   * The caller's permission cache (GET /api/permissions/cache), as YouTrack's own apps read it: one entry per
   * permission, global or with the projects it holds in. The System Admin role holds every permission globally,
   * Hub's Low-level Admin Write (jetbrains.jetpass.low-level) among them; other users hold project roles only.
   */
  permissionCache(): View[] {
    const entry = (key: string, name: string, projects: ProjectRecord[] | null) =>
      view('CachedPermission', {
        permission: () => view('Permission', { id: () => key, key: () => key, name: () => name }),
        global: () => projects === null,
        projects: () => (projects ?? []).map((project) => this.project(project)),
      });
    // Projects whose roles the caller holds (a project with members lists only those).
    const everywhere = this.state.projects.filter((project) => !project.memberLogins || project.memberLogins.includes(this.caller.login));
    if (this.caller.admin) return SYSTEM_ADMIN_PERMISSIONS.map(([key, name]) => entry(key, name, null));
    const held = this.caller.guest ? PROJECT_PERMISSIONS.slice(0, 1) : PROJECT_PERMISSIONS;
    return held.map(([key, name]) => entry(key, name, everywhere));
  }

  userById(id: string | null): View | null {
    const user = id ? this.state.users.find((candidate) => candidate.id === id || candidate.login === id) : undefined;
    return user ? this.user(user) : null;
  }

  project(project: ProjectRecord): View {
    return view('Project', {
      id: () => project.id,
      name: () => project.name,
      shortName: () => project.shortName,
      description: () => project.description,
      // A real server sends `archived` to administrators only; a member's token gets projects without it.
      ...(this.caller.admin ? { archived: () => project.archived } : {}),
      template: () => false,
      leader: () => this.userById(project.leaderId),
      createdBy: () => this.userById(project.createdById),
      customFields: () => project.fields.map((field) => this.projectField(project, field)),
      timeTrackingSettings: () =>
        view('ProjectTimeTrackingSettings', {
          id: () => `${project.id}-tt`,
          enabled: () => true,
          workItemTypes: () => this.projectWorkItemTypes(project),
        }),
    });
  }

  projectWorkItemTypes(project: ProjectRecord): View[] {
    return project.workItemTypeIds
      .map((id) => this.state.workItemTypes.find((type) => type.id === id))
      .filter((type): type is WorkItemTypeRecord => type !== undefined)
      .map((type) => this.workItemType(type));
  }

  projectField(project: ProjectRecord, field: ProjectField): View {
    const bundleTypes = BUNDLE_TYPE[field.kind];
    return view(PROJECT_FIELD_TYPE[field.kind], {
      id: () => field.id,
      field: () => this.customField(field),
      project: () => this.project(project),
      canBeEmpty: () => field.canBeEmpty,
      emptyFieldText: () => field.emptyFieldText,
      ordinal: () => field.ordinal,
      isPublic: () => true,
      hasRunningJob: () => false,
      condition: () => {
        const condition = field.condition;
        const controlling = condition ? project.fields.find((candidate) => candidate.name === condition.fieldName) : undefined;
        if (!condition || !controlling) return null;
        return view('FieldBasedCondition', {
          id: () => `${field.id}-condition`,
          showForNullValue: () => condition.showForNullValue,
          field: () => view(PROJECT_FIELD_TYPE[controlling.kind], { id: () => controlling.id }),
          values: () => controlling.values.filter((value) => condition.values.includes(value.name)).map((value) => this.element(controlling, value)),
        });
      },
      ...(field.kind === 'group'
        ? {
            bundle: () => view('UserBundle', { id: () => field.bundleId, groups: () => field.values.map((value) => this.group(value)) }),
            defaultValues: () => [],
          }
        : {}),
      ...(bundleTypes
        ? {
            bundle: () =>
              view(bundleTypes[0], {
                id: () => field.bundleId,
                name: () => `${field.name}s`,
                values: () => field.values.map((value) => this.element(field, value)),
                isUpdateable: () => true,
              }),
            defaultValues: () =>
              field.defaultValue === null ? [] : field.values.filter((value) => value.name === field.defaultValue).map((value) => this.element(field, value)),
          }
        : {}),
      ...(field.kind === 'user'
        ? {
            bundle: () =>
              view('UserBundle', {
                id: () => field.bundleId,
                name: () => `${project.shortName}: ${field.name}`,
                individuals: () => this.state.users.map((user) => this.user(user)),
                aggregatedUsers: () => this.state.users.map((user) => this.user(user)),
                groups: () => [],
              }),
          }
        : {}),
    });
  }

  customField(field: ProjectField): View {
    const valueType = field.kind;
    return view('CustomField', {
      id: () => field.fieldId,
      name: () => field.name,
      localizedName: () => field.localizedName ?? null,
      aliases: () => null,
      isAutoAttached: () => false,
      isDisplayedInIssueList: () => true,
      ordinal: () => field.ordinal,
      fieldType: () =>
        view('FieldType', {
          id: () => (BUNDLE_TYPE[valueType] || valueType === 'user' || valueType === 'group' ? `${valueType}[${field.multi ? '*' : '1'}]` : valueType),
          valueType: () => valueType,
          isMultiValue: () => field.multi,
        }),
    });
  }

  element(field: ProjectField, element: BundleElement): View {
    const type = BUNDLE_TYPE[field.kind]?.[1] ?? 'BundleElement';
    return view(type, {
      id: () => element.id,
      name: () => element.name,
      description: () => element.description,
      ordinal: () => element.ordinal,
      archived: () => element.archived,
      localizedName: () => null,
      ...(field.kind === 'state' ? { isResolved: () => element.isResolved === true } : {}),
      ...(field.kind === 'version' ? { released: () => element.released === true, releaseDate: () => element.releaseDate ?? null } : {}),
    });
  }

  /** The `value` of an IssueCustomField. */
  fieldValue(field: ProjectField, value: FieldValue): unknown {
    switch (field.kind) {
      case 'group': {
        const toGroup = (name: string) => {
          const element = field.values.find((candidate) => candidate.name === name);
          return element ? this.group(element) : null;
        };
        if (field.multi) return (Array.isArray(value) ? value : []).map(toGroup).filter((item) => item !== null);
        return typeof value === 'string' ? toGroup(value) : null;
      }
      case 'enum':
      case 'state':
      case 'version':
      case 'build':
      case 'ownedField': {
        const toView = (name: string) => {
          const element = field.values.find((candidate) => candidate.name === name);
          return element ? this.element(field, element) : null;
        };
        if (field.multi) return (Array.isArray(value) ? value : []).map(toView).filter((item) => item !== null);
        return typeof value === 'string' ? toView(value) : null;
      }
      case 'user': {
        if (field.multi) return (Array.isArray(value) ? value : []).map((login) => this.userById(login)).filter((item) => item !== null);
        return typeof value === 'string' ? this.userById(value) : null;
      }
      case 'period':
        return typeof value === 'number'
          ? view('PeriodValue', { id: () => `${value}`, minutes: () => value, presentation: () => presentDuration(value) })
          : null;
      case 'date':
      case 'date and time':
      case 'integer':
      case 'float':
        return typeof value === 'number' ? value : null;
      case 'string':
        return typeof value === 'string' ? value : null;
      case 'text':
        return typeof value === 'string' ? view('TextFieldValue', { id: () => `${field.id}-text`, text: () => value, markdownText: () => value }) : null;
    }
  }

  group(element: BundleElement): View {
    return view('UserGroup', { id: () => element.id, name: () => element.name, ringId: () => null, usersCount: () => 0, allUsersGroup: () => false });
  }

  issueField(issue: IssueRecord, project: ProjectRecord, field: ProjectField): View {
    const machine = field.stateMachine;
    return view(issueFieldType(field), {
      id: () => field.id,
      name: () => field.name,
      value: () => this.fieldValue(field, issue.fields[field.name] ?? (field.multi ? [] : null)),
      projectCustomField: () => this.projectField(project, field),
      ...(machine
        ? {
            // The transitions from the current value (Event: id and presentation); `event` reads back as null.
            possibleEvents: () =>
              machine.filter((t) => t.from === issue.fields[field.name]).map((t) => view('Event', { id: () => t.event, presentation: () => t.event })),
            event: () => null,
          }
        : {}),
    });
  }

  /** The issue's fields; a conditional field is left out while its condition does not hold (27 of 28 on the recorded issue). */
  issueFields(issue: IssueRecord, project: ProjectRecord): View[] {
    return project.fields.filter((field) => conditionHolds(issue, field)).map((field) => this.issueField(issue, project, field));
  }

  issue(issue: IssueRecord): View {
    const project = () => projectOf(this.state, issue);
    const customFields = () => this.issueFields(issue, project());
    return view('Issue', {
      id: () => issue.id,
      idReadable: () => issue.idReadable,
      numberInProject: () => issue.numberInProject,
      summary: () => issue.summary,
      description: () => issue.description,
      wikifiedDescription: () => issue.description,
      usesMarkdown: () => issue.usesMarkdown,
      created: () => issue.created,
      updated: () => issue.updated,
      resolved: () => issue.resolved,
      isDraft: () => false,
      votes: () => 0,
      commentsCount: () => this.commentsOf(issue).length,
      project: () => this.project(project()),
      reporter: () => this.userById(issue.reporterId),
      updater: () => this.userById(issue.updaterId),
      customFields,
      tags: () => this.tagsOf(issue).map((tag) => this.tag(tag)),
      comments: () => this.commentsOf(issue).map((comment) => this.comment(comment)),
      links: () => this.links(issue),
      attachments: () => this.attachmentsOf(issue).map((attachment) => this.attachment(attachment)),
      visibility: () => visibilityView(this.state, this, issue.id, issue.visibleToGroupIds),
      timeTracking: () =>
        view('IssueTimeTracker', {
          id: () => `${issue.id}-tt`,
          enabled: () => true,
          workItems: () => this.state.workItems.filter((item) => item.issueId === issue.id).map((item) => this.workItem(item)),
        }),
    });
  }

  attachmentsOf(issue: IssueRecord): AttachmentRecord[] {
    return this.state.attachments.filter((attachment) => attachment.issueId === issue.id);
  }

  /** An IssueAttachment; `url` is the signed address of its content, below the service prefix, as a real server gives it. */
  attachment(attachment: AttachmentRecord): View {
    const extension = /\.([^.]+)$/.exec(attachment.name)?.[1] ?? null;
    return view('IssueAttachment', {
      id: () => attachment.id,
      name: () => attachment.name,
      author: () => this.userById(attachment.authorId),
      created: () => attachment.created,
      updated: () => attachment.created,
      size: () => attachment.content.length,
      extension: () => extension,
      charset: () => null,
      mimeType: () => attachment.mimeType,
      metaData: () => null,
      draft: () => false,
      removed: () => false,
      base64Content: () => null,
      url: () => `${this.state.servicePrefix}/api/files/${attachment.id}?sign=${attachment.sign}&updated=${attachment.created}`,
      thumbnailURL: () => null,
      visibility: () => null,
      issue: () => this.issueById(attachment.issueId),
      comment: () => null,
    });
  }

  /** Every comment, taken-back ones included (deleted: true, text: null), as a real server lists them. */
  commentsOf(issue: IssueRecord): CommentRecord[] {
    return this.state.comments.filter((comment) => comment.issueId === issue.id);
  }

  tagsOf(issue: IssueRecord): TagRecord[] {
    return issue.tagIds.map((id) => this.state.tags.find((tag) => tag.id === id)).filter((tag): tag is TagRecord => tag !== undefined);
  }

  comment(comment: CommentRecord): View {
    return view('IssueComment', {
      id: () => comment.id,
      text: () => (comment.deleted ? null : comment.text),
      textPreview: () => (comment.deleted ? null : comment.text),
      usesMarkdown: () => comment.usesMarkdown,
      author: () => this.userById(comment.authorId),
      created: () => comment.created,
      updated: () => comment.updated,
      deleted: () => comment.deleted,
      pinned: () => false,
      attachments: () => [],
      visibility: () => visibilityView(this.state, this, comment.id, comment.visibleToGroupIds),
      issue: () => this.issueById(comment.issueId),
    });
  }

  issueById(id: string): View | null {
    const issue = this.state.issues.find((candidate) => candidate.id === id);
    return issue ? this.issue(issue) : null;
  }

  linkType(type: LinkTypeRecord): View {
    return view('IssueLinkType', {
      id: () => type.id,
      name: () => type.name,
      localizedName: () => null,
      directed: () => type.directed,
      aggregation: () => type.aggregation,
      sourceToTarget: () => type.sourceToTarget,
      localizedSourceToTarget: () => null,
      targetToSource: () => type.targetToSource,
      localizedTargetToSource: () => null,
      readOnly: () => type.readOnly,
    });
  }

  /** One IssueLink per link type and direction: BOTH for undirected types, OUTWARD and INWARD for directed ones. */
  links(issue: IssueRecord): View[] {
    const out: View[] = [];
    for (const type of this.state.linkTypes) {
      const ofType = this.state.links.filter((link) => link.typeId === type.id);
      const entry = (id: string, direction: string, ids: string[]) => {
        const issues = () => ids.map((otherId) => this.issueById(otherId)).filter((item) => item !== null);
        return view('IssueLink', {
          id: () => id,
          direction: () => direction,
          linkType: () => this.linkType(type),
          issues,
          trimmedIssues: issues,
        });
      };
      if (type.directed) {
        out.push(entry(`${type.id}s`, 'OUTWARD', ofType.filter((link) => link.sourceId === issue.id).map((link) => link.targetId)));
        out.push(entry(`${type.id}t`, 'INWARD', ofType.filter((link) => link.targetId === issue.id).map((link) => link.sourceId)));
      } else {
        const others = ofType.flatMap((link) => (link.sourceId === issue.id ? [link.targetId] : link.targetId === issue.id ? [link.sourceId] : []));
        out.push(entry(type.id, 'BOTH', others));
      }
    }
    return out;
  }

  tag(tag: TagRecord): View {
    const sharing = ($type: string, ids: string[] | undefined) =>
      view($type, {
        id: () => `${tag.id}-${$type}`,
        permittedUsers: () => (ids ?? []).map((id) => this.userById(id)).filter((user) => user !== null),
        permittedGroups: () => [],
      });
    return view('Tag', {
      id: () => tag.id,
      name: () => tag.name,
      owner: () => this.userById(tag.ownerId),
      untagOnResolve: () => tag.untagOnResolve,
      visibleFor: () => null,
      updateableBy: () => null,
      readSharingSettings: () => sharing('WatchFolderSharingSettings', tag.readers),
      tagSharingSettings: () => sharing('TagSharingSettings', tag.taggers),
      updateSharingSettings: () => sharing('WatchFolderSharingSettings', []),
      color: () => view('FieldStyle', { id: () => '0', background: () => '#fff', foreground: () => '#444' }),
      issues: () => this.state.issues.filter((issue) => issue.tagIds.includes(tag.id)).map((issue) => this.issue(issue)),
    });
  }

  /** Tags the caller sees: its own and those shared with it for reading or for tagging. */
  visibleTags(): TagRecord[] {
    return this.state.tags.filter((tag) => canSeeTag(tag, this.caller));
  }

  workItemType(type: WorkItemTypeRecord): View {
    return view('WorkItemType', { id: () => type.id, name: () => type.name, autoAttached: () => type.autoAttached });
  }

  workItem(item: WorkItemRecord): View {
    const type = item.typeId ? this.state.workItemTypes.find((candidate) => candidate.id === item.typeId) : undefined;
    return view('IssueWorkItem', {
      id: () => item.id,
      author: () => this.userById(item.authorId),
      creator: () => this.userById(item.creatorId),
      text: () => item.text,
      textPreview: () => item.text,
      usesMarkdown: () => item.usesMarkdown,
      type: () => (type ? this.workItemType(type) : null),
      created: () => item.created,
      updated: () => item.updated,
      date: () => item.date,
      duration: () => view('DurationValue', { id: () => `${item.minutes}`, minutes: () => item.minutes, presentation: () => presentDuration(item.minutes) }),
      issue: () => this.issueById(item.issueId),
      attributes: () => [],
    });
  }

  article(article: ArticleRecord): View {
    const byId = (id: string) => this.state.articles.find((candidate) => candidate.id === id);
    const children = () => this.state.articles.filter((candidate) => candidate.parentId === article.id);
    const project = this.state.projects.find((candidate) => candidate.id === article.projectId);
    return view('Article', {
      id: () => article.id,
      idReadable: () => article.idReadable,
      summary: () => article.summary,
      content: () => article.content,
      created: () => article.created,
      updated: () => article.updated,
      reporter: () => this.userById(article.reporterId),
      project: () => (project ? this.project(project) : null),
      parentArticle: () => {
        const parent = article.parentId ? byId(article.parentId) : undefined;
        return parent ? this.article(parent) : null;
      },
      childArticles: () => children().map((child) => this.article(child)),
      hasChildren: () => children().length > 0,
      ordinal: () => article.ordinal,
      hasStar: () => false,
      tags: () => [],
      attachments: () => [],
      comments: () => [],
      pinnedComments: () => [],
      externalArticle: () => null,
      visibility: () => view('UnlimitedVisibility', {}),
    });
  }

  agile(agile: AgileRecord): View {
    const sprints = () => agile.sprintIds.map((id) => this.state.sprints.find((sprint) => sprint.id === id)).filter((sprint): sprint is SprintRecord => sprint !== undefined);
    return view('Agile', {
      id: () => agile.id,
      name: () => agile.name,
      owner: () => this.userById(agile.ownerId),
      projects: () =>
        agile.projectIds
          .map((id) => this.state.projects.find((project) => project.id === id))
          .filter((project): project is ProjectRecord => project !== undefined)
          .map((project) => this.project(project)),
      sprints: () => sprints().map((sprint) => this.sprint(sprint)),
      currentSprint: () => {
        const current = currentSprint(this.state, agile);
        return current ? this.sprint(current) : null;
      },
      sprintsSettings: () =>
        view('SprintsSettings', {
          id: () => `${agile.id}-ss`,
          isExplicit: () => true,
          cardOnSeveralSprints: () => false,
          disableSprints: () => false,
          defaultSprint: () => null,
          explicitQuery: () => null,
          hideSubtasksOfCards: () => false,
        }),
      visibleFor: () => null,
      updateableBy: () => null,
      orphansAtTheTop: () => false,
      hideOrphansSwimlane: () => false,
      estimationField: () => null,
    });
  }

  sprint(sprint: SprintRecord): View {
    const issues = () => sprint.issueIds.map((id) => this.state.issues.find((issue) => issue.id === id)).filter((issue): issue is IssueRecord => issue !== undefined);
    return view('Sprint', {
      id: () => sprint.id,
      name: () => sprint.name,
      goal: () => sprint.goal,
      start: () => sprint.start,
      finish: () => sprint.finish,
      archived: () => sprint.archived,
      isDefault: () => sprint.isDefault,
      issues: () => issues().map((issue) => this.issue(issue)),
      unresolvedIssuesCount: () => issues().filter((issue) => issue.resolved === null).length,
      previousSprint: () => null,
      agile: () => {
        const agile = this.state.agiles.find((candidate) => candidate.id === sprint.agileId);
        return agile ? this.agile(agile) : null;
      },
    });
  }
}

/** The sprint whose dates contain now; otherwise the latest started one that is not archived. */
export function currentSprint(state: YouTrackState, agile: AgileRecord, now = Date.now()): SprintRecord | undefined {
  const sprints = agile.sprintIds
    .map((id) => state.sprints.find((sprint) => sprint.id === id))
    .filter((sprint): sprint is SprintRecord => sprint !== undefined && !sprint.archived);
  const running = sprints.find((sprint) => (sprint.start ?? -Infinity) <= now && now <= (sprint.finish ?? Infinity));
  if (running) return running;
  return sprints.filter((sprint) => (sprint.start ?? -Infinity) <= now).sort((a, b) => (b.start ?? 0) - (a.start ?? 0))[0];
}

export function canSeeTag(tag: TagRecord, user: UserRecord): boolean {
  return tag.ownerId === user.id || (tag.readers ?? []).includes(user.id) || canUseTag(tag, user);
}

/** Adding a tag is governed by the tag's sharing settings alone (owner, or shared for tagging), not by admin rights. */
export function canUseTag(tag: TagRecord, user: UserRecord): boolean {
  return tag.ownerId === user.id || (tag.taggers ?? []).includes(user.id);
}
