import { createMachine, masterDownMs, skewMs, step, type Machine, type MachineEvent, type MachineSettings } from '../src/vrrp/machine';
import type { ReceivedAdvert } from '../src/vrrp/packet';

const SETTINGS: MachineSettings = {
  version: 2, intervalCs: 100, wantMaster: false, preempt: true, preemptDelayMs: 0, primaryAddress: '10.0.0.201', lowerPriorityNoAdvert: false,
};

function advert(priority: number, source = '10.0.0.200', intervalCs = 100): ReceivedAdvert {
  return { version: 2, vrid: 50, priority, intervalCs, addresses: ['10.0.0.100'], source, destination: '224.0.0.18', ttl: 255 };
}

/** Feeds events in order; returns the last machine and every action type seen, in order. */
function run(machine: Machine, events: MachineEvent[]): { machine: Machine; actions: string[] } {
  const actions: string[] = [];
  for (const e of events) {
    const r = step(machine, e);
    machine = r.machine;
    for (const a of r.actions) actions.push(a.type === 'send' ? `send ${a.priority}` : a.type === 'transition' ? `${a.from}->${a.to}` : a.type);
  }
  return { machine, actions };
}

describe('timers (RFC 3768 6.1)', () => {
  test('skew and master-down interval: version 2 in seconds, version 3 from the master\'s interval', () => {
    const v2 = createMachine(SETTINGS, 80);
    expect(skewMs(v2)).toBe(((256 - 80) * 1000) / 256);
    expect(masterDownMs(v2)).toBe(3000 + 687.5);
    const v3 = { ...createMachine({ ...SETTINGS, version: 3 }, 100), masterIntervalCs: 50 };
    expect(skewMs(v3)).toBe(((256 - 100) * 500) / 256);
    expect(masterDownMs(v3)).toBe(1500 + 304.6875);
  });
});

describe('a backup (priority 80)', () => {
  const started = () => run(createMachine(SETTINGS, 80), [{ type: 'start', now: 0 }]);

  test('starts as BACKUP and takes over after the master-down interval without adverts', () => {
    const s = started();
    expect(s.machine.state).toBe('BACKUP');
    expect(s.machine.deadline).toBe(3687.5);
    const early = run(s.machine, [{ type: 'timer', now: 3687 }]);
    expect(early.machine.state).toBe('BACKUP');
    const r = run(s.machine, [{ type: 'timer', now: 3687.5 }]);
    expect(r.machine.state).toBe('MASTER');
    expect(r.actions).toEqual(['send 80', 'add-addresses', 'announce', 'BACKUP->MASTER']);
  });

  test('every advert of a higher master pushes the takeover back by a full interval', () => {
    const r = run(started().machine, [{ type: 'advert', now: 1000, advert: advert(100) }, { type: 'advert', now: 2000, advert: advert(100) }, { type: 'timer', now: 4000 }]);
    expect(r.machine.state).toBe('BACKUP');
    expect(r.machine.deadline).toBe(2000 + 3687.5);
    expect(r.machine.masterAddress).toBe('10.0.0.200');
  });

  test('priority 0 from the master (it is leaving): takes over after the skew alone', () => {
    const r = run(started().machine, [{ type: 'advert', now: 1000, advert: advert(0) }]);
    expect(r.machine.deadline).toBe(1000 + 687.5);
    expect(run(r.machine, [{ type: 'timer', now: 1687.5 }]).machine.state).toBe('MASTER');
  });

  test('preempts a lower master: its adverts are ignored and the down timer runs out', () => {
    const r = run(createMachine(SETTINGS, 120), [{ type: 'start', now: 0 }, { type: 'advert', now: 1000, advert: advert(100) }, { type: 'advert', now: 2000, advert: advert(100) }]);
    const deadline = r.machine.deadline!;
    expect(deadline).toBeLessThan(4000);
    expect(run(r.machine, [{ type: 'timer', now: deadline }]).machine.state).toBe('MASTER');
  });

  test('nopreempt: a lower master is accepted and kept', () => {
    const r = run(createMachine({ ...SETTINGS, preempt: false }, 120), [{ type: 'start', now: 0 }, { type: 'advert', now: 1000, advert: advert(100) }, { type: 'advert', now: 4000, advert: advert(100) }, { type: 'timer', now: 5000 }]);
    expect(r.machine.state).toBe('BACKUP');
  });

  test('preempt_delay: a lower master is accepted until the delay has passed, then preempted', () => {
    let m = run(createMachine({ ...SETTINGS, preemptDelayMs: 5000 }, 120), [{ type: 'start', now: 0 }]).machine;
    for (let t = 1000; t <= 6000; t += 1000) m = run(m, [{ type: 'advert', now: t, advert: advert(100) }, { type: 'timer', now: t }]).machine;
    expect(m.state).toBe('BACKUP');
    expect(m.preemptAt).toBe(6000);
    // from 6 s on the adverts no longer reset the timer: it runs out 3.53 s after the last accepted one (5 s)
    for (let t = 6000; t <= 8000; t += 1000) m = run(m, [{ type: 'advert', now: t, advert: advert(100) }, { type: 'timer', now: t }]).machine;
    expect(m.state).toBe('BACKUP');
    expect(m.deadline).toBe(5000 + 3531.25);
    expect(run(m, [{ type: 'timer', now: m.deadline! }]).machine.state).toBe('MASTER');
  });
});

