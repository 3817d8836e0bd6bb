import type { CheckerConfig, RealServer } from '../src/config/model';
import type { CheckerHealth, HealthState } from '../src/check/health';
import { createHealthMonitorFactory, type AttemptFactory } from '../src/check/monitor';
import type { AttemptOutcome } from '../src/check/attempt';
import { FakeClock, httpGet, misc, realServer, tcp, url, virtualServer } from './check-support';

interface Step {
  ok: boolean;
  weight?: number;
  /** How long the attempt takes (fake time). */
  takes?: number;
  throws?: boolean;
}

/** Scripted attempts: each checker answers from its list (the last entry repeats). */
function harness(server: RealServer, plans: Step[][], opts: { random?: number; bootstrap?: number } = {}) {
  const clock = new FakeClock();
  const calls: { checker: number; at: number }[] = [];
  const running = new Set<number>();
  let maxConcurrent = 0;
  const counts = plans.map(() => 0);
  const factory: AttemptFactory = (checker: CheckerConfig, rs) => {
    const index = rs.checkers.indexOf(checker);
    return (signal) => {
      const plan = plans[index]!;
      const step = plan[Math.min(counts[index]!++, plan.length - 1)]!;
      calls.push({ checker: index, at: clock.now() });
      running.add(index);
      maxConcurrent = Math.max(maxConcurrent, running.size);
      if (step.throws) {
        running.delete(index);
        return Promise.reject(new Error('boom'));
      }
      const outcome: AttemptOutcome = { ok: step.ok, detail: step.ok ? 'fine' : 'bad', ...(step.weight !== undefined ? { weight: step.weight } : {}) };
      return new Promise((resolve) => {
        const done = (o: AttemptOutcome) => {
          running.delete(index);
          resolve(o);
        };
        if (!step.takes) return done(outcome);
        const handle = clock.setTimeout(() => done(outcome), step.takes);
        signal.addEventListener('abort', () => {
          clock.clearTimeout(handle);
          done({ ok: false, detail: 'stopped' });
        });
      });
    };
  };
  const monitor = createHealthMonitorFactory({
    clock,
    random: () => opts.random ?? 0,
    bootstrapDelayMs: opts.bootstrap ?? 1000,
    attemptFactory: factory,
  })(server, virtualServer());
  const changes: { at: number; state: HealthState }[] = [];
  const results: { at: number; health: CheckerHealth }[] = [];
  monitor.on('change', (state: HealthState) => changes.push({ at: clock.now(), state }));
  monitor.on('result', (health: CheckerHealth) => results.push({ at: clock.now(), health }));
  return { clock, calls, monitor, changes, results, maxConcurrent: () => maxConcurrent, running };
}

const ok: Step = { ok: true };
const fail: Step = { ok: false };

