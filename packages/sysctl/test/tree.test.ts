import * as fs from 'node:fs';
import * as path from 'node:path';
import { SysctlTree } from '../src/tree';
import { makeTempTree, removeTree } from './support/temp-tree';

describe('SysctlTree', () => {
  let root: string;
  let tree: SysctlTree;
  beforeEach(() => {
    root = makeTempTree();
    tree = new SysctlTree(root);
  });
  afterEach(() => removeTree(root));

  it('reads by dotted name and by path, normalizing whitespace', () => {
    expect(tree.read('net.ipv4.ip_forward')).toBe('0');
    expect(tree.read('net/ipv4/vs/sync_threshold')).toBe('3 50');
    expect(tree.read('net.ipv4.conf.eth0/100.rp_filter')).toBe('2');
  });

  it('writes a line and reads it back', () => {
    tree.write('net.ipv4.conf.eth0/100.rp_filter', '0');
    expect(fs.readFileSync(path.join(root, 'net/ipv4/conf/eth0.100/rp_filter'), 'utf8')).toBe('0\n');
    tree.write('net.ipv4.vs.sync_threshold', '4 60');
    expect(tree.read('net.ipv4.vs.sync_threshold')).toBe('4 60');
  });

  it('never creates a setting', () => {
    expect(() => tree.write('net.ipv4.no_such', '1')).toThrow(expect.objectContaining({ code: 'not-found', message: 'no such sysctl: net.ipv4.no_such' }));
    expect(fs.existsSync(path.join(root, 'net/ipv4/no_such'))).toBe(false);
  });

  it('rejects values with newlines or NUL bytes', () => {
    expect(() => tree.write('net.ipv4.ip_forward', '1\nnet.ipv4.x=1')).toThrow(expect.objectContaining({ code: 'invalid-value' }));
    expect(() => tree.write('net.ipv4.ip_forward', '1\0')).toThrow(expect.objectContaining({ code: 'invalid-value' }));
  });

  it('reports missing settings and groups', () => {
    expect(() => tree.read('net.ipv4.nope')).toThrow(expect.objectContaining({ code: 'not-found' }));
    expect(() => tree.read('net.ipv4.conf')).toThrow(expect.objectContaining({ code: 'not-a-file' }));
    expect(tree.exists('net.ipv4.ip_forward')).toBe(true);
    expect(tree.exists('net.ipv4.conf')).toBe(false);
    expect(tree.isDirectory('net.ipv4.conf')).toBe(true);
  });

  it('keeps every name inside the root', () => {
    expect(tree.fileOf('net.ipv4.ip_forward')).toBe(path.join(root, 'net/ipv4/ip_forward'));
    expect(() => tree.read('../../etc/passwd')).toThrow(expect.objectContaining({ code: 'invalid-name' }));
    expect(() => tree.write('/etc/passwd', 'x')).toThrow(expect.objectContaining({ code: 'invalid-name' }));
  });

  it('lists a prefix sorted, in dotted form', () => {
    const entries = tree.list('net.ipv4.conf.eth0/100');
    expect(entries.map((e) => `${e.key.dotted}=${e.value}`)).toEqual([
      'net.ipv4.conf.eth0/100.arp_announce=0',
      'net.ipv4.conf.eth0/100.arp_ignore=0',
      'net.ipv4.conf.eth0/100.rp_filter=2',
      'net.ipv4.conf.eth0/100.send_redirects=1',
    ]);
    expect(tree.list('net.ipv4.ip_forward').map((e) => e.value)).toEqual(['0']);
    expect(tree.list().length).toBeGreaterThan(30);
    expect(() => tree.list('net.nope')).toThrow(expect.objectContaining({ code: 'not-found' }));
  });
});
