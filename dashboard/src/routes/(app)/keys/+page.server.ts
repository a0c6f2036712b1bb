import { KEYS_PAGE_SIZE, readCursor, readStatus } from '$lib/list-params';
import { throwForLoad } from '$lib/server/caller-error';
import { regenerateKeyAction, revokeKeyAction } from '$lib/server/key-actions';
import { requireCaller } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, url }) => {
  const caller = requireCaller(locals, url);
  const status = readStatus(url);
  const cursor = readCursor(url);
  try {
    const page = await caller.keys.list({
      ...(status ? { status } : {}),
      ...(cursor ? { cursor } : {}),
      limit: KEYS_PAGE_SIZE,
    });
    return {
      keys: page.keys,
      total: page.total,
      nextCursor: page.next_cursor,
      status,
      cursor: cursor ?? null,
    };
  } catch (thrown) {
    throwForLoad(thrown, url);
  }
};

export const actions: Actions = {
  revoke: revokeKeyAction,
  regenerate: regenerateKeyAction,
};
