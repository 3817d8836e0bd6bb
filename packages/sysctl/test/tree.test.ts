import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import nodeFs = require('node:fs');
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

  it('rejects values with newlines, NUL bytes or other control characters, naming the setting', () => {
    expect(() => tree.write('net.ipv4.ip_forward', '1\nnet.ipv4.x=1')).toThrow(
      expect.objectContaining({ code: 'invalid-value', message: 'invalid value "1\\nnet.ipv4.x=1" for net.ipv4.ip_forward: it contains the control character "\\n"; a value must be one line' }),
    );
    for (const value of ['1\0', '1\r', '\x1b[2J', '1\x7f', '1\u0085']) {
      expect(() => tree.write('net.ipv4.ip_forward', value)).toThrow(expect.objectContaining({ code: 'invalid-value', message: expect.stringContaining('net.ipv4.ip_forward') }));
    }
    expect(tree.read('net.ipv4.ip_forward')).toBe('0');
    tree.write('net.ipv4.vs.sync_threshold', '4\t60');
    expect(tree.read('net.ipv4.vs.sync_threshold')).toBe('4 60');
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

  describe('symbolic links', () => {
    let outside: string;
    beforeEach(() => {
      outside = fs.mkdtempSync(path.join(os.tmpdir(), 'tsipvs-outside-'));
      fs.writeFileSync(path.join(outside, 'arp_ignore'), 'secret\n');
    });
    afterEach(() => {
      jest.restoreAllMocks();
      removeTree(outside);
    });
    const unsafe = (link: string) => expect.objectContaining({ code: 'unsafe-path', message: expect.stringContaining(`${link} is a symbolic link`) });

    it('refuses a directory link that leads outside the root, for every access', () => {
      const link = path.join(root, 'net/ipv4/conf/evil');
      fs.symlinkSync(outside, link);
      expect(() => tree.read('net.ipv4.conf.evil.arp_ignore')).toThrow(unsafe(link));
      expect(() => tree.write('net.ipv4.conf.evil.arp_ignore', '1')).toThrow(unsafe(link));
      expect(() => tree.exists('net.ipv4.conf.evil.arp_ignore')).toThrow(unsafe(link));
      expect(() => tree.isDirectory('net.ipv4.conf.evil')).toThrow(unsafe(link));
      expect(() => tree.list('net.ipv4.conf.evil')).toThrow(unsafe(link));
      expect(fs.readFileSync(path.join(outside, 'arp_ignore'), 'utf8')).toBe('secret\n');
    });

    it('refuses a setting that is itself a link, without touching its target', () => {
      const link = path.join(root, 'net/ipv4/ip_forward');
      fs.rmSync(link);
      fs.symlinkSync(path.join(outside, 'arp_ignore'), link);
      expect(() => tree.write('net.ipv4.ip_forward', '1')).toThrow(unsafe(link));
      expect(() => tree.read('net.ipv4.ip_forward')).toThrow(unsafe(link));
      expect(fs.readFileSync(path.join(outside, 'arp_ignore'), 'utf8')).toBe('secret\n');
    });

    it('refuses links that stay inside the root too, and leaves links out of list()', () => {
      fs.symlinkSync(path.join(root, 'net/ipv4/conf/lo'), path.join(root, 'net/ipv4/conf/alias'));
      fs.symlinkSync(outside, path.join(root, 'net/ipv4/conf/evil'));
      expect(() => tree.read('net.ipv4.conf.alias.arp_ignore')).toThrow(expect.objectContaining({ code: 'unsafe-path' }));
      const values = tree.list().map((e) => e.value);
      expect(values).not.toContain('secret');
      expect(tree.list().map((e) => e.key.dotted).filter((name) => /alias|evil/.test(name))).toEqual([]);
    });

    it('accepts a root that is reached through a link', () => {
      const alias = path.join(outside, 'root-link');
      fs.symlinkSync(root, alias);
      const aliased = new SysctlTree(alias);
      aliased.write('net.ipv4.ip_forward', '1');
      expect(aliased.read('net.ipv4.ip_forward')).toBe('1');
      expect(tree.read('net.ipv4.ip_forward')).toBe('1');
    });

    it('notices a directory swapped for a link between the check and the open', () => {
      const conf = path.join(root, 'net/ipv4/conf/eth0');
      const realOpen = nodeFs.openSync;
      jest.spyOn(nodeFs, 'openSync').mockImplementationOnce((file: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode | null) => {
        fs.renameSync(conf, `${conf}.moved`);
        fs.symlinkSync(outside, conf);
        return realOpen(file, flags ?? 'r', mode);
      });
      expect(() => tree.write('net.ipv4.conf.eth0.arp_ignore', '1')).toThrow(
        expect.objectContaining({ code: 'unsafe-path', message: expect.stringContaining(`reached ${path.join(fs.realpathSync(outside), 'arp_ignore')}`) }),
      );
      expect(fs.readFileSync(path.join(outside, 'arp_ignore'), 'utf8')).toBe('secret\n');
    });
  });
});
