import * as fs from 'node:fs';
import * as path from 'node:path';
import { IpvsSysctls, ipvsKnobOf } from '../src/ipvs';
import { canonicalKnobText, formatKnobValue, parseKnobValue } from '../src/knob-values';
import { IPVS_KNOB_NAMES } from '../src/knobs';
import { parseSysctlName } from '../src/names';
import { SysctlTree } from '../src/tree';
import { IPVS_6_1_DEFAULTS, makeTempTree, removeTree } from './support/temp-tree';

describe('IPVS knob values', () => {
  it('knows every knob of 6.1 plus the 6.2 estimator ones', () => {
    expect(IPVS_KNOB_NAMES).toEqual(expect.arrayContaining([...Object.keys(IPVS_6_1_DEFAULTS), 'est_cpulist', 'est_nice', 'debug_level']));
  });

  it('parses each kind', () => {
    expect(parseKnobValue('conntrack', '1')).toBe(true);
    expect(parseKnobValue('conntrack', '0')).toBe(false);
    expect(parseKnobValue('drop_entry', '2')).toBe(2);
    expect(parseKnobValue('sync_threshold', '3\t50')).toEqual({ threshold: 3, period: 50 });
    expect(parseKnobValue('est_cpulist', '0-3,6')).toBe('0-3,6');
    expect(parseKnobValue('est_cpulist', '')).toBe('');
    expect(parseKnobValue('est_nice', '-5')).toBe(-5);
  });

  it('formats typed values', () => {
    expect(formatKnobValue('expire_nodest_conn', true)).toBe('1');
    expect(formatKnobValue('sync_threshold', { threshold: 4, period: 0 })).toBe('4 0');
    expect(formatKnobValue('sync_ports', 8)).toBe('8');
  });

  it.each([
    ['conn_reuse_mode', '4'],
    ['drop_packet', '-1'],
    ['secure_tcp', '4'],
    ['sync_retries', '4'],
    ['sync_version', '2'],
    ['sync_persist_mode', '2'],
    ['est_nice', '20'],
    ['est_nice', '-21'],
    ['sync_ports', '3'],
    ['sync_ports', '0'],
    ['sync_threshold', '50 3'],
    ['sync_threshold', '5 5'],
    ['sync_threshold', '-1 50'],
    ['sync_qlen_max', '0'],
    ['am_droprate', '-1'],
    ['expire_nodest_conn', '2'],
  ] as const)('rejects %s = %s as out of range', (name, text) => {
    expect(() => canonicalKnobText(name, text)).toThrow(expect.objectContaining({ code: 'out-of-range', message: expect.stringContaining(`net.ipv4.vs.${name}`) }));
  });

  it.each([
    ['conntrack', 'maybe'],
    ['drop_entry', '1.5'],
    ['sync_threshold', '3'],
    ['sync_threshold', '3 50 7'],
    ['est_cpulist', '0-'],
    ['est_cpulist', 'all'],
  ] as const)('rejects %s = %s as invalid', (name, text) => {
    expect(() => canonicalKnobText(name, text)).toThrow(expect.objectContaining({ code: 'invalid-value' }));
  });

  it.each(['3\n50', '3 50\n', '3\r50', '3\x0050'])('refuses %j for sync_threshold before normalizing it', (text) => {
    expect(() => canonicalKnobText('sync_threshold', text)).toThrow(
      expect.objectContaining({ code: 'invalid-value', message: expect.stringMatching(/^invalid value .* for net\.ipv4\.vs\.sync_threshold: it contains the control character/) }),
    );
  });

  it('canonicalizes accepted text', () => {
    expect(canonicalKnobText('conntrack', 'on')).toBe('1');
    expect(canonicalKnobText('sync_threshold', ' 3   50 ')).toBe('3 50');
    expect(canonicalKnobText('sync_threshold', '3 0')).toBe('3 0');
    expect(canonicalKnobText('sync_ports', '4')).toBe('4');
  });

  it('recognizes knob keys', () => {
    expect(ipvsKnobOf(parseSysctlName('net.ipv4.vs.conntrack'))).toBe('conntrack');
    expect(ipvsKnobOf(parseSysctlName('net.ipv4.vs.unknown_thing'))).toBeUndefined();
    expect(ipvsKnobOf(parseSysctlName('net.ipv4.ip_forward'))).toBeUndefined();
  });
});

describe('IpvsSysctls', () => {
  let root: string;
  afterEach(() => removeTree(root));

  it('reads and writes typed values', () => {
    root = makeTempTree();
    const ipvs = new IpvsSysctls(new SysctlTree(root));
    expect(ipvs.get('sync_threshold')).toEqual({ threshold: 3, period: 50 });
    expect(ipvs.get('pmtu_disc')).toBe(true);
    ipvs.set('expire_nodest_conn', true);
    ipvs.set('sync_threshold', { threshold: 10, period: 100 });
    ipvs.setText('conn_reuse_mode', '2');
    expect(fs.readFileSync(path.join(root, 'net/ipv4/vs/expire_nodest_conn'), 'utf8')).toBe('1\n');
    expect(ipvs.get('sync_threshold')).toEqual({ threshold: 10, period: 100 });
    expect(ipvs.get('conn_reuse_mode')).toBe(2);
  });

  it('refuses out-of-range values before writing', () => {
    root = makeTempTree();
    const ipvs = new IpvsSysctls(new SysctlTree(root));
    expect(() => ipvs.set('sync_retries', 9)).toThrow(expect.objectContaining({ code: 'out-of-range', message: expect.stringContaining('0..3') }));
    expect(() => ipvs.setText('sync_ports', '6')).toThrow(expect.objectContaining({ code: 'out-of-range' }));
    expect(ipvs.get('sync_retries')).toBe(0);
  });

  it('says when IPVS is not loaded', () => {
    root = makeTempTree({ ipvs: false });
    const ipvs = new IpvsSysctls(new SysctlTree(root));
    expect(ipvs.isLoaded()).toBe(false);
    expect(() => ipvs.get('conntrack')).toThrow(expect.objectContaining({ code: 'ipvs-not-loaded', message: expect.stringContaining('modprobe ip_vs') }));
    expect(() => ipvs.readAll()).toThrow(expect.objectContaining({ code: 'ipvs-not-loaded' }));
  });

  it('says when the kernel lacks a knob (est_cpulist before 6.2)', () => {
    root = makeTempTree();
    const ipvs = new IpvsSysctls(new SysctlTree(root));
    expect(ipvs.isAvailable('est_cpulist')).toBe(false);
    expect(() => ipvs.get('est_cpulist')).toThrow(expect.objectContaining({ code: 'knob-unavailable', message: expect.stringContaining('Linux 6.2 and later') }));
    const all = ipvs.readAll();
    expect(all.find((r) => r.name === 'est_cpulist')?.text).toBeUndefined();
    expect(all.find((r) => r.name === 'sync_threshold')?.text).toBe('3 50');
  });
});
