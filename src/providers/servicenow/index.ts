/**
 * The ServiceNow provider: the Table API client (any table, exactly-once creates by correlation id),
 * severity → impact/urgency, state mapping, text rendering within ServiceNow's limits, OAuth (password
 * and refresh grants, the authorization-code flow on src/oauth), the connection test and the descriptor.
 */
export { createServiceNowClient, displayOf, encodeQueryValue, nextLink, valueOf } from './client.ts';
export { servicenowTargetOf, testServiceNowConnection } from './connection.ts';
export { servicenowDescriptor } from './descriptor.ts';
export * from './errors.ts';
export { createServiceNowLimiter, createServiceNowLimiterRegistry, processLimiters, type ServiceNowLimiter, type ServiceNowLimiterRegistry } from './limiter.ts';
export * from './oauth.ts';
export { defaultImpactUrgency, type ImpactUrgency, impactUrgencyFor, parseImpactUrgency, priorityOf } from './priority.ts';
export { cleanText, clip, DESCRIPTION_LIMIT, descriptionFor, type FindingForTicket, SHORT_DESCRIPTION_LIMIT, shortDescriptionFor } from './render.ts';
export { DEFAULT_CLOSE_CODE, INCIDENT_STATES, internalStateOf, type StateChange, stateChangeFor } from './states.ts';
export { DEFAULT_LIMITS } from './transport.ts';
export * from './types.ts';
