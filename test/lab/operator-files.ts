/**
 * The operator's keepalived files (../shared/docs/keepalived-ha-example.txt), committed verbatim in
 * packages/keepalived/test/fixtures/operator and mirrored into the guest image. Their main file
 * includes `/etc/keepalived/conf.d/*.conf`, so they run from /etc/keepalived: for two directors at once,
 * each gets its own copy under /etc/netns/NS/keepalived, which `ip netns exec NS` mounts on
 * /etc/keepalived for the daemon it starts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const OPERATOR_FIXTURES = path.resolve(__dirname, '../../../packages/keepalived/test/fixtures/operator');

/** The MASTER's and the BACKUP's files (the checker-only lab runs the MASTER's). */
export type OperatorRole = 'master' | 'backup';

/**
 * Copies `role`'s keepalived.conf and conf.d/ byte for byte into `dir` (default /etc/keepalived);
 * returns where keepalived.conf is as the daemon sees it, /etc/keepalived/keepalived.conf.
 */
export function installOperatorFiles(role: OperatorRole, dir = '/etc/keepalived'): string {
  const from = path.join(OPERATOR_FIXTURES, role);
  // never removed first: a daemon of another case may be reading /etc/keepalived (same files there)
  fs.mkdirSync(path.join(dir, 'conf.d'), { recursive: true });
  fs.copyFileSync(path.join(from, 'keepalived.conf'), path.join(dir, 'keepalived.conf'));
  for (const file of fs.readdirSync(path.join(from, 'conf.d'))) fs.copyFileSync(path.join(from, 'conf.d', file), path.join(dir, 'conf.d', file));
  // the mount point `ip netns exec` binds a namespace's copy on
  fs.mkdirSync('/etc/keepalived', { recursive: true });
  return '/etc/keepalived/keepalived.conf';
}
