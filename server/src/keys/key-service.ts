import type { ApiKeyRow, EventStore, NewEvent } from '@keyledger/events';
import { keyStateAsOf, keyStreamId } from '@keyledger/events';
import { DEFAULT_RATE_WINDOW_SECONDS } from '@keyledger/events/catalogue';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type {
  generateKeyInput,
  KeyObject,
  KeyWithSecret,
  ListKeysOutput,
  listKeysInput,
  regenerateKeyInput,
  revokeKeyInput,
  updateKeyInput,
} from '../api/schemas/index.js';
import { KeyledgerError } from '../errors.js';
import { eventMetadata, type RequestMeta, type SignedInUser } from '../request-meta.js';
import type { KeyCache } from '../verify/key-cache.js';
import type { RateLimiter } from '../verify/rate-limiter.js';
import { generateKey, type RandomBytes } from './key-format.js';
import type { KeyHasher } from './key-hash.js';
import type { KeyQueries } from './key-queries.js';
import { toKeyObject } from './key-view.js';
import { SCOPES } from './scopes.js';

const DAY_MS = 86_400_000;

export interface KeyServiceDeps {
  store: EventStore;
  queries: KeyQueries;
  cache: KeyCache;
  keyLimiter: RateLimiter;
  hash: KeyHasher;
  keyPrefix: string;
  maxActiveKeysPerUser: number;
  clock: () => number;
  random?: RandomBytes;
}

const notFound = () => new KeyledgerError('KEY_NOT_FOUND', 'no such key');

