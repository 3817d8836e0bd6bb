import { mapBounded } from '../src/bounded';

describe('mapBounded', () => {
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

  test('results keep the items order, with at most 16 reads running at once', async () => {
    let running = 0;
    let most = 0;
    const items = Array.from({ length: 100 }, (_, i) => i);
    const results = await mapBounded(items, async (i) => {
      running++;
      most = Math.max(most, running);
      for (let t = 0; t < (i * 7) % 5; t++) await tick(); // finish out of order
      running--;
      return i * 2;
    });
    expect(results).toEqual(items.map((i) => i * 2));
    expect(most).toBeLessThanOrEqual(16);
    expect(most).toBeGreaterThanOrEqual(12); // 16 start at once; 4 of them finish before yielding
  });

  test('the first failure rejects, and no read starts after it', async () => {
    const started: number[] = [];
    const items = Array.from({ length: 100 }, (_, i) => i);
    const outcome = mapBounded(items, async (i) => {
      started.push(i);
      await tick();
      if (i === 3) throw new Error('read 3 failed');
      await tick();
      return i;
    });
    await expect(outcome).rejects.toThrow('read 3 failed');
    for (let t = 0; t < 10; t++) await tick();
    expect(started.length).toBeLessThanOrEqual(32);
  });

  test('no items, no reads', async () => {
    expect(await mapBounded([], async () => 1)).toEqual([]);
  });
});
