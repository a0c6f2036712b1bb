import type { IncomingMessage } from 'node:http';
import type { AppCaller, DashboardBridge, SignedInUser } from '@keyledger/server';

export type { DashboardBridge };
export type DashboardCaller = AppCaller;
export type SessionUser = SignedInUser;

/** The server hangs the bridge on the node request before handing it to the SvelteKit handler. */
export function bridgeOf(req: IncomingMessage | undefined): DashboardBridge | null {
  return (req as (IncomingMessage & { keyledger?: DashboardBridge }) | undefined)?.keyledger ?? null;
}
