/** Y-axis ticks from 0 with a 1-2-2.5-5 step, whole numbers only (requests are counted, not measured). */
export function niceTicks(max: number, target = 4): number[] {
  if (!(max > 0)) return [0, 1, 2, 3, 4];
  const raw = max / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalised = raw / magnitude;
  const factor =
    normalised <= 1 ? 1 : normalised <= 2 ? 2 : normalised <= 2.5 ? 2.5 : normalised <= 5 ? 5 : 10;
  const step = Math.max(1, factor * magnitude);
  const top = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(Math.round(v));
  return ticks;
}

/** Which of n bars get an x label: evenly spaced, always including the last (today). */
export function labelledIndices(n: number, maxLabels: number): Set<number> {
  const every = Math.max(1, Math.ceil(n / Math.max(1, maxLabels)));
  const picked = new Set<number>();
  for (let i = n - 1; i >= 0; i -= every) picked.add(i);
  return picked;
}

/** "1.2k" for axis labels. */
export function compactNumber(n: number): string {
  if (n >= 1_000_000) return `${trim(n / 1_000_000)}M`;
  if (n >= 1_000) return `${trim(n / 1_000)}k`;
  return String(n);
}

function trim(n: number): string {
  return n >= 10 ? String(Math.round(n)) : n.toFixed(1).replace(/\.0$/, '');
}
