import { ScriptTracker, trackedPriority, type TrackState } from '../src/vrrp/track';
import type { Clock } from '../src/clock';
import type { VrrpScriptConfig } from '../src/config/vrrp-model';

const NGINX: VrrpScriptConfig = { at: { file: 'k.conf', line: 20 }, name: 'check_nginx', script: '/etc/keepalived/check_nginx.sh', intervalMs: 1000, timeoutMs: 2000, weight: -30, rise: 5, fall: 3 };

function scripts(entries: Array<[string, number, TrackState]>) {
  return new Map(entries.map(([name, weight, state]) => [name, { config: { weight }, state }]));
}

describe('trackedPriority (keepalived\'s weights)', () => {
  const base = { priority: 100, trackScripts: [{ name: 'check_nginx' }], trackInterfaces: [] };

  test('a negative weight counts while the script fails; a positive one while it succeeds; unknown counts as neither', () => {
    expect(trackedPriority(base, scripts([['check_nginx', -30, 'up']]), new Map()).priority).toBe(100);
    expect(trackedPriority(base, scripts([['check_nginx', -30, 'down']]), new Map()).priority).toBe(70);
    expect(trackedPriority(base, scripts([['check_nginx', 20, 'up']]), new Map()).priority).toBe(120);
    expect(trackedPriority(base, scripts([['check_nginx', 20, 'down']]), new Map()).priority).toBe(100);
    expect(trackedPriority(base, scripts([['check_nginx', -30, 'unknown']]), new Map()).priority).toBe(100);
  });

  test('the track_script line\'s weight overrides the script\'s', () => {
    const instance = { ...base, trackScripts: [{ name: 'check_nginx', weight: -50 }] };
    expect(trackedPriority(instance, scripts([['check_nginx', -30, 'down']]), new Map()).priority).toBe(50);
  });

  test('weight 0 down: FAULT; interfaces follow the same rule', () => {
    const instance = { priority: 100, trackScripts: [{ name: 's' }], trackInterfaces: [{ name: 'eth1', weight: 0 }, { name: 'eth2', weight: -10 }] };
    const r = trackedPriority(instance, scripts([['s', 0, 'down']]), new Map<string, TrackState>([['eth1', 'up'], ['eth2', 'down']]));
    expect(r).toEqual({ priority: 90, faulty: true, reasons: ['script s is down', 'interface eth2 down: -10'] });
    expect(trackedPriority(instance, scripts([['s', 0, 'up']]), new Map<string, TrackState>([['eth1', 'down']])).faulty).toBe(true);
  });

  test('kept within 1-254; an address owner keeps 255', () => {
    expect(trackedPriority({ ...base, priority: 20 }, scripts([['check_nginx', -30, 'down']]), new Map()).priority).toBe(1);
    expect(trackedPriority({ ...base, priority: 250 }, scripts([['check_nginx', 30, 'up']]), new Map()).priority).toBe(254);
    expect(trackedPriority({ ...base, priority: 255 }, scripts([['check_nginx', -30, 'down']]), new Map()).priority).toBe(255);
  });
});

describe('ScriptTracker (interval, timeout, rise, fall)', () => {
  test('the first result decides; then fall 3 failures to go down and rise 5 successes to come back', () => {
    const t = new ScriptTracker(NGINX, async () => true, { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined });
    const seen: string[] = [];
    t.on('change', (s: TrackState) => seen.push(s));
    t.record(true);
    t.record(false);
    t.record(false);
    expect(t.state).toBe('up');
    t.record(false);
    expect(t.state).toBe('down');
    for (let i = 0; i < 4; i++) t.record(true);
    expect(t.state).toBe('down');
    t.record(true);
    expect(seen).toEqual(['up', 'down', 'up']);
  });

  test('init_fail: failed from the start, up only after rise successes', () => {
    const t = new ScriptTracker({ ...NGINX, initFail: true }, async () => true, { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined });
    expect(t.state).toBe('down');
    for (let i = 0; i < NGINX.rise - 1; i++) t.record(true);
    expect(t.state).toBe('down');
    t.record(true);
    expect(t.state).toBe('up');
  });

  test('runs every interval with its timeout; a timeout is a failure; stop waits for the running script', async () => {
    const queue: Array<() => void> = [];
    const clock: Clock = { now: () => 0, setTimeout: (run) => (queue.push(run), queue.length), clearTimeout: () => undefined };
    const calls: Array<[string, number]> = [];
    const results = [false]; // a timeout is a failure
    const t = new ScriptTracker({ ...NGINX, fall: 1 }, async (command, timeoutMs) => {
      calls.push([command, timeoutMs]);
      return results.shift() ?? true;
    }, clock);
    t.start();
    queue.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(t.state).toBe('down');
    expect(calls).toEqual([['/etc/keepalived/check_nginx.sh', 2000]]);
    expect(queue).toHaveLength(1); // the next run is scheduled
    await t.stop();
  });
});
