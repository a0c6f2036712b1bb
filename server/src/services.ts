import { createEventStore, type EventStore } from '@keyledger/events';
import type { Logger } from 'pino';
import { accountService } from './accounts/account-service.js';
import { sessionStore } from './accounts/sessions.js';
import { signInThrottle } from './accounts/sign-in-throttle.js';
import type { Config } from './config.js';
import { toKeyledgerError } from './errors.js';
import { idempotencyStore } from './idempotency/idempotency-store.js';
import { keyHasher } from './keys/key-hash.js';
import { keyQueries } from './keys/key-queries.js';
import { keyService } from './keys/key-service.js';
import { usageQueries } from './usage/usage-queries.js';
import { keyCache, type KeyCacheOptions } from './verify/key-cache.js';
import { rateLimiter } from './verify/rate-limiter.js';
import { keyVerifier, type FailedVerificationLimit } from './verify/verify-key.js';

export interface ServiceOptions {
  clock?: () => number;
  logger?: Logger;
  keyCache?: KeyCacheOptions;
  /** Failed verifications allowed per client address; the default is 100 a minute. */
  failedVerifications?: FailedVerificationLimit;
  /** Group-commit settings for usage events. */
  usageFlushIntervalMs?: number;
}

/** Everything behind the API, wired once per process. */
export function createServices(config: Config, options: ServiceOptions = {}) {
  const clock = options.clock ?? Date.now;
  // Before the database is opened: a pepper is only ever made for a database that does not exist yet.
  const pepper = config.pepper;
  const store: EventStore = createEventStore({
    path: config.databasePath,
    clock,
    usageRetentionDays: config.usageRetentionDays,
    usage: {
      flushIntervalMs: options.usageFlushIntervalMs ?? config.usageFlushMs,
      onError: (error) =>
        options.logger?.error(
          { err: toKeyledgerError(error).code },
          'usage flush failed; uses stay buffered',
        ),
    },
  });
  const hash = keyHasher(pepper);
  const queries = keyQueries(store.db);
  const cache = keyCache(options.keyCache);
  const keyLimiter = rateLimiter(clock);
  const ipLimiter = rateLimiter(clock, { maxEntries: 100_000 });
  const sessions = sessionStore(store.db, clock);

  const accounts = accountService({
    store,
    sessions,
    throttle: signInThrottle(rateLimiter(clock, { maxEntries: 100_000 })),
    signUpOpen: config.signUpOpen,
    signUpsPerHour: config.signUpsPerHour,
    fingerprint: hash,
    sessionTtlSeconds: config.sessionTtlSeconds,
  });
  const keys = keyService({
    store,
    queries,
    cache,
    keyLimiter,
    hash,
    keyPrefix: config.keyPrefix,
    maxActiveKeysPerUser: config.maxActiveKeysPerUser,
    clock,
  });
  const verifyKey = keyVerifier({
    store,
    queries,
    cache,
    hash,
    keyLimiter,
    ipLimiter,
    failedLimit: options.failedVerifications ?? { limit: 100, windowSeconds: 60 },
    clock,
  });

  return {
    config,
    clock,
    store,
    accounts,
    keys,
    verifyKey,
    usage: usageQueries(store.db, clock),
    idempotency: idempotencyStore(store.db, pepper, clock),
    sessions,
    /** Housekeeping that need not run on any request: expired sessions, replies and old usage rows. */
    prune(): void {
      sessions.prune();
      this.idempotency.prune();
      store.pruneUsageLogs();
    },
    close(): void {
      store.close();
    },
  };
}
export type Services = ReturnType<typeof createServices>;
