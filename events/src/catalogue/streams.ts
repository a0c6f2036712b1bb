/**
 * Stream naming. A key's lifecycle and its usage live in separate streams so that folding the lifecycle
 * stays cheap however busy the key is.
 */
export const keyStreamId = (keyId: string) => `key-${keyId}`;
export const keyUsageStreamId = (keyId: string) => `key-usage-${keyId}`;
export const userStreamId = (userId: string) => `user-${userId}`;
/** Failed sign-ins for a username that has no account still belong in the audit trail. */
export const unknownUserStreamId = (username: string) => `signin-${username.toLowerCase()}`;
