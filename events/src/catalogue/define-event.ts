import type { z } from 'zod';

/** What an `evolve` step may know about the event besides its data. */
export interface EvolveContext {
  recordedAt: number;
  position: number;
}

/**
 * One event type: its current schema, the upcasters that lift older stored versions to it, and its
 * `evolve` step, kept together so that a change to one is a change to all three.
 */
export interface EventDefinition<TType extends string, TSchema extends z.ZodType, TState> {
  type: TType;
  /** The schema version new events are written with. */
  version: number;
  schema: TSchema;
  /** `upcasters[n]` lifts data stored at version n to version n + 1. */
  upcasters: Readonly<Record<number, (data: Record<string, unknown>) => Record<string, unknown>>>;
  evolve: (state: TState | null, data: z.infer<TSchema>, context: EvolveContext) => TState | null;
}

export function defineEvent<TType extends string, TSchema extends z.ZodType, TState>(
  definition: EventDefinition<TType, TSchema, TState>,
): EventDefinition<TType, TSchema, TState> {
  for (let v = 1; v < definition.version; v++) {
    if (!definition.upcasters[v]) throw new Error(`${definition.type}: no upcaster from version ${v}`);
  }
  return definition;
}

/** Lifts stored data to the definition's current version. Stored data was validated when it was appended. */
export function upcast<TType extends string, TSchema extends z.ZodType, TState>(
  definition: EventDefinition<TType, TSchema, TState>,
  data: Record<string, unknown>,
  fromVersion: number,
): z.infer<TSchema> {
  if (fromVersion > definition.version) {
    throw new Error(
      `${definition.type} v${fromVersion} is newer than this build knows (v${definition.version})`,
    );
  }
  let lifted = data;
  for (let v = fromVersion; v < definition.version; v++) {
    const step = definition.upcasters[v];
    if (!step) throw new Error(`${definition.type}: no upcaster from version ${v}`);
    lifted = step(lifted);
  }
  return lifted as z.infer<TSchema>;
}
