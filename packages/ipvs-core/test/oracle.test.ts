/**
 * Every reply the real 6.1 kernel sent in the oracle captures decodes, and matches what ipvsadm
 * showed for the same table; the client, run over a replay of those replies, returns the same.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AddressFamily, codec, createReplayTransport, IpvsError, openIpvs, parseMessages, Protocol, type Service,
} from './internals';
import { GENL_ID_CTRL, NLMSG_DONE, NLMSG_ERROR } from '../src/netlink/constants';
import { IpvsCommand } from '../src/protocol/constants';
import { ORACLE, oracleCaptures } from './support';

/** The `-A` line `ipvsadm -S -n` prints for a service (enough of its grammar for these scenarios). */
function saveLine(service: Service): string {
  const key = service.key;
  const v6 = key.family === AddressFamily.IPv6;
  let line: string;
  if ('fwmark' in key) {
    line = `-A -f ${key.fwmark | 0}${v6 ? ' -6' : ''}`;
  } else {
    const flag = key.protocol === Protocol.TCP ? '-t' : key.protocol === Protocol.UDP ? '-u' : '--sctp-service';
    line = `-A ${flag} ${v6 ? `[${key.address}]` : key.address}:${key.port}`;
  }
  line += ` -s ${service.scheduler}`;
  if (service.flags & 0x1) line += ` -p ${service.timeout}`;
  if (service.flags & 0x1 && service.netmask !== (v6 ? 128 : '255.255.255.255')) line += ` -M ${service.netmask}`;
  const schedFlags = [[0x8, 'fallback'], [0x10, 'port']] as const;
  const names = schedFlags.filter(([bit]) => service.flags & bit).map(([, name]) => `${service.scheduler === 'mh' ? 'mh' : 'sh'}-${name}`);
  if (names.length) line += ` -b ${names.join(',')}`;
  if (service.flags & 0x4) line += ' -o';
  if (service.persistenceEngine) line += ` --pe ${service.persistenceEngine}`;
  return line;
}

/** `-A` lines of the last `ipvsadm -S -n` snapshot of a scenario. */
function savedServices(scenario: string): string[] {
  const json = JSON.parse(fs.readFileSync(path.join(ORACLE, `${scenario}.json`), 'utf8')) as {
    steps: Array<{ snapshot?: Array<{ cmd: string; stdout: string }> }>;
  };
  const snapshots = json.steps.filter((s) => s.snapshot);
  const save = snapshots[snapshots.length - 1]!.snapshot!.find((s) => s.cmd === 'ipvsadm -S -n')!;
  return save.stdout.split('\n').filter((l) => l.startsWith('-A'));
}

const captures = oracleCaptures();

