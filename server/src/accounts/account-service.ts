import type { EventStore, UserRole, UserRow } from '@keyledger/events';
import { unknownUserStreamId, userStreamId } from '@keyledger/events';
import { randomUUID } from 'node:crypto';
import type { RegisterInput, TokenInput, TokenOutput, UserOutput } from '../api/schemas/index.js';
import { KeyledgerError } from '../errors.js';
import { eventMetadata, type RequestMeta, type SignedInUser } from '../request-meta.js';
import { iso } from '../keys/key-view.js';
import { decoyPasswordHash, hashPassword, verifyPassword } from './passwords.js';
import type { SessionStore } from './sessions.js';
import type { SignInThrottle } from './sign-in-throttle.js';

export interface AccountDeps {
  store: EventStore;
  sessions: SessionStore;
  throttle: SignInThrottle;
  signUpOpen: boolean;
  signUpsPerHour: number;
  /** A keyed hash (HMAC under the pepper), for recording what must not be stored as typed. */
  fingerprint: (value: string) => string;
  sessionTtlSeconds: number;
}

/** Runs the committing part of an action; the tRPC layer passes one that adds idempotency. */
export type CommitWith = <T>(execute: () => T) => T;

const toUserOutput = (u: UserRow): UserOutput => ({
  user_id: u.user_id,
  username: u.username,
  role: u.role,
  created_at: iso(u.created_at),
});

export function accountService(deps: AccountDeps) {
  const { store, sessions, throttle } = deps;
  const byUsername = store.db.prepare<[string], UserRow>('SELECT * FROM users WHERE username = ?');
  const byId = store.db.prepare<[string], UserRow>('SELECT * FROM users WHERE user_id = ?');

  const toSignedIn = (u: UserRow): SignedInUser => ({
    user_id: u.user_id,
    username: u.username,
    role: u.role,
  });

  const inTransaction: CommitWith = (execute) => store.transaction(execute);

  async function createUser(
    input: RegisterInput,
    role: UserRole,
    meta: RequestMeta,
    actor: SignedInUser | null,
    commit: CommitWith = inTransaction,
  ): Promise<UserOutput> {
    // Hashing is slow and async, so it happens before the write transaction opens.
    const passwordHash = await hashPassword(input.password);
    const userId = `usr_${randomUUID().replaceAll('-', '')}`;
    return commit(() => {
      if (byUsername.get(input.username)) {
        throw new KeyledgerError('USERNAME_TAKEN', 'that username is taken', {
          issues: [{ path: 'username', message: 'that username is taken' }],
        });
      }
      const result = store.append(
        userStreamId(userId),
        'no_stream',
        [
          {
            type: 'user.registered',
            data: { user_id: userId, username: input.username, password_hash: passwordHash, role },
          },
        ],
        eventMetadata(meta, actor),
      );
      if (!result.ok) throw new KeyledgerError('CONCURRENT_MODIFICATION', 'the account changed; try again');
      return toUserOutput(byId.get(userId) as UserRow);
    });
  }

  return {
    /** Open sign-up; always the `user` role. Admins come from the CLI. */
    async register(
      input: RegisterInput,
      meta: RequestMeta,
      commit: CommitWith = inTransaction,
    ): Promise<UserOutput> {
      if (!deps.signUpOpen) throw new KeyledgerError('SIGN_UP_DISABLED', 'sign-up is closed on this server');
      const wait = throttle.takeSignUp(meta.ip, deps.signUpsPerHour);
      if (wait > 0) {
        const seconds = Math.ceil(wait / 1000);
        throw new KeyledgerError(
          'SIGN_IN_THROTTLED',
          `too many sign-ups from this address; try again in ${seconds} s`,
          {
            retry_after: seconds,
          },
        );
      }
      return createUser(input, 'user', meta, null, commit);
    },

    createUser,

    async signIn(
      input: TokenInput,
      meta: RequestMeta,
      commit: CommitWith = inTransaction,
    ): Promise<TokenOutput> {
      const wait = throttle.retryAfterMs(input.username, meta.ip);
      if (wait > 0) {
        const seconds = Math.ceil(wait / 1000);
        throw new KeyledgerError('SIGN_IN_THROTTLED', `too many failed sign-ins; try again in ${seconds} s`, {
          retry_after: seconds,
        });
      }
      const user = byUsername.get(input.username);
      // The decoy makes an unknown username cost what a wrong password costs.
      const ok = await verifyPassword(user?.password_hash ?? (await decoyPasswordHash()), input.password);
      if (!user || !ok) {
        throttle.recordFailure(input.username, meta.ip);
        // An unknown "username" is often a password typed into the wrong field: the append-only log
        // keeps only a keyed fingerprint of it, which still groups repeated attempts at one name.
        const username = user
          ? user.username
          : `unknown:${deps.fingerprint(input.username.toLowerCase()).slice(0, 32)}`;
        const stream = user ? userStreamId(user.user_id) : unknownUserStreamId(username);
        store.append(
          stream,
          'any',
          [
            {
              type: 'user.sign_in_failed',
              data: {
                user_id: user?.user_id ?? null,
                username,
                reason: user ? 'wrong_password' : 'unknown_user',
              },
            },
          ],
          eventMetadata(meta, null),
        );
        throw new KeyledgerError('INVALID_CREDENTIALS', 'invalid username or password');
      }
      throttle.recordSuccess(input.username);
      return commit((): TokenOutput => {
        store.append(
          userStreamId(user.user_id),
          'any',
          [{ type: 'user.signed_in', data: { user_id: user.user_id } }],
          eventMetadata(meta, toSignedIn(user)),
        );
        const session = sessions.issue(user.user_id, deps.sessionTtlSeconds);
        return { access_token: session.token, token_type: 'bearer', expires_in: deps.sessionTtlSeconds };
      });
    },

    signOut(token: string): void {
      sessions.revoke(token);
    },

    /** The user behind an access token, or null. */
    authenticate(token: string): SignedInUser | null {
      const userId = sessions.resolve(token);
      if (userId === null) return null;
      const user = byId.get(userId);
      return user ? toSignedIn(user) : null;
    },

    me(user: SignedInUser): UserOutput {
      const row = byId.get(user.user_id);
      if (!row) throw new KeyledgerError('UNAUTHENTICATED', 'sign in again');
      return toUserOutput(row);
    },

    setRole(username: string, role: UserRole, meta: RequestMeta, actor: SignedInUser | null): UserOutput {
      return store.transaction(() => {
        const user = byUsername.get(username);
        if (!user) throw new KeyledgerError('NOT_FOUND', `no user named ${username}`);
        if (user.role !== role) {
          store.append(
            userStreamId(user.user_id),
            'any',
            [{ type: 'user.role_changed', data: { user_id: user.user_id, role } }],
            eventMetadata(meta, actor),
          );
        }
        return toUserOutput(byId.get(user.user_id) as UserRow);
      });
    },

    findByUsername: (username: string) => byUsername.get(username) ?? null,
  };
}
export type AccountService = ReturnType<typeof accountService>;
