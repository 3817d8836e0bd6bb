import { AddressFamily, ForwardingMethod, Protocol } from '@tsipvs/ipvs-core';
import { CliError } from '../src/errors';
import { FilesResolver } from '../src/names/files';
import { readRulesetText } from '../src/rules/ruleset-file';

const resolver = new FilesResolver({ systemLookup: false });
const read = (text: string) => readRulesetText(text, resolver, 'tsipvs');

describe('rules files for apply', () => {
  test('the save grammar becomes a ruleset, with the line of every object', async () => {
    const file = await read(['# web', '-A -t 10.0.0.1:80 -s rr', '-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 3', '', '-A -f 7 -6 -s sh'].join('\n'));
    expect(file.ruleset.services).toHaveLength(2);
    const web = file.ruleset.services[0]!;
    expect(web.key).toEqual({ family: AddressFamily.IPv4, protocol: Protocol.TCP, address: '10.0.0.1', port: 80 });
    expect(web.options.scheduler).toBe('rr');
    expect(web.destinations[0]).toMatchObject({ key: { address: '10.0.1.1', port: 80 }, options: { forwarding: ForwardingMethod.Masquerade, weight: 3 } });
    expect(file.ruleset.services[1]!.key).toEqual({ family: AddressFamily.IPv6, fwmark: 7 });
    expect(await file.lineOf(web.key)).toBe(2);
    expect(await file.lineOf(web.key, web.destinations[0]!.key)).toBe(3);
    expect(await file.lineOf(file.ruleset.services[1]!.key)).toBe(5);
    expect(await file.lineOf(web.key, { ...web.destinations[0]!.key, port: 81 })).toBeUndefined();
  });

  test('every bad line is reported with its number, and nothing is returned', async () => {
    const text = [
      '-A -t 10.0.0.1:80',
      '-a -t 10.0.0.9:80 -r 10.0.1.1', // no such service in the file
      '-A -t 10.0.0.1:80 -s rr', // twice
      '-D -t 10.0.0.1:80', // not a table line
      '-a -t 10.0.0.1:80 -r 10.0.1.1 -w x', // bad weight
    ].join('\n');
    const error = await read(text).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message.split('\n')).toEqual([
      'line 2: real server of a service this file does not define (with -A) before it',
      'line 3: service defined twice (first on line 1)',
      'line 4: only -A and -a lines describe a table (found -D)',
      'line 5: illegal weight specified',
    ]);
  });

  test('the JSON of tsipvs -L --json is read back, counters ignored', async () => {
    const json = JSON.stringify({
      services: [
        {
          family: 'ipv4', protocol: 'udp', address: '10.0.0.1', port: 53, fwmark: null, scheduler: 'wlc', timeout: 360, netmask: '255.255.255.0',
          persistenceEngine: null, flags: 0x1 | 0x2, stats: { connections: '5' },
          destinations: [{ family: 'ipv4', address: '10.0.1.1', port: 53, forwarding: 'tunnel', weight: 2, upperThreshold: 0, lowerThreshold: 0, tunnel: { type: 'gue', port: 6080, checksum: 'checksum' } }],
        },
      ],
    });
    const { ruleset } = await read(json);
    expect(ruleset.services[0]!.options).toEqual({ scheduler: 'wlc', timeout: 360, netmask: '255.255.255.0', flags: 1 });
    expect(ruleset.services[0]!.destinations[0]!.options).toEqual({
      forwarding: ForwardingMethod.Tunnel, weight: 2, upperThreshold: 0, lowerThreshold: 0, tunnelType: 1, tunnelPort: 6080, tunnelFlags: 1,
    });
  });

  test('JSON with a wrong field names it', async () => {
    await expect(read('{"services":[{"family":"ipv4","protocol":"icmp"}]}')).rejects.toThrow('services[0].protocol: expected "tcp", "udp" or "sctp"');
  });
});
