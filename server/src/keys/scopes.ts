import { KEY_SCOPES, type KeyScope } from '@keyledger/events/catalogue';

/** What a key may do on the protected API. */
export const OPERATIONS = ['system:read', 'kb:query', 'kb:ingest', 'admin'] as const;
export type Operation = (typeof OPERATIONS)[number];

interface ScopeDefinition {
  description: string;
  operations: readonly Operation[];
  requiresAdmin: boolean;
}

/** The one table of what each scope allows. Anything not listed is denied. */
export const SCOPES: Record<KeyScope, ScopeDefinition> = {
  read_only: {
    description: 'System information and health endpoints only.',
    operations: ['system:read'],
    requiresAdmin: false,
  },
  query_only: {
    description: 'Knowledge base queries and search.',
    operations: ['system:read', 'kb:query'],
    requiresAdmin: false,
  },
  ingest_only: {
    description: 'Document upload and data ingestion.',
    operations: ['system:read', 'kb:ingest'],
    requiresAdmin: false,
  },
  full_access: {
    description: 'Queries and ingestion.',
    operations: ['system:read', 'kb:query', 'kb:ingest'],
    requiresAdmin: false,
  },
  admin: {
    description: 'Every operation. Only administrators can create admin keys.',
    operations: ['system:read', 'kb:query', 'kb:ingest', 'admin'],
    requiresAdmin: true,
  },
};

/** The operation each protected endpoint needs; verify checks it when it is told the endpoint. */
export const ENDPOINT_OPERATIONS: Readonly<Record<string, Operation>> = {
  '/system/info': 'system:read',
  '/query': 'kb:query',
  '/ingest': 'kb:ingest',
};

export const allows = (scope: KeyScope, operation: Operation): boolean =>
  SCOPES[scope].operations.includes(operation);

/** A key satisfies a required scope when it allows every operation that scope allows. */
export const satisfiesScope = (scope: KeyScope, required: KeyScope): boolean =>
  SCOPES[required].operations.every((op) => allows(scope, op));

export const scopeCatalogue = () =>
  KEY_SCOPES.map((scope) => ({
    scope,
    description: SCOPES[scope].description,
    operations: [...SCOPES[scope].operations],
    requires_admin: SCOPES[scope].requiresAdmin,
  }));
