/**
 * Gradle version handling. Gradle orders versions much like Maven's ComparableVersion (numeric parts
 * numerically, qualifiers such as rc/snapshot below the release), so the Maven ordering and range policy
 * are reused; what Gradle adds are dynamic selectors (`1.+`, `latest.release`), which cannot be bumped.
 */
export { compareMavenVersions as compareGradleVersions, isMavenVersion as isGradleVersion } from '../maven/versioning.ts';
export { bumpMavenRequirement as bumpGradleRequirement } from '../maven/range.ts';

export const isDynamicVersion = (version: string): boolean => version.endsWith('+') || version.startsWith('latest.');
