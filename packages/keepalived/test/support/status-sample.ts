import type { DirectorStatus } from '../../src/director/types';

/** A director's status: one virtual server with a sorry server, one real server up and one down. */
export function sampleStatus(): DirectorStatus {
  const at = (line: number) => ({ file: '/etc/keepalived/keepalived.conf', line });
  return {
    configFile: '/etc/keepalived/keepalived.conf',
    startedAt: new Date('2026-11-30T02:00:00.000Z'),
    lastReconcile: { at: new Date(1_796_000_000_000), changes: 2 },
    virtualServers: [
      {
        name: '192.0.2.1:80',
        at: at(3),
        services: [],
        quorum: { required: 1, hysteresis: 0, upWeight: 3, met: true },
        sorryServer: { address: '127.0.0.1', port: 80, active: false },
        realServers: [
          {
            address: '192.0.2.10', port: 80, at: at(9), configuredWeight: 3, wantedWeight: 3, state: 'up',
            health: {
              up: true,
              checkers: [{ kind: 'HTTP_GET', up: true, failuresInRow: 0, last: { ok: true, detail: 'HTTP status 200', at: new Date('2026-11-30T02:10:00.250Z') } }],
            },
          },
          {
            address: '192.0.2.11', port: 80, at: at(17), configuredWeight: 1, state: 'down',
            health: {
              up: false,
              checkers: [
                { kind: 'TCP_CHECK', up: true, failuresInRow: 0, last: { ok: true, detail: 'connected', at: new Date('2026-11-30T02:10:01.000Z') } },
                { kind: 'HTTP_GET', up: false, failuresInRow: 4, last: { ok: false, detail: 'HTTP status 503', at: new Date('2026-11-30T02:10:02.000Z') } },
              ],
            },
          },
        ],
      },
    ],
  };
}