function encodeCursor(row: ApiKeyRow): string {
  return Buffer.from(JSON.stringify([row.created_at, row.key_id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: number; keyId: string } {
  try {
    const [createdAt, keyId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'number' && typeof keyId === 'string') return { createdAt, keyId };
  } catch {
    // fall through to the error below
  }
  throw new KeyledgerError('VALIDATION_FAILED', 'invalid cursor', {
    issues: [{ path: 'cursor', message: 'not a cursor this server issued' }],
  });
}

/** Key lifecycle. Each change is one event appended at the stream version it was decided on. */
export function keyService(deps: KeyServiceDeps) {
  const { store, queries, cache, hash, clock } = deps;

  /** A user sees only their own keys: another user's key is exactly as missing as a key that never was. */
  const owned = (user: SignedInUser, keyId: string): ApiKeyRow => {
    const row = queries.byId(keyId);
    if (!row || (row.user_id !== user.user_id && user.role !== 'admin')) throw notFound();
    return row;
  };

  const appendChange = (row: ApiKeyRow, events: NewEvent[], meta: RequestMeta, actor: SignedInUser) => {
    const stream = keyStreamId(row.key_id);
    const result = store.append(stream, store.streamVersion(stream), events, eventMetadata(meta, actor));
    if (!result.ok)
      throw new KeyledgerError('CONCURRENT_MODIFICATION', 'the key changed meanwhile; try again');
    // The cache must not answer for the old state for even one more verification.
    cache.forget(row.key_hash, row.previous_key_hash);
    return queries.byId(row.key_id) as ApiKeyRow;
  };

  return {
    generate(user: SignedInUser, input: z.output<typeof generateKeyInput>, meta: RequestMeta): KeyWithSecret {
      if (SCOPES[input.scope].requiresAdmin && user.role !== 'admin') {
        throw new KeyledgerError('FORBIDDEN', 'only administrators can create admin keys', {
          issues: [{ path: 'scope', message: 'requires the admin role' }],
        });
      }
      return store.transaction(() => {
        const now = clock();
        if (queries.activeCount(user.user_id, now) >= deps.maxActiveKeysPerUser) {
          throw new KeyledgerError(
            'KEY_LIMIT_REACHED',
            `you have ${deps.maxActiveKeysPerUser} active keys, the most allowed; revoke one first`,
          );
        }
        const keyId = `key_${randomUUID().replaceAll('-', '')}`;
        const secret = generateKey(deps.keyPrefix, deps.random);
        const keyHash = hash(secret.plaintext);
        const result = store.append(
          keyStreamId(keyId),
          'no_stream',
          [
            {
              type: 'key.created',
              data: {
                key_id: keyId,
                user_id: user.user_id,
                name: input.name,
                description: input.description,
                scope: input.scope,
                key_hash: keyHash,
                key_prefix: secret.displayPrefix,
                expires_at: input.expires_in_days === null ? null : now + input.expires_in_days * DAY_MS,
                rate_limit: input.rate_limit,
                rate_window: DEFAULT_RATE_WINDOW_SECONDS,
                metadata: null,
              },
            },
          ],
          eventMetadata(meta, user),
        );
        if (!result.ok) throw new KeyledgerError('CONCURRENT_MODIFICATION', 'key id collision; try again');
        cache.forget(keyHash);
        return { ...toKeyObject(queries.byId(keyId) as ApiKeyRow, clock()), key: secret.plaintext };
      });
    },

    get(user: SignedInUser, keyId: string, asOf?: number): KeyObject {
      const row = owned(user, keyId);
      if (asOf === undefined) return toKeyObject(row, clock());
      const state = keyStateAsOf(store.db, keyId, { time: asOf });
      if (!state) {
        throw new KeyledgerError('KEY_NOT_FOUND', 'the key did not exist at that time', {
          issues: [{ path: 'as_of', message: 'before the key was created' }],
        });
      }
      return toKeyObject(state, asOf);
    },

    list(user: SignedInUser, input: z.output<typeof listKeysInput>): ListKeysOutput {
      const other = input.all_users ? null : (input.user_id ?? user.user_id);
      if ((input.all_users || (input.user_id && input.user_id !== user.user_id)) && user.role !== 'admin') {
        throw new KeyledgerError('FORBIDDEN', "only administrators can list other users' keys");
      }
      const now = clock();
      const rows = queries.list({
        userId: other,
        status: input.status,
        now,
        limit: input.limit + 1,
        after: input.cursor ? decodeCursor(input.cursor) : undefined,
      });
      const page = rows.slice(0, input.limit);
      return {
        keys: page.map((r) => toKeyObject(r, now)),
        next_cursor: rows.length > input.limit ? encodeCursor(page.at(-1) as ApiKeyRow) : null,
        total: queries.count({ userId: other, status: input.status, now }),
      };
    },

    update(user: SignedInUser, input: z.output<typeof updateKeyInput>, meta: RequestMeta): KeyObject {
      return store.transaction(() => {
        const row = owned(user, input.key_id);
        const data: { key_id: string; name?: string; description?: string | null } = { key_id: row.key_id };
        if (input.name !== undefined && input.name !== row.name) data.name = input.name;
        if (input.description !== undefined && input.description !== row.description) {
          data.description = input.description;
        }
        if (Object.keys(data).length === 1) return toKeyObject(row, clock());
        return toKeyObject(appendChange(row, [{ type: 'key.updated', data }], meta, user), clock());
      });
    },

    /** Revoking twice is harmless: the second call changes nothing and appends nothing. */
    revoke(user: SignedInUser, input: z.output<typeof revokeKeyInput>, meta: RequestMeta): KeyObject {
      return store.transaction(() => {
        const row = owned(user, input.key_id);
        if (row.status === 'revoked') return toKeyObject(row, clock());
        const next = appendChange(
          row,
          [{ type: 'key.revoked', data: { key_id: row.key_id, reason: input.reason ?? null } }],
          meta,
          user,
        );
        deps.keyLimiter.reset(row.key_id);
        return toKeyObject(next, clock());
      });
    },

    /** A new secret for the same key; the old one stops at once or after the grace period. */
    regenerate(
      user: SignedInUser,
      input: z.output<typeof regenerateKeyInput>,
      meta: RequestMeta,
    ): KeyWithSecret {
      return store.transaction(() => {
        const row = owned(user, input.key_id);
        if (row.status === 'revoked') {
          throw new KeyledgerError('KEY_REVOKED', 'a revoked key cannot be regenerated; generate a new one');
        }
        const secret = generateKey(deps.keyPrefix, deps.random);
        const keyHash = hash(secret.plaintext);
        const graceUntil =
          input.grace_period_seconds > 0 ? clock() + input.grace_period_seconds * 1000 : null;
        const next = appendChange(
          row,
          [
            {
              type: 'key.regenerated',
              data: {
                key_id: row.key_id,
                key_hash: keyHash,
                key_prefix: secret.displayPrefix,
                previous_key_expires_at: graceUntil,
              },
            },
          ],
          meta,
          user,
        );
        cache.forget(keyHash);
        return { ...toKeyObject(next, clock()), key: secret.plaintext };
      });
    },

    /** Checks ownership; the audit and usage readers use it before answering. */
    assertOwned: (user: SignedInUser, keyId: string): ApiKeyRow => owned(user, keyId),
  };
}
export type KeyService = ReturnType<typeof keyService>;
