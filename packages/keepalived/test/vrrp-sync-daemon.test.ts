import { DaemonState } from '@tsipvs/ipvs-core';
import { FakeKernel, openFakeIpvs } from '@tsipvs/ipvs-core/testing';
import { reconcileSyncDaemon } from '../src/vrrp/sync-daemon';

const CONFIG = { interface: 'eth0', instance: 'VI_1', syncId: 7 };

function kernel(): FakeKernel {
  const k = new FakeKernel();
  k.interfaces.set('eth0', 1500);
  k.interfaces.set('eth1', 1500);
  return k;
}

describe('lvs_sync_daemon follows the instance', () => {
  test('BACKUP runs the backup daemon, MASTER the master one, STOP none; repeating changes nothing', async () => {
    const ipvs = await openFakeIpvs(kernel());
    expect(await reconcileSyncDaemon(ipvs, CONFIG, 'BACKUP')).toEqual(['started the backup sync daemon on eth0 (syncid 7)']);
    expect(await reconcileSyncDaemon(ipvs, CONFIG, 'BACKUP')).toEqual([]);
    expect(await reconcileSyncDaemon(ipvs, CONFIG, 'MASTER')).toEqual(['stopped the backup sync daemon', 'started the master sync daemon on eth0 (syncid 7)']);
    expect((await ipvs.getDaemons()).map((d) => [d.state, d.interface, d.syncId])).toEqual([[DaemonState.Master, 'eth0', 7]]);
    expect(await reconcileSyncDaemon(ipvs, CONFIG, 'FAULT')).toEqual(['stopped the master sync daemon', 'started the backup sync daemon on eth0 (syncid 7)']);
    expect(await reconcileSyncDaemon(ipvs, CONFIG, 'STOP')).toEqual(['stopped the backup sync daemon']);
    expect(await ipvs.getDaemons()).toEqual([]);
    ipvs.close();
  });

  test('a daemon on another interface or sync id is replaced', async () => {
    const ipvs = await openFakeIpvs(kernel());
    await ipvs.startDaemon({ state: DaemonState.Master, interface: 'eth1', syncId: 1 });
    expect(await reconcileSyncDaemon(ipvs, CONFIG, 'MASTER')).toEqual(['stopped the master sync daemon', 'started the master sync daemon on eth0 (syncid 7)']);
    ipvs.close();
  });
});
