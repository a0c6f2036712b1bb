import type { z } from 'zod';
import { keyCreated } from './keys/key-created.js';
import { keyRegenerated } from './keys/key-regenerated.js';
import { keyRevoked } from './keys/key-revoked.js';
import { keyUpdated } from './keys/key-updated.js';
import { keyUsed } from './keys/key-used.js';
import { userRegistered } from './users/user-registered.js';
import { userRoleChanged } from './users/user-role-changed.js';
import { userSignInFailed } from './users/user-sign-in-failed.js';
import { userSignedIn } from './users/user-signed-in.js';

/** Every event Keyledger writes, by type. Adding an event type starts here. */
export const keyLifecycleEvents = {
  'key.created': keyCreated,
  'key.updated': keyUpdated,
  'key.revoked': keyRevoked,
  'key.regenerated': keyRegenerated,
} as const;

export const userEvents = {
  'user.registered': userRegistered,
  'user.role_changed': userRoleChanged,
  'user.signed_in': userSignedIn,
  'user.sign_in_failed': userSignInFailed,
} as const;

export const eventCatalogue = {
  ...keyLifecycleEvents,
  'key.used': keyUsed,
  ...userEvents,
} as const;

type Catalogue = typeof eventCatalogue;
export type EventType = keyof Catalogue;
export type KeyLifecycleEventType = keyof typeof keyLifecycleEvents;
export type UserEventType = keyof typeof userEvents;
export type EventData<T extends EventType> = z.infer<Catalogue[T]['schema']>;

/** An event before it is stored: a type and its data at the current schema version. */
export type NewEvent = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];
export type NewKeyLifecycleEvent = Extract<NewEvent, { type: KeyLifecycleEventType }>;
export type NewUserEvent = Extract<NewEvent, { type: UserEventType }>;

export const isEventType = (type: string): type is EventType => Object.hasOwn(eventCatalogue, type);
export const isKeyLifecycleEventType = (type: string): type is KeyLifecycleEventType =>
  Object.hasOwn(keyLifecycleEvents, type);
export const isUserEventType = (type: string): type is UserEventType => Object.hasOwn(userEvents, type);
/** Narrows a new or recorded event, not only its type. */
export const isKeyLifecycleEvent = <E extends { type: string }>(
  e: E,
): e is Extract<E, { type: KeyLifecycleEventType }> => isKeyLifecycleEventType(e.type);
export const isUserEvent = <E extends { type: string }>(e: E): e is Extract<E, { type: UserEventType }> =>
  isUserEventType(e.type);

export { defineEvent, upcast } from './define-event.js';
export type { EventDefinition, EvolveContext } from './define-event.js';
export { eventMetadataSchema, actorSchema } from './metadata.js';
export type { EventMetadata, Actor } from './metadata.js';
export { keyStreamId, keyUsageStreamId, userStreamId, unknownUserStreamId } from './streams.js';
export { KEY_SCOPES, keyScopeSchema, USER_ROLES, userRoleSchema } from './scopes.js';
export type { KeyScope, UserRole } from './scopes.js';
export type { KeyState } from './keys/key-state.js';
export type { UserState } from './users/user-state.js';
export { keyCreated, DEFAULT_RATE_WINDOW_SECONDS } from './keys/key-created.js';
export type { KeyCreatedData } from './keys/key-created.js';
export { keyUpdated } from './keys/key-updated.js';
export { keyRevoked } from './keys/key-revoked.js';
export { keyRegenerated } from './keys/key-regenerated.js';
export { keyUsed, applyUsage } from './keys/key-used.js';
export type { KeyUsedData } from './keys/key-used.js';
export { userRegistered } from './users/user-registered.js';
export { userRoleChanged } from './users/user-role-changed.js';
export { userSignedIn } from './users/user-signed-in.js';
export { userSignInFailed } from './users/user-sign-in-failed.js';
