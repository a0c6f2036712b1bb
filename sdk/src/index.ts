// @keyledger/sdk: a typed client for Keyledger, and middleware that protects a service with API keys.
export { createKeyledger } from './client/create-keyledger.js';
export type { KeyledgerOptions } from './client/create-keyledger.js';
export type { KeyledgerClient, CallOptions, ResponseInfo } from './client/keyledger-client.js';
export type {
  KeyledgerInputs,
  KeyledgerOutputs,
  KeyObject,
  KeyWithSecret,
  KeyScope,
  KeyStatus,
  GenerateKeyInput,
  VerifyKeyResult,
  VerifyCode,
  KeyledgerUser,
  KeyUsage,
  UsageOverview,
  AuditEntry,
} from './client/api-types.js';
export type { KeyledgerApi } from './generated/api-types.js';
export {
  KeyledgerError,
  AuthenticationError,
  PermissionError,
  NotFoundError,
  ValidationError,
  ConflictError,
  RateLimitError,
  ConnectionError,
  TimeoutError,
  ServerError,
} from './errors/keyledger-error.js';
export type { KeyledgerErrorCode, KeyledgerErrorInit, ValidationIssue } from './errors/keyledger-error.js';
export { retryingFetch } from './transport/retrying-fetch.js';
export type { FetchLike, RetryingFetchOptions, RetryEvent } from './transport/retrying-fetch.js';
export { requireApiKey, apiKeyOf } from './middleware/require-api-key.js';
export type {
  RequireApiKeyOptions,
  ApiKeyGuard,
  ApiKeyCheck,
  NodeRequestLike,
  NodeResponseLike,
} from './middleware/require-api-key.js';
export type { VerifiedApiKey } from './middleware/api-key-verifier.js';
export { isWellFormedKey } from './middleware/key-format.js';
