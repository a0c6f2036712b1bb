import { fail, redirect, type RequestEvent } from '@sveltejs/kit';
import type { KeyObject, KeyWithSecret } from '@keyledger/server/schemas';
import { formString } from '$lib/forms/fields';
import { readGracePeriod, readRevokeReason } from '$lib/forms/key-settings';
import { readCallerError, signInUrl } from './caller-error.js';
import { requireCaller } from './session.js';

// Revoke and regenerate are offered on the key list, on the key page and on their no-JavaScript
// confirmation pages; one implementation serves them all.

type KeyActionEvent = Pick<RequestEvent, 'request' | 'locals' | 'url' | 'params'>;

export interface KeyActionFailure {
  action: 'revoke' | 'regenerate';
  keyId: string;
  message: string;
}

function keyIdOf(event: KeyActionEvent, form: FormData): string {
  const fromRoute = (event.params as Record<string, string | undefined>).key_id;
  return fromRoute ?? formString(form, 'key_id');
}

function failure(action: KeyActionFailure['action'], keyId: string, thrown: unknown, url: URL) {
  const error = readCallerError(thrown);
  if (error.status === 401) redirect(303, signInUrl(url));
  return fail(error.status, {
    action,
    keyId,
    message: error.status === 404 ? 'This key no longer exists, or it is not yours.' : error.message,
  } satisfies KeyActionFailure);
}

export async function revokeKeyAction(event: KeyActionEvent) {
  const caller = requireCaller(event.locals, event.url);
  const form = await event.request.formData();
  const keyId = keyIdOf(event, form);
  try {
    const key: KeyObject = await caller.keys.revoke({ key_id: keyId, reason: readRevokeReason(form) });
    return { action: 'revoke' as const, revoked: key };
  } catch (thrown) {
    return failure('revoke', keyId, thrown, event.url);
  }
}

export async function regenerateKeyAction(event: KeyActionEvent) {
  const caller = requireCaller(event.locals, event.url);
  const form = await event.request.formData();
  const keyId = keyIdOf(event, form);
  const grace = readGracePeriod(form);
  if (grace === null) {
    return fail(400, {
      action: 'regenerate' as const,
      keyId,
      message: 'Choose when the current secret should stop working.',
    } satisfies KeyActionFailure);
  }
  try {
    const regenerated: KeyWithSecret = await caller.keys.regenerate({
      key_id: keyId,
      grace_period_seconds: grace,
    });
    return { action: 'regenerate' as const, regenerated };
  } catch (thrown) {
    return failure('regenerate', keyId, thrown, event.url);
  }
}
