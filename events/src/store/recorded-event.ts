import {
  eventCatalogue,
  isEventType,
  upcast,
  type EventData,
  type EventMetadata,
  type EventType,
} from '../catalogue/index.js';

interface RecordedEventBase {
  position: number;
  stream_id: string;
  stream_position: number;
  event_id: string;
  /** The version the event was stored with; `data` has been lifted to the current one. */
  schema_version: number;
  metadata: EventMetadata;
  recorded_at: number;
  hash: string;
}

/** An event as read back from the log, its data upcast to the current schema version. */
export type RecordedEvent = {
  [T in EventType]: RecordedEventBase & { type: T; data: EventData<T> };
}[EventType];
export type RecordedEventOf<T extends EventType> = Extract<RecordedEvent, { type: T }>;

export interface EventRow {
  position: number;
  stream_id: string;
  stream_position: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: string;
  metadata: string;
  recorded_at: number;
  hash: string;
}

export const EVENT_COLUMNS =
  'position, stream_id, stream_position, event_id, type, schema_version, data, metadata, recorded_at, hash';

export function toRecordedEvent(row: EventRow): RecordedEvent {
  if (!isEventType(row.type)) throw new Error(`unknown event type in the log: ${row.type}`);
  const definition = eventCatalogue[row.type];
  const stored = JSON.parse(row.data) as Record<string, unknown>;
  const data =
    row.schema_version === definition.version
      ? stored
      : upcast(definition as Parameters<typeof upcast>[0], stored, row.schema_version);
  return {
    position: row.position,
    stream_id: row.stream_id,
    stream_position: row.stream_position,
    event_id: row.event_id,
    type: row.type,
    schema_version: row.schema_version,
    data,
    metadata: JSON.parse(row.metadata) as EventMetadata,
    recorded_at: row.recorded_at,
    hash: row.hash,
  } as RecordedEvent;
}
