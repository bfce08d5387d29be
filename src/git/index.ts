/**
 * Git over HTTPS with the real git binary, for hosts without a git data API or when asked: a
 * blobless, shallow, sparse checkout; commits pushed under a lease; credentials only in the
 * environment of the git process.
 */
export { checkBranchName } from './branch-name.ts';
export * from './errors.ts';
export type * from './types.ts';
export { DEFAULT_GIT_LIMITS, openSparseCheckout } from './sparse-checkout.ts';
