import {
  createDocument,
  type oas31,
  type ZodOpenApiObject,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponsesObject,
} from 'zod-openapi';
import { z } from 'zod';
import {
  keyEventsOutput,
  keyObject,
  keyUsageOutput,
  keyWithSecret,
  listKeysOutput,
  scopesOutput,
  tokenOutput,
  userOutput,
  verifyKeyOutput,
} from '../../api/schemas/index.js';
import { httpStatusOf, type ErrorCode } from '../../errors.js';
import { SERVER_VERSION } from '../package-version.js';
import type { RestRoute, RouteTag } from '../rest/route-spec.js';
import { errorExample, errorResponseBody, routeErrors } from './error-responses.js';

const TAGS: { name: RouteTag; description: string }[] = [
  { name: 'Authentication', description: 'Accounts and access tokens.' },
  {
    name: 'API keys',
    description: 'Create, list, change, rotate and revoke your keys; their usage and audit trail.',
  },
  { name: 'Verification', description: 'Checking a key, for services that Keyledger protects.' },
  {
    name: 'Knowledge API',
    description:
      'The demo knowledge (RAG) API that Keyledger keys protect. It answers from the texts your keys ingested.',
  },
  { name: 'Service', description: 'Health of this process.' },
  { name: 'Documentation', description: 'This document and its interactive reference.' },
];

const DESCRIPTION = `Keyledger's REST API. The same operations are available over tRPC at \`/trpc\`.

**Authentication.** Management calls carry \`Authorization: Bearer <access_token>\` from \`POST /auth/token\`.
The knowledge API takes \`Authorization: Bearer <api_key>\`.

**Errors** all have one shape, \`{"error": {"code", "message", "details"?}}\`; branch on \`code\`.

**Idempotency.** Send \`Idempotency-Key\` on a POST, PUT or DELETE: a retry with the same key and body gets
the first answer and changes nothing; the same key with another body is \`409 IDEMPOTENCY_CONFLICT\`.

**Rate limits.** Answers to calls made with an API key carry \`RateLimit-Policy\` and \`RateLimit\`
(IETF draft 7) and \`X-RateLimit-Limit\`, \`X-RateLimit-Remaining\`, \`X-RateLimit-Reset\` (Unix seconds);
a \`429\` also carries \`Retry-After\`.`;

const requestIdHeader = z.string().meta({
  description: 'The request id: the one you sent in X-Request-Id, or one made for you. Quote it in reports.',
});
const retryAfterHeader = z.string().meta({ description: 'Seconds to wait before retrying.' });
const rateLimitHeaders = {
  'RateLimit-Policy': z.string().meta({ description: 'limit;w=window seconds', example: '1000;w=3600' }),
  RateLimit: z.string().meta({
    description: 'limit, remaining, and seconds until fully reset',
    example: 'limit=1000, remaining=998, reset=8',
  }),
  'X-RateLimit-Limit': z.string().meta({ example: '1000' }),
  'X-RateLimit-Remaining': z.string().meta({ example: '998' }),
  'X-RateLimit-Reset': z.string().meta({ description: 'Unix seconds', example: '1767225600' }),
};
const optional = (headers: Record<string, z.ZodType>) =>
  Object.fromEntries(Object.entries(headers).map(([name, schema]) => [name, schema.optional()]));
const wwwAuthenticateHeader = z.string().meta({ example: 'Bearer realm="keyledger"' });
const idempotencyKeyHeader = z
  .string()
  .min(1)
  .max(255)
  .optional()
  .meta({ description: 'Makes a retry safe: same key and body, same answer, nothing done twice.' });

/**
 * Answers shared by several routes become named components. They are named here, on copies, rather
 * than in the shared schemas, which the dashboard bundles for the browser.
 */
const COMPONENTS = new Map<z.ZodType, z.ZodType>(
  (
    [
      [keyObject, 'Key'],
      [keyWithSecret, 'KeyWithSecret'],
      [listKeysOutput, 'KeyList'],
      [keyUsageOutput, 'KeyUsage'],
      [keyEventsOutput, 'KeyEvents'],
      [scopesOutput, 'Scopes'],
      [userOutput, 'User'],
      [tokenOutput, 'Token'],
      [verifyKeyOutput, 'Verification'],
    ] as const
  ).map(([schema, id]) => [schema, schema.meta({ id })]),
);
const named = (schema: z.ZodType) => COMPONENTS.get(schema) ?? schema;

