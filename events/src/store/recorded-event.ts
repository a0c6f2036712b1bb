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

/** What the projections read of an event; replay reads only these columns, which is most of its speed. */
export type ProjectedEvent = {
  [T in EventType]: { position: number; recorded_at: number; type: T; data: EventData<T> };
}[EventType];
export type ProjectedEventOf<T extends EventType> = Extract<ProjectedEvent, { type: T }>;

export const PROJECTED_COLUMNS = 'position, type, schema_version, data, recorded_at';
export type ProjectedRow = [
  position: number,
  type: string,
  schemaVersion: number,
  data: string,
  recordedAt: number,
];

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

/** Parses stored data and lifts it to the current schema version of its type. */
function currentData(type: string, schemaVersion: number, json: string): { type: EventType; data: unknown } {
  if (!isEventType(type)) throw new Error(`unknown event type in the log: ${type}`);
  const definition = eventCatalogue[type];
  const stored = JSON.parse(json) as Record<string, unknown>;
  const data =
    schemaVersion === definition.version
      ? stored
      : upcast(definition as Parameters<typeof upcast>[0], stored, schemaVersion);
  return { type, data };
}

export function toRecordedEvent(row: EventRow): RecordedEvent {
  const { type, data } = currentData(row.type, row.schema_version, row.data);
  return {
    position: row.position,
    stream_id: row.stream_id,
    stream_position: row.stream_position,
    event_id: row.event_id,
    type,
    schema_version: row.schema_version,
    data,
    metadata: JSON.parse(row.metadata) as EventMetadata,
    recorded_at: row.recorded_at,
    hash: row.hash,
  } as RecordedEvent;
}

export function toProjectedEvent(row: ProjectedRow): ProjectedEvent {
  const { type, data } = currentData(row[1], row[2], row[3]);
  return { position: row[0], type, data, recorded_at: row[4] } as ProjectedEvent;
}
