/**
 * Every GitLab REST route Ferry calls, in one place. GitLab's OpenAPI description is too
 * large to bring here, so each row was checked by hand against GitLab's REST
 * documentation (`doc/api/*.md` in GitLab's repository, published at docs.gitlab.com/api/)
 * and against @gitbeaker/core's resource for it: the method, the path, and the parameters
 * Ferry may send. `params` maps a parameter to its documented values (null: free text or a
 * number). The fake GitLab refuses a route missing here, and a parameter not listed for
 * its route, so a new call has to be checked against the docs and added to this table.
 */
export interface GitLabRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Under /api/v4, with the docs' parameter names. */
  path: string;
  params: Record<string, readonly string[] | null>;
  /** Offset pagination (`page`, `per_page`, the `Link` header). */
  paginated?: true;
  /** The docs page and its section. */
  doc: string;
}

const SORT = ['asc', 'desc'] as const;
const STATUS_STATES = ['pending', 'running', 'success', 'failed', 'canceled', 'skipped'] as const;

export const GITLAB_ROUTES = [
  { method: 'GET', path: '/user', params: {}, doc: 'https://docs.gitlab.com/api/users/ — "Get the current user" (GET /user)' },
  { method: 'GET', path: '/users', params: { username: null }, paginated: true, doc: 'https://docs.gitlab.com/api/users/#list-users — `username` returns the one user with that username' },
  { method: 'GET', path: '/projects/:id', params: {}, doc: 'https://docs.gitlab.com/api/projects/#get-a-single-project — `id`, `path_with_namespace`, `http_url_to_repo`' },
  {
    method: 'GET', path: '/projects/:id/members/all/:user_id', params: {},
    doc: 'https://docs.gitlab.com/api/members/#get-a-member-of-a-group-or-project-including-inherited-and-invited-members — 404 for a non-member',
  },
  {
    method: 'GET', path: '/groups/:id/members/all/:user_id', params: {},
    doc: 'https://docs.gitlab.com/api/members/#get-a-member-of-a-group-or-project-including-inherited-and-invited-members',
  },
  {
    method: 'GET', path: '/projects/:id/merge_requests', paginated: true,
    params: {
      state: ['opened', 'closed', 'locked', 'merged', 'all'], order_by: ['created_at', 'updated_at', 'title', 'merged_at'], sort: SORT,
      source_branch: null, target_branch: null,
    },
    doc: 'https://docs.gitlab.com/api/merge_requests/#list-project-merge-requests — sort defaults to desc; no `diff_refs` in list items',
  },
  {
    method: 'POST', path: '/projects/:id/merge_requests', params: { source_branch: null, target_branch: null, title: null, description: null },
    doc: 'https://docs.gitlab.com/api/merge_requests/#create-mr — description "Limited to 1,048,576 characters"; 409 when an open MR has the same source branch',
  },
  {
    method: 'GET', path: '/projects/:id/merge_requests/:merge_request_iid', params: {},
    doc: 'https://docs.gitlab.com/api/merge_requests/#get-single-mr — `sha`, `diff_refs` (base_sha, head_sha, start_sha), `merge_commit_sha`, `squash_commit_sha`',
  },
  {
    method: 'PUT', path: '/projects/:id/merge_requests/:merge_request_iid', params: { title: null, description: null, add_labels: null, labels: null },
    doc: 'https://docs.gitlab.com/api/merge_requests/#update-mr — `add_labels`: "Comma-separated label names to add to a merge request"',
  },
  {
    method: 'GET', path: '/projects/:id/merge_requests/:merge_request_iid/approvals', params: {},
    doc: 'https://docs.gitlab.com/api/merge_request_approvals/#merge-request-level-mr-approvals — "Get configuration for approvals on a specific merge request": `approved_by[].user` (`username`), no commit per approval',
  },
  {
    method: 'GET', path: '/projects/:id/merge_requests/:merge_request_iid/notes', paginated: true,
    params: { sort: SORT, order_by: ['created_at', 'updated_at'] },
    doc: 'https://docs.gitlab.com/api/notes/#list-all-merge-request-notes — sort defaults to desc; system notes included (`system: true`)',
  },
  {
    method: 'POST', path: '/projects/:id/merge_requests/:merge_request_iid/notes', params: { body: null },
    doc: 'https://docs.gitlab.com/api/notes/#create-new-merge-request-note — body "Limited to 1,000,000 characters"',
  },
  {
    method: 'GET', path: '/projects/:id/merge_requests/:merge_request_iid/notes/:note_id', params: {},
    doc: 'https://docs.gitlab.com/api/notes/#get-single-merge-request-note — 404 when the note is not on this merge request',
  },
  {
    method: 'PUT', path: '/projects/:id/merge_requests/:merge_request_iid/notes/:note_id', params: { body: null },
    doc: 'https://docs.gitlab.com/api/notes/#modify-existing-merge-request-note',
  },
  {
    method: 'DELETE', path: '/projects/:id/merge_requests/:merge_request_iid/notes/:note_id', params: {},
    doc: 'https://docs.gitlab.com/api/notes/#delete-a-merge-request-note',
  },
  {
    method: 'POST', path: '/projects/:id/merge_requests/:merge_request_iid/notes/:note_id/award_emoji', params: { name: null },
    doc: 'https://docs.gitlab.com/api/emoji_reactions/#add-a-new-emoji-reaction-to-a-comment — a repeat answers 404 "Award Emoji Name has already been taken"',
  },
  {
    method: 'POST', path: '/projects/:id/statuses/:sha',
    params: { state: STATUS_STATES, ref: null, name: null, context: null, target_url: null, description: null, coverage: null, pipeline_id: null },
    doc: 'https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit — ref, target_url, description "Must be 255 characters or fewer"',
  },
  {
    method: 'GET', path: '/projects/:id/repository/commits/:sha/statuses', paginated: true,
    params: { ref: null, stage: null, name: null, pipeline_id: null, all: ['true', 'false'], order_by: ['id', 'pipeline_id'], sort: SORT },
    doc: 'https://docs.gitlab.com/api/commits/#list-the-statuses-of-a-commit — CI jobs and external statuses of every pipeline of the SHA',
  },
  {
    method: 'GET', path: '/projects/:id/pipelines', paginated: true,
    params: { sha: null, ref: null, status: null, source: null, order_by: ['id', 'status', 'ref', 'updated_at', 'user_id'], sort: SORT },
    doc: 'https://docs.gitlab.com/api/pipelines/#list-project-pipelines — order_by id and sort desc by default',
  },
  {
    method: 'GET', path: '/projects/:id/repository/commits/:sha/merge_requests', paginated: true, params: {},
    doc: 'https://docs.gitlab.com/api/commits/#list-merge-requests-associated-with-a-commit — by head, merge or squash commit; no `diff_refs`',
  },
  {
    method: 'GET', path: '/projects/:id/repository/files/:file_path', params: { ref: null },
    doc: 'https://docs.gitlab.com/api/repository_files/#get-file-from-repository — `content` in `encoding` (base64); 404 when there is no such file',
  },
  {
    method: 'PUT', path: '/projects/:id', params: { only_allow_merge_if_pipeline_succeeds: ['true', 'false'] },
    doc: 'https://docs.gitlab.com/api/projects/#edit-a-project — `only_allow_merge_if_pipeline_succeeds` ("Pipelines must succeed")',
  },
  {
    method: 'GET', path: '/projects/:id/repository/branches/:branch', params: {},
    doc: 'https://docs.gitlab.com/api/branches/#get-single-repository-branch — 404 when the branch does not exist',
  },
  {
    method: 'GET', path: '/projects/:id/protected_branches/:name', params: {},
    doc: 'https://docs.gitlab.com/api/protected_branches/#get-a-single-protected-branch-or-wildcard-protected-branch — 404 when not protected; `allow_force_push`, `push_access_levels[].access_level`',
  },
  {
    method: 'POST', path: '/projects/:id/protected_branches', params: { name: null, push_access_level: ['0', '30', '40', '60'], merge_access_level: ['0', '30', '40', '60'], allow_force_push: ['true', 'false'] },
    doc: 'https://docs.gitlab.com/api/protected_branches/#protect-repository-branches — access levels 0 (no access), 30 (Developer), 40 (Maintainer), 60 (Admin)',
  },
  {
    method: 'PATCH', path: '/projects/:id/protected_branches/:name', params: { allow_force_push: ['true', 'false'] },
    doc: 'https://docs.gitlab.com/api/protected_branches/#update-a-protected-branch',
  },
  {
    method: 'GET', path: '/projects/:id/approvals', params: {},
    doc: 'https://docs.gitlab.com/api/merge_request_approvals/#get-approval-configuration-for-a-project — `reset_approvals_on_push`',
  },
  {
    method: 'POST', path: '/projects/:id/approvals', params: { reset_approvals_on_push: ['true', 'false'] },
    doc: 'https://docs.gitlab.com/api/merge_request_approvals/#change-approval-configuration-for-a-project',
  },
  {
    method: 'GET', path: '/projects/:id/approval_rules', params: {}, paginated: true,
    doc: 'https://docs.gitlab.com/api/merge_request_approvals/#list-all-approval-rules-for-a-project — `approvals_required`, `protected_branches`, `applies_to_all_protected_branches` (GitLab Premium)',
  },
  {
    method: 'POST', path: '/projects/:id/approval_rules', params: { name: null, approvals_required: null, protected_branch_ids: null },
    doc: 'https://docs.gitlab.com/api/merge_request_approvals/#create-an-approval-rule-for-a-project',
  },
  {
    method: 'PUT', path: '/projects/:id/approval_rules/:approval_rule_id', params: { name: null, approvals_required: null, protected_branch_ids: null },
    doc: 'https://docs.gitlab.com/api/merge_request_approvals/#update-an-approval-rule-for-a-project',
  },
  {
    method: 'GET', path: '/projects/:id/issues', paginated: true, params: { state: ['opened', 'closed', 'all'], author_username: null },
    doc: 'https://docs.gitlab.com/api/issues/#list-project-issues — `author_username`; `description` is the body',
  },
  {
    method: 'POST', path: '/projects/:id/issues', params: { title: null, description: null },
    doc: 'https://docs.gitlab.com/api/issues/#new-issue — description "Limited to 1,048,576 characters"',
  },
  {
    method: 'PUT', path: '/projects/:id/issues/:issue_iid', params: { title: null, description: null, state_event: ['close', 'reopen'] },
    doc: 'https://docs.gitlab.com/api/issues/#edit-an-issue — `state_event: close`',
  },
] as const satisfies readonly GitLabRoute[];

export type GitLabRouteKey = `${(typeof GITLAB_ROUTES)[number]['method']} ${(typeof GITLAB_ROUTES)[number]['path']}`;

/** The route a request matches and its path parameters (decoded), or null when Ferry's table has none. */
export function matchGitLabRoute(method: string, path: string): { route: GitLabRoute; params: Record<string, string> } | null {
  const segments = path.split('?')[0]!.replace(/\/+$/, '').split('/');
  for (const route of GITLAB_ROUTES as readonly GitLabRoute[]) {
    if (route.method !== method.toUpperCase()) continue;
    const template = route.path.split('/');
    if (template.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = template.every((t, i) => {
      if (t.startsWith(':')) {
        params[t.slice(1)] = decodeURIComponent(segments[i]!);
        return segments[i] !== '';
      }
      return t === segments[i];
    });
    if (ok) return { route, params };
  }
  return null;
}
