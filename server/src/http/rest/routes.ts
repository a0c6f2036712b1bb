import { z } from 'zod';
import {
  generateKeyInput,
  keyEventsOutput,
  keyObject,
  keyStatusSchema,
  keyUsageOutput,
  keyWithSecret,
  listKeysOutput,
  logoutOutput,
  MAX_GRACE_PERIOD_SECONDS,
  registerInput,
  scopesOutput,
  tokenInput,
  tokenOutput,
  userOutput,
  verifyKeyInput,
  verifyKeyOutput,
  keyNameSchema,
  keyDescriptionSchema,
} from '../../api/schemas/index.js';
import type { Config } from '../../config.js';
import type { ErrorCode } from '../../errors.js';
import { knowledgeRoutes } from '../knowledge/routes.js';
import { serviceRoutes } from '../service-routes.js';
import {
  credentialsExample,
  eventsExample,
  generateExample,
  keyExample,
  keyWithSecretExample,
  regenerateExample,
  revokeExample,
  scopesExample,
  tokenExample,
  updateExample,
  usageExample,
  userExample,
  verificationExample,
  verifyExample,
} from './examples.js';
import type { ProcedureRoute, RestRoute } from './route-spec.js';
import { verifyKeyRoute } from './verify-api-key.js';

export type { RestRoute } from './route-spec.js';

const keyIdParams = z.object({ key_id: z.string().min(1).max(64).describe('the key id, e.g. key_3f…') });
const AUTHED: ErrorCode[] = ['UNAUTHENTICATED', 'VALIDATION_FAILED'];
const ON_KEY: ErrorCode[] = [...AUTHED, 'KEY_NOT_FOUND'];

export const updateKeyBody = z
  .strictObject({ name: keyNameSchema.optional(), description: keyDescriptionSchema.nullable().optional() })
  .refine((v) => v.name !== undefined || v.description !== undefined, {
    message: 'name or description is required',
  })
  .describe('at least one of name and description');
export const revokeKeyBody = z.strictObject({ reason: z.string().max(500).optional() });
export const regenerateKeyBody = z.strictObject({
  grace_period_seconds: z
    .number()
    .int()
    .min(0)
    .max(MAX_GRACE_PERIOD_SECONDS)
    .optional()
    .describe('how long the previous secret keeps working; 0 (the default) stops it at once'),
});

/** Query strings are text: numbers and flags are read from it, then checked by the procedure's schema. */
const intParam = z.coerce.number().int();
export const listKeysQuery = z.strictObject({
  status: keyStatusSchema.optional(),
  user_id: z.string().max(64).optional(),
  all_users: z.enum(['true', 'false']).optional(),
  limit: intParam.min(1).max(200).optional(),
  cursor: z.string().max(200).optional(),
});
export const getKeyQuery = z.strictObject({
  as_of: z.iso.datetime({ offset: true }).optional().describe('show the key as it was at this time'),
});
export const usageQuery = z.strictObject({ days: intParam.min(1).max(365).optional() });

