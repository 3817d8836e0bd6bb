/**
 * Builds the guest's initramfs: busybox, the kernel modules LVS needs, node, ipvsadm, iproute2,
 * their shared libraries, and the built project with its production node_modules, mirrored at the
 * same absolute paths as on the host. The result is cached and rebuilt only when an input changes.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exec } from './system';
import type { LabKernel } from './kernel';
import { GUEST_HOSTS, GUEST_INIT } from './guest-files';

/** Bump when the layout of the image changes in a way file stamps cannot see. */
const LAYOUT_VERSION = 3;

/** Programs copied into the guest with their libraries, at the same path. */
const GUEST_PROGRAMS = ['/usr/sbin/ipvsadm', '/usr/sbin/ip', '/usr/sbin/xtables-nft-multi', '/usr/sbin/keepalived'];

const XTABLES_DIR = '/usr/lib/x86_64-linux-gnu/xtables';

/** Module subtrees packed (the rest of the kernel's modules is not needed by the lab). */
const MODULE_TREES = ['kernel/net', 'kernel/drivers/net', 'kernel/lib', 'kernel/crypto', 'kernel/arch'];

interface Entry {
  /** Absolute path inside the guest. */
  readonly dest: string;
  readonly source?: string;
  readonly symlink?: string;
  readonly content?: string;
  readonly mode?: number;
}

export interface InitramfsInputs {
  readonly projectRoot: string;
  readonly kernel: LabKernel;
  readonly cacheDir: string;
}

function walk(dir: string, visit: (file: string, stat: fs.Stats) => void): void {
  for (const name of fs.readdirSync(dir)) {
    const full = path.join(dir, name);
    const st = fs.lstatSync(full);
    if (st.isDirectory()) walk(full, visit);
    else visit(full, st);
  }
}

/** Mirrors a file or folder of the host at the same path in the guest (symlinks kept). */
function mirror(entries: Entry[], hostPath: string, filter: (p: string) => boolean = () => true): void {
  if (!fs.existsSync(hostPath)) return;
  const add = (file: string, st: fs.Stats) => {
    if (!filter(file)) return;
    if (st.isSymbolicLink()) entries.push({ dest: file, symlink: fs.readlinkSync(file) });
    else entries.push({ dest: file, source: file });
  };
  const st = fs.lstatSync(hostPath);
  if (st.isDirectory()) walk(hostPath, add);
  else add(hostPath, st);
}

function sharedLibraries(binary: string): string[] {
  const out = exec('ldd', [binary]);
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m?.[1]) libs.push(m[1]);
  }
  return libs;
}