describe('oracle captures of the 6.1 kernel', () => {
  it('has captures to check', () => {
    expect(captures.length).toBeGreaterThanOrEqual(16);
  });

  it.each(captures.map((c) => [c.scenario, c] as const))('%s: every received datagram decodes', (_name, capture) => {
    for (const [file, recording] of capture.files) {
      for (const datagram of recording.replies) {
        for (const message of parseMessages(datagram)) {
          if (message.type === NLMSG_ERROR || message.type === NLMSG_DONE) continue;
          if (message.type === GENL_ID_CTRL) { expect(codec.decodeFamilyId(message)).toBe(32); continue; }
          const command = message.bytes[16];
          if (command === IpvsCommand.SetInfo) expect(codec.decodeInfo(message).version).toBe('1.2.1');
          else if (command === IpvsCommand.SetConfig) expect(codec.decodeTimeouts(message).tcp).toBeGreaterThan(0);
          else if (command === IpvsCommand.NewService) expect(codec.decodeService(message).stats.wide).toBe(true);
          else if (command === IpvsCommand.NewDaemon) expect(codec.decodeDaemon(message).interface).toBeTruthy();
          else throw new Error(`${file}: unexpected genl command ${command}`);
        }
      }
    }
  });

  it.each(captures.map((c) => [c.scenario, c] as const))('%s: the service dump equals ipvsadm -S -n', (name, capture) => {
    const dump = capture.files.get('get-service.hex')!;
    const services = dump.replies.flatMap(parseMessages).filter((m) => m.type === 32).map(codec.decodeService);
    expect(services.map(saveLine).sort()).toEqual(savedServices(name).sort());
  });

  it.each(captures.map((c) => [c.scenario, c] as const))('%s: the client over a replay of the captures', async (_name, capture) => {
    const ipvs = await openIpvs({ transport: createReplayTransport([...capture.files.values()], { timeoutMs: 500 }) });
    try {
      expect(await ipvs.getInfo()).toEqual({ version: '1.2.1', versionCode: 0x010201, connectionTableSize: 4096 });
      const timeouts = await ipvs.getTimeouts();
      const reply = capture.files.get('get-config.hex')!.replies[0]!;
      expect(timeouts).toEqual(codec.decodeTimeouts(parseMessages(reply)[0]!));
      const services = await ipvs.getServices();
      expect(services.length).toBe(savedServices(_name).length);
      await ipvs.getDaemons();
      const missing = { family: AddressFamily.IPv4, protocol: Protocol.TCP, address: '0.0.0.0', port: 1 };
      await expect(ipvs.getService(missing)).rejects.toMatchObject({ name: 'IpvsError', code: 'ESRCH', errno: 3, operation: 'getService' });
      await expect(ipvs.getService(missing)).rejects.toBeInstanceOf(IpvsError);
    } finally {
      ipvs.close();
    }
  });

  it('decodes the real daemons of daemon-options as ipvsadm listed them', () => {
    const capture = captures.find((c) => c.scenario === 'daemon-options')!;
    const daemons = capture.files.get('get-daemon.hex')!.replies.flatMap(parseMessages).filter((m) => m.type === 32).map(codec.decodeDaemon);
    const listed = daemons.map((d) => `${d.state === 1 ? 'master' : 'backup'} sync daemon (mcast=${d.interface}, syncid=${d.syncId}, maxlen=${d.maxLength}, group=${d.group}, port=${d.port}, ttl=${d.ttl})`);
    const json = JSON.parse(fs.readFileSync(path.join(ORACLE, 'daemon-options.json'), 'utf8'));
    const snapshot = json.steps.filter((s: { snapshot?: unknown }) => s.snapshot).pop().snapshot;
    expect(listed.join('\n') + '\n').toBe(snapshot.find((s: { cmd: string }) => s.cmd === 'ipvsadm -L -n --daemon').stdout);
  });

  it('decodes the real server reply of the protocol notes §7.2', () => {
    const hex = '64010000' + '2000' + '0200' + '06000000' + '92100000' + '05010000' + '50010200' +
      '140001000a000002000000000000000000000000' + '0600020000500000' + '0800030000000000' + '0800040001000000' +
      '05000d0000000000' + '06000e0000000000' + '06000f0000000000' + '0800050000000000' + '0800060000000000' +
      '0800070000000000' + '0800080000000000' + '0800090000000000' + '06000b0002000000' +
      '5c000a00' + '0800010000000000' + '0800020000000000' + '0800030000000000' + '0c0004000000000000000000' +
      '0c0005000000000000000000' + '0800060000000000' + '0800070000000000' + '0800080000000000' + '0800090000000000' + '08000a0000000000' +
      '7c000c00' + Array.from({ length: 10 }, (_, i) => `0c00${(i + 1).toString(16).padStart(2, '0')}000000000000000000`).join('');
    const message = parseMessages(Buffer.from(hex, 'hex'))[0]!;
    const dest = codec.decodeDestination(message, AddressFamily.IPv4);
    expect(dest).toMatchObject({ key: { address: '10.0.0.2', port: 80, family: AddressFamily.IPv4 }, forwarding: 0, weight: 1 });
    expect(dest.stats.wide).toBe(true);
  });
});
