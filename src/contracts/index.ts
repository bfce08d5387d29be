/** The contracts module: zod schemas and the rules behind them, shared by routes, services and UI. */
export { hasInvisible, secretProblem, type TextKind, textProblem } from './characters.ts';
export { branchNameProblem, isGitDirSegment, MAX_BRANCH_NAME_BYTES, MAX_REPO_PATH_LENGTH, repoPathProblem } from './git-names.ts';
export {
  boundedJson,
  boundedJsonObject,
  branchName,
  DEFAULT_JSON_LIMITS,
  identifier,
  type IssueParams,
  type JsonLimits,
  type JsonProblem,
  jsonProblem,
  jsonTextWithinLimits,
  repoPath,
  safeLine,
  safeText,
  secret,
  webUrl,
} from './primitives.ts';