function collectEntries(inputs: InitramfsInputs): Entry[] {
  const entries: Entry[] = [];
  const { kernel, projectRoot } = inputs;
  // busybox and its applets (no `ip` link: iproute2's binary owns that name)
  entries.push({ dest: '/bin/busybox', source: '/bin/busybox' });
  for (const applet of exec('/bin/busybox', ['--list']).split('\n')) {
    if (applet && applet !== 'busybox' && applet !== 'ip') entries.push({ dest: `/bin/${applet}`, symlink: 'busybox' });
  }
  // where the kernel (request_module: schedulers, the IPVS family) and ipvsadm look for modprobe
  entries.push({ dest: '/sbin/modprobe', symlink: '/bin/busybox' });
  // npm's bin launchers start with #!/usr/bin/env node
  entries.push({ dest: '/usr/bin/env', symlink: '/bin/busybox' });
  // node and the programs, each with the libraries ldd lists
  const nodeBinary = fs.realpathSync(process.execPath);
  const programs = [nodeBinary, ...GUEST_PROGRAMS.filter((p) => fs.existsSync(p))];
  entries.push({ dest: '/usr/bin/node', source: nodeBinary });
  const libs = new Set<string>();
  for (const program of programs) {
    if (program !== nodeBinary) entries.push({ dest: program, source: fs.realpathSync(program) });
    for (const lib of sharedLibraries(program)) libs.add(lib);
  }
  // iptables-nft (for firewall-mark labs): the command names and its extensions
  if (fs.existsSync('/usr/sbin/xtables-nft-multi')) {
    for (const name of ['iptables', 'ip6tables', 'iptables-save']) {
      entries.push({ dest: `/usr/sbin/${name}`, symlink: 'xtables-nft-multi' });
    }
    mirror(entries, XTABLES_DIR);
    for (const extension of fs.readdirSync(XTABLES_DIR)) {
      for (const lib of sharedLibraries(path.join(XTABLES_DIR, extension))) libs.add(lib);
    }
  }
  for (const lib of libs) entries.push({ dest: lib, source: fs.realpathSync(lib) });
  // kernel modules
  const modRoot = path.join(kernel.root, 'lib/modules', kernel.version);
  const guestModRoot = `/lib/modules/${kernel.version}`;
  for (const name of fs.readdirSync(modRoot)) {
    if (name.startsWith('modules.')) entries.push({ dest: `${guestModRoot}/${name}`, source: path.join(modRoot, name) });
  }
  for (const tree of MODULE_TREES) {
    const hostTree = path.join(modRoot, tree);
    if (!fs.existsSync(hostTree)) continue;
    walk(hostTree, (file) => entries.push({ dest: path.join(guestModRoot, path.relative(modRoot, file)), source: file }));
  }
  // name resolution files, as in the recording guest of the oracle
  entries.push({ dest: '/etc/hosts', content: GUEST_HOSTS });
  entries.push({ dest: '/etc/nsswitch.conf', content: 'hosts: files\nservices: files\nprotocols: files\nnetworks: files\n' });
  entries.push({ dest: '/etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n' });
  entries.push({ dest: '/etc/group', content: 'root:x:0:\n' });
  for (const file of ['/etc/services', '/etc/protocols']) if (fs.existsSync(file)) entries.push({ dest: file, source: file });
  entries.push({ dest: '/init', content: GUEST_INIT, mode: 0o755 });
  // the project: manifests, build output, CLI launcher, production dependencies
  mirror(entries, path.join(projectRoot, 'package.json'));
  for (const pkg of fs.readdirSync(path.join(projectRoot, 'packages'))) {
    const dir = path.join(projectRoot, 'packages', pkg);
    mirror(entries, path.join(dir, 'package.json'));
    mirror(entries, path.join(dir, 'dist'), (p) => !p.endsWith('.map') && !p.endsWith('.d.ts') && !p.endsWith('.tsbuildinfo'));
    mirror(entries, path.join(dir, 'bin'));
  }
  mirror(entries, path.join(projectRoot, 'test/dist'), (p) => !p.endsWith('.map') && !p.endsWith('.d.ts') && !p.endsWith('.tsbuildinfo'));
  const prodModules = exec('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: projectRoot })
    .split('\n')
    .filter((p) => p.includes(`${path.sep}node_modules${path.sep}`));
  for (const mod of prodModules) {
    const st = fs.lstatSync(mod);
    if (st.isSymbolicLink()) entries.push({ dest: mod, symlink: fs.readlinkSync(mod) });
    else mirror(entries, mod);
  }
  mirror(entries, path.join(projectRoot, 'test/fixtures'));
  // the operator's keepalived files, verbatim, for the keepalived and VRRP labs
  mirror(entries, path.join(projectRoot, 'packages/keepalived/test/fixtures/operator'));
  // the packed packages, installed by install.ts (symlinks kept: npm links bin/ and share/man into lib/)
  const installed = path.join(projectRoot, '.cache', 'install');
  if (fs.existsSync(installed)) mirror(entries, installed);
  return entries;
}

function stampOf(entries: readonly Entry[], kernel: LabKernel): string {
  const hash = createHash('sha256');
  hash.update(`layout ${LAYOUT_VERSION} kernel ${kernel.version}\n`);
  for (const e of entries) {
    if (e.source) {
      const st = fs.statSync(e.source);
      hash.update(`${e.dest} ${st.size} ${st.mtimeMs}\n`);
    } else hash.update(`${e.dest} -> ${e.symlink ?? ''}${e.content ?? ''}\n`);
  }
  return hash.digest('hex');
}

function stage(entries: readonly Entry[], dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const sub of ['proc', 'sys', 'dev', 'run', 'tmp', 'root', 'var', 'mnt', 'etc']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.dest)) continue;
    seen.add(e.dest);
    const target = path.join(dir, e.dest);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (e.symlink !== undefined) fs.symlinkSync(e.symlink, target);
    else if (e.content !== undefined) fs.writeFileSync(target, e.content, { mode: e.mode ?? 0o644 });
    else if (e.source) {
      try {
        fs.linkSync(e.source, target);
      } catch {
        fs.copyFileSync(e.source, target);
      }
    }
  }
  // /lib64 for the dynamic loader, /var/run for tools that expect it
  if (!fs.existsSync(path.join(dir, 'var/run'))) fs.symlinkSync('../run', path.join(dir, 'var/run'));
}

/** Returns the path of an up-to-date initramfs, building it when an input changed. */
export function buildInitramfs(inputs: InitramfsInputs, log: (line: string) => void): string {
  const entries = collectEntries(inputs);
  const stamp = stampOf(entries, inputs.kernel);
  const image = path.join(inputs.cacheDir, 'initramfs.cpio.gz');
  const stampFile = `${image}.stamp`;
  if (fs.existsSync(image) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return image;
  log(`building initramfs (${entries.length} files)`);
  const stagingDir = path.join(inputs.cacheDir, `initramfs-root.${process.pid}`);
  stage(entries, stagingDir);
  const tmp = `${image}.${process.pid}.tmp`;
  exec('sh', ['-c', `cd "${stagingDir}" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1 > "${tmp}"`]);
  // several labs may build at once: each renames its own complete image into place
  fs.renameSync(tmp, image);
  fs.writeFileSync(stampFile, stamp);
  fs.rmSync(stagingDir, { recursive: true, force: true });
  return image;
}
