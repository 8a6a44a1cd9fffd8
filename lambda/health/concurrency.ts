/**
 * How many secrets an audit (and `factify-rotation status` with several) inspects at once. An inspection makes
 * three to five Secrets Manager reads one after another (DescribeSecret, ListSecretVersionIds, GetSecretValue of
 * each staged version): at this concurrency, far below Secrets Manager's read quotas, and as fast as more on a
 * loaded machine (each call costs CPU); Factify is asked once per organization (key-listings.ts).
 */
export const INSPECTION_CONCURRENCY = 4;

/** Maps `items` through `task`, at most `limit` at a time, keeping their order. */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) {
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