describe('monitor: retry counting', () => {
  test('after a success, down only after retry + 1 failures delay_before_retry apart; up after one success', async () => {
    const h = harness(realServer([tcp({ retry: 2, delayLoopMs: 5000, delayBeforeRetryMs: 1000 })]), [[ok, fail, fail, fail, ok]]);
    h.monitor.start();
    await h.clock.advance(1000); // bootstrap delay
    expect(h.calls.map((c) => c.at)).toEqual([1000]);
    expect(h.monitor.state.up).toBe(true);
    await h.clock.advance(5000 + 1000 + 1000);
    expect(h.calls.map((c) => c.at)).toEqual([1000, 6000, 7000, 8000]);
    expect(h.changes).toEqual([{ at: 8000, state: expect.objectContaining({ up: false }) }]);
    expect(h.monitor.state.checkers[0]).toMatchObject({ up: false, failuresInRow: 3, last: { ok: false, detail: 'bad' } });
    // the two failures before did not change anything
    expect(h.results.map((r) => [r.at, r.health.up, r.health.failuresInRow])).toEqual([
      [1000, true, 0],
      [6000, true, 1],
      [7000, true, 2],
      [8000, false, 3],
    ]);
    await h.clock.advance(5000); // a final failure waits delay_loop
    expect(h.calls.at(-1)!.at).toBe(13000);
    expect(h.changes.at(-1)).toEqual({ at: 13000, state: expect.objectContaining({ up: true }) });
    expect(h.monitor.state.checkers[0]!.failuresInRow).toBe(0);
    await h.monitor.stop();
  });

  test('a success in between resets the count', async () => {
    const h = harness(realServer([tcp({ retry: 1, delayLoopMs: 3000, delayBeforeRetryMs: 500 })]), [[ok, fail, ok, fail, fail]]);
    h.monitor.start();
    await h.clock.advance(1000 + 3000 + 500 + 3000 + 500);
    expect(h.calls.map((c) => c.at)).toEqual([1000, 4000, 4500, 7500, 8000]);
    expect(h.changes.map((c) => [c.at, c.state.up])).toEqual([[8000, false]]);
    await h.monitor.stop();
  });

  test('the very first attempt failing puts the checker down at once (keepalived starts with retries used up)', async () => {
    const h = harness(realServer([tcp({ retry: 3 })]), [[fail]]);
    expect(h.monitor.state.up).toBe(true);
    h.monitor.start();
    await h.clock.advance(1000);
    expect(h.changes.map((c) => [c.at, c.state.up])).toEqual([[1000, false]]);
  });

  test('retry 0: one failure is enough', async () => {
    const h = harness(realServer([tcp({ retry: 0, delayLoopMs: 2000 })]), [[ok, fail]]);
    h.monitor.start();
    await h.clock.advance(3000);
    expect(h.changes.map((c) => [c.at, c.state.up])).toEqual([[3000, false]]);
  });

  test('while down: TCP_CHECK keeps its retry cycle, HTTP_GET waits max(delay_loop, delay_before_retry), MISC_CHECK delay_loop', async () => {
    const timing = { retry: 1, delayLoopMs: 3000, delayBeforeRetryMs: 1000 };
    const t = harness(realServer([tcp(timing)]), [[fail]]);
    const w = harness(realServer([httpGet([url('/')], { ...timing, delayBeforeRetryMs: 4000 })]), [[fail]]);
    const m = harness(realServer([misc('/bin/true', timing)]), [[fail]]);
    for (const h of [t, w, m]) {
      h.monitor.start();
      await h.clock.advance(12000);
    }
    expect(t.calls.map((c) => c.at)).toEqual([1000, 4000, 5000, 8000, 9000, 12000]);
    expect(w.calls.map((c) => c.at)).toEqual([1000, 5000, 9000]);
    expect(m.calls.map((c) => c.at)).toEqual([1000, 4000, 7000, 10000]);
    for (const h of [t, w, m]) expect(h.changes.map((c) => c.state.up)).toEqual([false]);
  });

  test('an attempt that throws counts as a failure', async () => {
    const h = harness(realServer([tcp()]), [[{ ok: false, throws: true }]]);
    h.monitor.start();
    await h.clock.advance(1000);
    expect(h.monitor.state.checkers[0]!.last).toMatchObject({ ok: false, detail: 'checker error: boom' });
    expect(h.monitor.state.up).toBe(false);
  });
});

describe('monitor: start state, warmup, timing', () => {
  test('alpha starts down and comes up after one success', async () => {
    const h = harness(realServer([tcp({ alpha: true })]), [[ok]]);
    expect(h.monitor.state).toMatchObject({ up: false, checkers: [{ up: false, failuresInRow: 0 }] });
    h.monitor.start();
    await h.clock.advance(999);
    expect(h.calls).toEqual([]);
    await h.clock.advance(1);
    expect(h.changes.map((c) => [c.at, c.state.up])).toEqual([[1000, true]]);
  });

  test('alpha and failing: stays down without a change event', async () => {
    const h = harness(realServer([tcp({ alpha: true, retry: 0 })]), [[fail]]);
    h.monitor.start();
    await h.clock.advance(20000);
    expect(h.calls.length).toBeGreaterThan(2);
    expect(h.changes).toEqual([]);
    expect(h.monitor.state.checkers[0]!.failuresInRow).toBe(h.calls.length);
  });

  test('warmup: the first attempt after bootstrap + random x warmup; then delay_loop', async () => {
    const h = harness(realServer([tcp({ warmupMs: 4000, delayLoopMs: 3000 })]), [[ok]], { random: 0.5 });
    h.monitor.start();
    await h.clock.advance(10000);
    expect(h.calls.map((c) => c.at)).toEqual([3000, 6000, 9000]);
  });

  test('the delay counts from the end of an attempt, MISC_CHECK from its start; never overlapping', async () => {
    const slow = { ok: true, takes: 2000 };
    const t = harness(realServer([tcp({ delayLoopMs: 3000 })]), [[slow]], { bootstrap: 0 });
    const m = harness(realServer([misc('/bin/true', { delayLoopMs: 3000 })]), [[slow]], { bootstrap: 0 });
    const mLong = harness(realServer([misc('/bin/true', { delayLoopMs: 1000 })]), [[slow]], { bootstrap: 0 });
    for (const h of [t, m, mLong]) {
      h.monitor.start();
      await h.clock.advance(12000);
      expect(h.maxConcurrent()).toBe(1);
    }
    expect(t.calls.map((c) => c.at)).toEqual([0, 5000, 10000]);
    expect(m.calls.map((c) => c.at)).toEqual([0, 3000, 6000, 9000, 12000]);
    // a run longer than delay_loop: the next one starts right after it
    expect(mLong.calls.map((c) => c.at)).toEqual([0, 2000, 4000, 6000, 8000, 10000, 12000]);
  });

  test('no checkers: always up, nothing scheduled', async () => {
    const h = harness(realServer([]), []);
    h.monitor.start();
    expect(h.monitor.state).toEqual({ up: true, checkers: [] });
    expect(h.clock.pending).toBe(0);
    await h.monitor.stop();
  });
});

