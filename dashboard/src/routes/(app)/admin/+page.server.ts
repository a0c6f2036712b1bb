import { error } from '@sveltejs/kit';
import { readCursor, readStatus } from '$lib/list-params';
import { throwForLoad } from '$lib/server/caller-error';
import { requireCaller } from '$lib/server/session';
import type { PageServerLoad } from './$types';

const ADMIN_PAGE_SIZE = 100;

export const load: PageServerLoad = async ({ locals, url }) => {
  const caller = requireCaller(locals, url);
  // The server refuses non-admins too; this only gives them a clear page instead of a failed call.
  if (locals.user?.role !== 'admin')
    error(403, { message: 'Only administrators can see every user’s keys.' });
  const status = readStatus(url);
  const cursor = readCursor(url);
  const userId = (url.searchParams.get('user_id') ?? '').trim().slice(0, 64);
  try {
    const page = await caller.keys.list({
      ...(userId ? { user_id: userId } : { all_users: true }),
      ...(status ? { status } : {}),
      ...(cursor ? { cursor } : {}),
      limit: ADMIN_PAGE_SIZE,
    });
    return { keys: page.keys, nextCursor: page.next_cursor, status, cursor: cursor ?? null, userId };
  } catch (thrown) {
    throwForLoad(thrown, url);
  }
};
