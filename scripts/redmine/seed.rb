# frozen_string_literal: true

# Bootstrap and seed a local Redmine 5 instance for Bastion's integration tests
# and sandbox. Run once per instance with `bin/rails runner` (see scripts/redmine.sh).
#
# Environment:
#   TEST_ADMIN_API_KEY  40 lowercase hex chars, pinned as the admin's API key
#   TEST_USER_API_KEY   40 lowercase hex chars, pinned as the API key of user "dev"
#   SEED_SUMMARY_FILE   optional path; a JSON summary of the seeded ids is written there
#
# The bootstrap part (REST API on, admin usable, users and pinned keys) runs every
# time and is idempotent. The data part is skipped when project "alpha" exists.
#
# All timestamps are fixed so that the data is the same on every run; only the
# database ids depend on the order of creation (which is fixed too).

require 'json'

module BastionSeed
  module_function

  KEY_FORMAT = /\A[0-9a-f]{40}\z/.freeze
  BASE_TIME = Time.utc(2026, 1, 5, 9, 0, 0)
  MODULES = %w[issue_tracking time_tracking wiki files news].freeze

  def env_key(name)
    value = ENV[name].to_s
    abort "seed: #{name} must be 40 lowercase hex characters" unless value.match?(KEY_FORMAT)
    value
  end

  def pin_api_key(user, value)
    Token.where(user_id: user.id, action: 'api').delete_all
    # Token's before_create hook generates a random value, so the known value
    # is written after creation.
    token = Token.create!(user: user, action: 'api')
    token.update_column(:value, value)
  end

  def ensure_user(login, firstname, lastname, password)
    user = User.find_by_login(login) || User.new
    user.login = login
    user.firstname = firstname
    user.lastname = lastname
    user.mail = "#{login}@example.test"
    user.admin = false
    user.status = User::STATUS_ACTIVE
    user.language = 'en'
    user.mail_notification = 'none'
    user.must_change_passwd = false
    if user.new_record?
      user.password = password
      user.password_confirmation = password
    end
    user.save!
    user
  end

  def bootstrap
    Setting.rest_api_enabled = '1'

    admin = User.find_by_login('admin') or abort 'seed: user admin not found'
    admin.update!(must_change_passwd: false)
    pin_api_key(admin, env_key('TEST_ADMIN_API_KEY'))

    dev = ensure_user('dev', 'Dev', 'User', 'devpassword1')
    pin_api_key(dev, env_key('TEST_USER_API_KEY'))
    qa = ensure_user('qa', 'Qa', 'Tester', 'qapassword1')

    {admin: admin, dev: dev, qa: qa}
  end

  # ---- lookups from redmine:load_default_data (REDMINE_LANG=en) ----

  def tracker(name)
    Tracker.find_by!(name: name)
  end

  def status(name)
    IssueStatus.find_by!(name: name)
  end

  def priority(name)
    IssuePriority.find_by!(name: name)
  end

  def role(name)
    Role.find_by!(name: name)
  end

  # ---- builders ----

  def stamp(record, time, updated: time)
    attrs = {}
    attrs[:created_on] = time if record.has_attribute?(:created_on)
    attrs[:updated_on] = updated if record.has_attribute?(:updated_on)
    record.update_columns(attrs) unless attrs.empty?
  end

  def create_project(identifier, name, description)
    project = Project.new(
      name: name,
      identifier: identifier,
      description: description,
      is_public: true,
      enabled_module_names: MODULES
    )
    project.trackers = Tracker.sorted.to_a
    project.save!
    project
  end

  def add_member(project, user, role)
    Member.create!(project: project, principal: user, role_ids: [role.id])
  end

  def ensure_activity(name, is_default)
    activity = TimeEntryActivity.where(project_id: nil).find_by(name: name) ||
               TimeEntryActivity.new(name: name)
    activity.active = true
    activity.is_default = is_default
    activity.save!
    activity
  end

  def long_description(variant)
    sections = [
      ['Summary', 'The export job stops halfway through large projects and leaves a partial archive behind.'],
      ['Steps to reproduce', "1. Open a project with more than 500 issues.\n2. Start an export from the issue list.\n3. Wait for the background job to finish."],
      ['Expected', 'A complete archive with every issue, journal and attachment.'],
      ['Actual', 'The archive contains roughly the first 300 issues and the job log shows a timeout.'],
      ['Environment', "Server: Debian 12, Ruby 3.1, SQLite\nBrowser: any"]
    ]
    filler = 'The export walks the issue list page by page, loads journals for each issue and writes them ' \
             'to the archive. Each page is committed separately, so a timeout in the middle leaves earlier ' \
             'pages in place and drops the rest without a clear error for the user. '
    text = +"h2. Export stops on large projects (#{variant})\n\n"
    sections.each do |title, body|
      text << "h3. #{title}\n\n#{body}\n\n"
    end
    text << "h3. Notes\n\n"
    i = 0
    while text.bytesize < 3000
      i += 1
      text << "#{i}. #{filler}\n"
    end
    text << "\nRevision: #{variant}.\n"
    text
  end

  def short_description(index, project_name)
    "Issue #{index} of the #{project_name} seed data.\n" \
      "It exists so that list, filter and paging calls have something to return.\n" \
      "Line three keeps the description a few lines long."
  end

  def create_issue(project:, index:, author:, tracker:, status:, priority:, subject:, description:,
                   assigned_to: nil, category: nil, version: nil, department: nil, cf: nil,
                   estimated_hours: nil, done_ratio: 0)
    issue = Issue.new(project: project, author: author, tracker: tracker, subject: subject)
    issue.status = status
    issue.priority = priority
    issue.description = description
    issue.assigned_to = assigned_to
    issue.category = category
    issue.fixed_version = version
    issue.start_date = Date.new(2026, 1, 1) + index
    issue.due_date = issue.start_date + 14 if index.even?
    issue.estimated_hours = estimated_hours
    issue.done_ratio = done_ratio
    issue.custom_field_values = {cf.id.to_s => department} if cf && department
    issue.save!
    stamp(issue, BASE_TIME + (index * 3600))
    issue
  end

  # One update through the model, the same way the web UI and the API do it.
  def journalize(issue_id, user, time, notes = nil, private_notes: false)
    issue = Issue.find(issue_id)
    issue.init_journal(user, notes)
    issue.private_notes = private_notes
    yield issue if block_given?
    issue.save!
    journal = issue.journals.reorder(:id).last
    stamp(journal, time)
    issue.update_columns(updated_on: time)
    journal
  end

  def wiki_page(wiki, title, text, author, time, parent: nil)
    page = WikiPage.new(wiki: wiki, title: title)
    page.parent = parent if parent
    content = WikiContent.new(page: page, text: text, author: author, comments: 'Initial version')
    page.save_with_content(content) or abort "seed: could not create wiki page #{title}: " \
                                             "#{(page.errors.full_messages + content.errors.full_messages).join(', ')}"
    stamp(page, time)
    stamp(page.content, time)
    WikiContentVersion.where(page_id: page.id).find_each { |version| stamp(version, time) }
    page
  end

  # ---- seed data ----

  def seed(users)
    admin = users[:admin]
    dev = users[:dev]
    qa = users[:qa]
    User.current = admin

    bug = tracker('Bug')
    feature = tracker('Feature')
    support = tracker('Support')
    trackers = [bug, feature, support]
    st = %w[New In\ Progress Resolved Feedback Closed Rejected].index_with { |n| status(n) }
    pr = %w[Low Normal High Urgent Immediate].index_with { |n| priority(n) }
    developer = role('Developer')

    development = ensure_activity('Development', true)
    design = ensure_activity('Design', false)

    department = IssueCustomField.create!(
      name: 'Department',
      field_format: 'list',
      possible_values: %w[Engineering Sales Support],
      is_required: false,
      is_for_all: true,
      is_filter: true,
      searchable: false,
      visible: true,
      tracker_ids: Tracker.pluck(:id)
    )

    alpha = create_project('alpha', 'Alpha', 'Main test project: 30 issues, wiki, versions, time entries.')
    beta = create_project('beta', 'Beta', 'Second test project; user dev is not a member.')
    stamp(alpha, BASE_TIME)
    stamp(beta, BASE_TIME)

    add_member(alpha, dev, developer)
    add_member(alpha, qa, developer)

    version = Version.create!(project: alpha, name: 'v1.0', status: 'open', sharing: 'none',
                              description: 'First release', effective_date: Date.new(2026, 3, 31))
    category = IssueCategory.create!(project: alpha, name: 'Backend')

    priority_cycle = [pr['Normal'], pr['High'], pr['Low'], pr['Normal'], pr['Urgent'], pr['Immediate']]
    departments = [nil, 'Engineering', 'Sales', 'Support'] # by index % 4

    alpha_issues = (1..30).map do |i|
      status =
        if i == 1 then st['New']
        elsif (i % 5).zero? then st['Closed']
        elsif (i % 7).zero? then st['Resolved']
        elsif (i % 11).zero? then st['Rejected']
        elsif (i % 4).zero? then st['In Progress']
        elsif (i % 9).zero? then st['Feedback']
        else st['New']
        end
      assignee =
        if i == 1 then nil
        elsif i % 3 == 1 then dev
        elsif i % 5 == 2 then qa
        end
      create_issue(
        project: alpha, index: i,
        author: (i % 6).zero? ? dev : admin,
        tracker: trackers[(i - 1) % 3],
        status: status,
        priority: priority_cycle[(i - 1) % priority_cycle.size],
        subject: "Alpha issue #{i}",
        description: i == 1 ? long_description('first draft') : short_description(i, 'Alpha'),
        assigned_to: assignee,
        category: (i % 3).zero? ? category : nil,
        version: i <= 10 ? version : nil,
        department: departments[i % 4], cf: department,
        estimated_hours: (i % 4).zero? ? i / 2.0 : nil,
        done_ratio: status.is_closed? ? 100 : 0
      )
    end

    beta_issues = (1..3).map do |i|
      create_issue(
        project: beta, index: 30 + i, author: admin,
        tracker: trackers[i - 1], status: st['New'], priority: pr['Normal'],
        subject: "Beta issue #{i}", description: short_description(i, 'Beta')
      )
    end

    issue1, issue2, issue3, issue4, issue5 = alpha_issues.first(5)

    # Parent/child, relation and watcher (no journals on issue 1 from these).
    issue3.reload
    issue3.parent_issue_id = issue2.id
    issue3.save!
    relation = IssueRelation.create!(issue_from: issue4, issue_to: issue5, relation_type: 'relates')
    Watcher.create!(watchable: issue1, user: qa)
    [issue2, issue3].each do |issue|
      Issue.where(id: issue.id).update_all(updated_on: issue.created_on + 86_400)
    end

    # Sixteen journals on issue 1, one day apart.
    t = ->(n) { BASE_TIME + (n * 86_400) }
    journals = []
    journals << journalize(issue1.id, admin, t[1], 'Thanks for the report. Reproduced on a copy of production data.')
    journals << journalize(issue1.id, admin, t[2], 'Starting on this now.') { |i| i.status = st['In Progress'] }
    journals << journalize(issue1.id, admin, t[3]) { |i| i.priority = pr['High'] }
    journals << journalize(issue1.id, admin, t[4], 'Dev, can you take this one?') { |i| i.assigned_to = dev }
    journals << journalize(issue1.id, admin, t[5], "The timeout is the job runner's 300 s limit, not the database.")
    journals << journalize(issue1.id, admin, t[6]) { |i| i.description = long_description('second draft, steps clarified') }
    journals << journalize(issue1.id, admin, t[7]) { |i| i.done_ratio = 30 }
    journals << journalize(issue1.id, admin, t[8], 'Internal: the customer behind this report is on the enterprise plan.',
                           private_notes: true)
    journals << journalize(issue1.id, admin, t[9], 'Waiting for the reporter to confirm the archive size.') do |i|
      i.status = st['Feedback']
    end
    journals << journalize(issue1.id, admin, t[10], 'Reporter confirmed: about 2 GB of attachments.')
    journals << journalize(issue1.id, admin, t[11]) { |i| i.estimated_hours = 6.0 }
    journals << journalize(issue1.id, admin, t[12]) { |i| i.custom_field_values = {department.id.to_s => 'Support'} }
    journals << journalize(issue1.id, admin, t[13], 'Raising priority, a second customer hit this.') do |i|
      i.priority = pr['Urgent']
    end
    journals << journalize(issue1.id, admin, t[14], 'QA will verify the fix on staging.') { |i| i.assigned_to = qa }
    journals << journalize(issue1.id, admin, t[15], 'Back in progress after review comments.') do |i|
      i.status = st['In Progress']
    end
    journals << journalize(issue1.id, admin, t[16], 'Summary: export now streams pages; needs a final check on large projects.')
    count = issue1.journals.count
    abort "seed: expected 16 journals on issue 1, got #{count}" unless count == 16
    # Updating an issue makes the updater a watcher ("issue_contributed_to");
    # keep qa as the only watcher of issue 1.
    Watcher.where(watchable: issue1).where.not(user_id: qa.id).delete_all

    # A small text attachment on issue 1 (not journalized, so the count stays 16).
    attachment = Attachment.new(file: "hello from redmine\n", author: admin, filename: 'notes.txt',
                                content_type: 'text/plain', description: 'Seeded text file')
    attachment.container = issue1
    attachment.save!
    attachment.update_columns(created_on: t[16])

    # Wiki: start page "Wiki", "Runbook" and its child "Deploy".
    wiki = alpha.wiki or abort 'seed: project alpha has no wiki'
    wiki.update!(start_page: 'Wiki')
    wiki_page(wiki, 'Wiki', "h1. Wiki\n\nWelcome to the Alpha wiki.\n\n* [[Runbook]]\n* [[Deploy]]\n", admin, t[2])
    runbook = wiki_page(wiki, 'Runbook', <<~TEXT, admin, t[3])
      h1. Runbook

      This page describes how the Alpha service is operated day to day.

      h2. On call

      The on-call engineer watches the error dashboard and the job queue. Anything that blocks
      exports or logins is handled first; everything else goes into the issue tracker.

      h2. Restarts

      Restart the worker pool before the web tier. Wait for the queue to drain, then restart
      the web processes one at a time so that the load balancer always has a healthy backend.

      See [[Deploy]] for releases.
    TEXT
    wiki_page(wiki, 'Deploy', <<~TEXT, admin, t[4], parent: runbook)
      h1. Deploy

      # Tag the release and wait for the build.
      # Run the database migrations on one node.
      # Roll the web processes, then the workers.
      # Check the error dashboard for ten minutes.
    TEXT

    # A public, global saved query.
    query = IssueQuery.new(name: 'Open bugs', user: admin, project: nil,
                           visibility: Query::VISIBILITY_PUBLIC)
    query.filters = {
      'status_id' => {operator: 'o', values: ['']},
      'tracker_id' => {operator: '=', values: [bug.id.to_s]}
    }
    query.save!

    # Time entries by dev on alpha issues.
    time_entries = [
      [issue1, 1.5, development, Date.new(2026, 1, 10), 'Reproduced the export timeout'],
      [issue1, 2.0, development, Date.new(2026, 1, 12), 'Streaming export prototype'],
      [issue2, 0.75, design, Date.new(2026, 1, 12), 'Sketched the settings screen']
    ].map do |issue, hours, activity, day, comments|
      entry = TimeEntry.create!(project: alpha, issue: issue, user: dev, author: dev, hours: hours,
                                activity: activity, spent_on: day, comments: comments)
      stamp(entry, Time.utc(day.year, day.month, day.day, 17, 0, 0))
      entry
    end

    {
      projects: {alpha: alpha.id, beta: beta.id},
      users: {admin: admin.id, dev: dev.id, qa: qa.id},
      roles: {developer: developer.id},
      trackers: trackers.to_h { |tr| [tr.name, tr.id] },
      statuses: st.transform_values(&:id),
      priorities: pr.transform_values(&:id),
      custom_fields: {department: department.id},
      versions: {'v1.0' => version.id},
      issue_categories: {'Backend' => category.id},
      activities: {development: development.id, design: design.id},
      issues: {
        alpha: alpha_issues.each_with_index.to_h { |issue, n| ["Alpha issue #{n + 1}", issue.id] },
        beta: beta_issues.each_with_index.to_h { |issue, n| ["Beta issue #{n + 1}", issue.id] }
      },
      issue1_journals: journals.map(&:id),
      relation: relation.id,
      attachment: attachment.id,
      queries: {'Open bugs' => query.id},
      time_entries: time_entries.map(&:id),
      wiki_pages: %w[Wiki Runbook Deploy]
    }
  end

  def run
    users = bootstrap
    if Project.exists?(identifier: 'alpha')
      puts 'seed: project alpha exists, data already seeded'
      return
    end

    summary = ActiveRecord::Base.transaction { seed(users) }
    if (path = ENV['SEED_SUMMARY_FILE'].presence)
      File.write(path, JSON.pretty_generate(summary) + "\n")
    end
    puts "seed: done (projects alpha=#{summary[:projects][:alpha]} beta=#{summary[:projects][:beta]}, " \
         "#{summary[:issues][:alpha].size + summary[:issues][:beta].size} issues)"
  end
end

BastionSeed.run
