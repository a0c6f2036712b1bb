// Schemas shared by tRPC, REST, the OpenAPI document, the SDK and the dashboard. Nothing here may
// import server-only modules: the dashboard bundles this file for the browser.
export { KEY_SCOPES, keyScopeSchema, USER_ROLES, userRoleSchema } from '@keyledger/events/catalogue';
export type { KeyScope, UserRole } from '@keyledger/events/catalogue';
export {
  usernameSchema,
  passwordSchema,
  registerInput,
  userOutput,
  tokenInput,
  tokenOutput,
  logoutOutput,
} from './auth.js';
export type { RegisterInput, UserOutput, TokenInput, TokenOutput } from './auth.js';
export {
  KEY_STATUSES,
  keyStatusSchema,
  keyIdSchema,
  keyNameSchema,
  keyDescriptionSchema,
  expiresInDaysSchema,
  rateLimitSchema,
  MAX_GRACE_PERIOD_SECONDS,
  keyObject,
  generateKeyInput,
  keyWithSecret,
  listKeysInput,
  listKeysOutput,
  getKeyInput,
  updateKeyInput,
  revokeKeyInput,
  regenerateKeyInput,
  keyIdInput,
  scopeDescription,
  scopesOutput,
} from './keys.js';
export type { KeyStatus, KeyObject, GenerateKeyInput, KeyWithSecret, ListKeysOutput } from './keys.js';
export {
  usageDaysSchema,
  keyUsageInput,
  keyUsageOutput,
  overviewInput,
  ALERT_KINDS,
  usageAlert,
  overviewOutput,
} from './usage.js';
export type { KeyUsageOutput, OverviewOutput } from './usage.js';
export { keyEventsInput, auditEntry, keyEventsOutput } from './audit.js';
export type { AuditEntry } from './audit.js';
export { VERIFY_CODES, verifyCodeSchema, verifyKeyInput, rateLimitState, verifyKeyOutput } from './verify.js';
export type { VerifyCode, VerifyKeyInput, RateLimitState, VerifyKeyOutput } from './verify.js';
