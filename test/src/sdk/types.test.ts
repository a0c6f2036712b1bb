import { describe, expectTypeOf, it } from 'vitest';
import {
  createKeyledger,
  type ApiKeyCheck,
  type AuditEntry,
  type CallOptions,
  type KeyledgerInputs,
  type KeyledgerOutputs,
  type KeyObject,
  type KeyScope,
  type KeyUsage,
  type KeyWithSecret,
  type UsageOverview,
  type VerifiedApiKey,
  type VerifyKeyResult,
} from '@keyledger/sdk';
import type {
  AuditEntry as ServerAuditEntry,
  GenerateKeyInput,
  KeyObject as ServerKeyObject,
  KeyScope as ServerKeyScope,
  KeyUsageOutput,
  KeyWithSecret as ServerKeyWithSecret,
  ListKeysOutput,
  OverviewOutput,
  RegisterInput,
  TokenInput,
  TokenOutput,
  UserOutput,
  VerifyKeyOutput,
} from '@keyledger/server/schemas';

// These assertions run in `tsc -p test` (npm run typecheck), against the SDK's built declarations: the
// types a user of the published package sees must be the server's zod types, exactly.
const client = createKeyledger({ baseUrl: 'http://127.0.0.1:1' });

describe('inferred inputs and outputs', () => {
  it('matches the server’s zod schemas for key management', () => {
    expectTypeOf(client.keys.generate).parameter(0).toEqualTypeOf<GenerateKeyInput>();
    expectTypeOf(client.keys.generate).returns.resolves.toEqualTypeOf<ServerKeyWithSecret>();
    expectTypeOf(client.keys.regenerate).returns.resolves.toEqualTypeOf<ServerKeyWithSecret>();
    expectTypeOf(client.keys.get).returns.resolves.toEqualTypeOf<ServerKeyObject>();
    expectTypeOf(client.keys.update).returns.resolves.toEqualTypeOf<ServerKeyObject>();
    expectTypeOf(client.keys.revoke).returns.resolves.toEqualTypeOf<ServerKeyObject>();
    expectTypeOf(client.keys.list).returns.resolves.toEqualTypeOf<ListKeysOutput>();
    expectTypeOf<KeyObject>().toEqualTypeOf<ServerKeyObject>();
    expectTypeOf<KeyWithSecret>().toEqualTypeOf<ServerKeyWithSecret>();
    expectTypeOf<KeyScope>().toEqualTypeOf<ServerKeyScope>();
  });

  it('matches them for accounts, usage, audit and verification', () => {
    expectTypeOf(client.auth.register).parameter(0).toEqualTypeOf<RegisterInput>();
    expectTypeOf(client.auth.register).returns.resolves.toEqualTypeOf<UserOutput>();
    expectTypeOf(client.auth.signIn).parameter(0).toEqualTypeOf<TokenInput>();
    expectTypeOf(client.auth.signIn).returns.resolves.toEqualTypeOf<TokenOutput>();
    expectTypeOf(client.auth.me).returns.resolves.toEqualTypeOf<UserOutput>();
    expectTypeOf(client.usage.key).returns.resolves.toEqualTypeOf<KeyUsageOutput>();
    expectTypeOf<KeyUsage>().toEqualTypeOf<KeyUsageOutput>();
    expectTypeOf(client.usage.overview).returns.resolves.toEqualTypeOf<OverviewOutput>();
    expectTypeOf<UsageOverview>().toEqualTypeOf<OverviewOutput>();
    expectTypeOf<AuditEntry>().toEqualTypeOf<ServerAuditEntry>();
    expectTypeOf(client.verify.key).returns.resolves.toEqualTypeOf<VerifyKeyOutput>();
    expectTypeOf<VerifyKeyResult>().toEqualTypeOf<VerifyKeyOutput>();
  });

  it('takes no input where a procedure has none, and makes all-optional inputs optional', () => {
    expectTypeOf(client.auth.me).parameters.toEqualTypeOf<[options?: CallOptions]>();
    expectTypeOf(client.auth.signOut).parameters.toEqualTypeOf<[options?: CallOptions]>();
    expectTypeOf(client.keys.scopes).parameters.toEqualTypeOf<[options?: CallOptions]>();
    expectTypeOf(client.keys.list).parameters.toEqualTypeOf<
      [input?: KeyledgerInputs['keys']['list'], options?: CallOptions]
    >();
    expectTypeOf(client.usage.overview)
      .parameter(0)
      .toEqualTypeOf<KeyledgerInputs['usage']['overview'] | undefined>();
  });

  it('narrows outputs to their literal unions', () => {
    expectTypeOf<KeyledgerOutputs['keys']['get']['status']>().toEqualTypeOf<
      'active' | 'expired' | 'revoked'
    >();
    expectTypeOf<KeyledgerOutputs['verify']['key']['code']>().toEqualTypeOf<
      'VALID' | 'MALFORMED' | 'NOT_FOUND' | 'REVOKED' | 'EXPIRED' | 'RATE_LIMITED' | 'INSUFFICIENT_SCOPE'
    >();
    expectTypeOf<KeyledgerOutputs['auth']['signIn']['token_type']>().toEqualTypeOf<'bearer'>();
  });

  it('rejects inputs the server would reject', () => {
    // @ts-expect-error name is required
    expectTypeOf(client.keys.generate).toBeCallableWith({ scope: 'read_only' });
    // @ts-expect-error not a scope
    expectTypeOf(client.keys.generate).toBeCallableWith({ name: 'x', scope: 'root' });
    // @ts-expect-error rate_limit is a number
    expectTypeOf(client.keys.generate).toBeCallableWith({ name: 'x', rate_limit: '100' });
    // @ts-expect-error key_id is required
    expectTypeOf(client.keys.get).toBeCallableWith({});
    expectTypeOf(client.keys.generate).toBeCallableWith({ name: 'x' });
    expectTypeOf(client.keys.list).toBeCallableWith();
  });

  it('types the middleware’s verdicts', () => {
    expectTypeOf<Extract<ApiKeyCheck, { ok: true }>['key']>().toEqualTypeOf<VerifiedApiKey>();
    expectTypeOf<Extract<ApiKeyCheck, { ok: false }>['status']>().toEqualTypeOf<401 | 403 | 429 | 503>();
    expectTypeOf<VerifiedApiKey['scope']>().toEqualTypeOf<ServerKeyScope>();
  });
});
