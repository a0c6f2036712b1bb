// @keyledger/events: the append-only event log and everything derived from it.
export { createEventStore, DEFAULT_USAGE_RETENTION_DAYS } from './store/event-store.js';
export type { EventStore, EventStoreOptions, ReadStreamOptions } from './store/event-store.js';
export type { AppendResult, ExpectedVersion } from './store/append.js';
export type { RecordedEvent, RecordedEventOf } from './store/recorded-event.js';
export type { UsageRecorderOptions, UsageStats } from './store/usage-recorder.js';
export { openDatabase } from './store/open-database.js';
export { verifyChain, chainHash, GENESIS_HASH } from './store/chain.js';
export type { ChainVerification, ChainAnchor } from './store/chain.js';
export { checkProjections, rebuildProjections } from './replay/replay.js';
export type { ReplayOptions, ReplayReport, ProjectionDifference } from './replay/replay.js';
export { keyStateAsOf } from './replay/as-of.js';
export type { AsOf } from './replay/as-of.js';
export { keyStateFromRow } from './projections/api-keys.js';
export type { ApiKeyRow } from './projections/api-keys.js';
export type { UserRow } from './projections/users.js';
export { LIVE_TABLES } from './projections/tables.js';
export { hourStart, dayStart } from './projections/usage.js';
export {
  eventCatalogue,
  keyLifecycleEvents,
  userEvents,
  isEventType,
  keyStreamId,
  keyUsageStreamId,
  userStreamId,
  unknownUserStreamId,
  KEY_SCOPES,
  keyScopeSchema,
  USER_ROLES,
  userRoleSchema,
  eventMetadataSchema,
  DEFAULT_RATE_WINDOW_SECONDS,
  upcast,
  keyCreated,
  applyUsage,
} from './catalogue/index.js';
export type {
  EventType,
  EventData,
  NewEvent,
  EventMetadata,
  Actor,
  KeyScope,
  UserRole,
  KeyState,
  UserState,
  KeyUsedData,
} from './catalogue/index.js';
