/**
 * The one bounded-concurrency helper: `run` of every item, at most `limit` at once, results yielded
 * in the items' order. Memory stays bounded by `limit` whatever the number of items. After a failure
 * no new run starts, and the failure is thrown when its turn comes; runs still in flight then settle
 * unobserved.
 */
export async function* boundedInOrder<T, R>(items: readonly T[], run: (item: T) => Promise<R>, limit = 16): AsyncGenerator<R> {
  const ahead: Array<Promise<R>> = [];
  let next = 0;
  let failed = false;
  const fill = (): void => {
    while (!failed && next < items.length && ahead.length < limit) {
      const pending = run(items[next++]!);
      // a failure surfaces when its turn comes; until then it must not count as unhandled
      pending.catch(() => { failed = true; });
      ahead.push(pending);
    }
  };
  fill();
  while (ahead.length > 0) {
    const result = await ahead.shift()!;
    fill();
    yield result;
  }
}

/** `boundedInOrder` collected into an array. */
export async function mapBounded<T, R>(items: readonly T[], run: (item: T) => Promise<R>, limit = 16): Promise<R[]> {
  const results: R[] = [];
  for await (const result of boundedInOrder(items, run, limit)) results.push(result);
  return results;
}
