import type { IncomingMessage } from 'node:http';
import type { DashboardBridge, SessionUser } from '$lib/server/bridge';

// See https://svelte.dev/docs/kit/types#app.d.ts
declare global {
  namespace App {
    interface Locals {
      bridge: DashboardBridge | null;
      user: SessionUser | null;
    }
    // adapter-node hands SvelteKit the node request; the server hangs the bridge on it.
    interface Platform {
      req: IncomingMessage;
    }
    interface Error {
      message: string;
      code?: string | undefined;
    }
  }
}

export {};
