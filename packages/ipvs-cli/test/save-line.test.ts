import type { Operation } from '@tsipvs/ipvs-core';
import { RequestEncoder } from '@tsipvs/ipvs-core/wire';
import { parseCommandLine } from '../src/argv/parse';
import { scanSaveLine } from '../src/argv/save-line';
import { CliError } from '../src/errors';
import { FilesResolver } from '../src/names/files';
import { restoreLineWords } from '../src/rules/restore-input';

const resolver = new FilesResolver({ systemLookup: false });

/** What the general grammar reads from a line: the change, 'error', or 'other' (not a change). */
async function generalReading(line: string): Promise<Operation | 'error' | 'other'> {
  try {
    const parsed = await parseCommandLine(restoreLineWords(line), resolver, 'tsipvs');
    return parsed.command === 'change' ? parsed.operation : 'other';
  } catch (error) {
    if (error instanceof CliError) return 'error';
    throw error;
  }
}

/** A deterministic pseudo-random sequence. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const random = rng(7);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const octet = () => pick(['0', '1', '9', '10', '99', '100', '199', '200', '249', '250', '255', String(Math.floor(random() * 256))]);
const ipv4 = () => `${octet()}.${octet()}.${octet()}.${octet()}`;
const port = () => pick(['0', '1', '80', '8080', '65535', '65536', '99999', String(Math.floor(random() * 65536))]);
const number = () => pick(['0', '1', '5', '100', '2147483647', '2147483648', '4294967295', '4294967296', '9999999999', String(Math.floor(random() * 1e6))]);
const service = () => pick([`-t ${ipv4()}:${port()}`, `-u ${ipv4()}:${port()}`, `-f ${number()}`]);
const maybe = (text: () => string) => (random() < 0.5 ? ` ${text()}` : '');

function canonicalLine(): string {
  if (random() < 0.3) {
    return `-A ${service()}${maybe(() => `-s ${pick(['rr', 'wlc', 'sh', 'mh', 'abcdefghijklmno'])}`)}${maybe(() => `-p ${pick(['1', '360', '2678400', '2678401', number()])}`)}`;
  }
  return `-a ${service()} -r ${ipv4()}:${port()}${maybe(() => pick(['-g', '-i', '-m']))}${maybe(() => `-w ${number()}`)}${maybe(() => `-x ${number()}`)}${maybe(() => `-y ${number()}`)}`;
}

/** Small edits that the scanner must leave to the grammar (or read exactly like it). */
const MUTATIONS: ReadonlyArray<(line: string) => string> = [
  (l) => l.replace(' ', '  '),
  (l) => `${l} `,
  (l) => ` ${l}`,
  (l) => `${l}\r`,
  (l) => l.replace(' ', '\t'),
  (l) => l.replace(/(\d+)$/, '0$1'),
  (l) => l.replace(/:(\d+)/, ':0$1'),
  (l) => l.replace(/\.(\d+)/, '.0$1'),
  (l) => l.replace(/-s \w+/, '-s'),
  (l) => `${l} -p`,
  (l) => `${l} -6`,
  (l) => `${l} -w 3`,
  (l) => `${l} -o`,
  (l) => `${l} # comment`,
  (l) => `ipvsadm ${l}`,
  (l) => l.replace('-t ', '-t=').replace('-u ', '-u '),
  (l) => l.replace(/:\d+/, ''),
  (l) => l.replace(/:\d+/, ':http'),
  (l) => l.replace(/-[tu] [\d.]+/, '-t [::1]'),
  (l) => l.replace(/-[tu] [\d.]+/, '-t localhost'),
  (l) => l.replace('-a ', '-e ').replace('-A ', '-E '),
  (l) => l.replace(/-w \d+/, '-w -1'),
  (l) => l.replace(/ -[gim]/, ''),
  (l) => l.replace(/(-[gim]) (-w \d+)/, '$2 $1'),
  (l) => l.replace('-a ', '-a -r 1.2.3.4:80 ').replace(/ -r [\d.]+:\d+$/, ''),
  (l) => `${l} -x 5 -x 6`,
  (l) => l.replace(/-p \d+/, '-p +5'),
];

describe('the fast save-line reader', () => {
  test('reads every line it accepts exactly like the general grammar, and leaves the rest to it', async () => {
    const encoder = new RequestEncoder(0x20);
    let validCanonical = 0;
    let servedCanonical = 0;
    for (let i = 0; i < 6000; i++) {
      const base = canonicalLine();
      const line = i % 3 === 0 ? pick(MUTATIONS)(base) : base;
      const fast = scanSaveLine(line);
      const general = await generalReading(line);
      if (line === base && typeof general === 'object') {
        validCanonical++;
        if (fast) servedCanonical++;
      }
      if (!fast) continue;
      expect({ line, reading: general }).toEqual({ line, reading: fast });
      expect(encoder.operation(fast)).toEqual(encoder.operation(general as Operation));
    }
    // the scanner must actually serve the valid lines as ipvsadm prints them
    expect(servedCanonical).toBe(validCanonical);
  });

  test('serves the lines ipvsadm -S -n prints', () => {
    for (const line of [
      '-A -t 172.16.0.1:80 -s rr',
      '-A -u 10.0.0.1:53 -s wlc -p 360',
      '-A -f 7 -s sh',
      '-a -t 172.16.0.1:80 -r 10.100.0.1:80 -m -w 1',
      '-a -u 10.0.0.1:53 -r 10.0.1.1:53 -g -w 0',
      '-a -f 7 -r 10.0.1.1:0 -i -w 5',
      '-a -t 172.16.0.1:80 -r 10.100.0.1:80 -m -w 1 -x 10 -y 2',
    ]) {
      expect(scanSaveLine(line)).toBeDefined();
    }
  });
});