describe('monitor: several checkers, dynamic weight', () => {
  test('the server is up only while every checker is up', async () => {
    const h = harness(realServer([tcp({ retry: 0, delayLoopMs: 2000 }), tcp({ retry: 0, delayLoopMs: 2000 })]), [
      [ok, ok, fail, fail, ok],
      [ok, fail, fail, ok, ok],
    ]);
    h.monitor.start();
    await h.clock.advance(1000);
    expect(h.monitor.state.up).toBe(true);
    await h.clock.advance(2000); // second checker fails
    expect(h.monitor.state).toMatchObject({ up: false, checkers: [{ up: true }, { up: false }] });
    await h.clock.advance(2000); // both fail: no new change
    await h.clock.advance(2000); // second back, first still down
    expect(h.monitor.state).toMatchObject({ up: false, checkers: [{ up: false }, { up: true }] });
    await h.clock.advance(2000);
    expect(h.changes.map((c) => [c.at, c.state.up])).toEqual([
      [3000, false],
      [9000, true],
    ]);
  });

  test('misc_dynamic: the weight follows the exit code; exit 0 goes back to the configured weight; down clears it', async () => {
    const check = misc('/x', { dynamic: true, retry: 0, delayLoopMs: 1000 });
    const h = harness(realServer([check], { weight: 3 }), [[{ ok: true, weight: 5 }, { ok: true, weight: 5 }, { ok: true, weight: 7 }, ok, { ok: true, weight: 2 }, fail, ok]], {
      bootstrap: 0,
    });
    h.monitor.start();
    await h.clock.advance(6000);
    expect(h.changes.map((c) => [c.at, c.state.up, c.state.dynamicWeight])).toEqual([
      [0, true, 5],
      [2000, true, 7],
      [3000, true, undefined],
      [4000, true, 2],
      [5000, false, undefined],
      [6000, true, undefined],
    ]);
    expect(h.results[0]!.health.last).toMatchObject({ ok: true, weight: 5 });
  });

  test('two misc_dynamic checkers add their differences to the configured weight, as keepalived does', async () => {
    const a = misc('/a', { dynamic: true, delayLoopMs: 1000 });
    const b = misc('/b', { dynamic: true, delayLoopMs: 1000 });
    const h = harness(realServer([a, b], { weight: 10 }), [[{ ok: true, weight: 12 }], [{ ok: true, weight: 7 }]], { bootstrap: 0 });
    h.monitor.start();
    await h.clock.advance(0);
    expect(h.monitor.state.dynamicWeight).toBe(9);
  });
});

describe('monitor: stop', () => {
  test('cancels timers, aborts the running attempt, resolves when it is gone, no events after', async () => {
    const h = harness(realServer([tcp(), tcp({ delayLoopMs: 1000 })]), [[{ ok: false, takes: 60_000 }], [ok]], { bootstrap: 0 });
    h.monitor.start();
    await h.clock.advance(100);
    expect(h.running.has(0)).toBe(true);
    const events = h.changes.length + h.results.length;
    await h.monitor.stop();
    expect(h.running.size).toBe(0);
    expect(h.clock.pending).toBe(0);
    await h.clock.advance(120_000);
    expect(h.changes.length + h.results.length).toBe(events);
    await h.monitor.stop(); // idempotent
    h.monitor.start(); // no restart after stop
    expect(h.clock.pending).toBe(0);
  });
});