const SECURITY: Record<RestRoute['auth'], ZodOpenApiOperationObject['security']> = {
  bearer: [{ accessToken: [] }],
  api_key: [{ apiKey: [] }],
  none: [],
};

function errorResponses(route: RestRoute): ZodOpenApiResponsesObject {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of routeErrors(route, !('respond' in route))) {
    const status = httpStatusOf(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: ZodOpenApiResponsesObject = {};
  for (const [status, codes] of byStatus) {
    const headers: Record<string, z.ZodType> = { 'X-Request-Id': requestIdHeader };
    if (status === 429 || status === 503) headers['Retry-After'] = retryAfterHeader;
    if (status === 401) headers['WWW-Authenticate'] = wwwAuthenticateHeader;
    if (route.rateLimitHeaders && status === 429) Object.assign(headers, rateLimitHeaders);
    responses[`${status}` as `4${string}`] = {
      description: codes.join(', '),
      headers: z.object(headers),
      content: {
        'application/json': {
          schema: errorResponseBody,
          examples: Object.fromEntries(codes.map((code) => [code, { value: errorExample(code) }])),
        },
      },
    };
  }
  return responses;
}

function operation(route: RestRoute): ZodOpenApiOperationObject {
  const mutation = route.method !== 'GET';
  const header = mutation ? z.object({ 'Idempotency-Key': idempotencyKeyHeader }) : undefined;
  const successHeaders: Record<string, z.ZodType> = { 'X-Request-Id': requestIdHeader };
  if (route.rateLimitHeaders) {
    // The knowledge API answers only a key it verified; /api-keys/verify also answers for unknown keys.
    Object.assign(successHeaders, route.auth === 'api_key' ? rateLimitHeaders : optional(rateLimitHeaders));
  }
  const mediaTypes = route.mediaTypes ?? ['application/json'];
  const example = route.examples?.response;

  const op: ZodOpenApiOperationObject = {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    security: SECURITY[route.auth],
    requestParams: {
      ...(route.params ? { path: route.params } : {}),
      ...(route.query ? { query: route.query } : {}),
      ...(header ? { header } : {}),
    },
    responses: {
      [`${route.status}`]: {
        description: route.summary,
        headers: z.object(successHeaders),
        content: Object.fromEntries(
          mediaTypes.map((type) => [
            type,
            { schema: named(route.response), ...(example === undefined ? {} : { example }) },
          ]),
        ),
      },
      ...errorResponses(route),
    },
  };
  if (route.description) op.description = route.description;
  if (route.body) {
    const body = route.examples?.body;
    const json = { schema: route.body, ...(body === undefined ? {} : { example: body }) };
    op.requestBody = {
      // A body whose every field is optional may be left out.
      required: !route.body.safeParse({}).success,
      content:
        route.bodyKind === 'json-or-form'
          ? { 'application/json': json, 'application/x-www-form-urlencoded': json }
          : { 'application/json': json },
    };
  }
  return op;
}

/** The OpenAPI 3.1 document of these routes, made from the same zod schemas the routes check with. */
export function openApiDocument(routes: readonly RestRoute[]): oas31.OpenAPIObject {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'] = operation(route);
  }
  const used = new Set(routes.map((r) => r.tag));
  const document: ZodOpenApiObject = {
    openapi: '3.1.0',
    info: {
      title: 'Keyledger API',
      version: SERVER_VERSION,
      description: DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'this server' }],
    tags: TAGS.filter((t) => used.has(t.name)),
    paths,
    components: {
      securitySchemes: {
        accessToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'An access token from POST /auth/token.',
        },
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'Keyledger API key (rag_…)',
          description: 'A Keyledger API key, sent as a bearer token.',
        },
      },
    },
  };
  return createDocument(document);
}