/** The management API on the brief's paths: each route calls one tRPC procedure. */
export const managementRoutes: ProcedureRoute[] = [
  {
    method: 'POST',
    path: '/auth/register',
    operationId: 'register',
    summary: 'Create an account',
    tag: 'Authentication',
    auth: 'none',
    body: registerInput,
    status: 201,
    response: userOutput,
    errors: ['VALIDATION_FAILED', 'USERNAME_TAKEN', 'SIGN_UP_DISABLED'],
    examples: { body: credentialsExample, response: userExample },
    call: (c, { body }) => c.auth.register(body as z.input<typeof registerInput>),
  },
  {
    method: 'POST',
    path: '/auth/token',
    operationId: 'signIn',
    summary: 'Sign in for an access token (JSON, or the OAuth2 password grant form)',
    tag: 'Authentication',
    auth: 'none',
    body: tokenInput,
    bodyKind: 'json-or-form',
    status: 200,
    response: tokenOutput,
    errors: ['VALIDATION_FAILED', 'INVALID_CREDENTIALS', 'SIGN_IN_THROTTLED'],
    examples: { body: credentialsExample, response: tokenExample },
    call: (c, { body }) => c.auth.signIn(body as z.input<typeof tokenInput>),
  },
  {
    method: 'POST',
    path: '/auth/logout',
    operationId: 'signOut',
    summary: 'Revoke the access token this request carries',
    tag: 'Authentication',
    auth: 'bearer',
    status: 200,
    response: logoutOutput,
    errors: ['UNAUTHENTICATED'],
    examples: { response: { signed_out: true } },
    call: (c) => c.auth.signOut(),
  },
  {
    method: 'GET',
    path: '/auth/me',
    operationId: 'me',
    summary: 'The signed-in user',
    tag: 'Authentication',
    auth: 'bearer',
    status: 200,
    response: userOutput,
    errors: ['UNAUTHENTICATED'],
    examples: { response: userExample },
    call: (c) => c.auth.me(),
  },
  {
    method: 'GET',
    path: '/api-keys/list',
    operationId: 'listKeys',
    summary: 'List your keys (admins: any user’s, or all)',
    tag: 'API keys',
    auth: 'bearer',
    query: listKeysQuery,
    status: 200,
    response: listKeysOutput,
    errors: [...AUTHED, 'FORBIDDEN'],
    examples: { response: { keys: [keyExample], next_cursor: null, total: 1 } },
    call: (c, { query }) => {
      const q = query as z.output<typeof listKeysQuery>;
      return c.keys.list({ ...q, all_users: q.all_users === undefined ? undefined : q.all_users === 'true' });
    },
  },
  {
    method: 'POST',
    path: '/api-keys/generate',
    operationId: 'generateKey',
    summary: 'Generate a key; the plaintext `key` is in this answer only',
    tag: 'API keys',
    auth: 'bearer',
    body: generateKeyInput,
    status: 201,
    response: keyWithSecret,
    errors: [...AUTHED, 'FORBIDDEN', 'KEY_LIMIT_REACHED', 'IDEMPOTENCY_CONFLICT'],
    examples: { body: generateExample, response: keyWithSecretExample },
    call: (c, { body }) => c.keys.generate(body as z.input<typeof generateKeyInput>),
  },
  {
    method: 'GET',
    path: '/api-keys/scopes/available',
    operationId: 'listScopes',
    summary: 'The scopes a key can have and what each allows',
    tag: 'API keys',
    auth: 'none',
    status: 200,
    response: scopesOutput,
    errors: [],
    examples: { response: scopesExample },
    call: (c) => c.keys.scopes(),
  },
  {
    method: 'POST',
    path: '/api-keys/verify',
    operationId: 'verifyKey',
    summary: 'Verify a key: validity, scope, expiry and rate limit in one call',
    tag: 'Verification',
    auth: 'none',
    body: verifyKeyInput,
    status: 200,
    response: verifyKeyOutput,
    description:
      'The key in the body is the credential. When the key is found, the answer carries its rate-limit headers.',
    rateLimitHeaders: true,
    errors: ['VALIDATION_FAILED'],
    examples: { body: verifyExample, response: verificationExample },
    call: (c, { body }) => c.verify.key(body as z.input<typeof verifyKeyInput>),
    direct: (ctx, { body }) => verifyKeyRoute(ctx, body),
  },
  {
    method: 'GET',
    path: '/api-keys/{key_id}',
    operationId: 'getKey',
    summary: 'A key, now or as it was at `as_of`',
    tag: 'API keys',
    auth: 'bearer',
    params: keyIdParams,
    query: getKeyQuery,
    status: 200,
    response: keyObject,
    errors: ON_KEY,
    examples: { response: keyExample },
    call: (c, { params, query }) => c.keys.get({ key_id: params.key_id as string, ...query }),
  },
  {
    method: 'PUT',
    path: '/api-keys/{key_id}',
    operationId: 'updateKey',
    summary: 'Change a key’s name or description (nothing else can change)',
    tag: 'API keys',
    auth: 'bearer',
    params: keyIdParams,
    body: updateKeyBody,
    status: 200,
    response: keyObject,
    errors: [...ON_KEY, 'IDEMPOTENCY_CONFLICT'],
    examples: { body: updateExample, response: { ...keyExample, ...updateExample } },
    call: (c, { params, body }) => c.keys.update({ ...body, key_id: params.key_id as string }),
  },
  {
    method: 'DELETE',
    path: '/api-keys/{key_id}',
    operationId: 'revokeKey',
    summary: 'Revoke a key; it stops working at once. Revoking twice is harmless',
    tag: 'API keys',
    auth: 'bearer',
    params: keyIdParams,
    body: revokeKeyBody,
    status: 200,
    response: keyObject,
    errors: [...ON_KEY, 'IDEMPOTENCY_CONFLICT'],
    examples: {
      body: revokeExample,
      response: { ...keyExample, status: 'revoked', revoked_at: '2026-01-07T08:00:00.000Z' },
    },
    call: (c, { params, body }) => c.keys.revoke({ ...body, key_id: params.key_id as string }),
  },
  {
    method: 'POST',
    path: '/api-keys/{key_id}/regenerate',
    operationId: 'regenerateKey',
    summary: 'A new secret for the same key; the new plaintext `key` is in this answer only',
    tag: 'API keys',
    auth: 'bearer',
    params: keyIdParams,
    body: regenerateKeyBody,
    status: 200,
    response: keyWithSecret,
    errors: [...ON_KEY, 'KEY_REVOKED', 'IDEMPOTENCY_CONFLICT'],
    examples: {
      body: regenerateExample,
      response: { ...keyWithSecretExample, previous_key_expires_at: '2026-01-07T09:00:00.000Z' },
    },
    call: (c, { params, body }) => c.keys.regenerate({ ...body, key_id: params.key_id as string }),
  },
  {
    method: 'GET',
    path: '/api-keys/{key_id}/usage',
    operationId: 'keyUsage',
    summary: 'Usage of a key over the last `days` days (default 30)',
    tag: 'API keys',
    auth: 'bearer',
    params: keyIdParams,
    query: usageQuery,
    status: 200,
    response: keyUsageOutput,
    errors: ON_KEY,
    examples: { response: usageExample },
    call: (c, { params, query }) => c.usage.key({ key_id: params.key_id as string, ...query }),
  },
  {
    method: 'GET',
    path: '/api-keys/{key_id}/events',
    operationId: 'keyEvents',
    summary: 'A key’s audit trail from the event log',
    tag: 'API keys',
    auth: 'bearer',
    params: keyIdParams,
    status: 200,
    response: keyEventsOutput,
    errors: ON_KEY,
    examples: { response: eventsExample },
    call: (c, { params }) => c.audit.keyEvents({ key_id: params.key_id as string }),
  },
];

/** Every route, documented or mounted: management, the demo knowledge API, and the service routes. */
export const restRoutes: RestRoute[] = [...managementRoutes, ...knowledgeRoutes, ...serviceRoutes];

/** The routes a server with this configuration mounts, and so documents. */
export const mountedRoutes = (config: Pick<Config, 'demoApi'>): RestRoute[] =>
  restRoutes.filter((route) => config.demoApi || !route.demo);
