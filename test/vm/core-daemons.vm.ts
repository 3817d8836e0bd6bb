/** ipvs-core against the real kernel: connection sync daemons. */
import * as assert from 'node:assert/strict';
import { DaemonState } from '@tsipvs/ipvs-core';
import { vmTest } from '../harness/guest';
import { DUMMY, expectIpvsError, withClient } from './core-support.vm';

vmTest('core: start, list and stop master and backup sync daemons', async (t) => {
  t.sh(DUMMY);
  await withClient(async (ipvs) => {
    assert.deepEqual(await ipvs.getDaemons(), []);
    await ipvs.startDaemon({ state: DaemonState.Master, interface: 'd0', syncId: 200 });
    await ipvs.startDaemon({ state: DaemonState.Backup, interface: 'd0', syncId: 9, maxLength: 1400, group: '239.1.2.3', port: 8849, ttl: 3 });
    assert.deepEqual(await ipvs.getDaemons(), [
      { state: DaemonState.Master, interface: 'd0', syncId: 200, maxLength: 1472, group: '224.0.0.81', port: 8848, ttl: 1 },
      { state: DaemonState.Backup, interface: 'd0', syncId: 9, maxLength: 1400, group: '239.1.2.3', port: 8849, ttl: 3 },
    ]);
    assert.equal(
      t.ipvsadm(['-L', '-n', '--daemon']).stdout,
      'master sync daemon (mcast=d0, syncid=200, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n' +
        'backup sync daemon (mcast=d0, syncid=9, maxlen=1400, group=239.1.2.3, port=8849, ttl=3)\n',
    );
    await expectIpvsError(ipvs.startDaemon({ state: DaemonState.Master, interface: 'd0', syncId: 1 }), {
      code: 'EEXIST', operation: 'startDaemon', ipvsadm: 'Daemon has already run',
    });
    await ipvs.stopDaemon(DaemonState.Master);
    assert.deepEqual((await ipvs.getDaemons()).map((d) => d.state), [DaemonState.Backup]);
    await ipvs.stopDaemon(DaemonState.Backup);
    await expectIpvsError(ipvs.stopDaemon(DaemonState.Backup), { code: 'ESRCH', operation: 'stopDaemon', ipvsadm: 'No daemon is running' });
    await expectIpvsError(ipvs.startDaemon({ state: DaemonState.Master, interface: 'nosuch0', syncId: 1 }), {
      code: 'ENODEV', operation: 'startDaemon', ipvsadm: 'No such device',
    });
  });
  assert.equal(t.ipvsadm(['-L', '-n', '--daemon']).stdout, '');
});

vmTest('core: sync daemon with an IPv6 multicast group', async (t) => {
  t.sh(DUMMY);
  await withClient(async (ipvs) => {
    await ipvs.startDaemon({ state: DaemonState.Master, interface: 'd0', syncId: 5, group: 'ff02::1:81' });
    const [daemon] = await ipvs.getDaemons();
    assert.equal(daemon?.group, 'ff02::1:81');
    assert.equal(daemon?.maxLength, 1452);
  });
  assert.match(t.ipvsadm(['-L', '-n', '--daemon']).stdout, /^master sync daemon \(mcast=d0, syncid=5, maxlen=1452, group=ff02::1:81, port=8848, ttl=1\)\n$/);
});
