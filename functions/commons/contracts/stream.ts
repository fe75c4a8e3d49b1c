/** The table stream the subscription function reads: employee items only (their sort keys begin with this). */
export const EMPLOYEE_SK_PREFIX = 'EMP#';
/** As data: CDK and the local stream poller both build their filters from it. */
export const EMPLOYEE_STREAM_FILTER = { sortKeyPrefix: EMPLOYEE_SK_PREFIX } as const;
