// Tests wait for a condition, not a time (issue 21): a loaded machine only makes them slower.

/** Polls `condition` until it is true; fails after `limitMs` (a bound on a hang, not a timing). */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  limitMs = 20_000,
  what = 'the condition did not come true',
): Promise<void> {
  const until = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(what);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
