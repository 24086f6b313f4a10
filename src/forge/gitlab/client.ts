import {
  Branches, Commits, GroupMembers, Issues, MergeRequestApprovals, MergeRequestNoteAwardEmojis, MergeRequestNotes, MergeRequests, Pipelines, ProjectMembers, Projects,
  ProtectedBranches, RepositoryFiles, Users,
} from '@gitbeaker/rest';
import type { ApiObserver } from '../types.js';
import { gitLabRequester, type RetryOptions } from './http.js';

export interface GitLabClientOptions {
  /** The instance, e.g. https://gitlab.com or https://gitlab.example.test; the API is at URL/api/v4. */
  url: string;
  /** A project, group or bot-user access token with the `api` scope. */
  token: string;
  retry?: RetryOptions;
  /** Told of every API answer (for metrics). */
  observe?: ApiObserver;
  /** One call (retries included) gives up after this long. */
  timeoutMs?: number;
}

/**
 * The gitbeaker resources Ferry calls, sharing one requester. Only these are built: the
 * `Gitlab` bundle makes some two hundred, each with its own rate limiters, for every job.
 */
export function gitLabClient(opts: GitLabClientOptions) {
  const config = {
    host: opts.url.replace(/\/+$/, ''),
    token: opts.token,
    requesterFn: gitLabRequester(opts.token, opts.retry, opts.observe),
    queryTimeout: opts.timeoutMs ?? 60_000,
    // GitLab's 429 and Retry-After pace Ferry; gitbeaker's client-side limiter would only add queues.
    rateLimits: {},
  };
  return {
    users: new Users(config),
    projects: new Projects(config),
    projectMembers: new ProjectMembers(config),
    groupMembers: new GroupMembers(config),
    mergeRequests: new MergeRequests(config),
    approvals: new MergeRequestApprovals(config),
    notes: new MergeRequestNotes(config),
    noteEmojis: new MergeRequestNoteAwardEmojis(config),
    commits: new Commits(config),
    pipelines: new Pipelines(config),
    branches: new Branches(config),
    protectedBranches: new ProtectedBranches(config),
    issues: new Issues(config),
    files: new RepositoryFiles(config),
  };
}

export type GitLabClient = ReturnType<typeof gitLabClient>;
