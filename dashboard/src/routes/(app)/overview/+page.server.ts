import { throwForLoad } from '$lib/server/caller-error';
import { requireCaller } from '$lib/server/session';
import type { PageServerLoad } from './$types';

const OVERVIEW_PERIODS = [7, 30, 90] as const;

export const load: PageServerLoad = async ({ locals, url }) => {
  const caller = requireCaller(locals, url);
  const asked = Number(url.searchParams.get('days'));
  const days = (OVERVIEW_PERIODS as readonly number[]).includes(asked) ? asked : 30;
  try {
    return { overview: await caller.usage.overview({ days }), days };
  } catch (thrown) {
    throwForLoad(thrown, url);
  }
};
