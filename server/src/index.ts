// @keyledger/server: the key service, its tRPC router and its HTTP process.
export { createApp } from './app.js';
export type { App, AppOptions } from './app.js';
export { configFromEnv, loadPepper } from './config.js';
export type { Config } from './config.js';
export { createServices } from './services.js';
export type { Services, ServiceOptions } from './services.js';
export { appRouter, createCaller } from './trpc/router.js';
export type { AppRouter, AppCaller } from './trpc/router.js';
export type { Context } from './trpc/context.js';
export { ERROR_CODES, KeyledgerError, httpStatusOf } from './errors.js';
export type { ErrorCode, ErrorDetails } from './errors.js';
export type { DashboardBridge } from './http/dashboard.js';
export type { SignedInUser, RequestMeta } from './request-meta.js';
export { restRoutes, mountedRoutes } from './http/rest/routes.js';
export type { RestRoute } from './http/rest/routes.js';
export { isWellFormedKey, generateKey } from './keys/key-format.js';
export { SCOPES, ENDPOINT_OPERATIONS } from './keys/scopes.js';
export { createLogger } from './logger.js';
