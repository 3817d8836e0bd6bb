/**
 * Installs the packed packages the way users will, before the VMs boot: `npm pack` of every workspace,
 * then `npm install -g` of the four tarballs into two throwaway prefixes (npm's default hoisted layout
 * and `--install-strategy=nested`), and a small TypeScript program compiled against the types of the
 * packed library. The initramfs carries `.cache/install` into the VM, where test/vm/install.vm.ts runs
 * the installed `tsipvs` and the program against the real kernel.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exec } from './system';

export const INSTALL_LAYOUTS = ['hoisted', 'nested'] as const;

export function installDir(projectRoot: string): string {
  return path.join(projectRoot, '.cache', 'install');
}

const NPM_QUIET = ['--no-audit', '--no-fund', '--loglevel=error'];

export function installPackedPackages(projectRoot: string, log: (line: string) => void): void {
  const root = installDir(projectRoot);
  fs.rmSync(root, { recursive: true, force: true });
  const packs = path.join(root, 'packs');
  fs.mkdirSync(packs, { recursive: true });
  exec('npm', ['pack', '--workspaces', '--pack-destination', packs, '--loglevel=error'], { cwd: projectRoot });
  const tarballs = fs.readdirSync(packs).filter((f) => f.endsWith('.tgz')).sort().map((f) => path.join(packs, f));
  if (tarballs.length !== 4) throw new Error(`npm pack made ${tarballs.length} tarballs, not 4: ${tarballs.join(', ')}`);
  for (const layout of INSTALL_LAYOUTS) {
    const strategy = layout === 'nested' ? ['--install-strategy=nested'] : [];
    exec('npm', ['install', '--global', '--prefix', path.join(root, layout), ...strategy, ...NPM_QUIET, ...tarballs], { cwd: root });
  }
  const app = path.join(root, 'app');
  fs.cpSync(path.join(projectRoot, 'test/fixtures/install-app'), app, { recursive: true });
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'install-app', private: true }, null, 2));
  const typesNode = JSON.parse(fs.readFileSync(path.join(projectRoot, 'node_modules/@types/node/package.json'), 'utf8')) as { version: string };
  const library = tarballs.filter((t) => /tsipvs-(ipvs-core|sysctl)-/.test(path.basename(t)));
  exec('npm', ['install', ...NPM_QUIET, ...library, `@types/node@${typesNode.version}`], { cwd: app });
  exec(process.execPath, [path.join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', app]);
  log(`installed the packed packages into ${root} (${INSTALL_LAYOUTS.join(', ')}) and compiled a program against their types`);
}
