import type { IncomingMessage } from 'node:http';
import type {
  AuditEntry,
  GenerateKeyInput,
  KeyObject,
  KeyScope,
  KeyStatus,
  KeyUsageOutput,
  KeyWithSecret,
  ListKeysOutput,
  OverviewOutput,
  TokenOutput,
  UserOutput,
} from '@keyledger/server/schemas';

// TODO(server): replace with `import type { DashboardBridge } from '@keyledger/server'` once the server
// exports it. Until then this mirrors the contract in the server brief, so the dashboard compiles on its own.
export interface SessionUser {
  user_id: string;
  username: string;
  role: 'user' | 'admin';
}

export interface DashboardCaller {
  auth: {
    register(input: { username: string; password: string }): Promise<UserOutput>;
    signIn(input: { username: string; password: string }): Promise<TokenOutput>;
    signOut(): Promise<{ signed_out: true }>;
    me(): Promise<UserOutput>;
  };
  keys: {
    list(input: {
      status?: KeyStatus;
      user_id?: string;
      all_users?: boolean;
      limit?: number;
      cursor?: string;
    }): Promise<ListKeysOutput>;
    generate(input: GenerateKeyInput): Promise<KeyWithSecret>;
    get(input: { key_id: string; as_of?: string }): Promise<KeyObject>;
    update(input: { key_id: string; name?: string; description?: string | null }): Promise<KeyObject>;
    revoke(input: { key_id: string; reason?: string }): Promise<KeyObject>;
    regenerate(input: { key_id: string; grace_period_seconds?: number }): Promise<KeyWithSecret>;
    scopes(): Promise<{
      scopes: { scope: KeyScope; description: string; operations: string[]; requires_admin: boolean }[];
    }>;
  };
  usage: {
    key(input: { key_id: string; days?: number }): Promise<KeyUsageOutput>;
    overview(input: { days?: number }): Promise<OverviewOutput>;
  };
  audit: {
    keyEvents(input: { key_id: string }): Promise<{ key_id: string; events: AuditEntry[] }>;
  };
}

export interface DashboardBridge {
  caller: DashboardCaller;
  user: SessionUser | null;
  sessionCookieName: 'keyledger_session';
  cookieSecure: boolean;
  signIn(input: { username: string; password: string }): Promise<TokenOutput>;
  callerForToken(token: string): DashboardCaller;
}

/** The server hangs the bridge on the node request before handing it to the SvelteKit handler. */
export function bridgeOf(req: IncomingMessage | undefined): DashboardBridge | null {
  return (req as (IncomingMessage & { keyledger?: DashboardBridge }) | undefined)?.keyledger ?? null;
}