describe('a master (priority 100)', () => {
  const master = () => run(createMachine({ ...SETTINGS, wantMaster: true, primaryAddress: '10.0.0.200' }, 100), [{ type: 'start', now: 0 }, { type: 'timer', now: 1000 + 1000 / 256 }]);

  test('state MASTER: waits one interval plus the smallest skew, then takes over and advertises every interval', () => {
    const m = master();
    expect(m.actions).toEqual(['INIT->BACKUP', 'send 100', 'add-addresses', 'announce', 'BACKUP->MASTER']);
    const t0 = m.machine.deadline!;
    const r = run(m.machine, [{ type: 'timer', now: t0 }, { type: 'timer', now: t0 + 1000 }]);
    expect(r.actions).toEqual(['send 100', 'send 100']);
  });

  test('priority 255 (address owner) is master at once', () => {
    const r = run(createMachine(SETTINGS, 255), [{ type: 'start', now: 0 }]);
    expect(r.machine.state).toBe('MASTER');
  });

  test('a higher priority advert: gives the addresses up and becomes BACKUP', () => {
    const r = run(master().machine, [{ type: 'advert', now: 5000, advert: advert(150, '10.0.0.201') }]);
    expect(r.machine.state).toBe('BACKUP');
    expect(r.actions).toEqual(['remove-addresses', 'MASTER->BACKUP']);
  });

  test('equal priority: the higher primary address wins', () => {
    expect(run(master().machine, [{ type: 'advert', now: 5000, advert: advert(100, '10.0.0.201') }]).machine.state).toBe('BACKUP');
    const lower = run(master().machine, [{ type: 'advert', now: 5000, advert: advert(100, '10.0.0.199') }]);
    expect(lower.machine.state).toBe('MASTER');
    expect(lower.actions).toEqual(['send 100']);
  });

  test('a lower priority advert: stays master and answers at once (unless lower_prio_no_advert)', () => {
    expect(run(master().machine, [{ type: 'advert', now: 5000, advert: advert(50, '10.0.0.201') }]).actions).toEqual(['send 100']);
    const quiet = { ...master().machine, settings: { ...master().machine.settings, lowerPriorityNoAdvert: true } };
    expect(run(quiet, [{ type: 'advert', now: 5000, advert: advert(50, '10.0.0.201') }]).actions).toEqual([]);
  });

  test('stop: advertises priority 0 and removes the addresses (the backup takes over after its skew)', () => {
    const r = run(master().machine, [{ type: 'stop', now: 5000 }]);
    expect(r.actions).toEqual(['send 0', 'remove-addresses', 'MASTER->STOP']);
    expect(r.machine.deadline).toBeUndefined();
    expect(step(r.machine, { type: 'timer', now: 9000 }).actions).toEqual([]);
  });

  test('a lower effective priority (a failing vrrp_script) is advertised at once', () => {
    const r = run(master().machine, [{ type: 'priority', now: 5000, priority: 70 }]);
    expect(r.actions).toEqual(['send 70']);
    expect(r.machine.priority).toBe(70);
  });

  test('fault (a tracked interface goes down): priority 0, addresses removed, FAULT; cleared: BACKUP', () => {
    const r = run(master().machine, [{ type: 'fault', now: 5000, faulty: true }, { type: 'timer', now: 9000 }]);
    expect(r.actions).toEqual(['send 0', 'remove-addresses', 'MASTER->FAULT']);
    const back = run(r.machine, [{ type: 'fault', now: 10000, faulty: false }]);
    expect(back.machine.state).toBe('BACKUP');
    expect(back.actions).toEqual(['FAULT->BACKUP']);
  });
});
