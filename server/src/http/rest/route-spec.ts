import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { KeyScope } from '../../api/schemas/index.js';
import type { ErrorCode } from '../../errors.js';
import type { Services } from '../../services.js';
import type { Context } from '../../trpc/context.js';
import type { AppCaller } from '../../trpc/router.js';
import type { KnowledgeBase } from '../knowledge/knowledge-base.js';
import type { RateDecision } from '../../verify/rate-limiter.js';
import type { BodyKind } from './read-body.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export type RouteTag =
  'Authentication' | 'API keys' | 'Verification' | 'Knowledge API' | 'Service' | 'Documentation';

export interface RestInput {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
}

/**
 * What a route is, as a client sees it: where it lives, the schemas that describe it, its errors. The
 * router and the OpenAPI document both read this, so what is mounted and what is documented are one list.
 */
export interface RouteSpec {
  method: HttpMethod;
  /** OpenAPI-style template, e.g. `/api-keys/{key_id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: RouteTag;
  /** `bearer`: a user's access token; `api_key`: a Keyledger key; `none`: public. */
  auth: 'bearer' | 'api_key' | 'none';
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  bodyKind?: BodyKind;
  status: number;
  response: z.ZodType;
  /** Media types of the success answer; JSON unless said otherwise. */
  mediaTypes?: string[];
  /** Errors this route can answer besides those every route of its kind shares (see openapi/errors.ts). */
  errors: ErrorCode[];
  /** Answers carry the rate-limit headers of the key they were made with. */
  rateLimitHeaders?: boolean;
  /** Mounted only while the demo knowledge API is switched on. */
  demo?: boolean;
  examples?: { body?: unknown; response?: unknown };
}

/** A management route: calls the tRPC procedure the SDK and the dashboard call, through `createCaller`. */
export interface ProcedureRoute extends RouteSpec {
  auth: 'bearer' | 'none';
  call(caller: AppCaller, input: RestInput): Promise<unknown>;
  /**
   * The answer `call` gives, computed without the tRPC caller: for a route on the verification hot path,
   * where the caller's middleware and output re-validation cost more than the work itself. It must
   * behave exactly as `call` does (same input schema, errors, headers and body).
   */
  direct?(ctx: Context, input: RestInput): unknown;
}

/** The key a knowledge API call was made with, as verification found it. */
export interface VerifiedKey {
  key_id: string;
  user_id: string;
  scope: KeyScope;
  rate: RateDecision | null;
}

/**
 * A route of the demo knowledge API, protected by an API key: the router verifies the key for
 * `endpoint` (scope, expiry, rate limit, usage) before `serve` runs.
 */
export interface KnowledgeRoute extends RouteSpec {
  auth: 'api_key';
  demo: true;
  /** The endpoint the key is verified for; its operation is in ENDPOINT_OPERATIONS. */
  endpoint: string;
  body?: z.ZodObject;
  serve(kb: KnowledgeBase, input: RestInput, key: VerifiedKey): unknown;
}

export interface ServiceEnv {
  services: Services;
  /** The OpenAPI document of the routes this server mounts, serialised once. */
  openApiJson(): string;
}

/** A route the HTTP layer answers itself: health, the OpenAPI document, the API reference. */
export interface ServiceRoute extends RouteSpec {
  auth: 'none';
  respond(req: IncomingMessage, res: ServerResponse, params: Record<string, string>, env: ServiceEnv): void;
}

export type RestRoute = ProcedureRoute | KnowledgeRoute | ServiceRoute;
