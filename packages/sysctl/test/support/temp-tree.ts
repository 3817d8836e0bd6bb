/** A temporary sysctl tree shaped like a 6.1 /proc/sys with ip_vs and ipip loaded. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const IPVS_6_1_DEFAULTS: Readonly<Record<string, string>> = {
  am_droprate: '10', amemthresh: '1024', backup_only: '0', cache_bypass: '0', conn_reuse_mode: '1', conntrack: '0',
  drop_entry: '0', drop_packet: '0', expire_nodest_conn: '0', expire_quiescent_template: '0', ignore_tunneled: '0',
  nat_icmp_send: '0', pmtu_disc: '1', run_estimation: '1', schedule_icmp: '0', secure_tcp: '0', sloppy_sctp: '0',
  sloppy_tcp: '0', snat_reroute: '1', sync_persist_mode: '0', sync_ports: '1', sync_qlen_max: '15300',
  sync_refresh_period: '0', sync_retries: '0', sync_sock_size: '0', sync_threshold: '3\t50', sync_version: '1',
};

export const INTERFACES = ['all', 'default', 'lo', 'eth0', 'eth0.100', 'tunl0'];

export interface TempTreeOptions {
  /** Create net/ipv4/vs (default true). */
  readonly ipvs?: boolean;
}

export function makeTempTree(options: TempTreeOptions = {}): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsipvs-sysctl-'));
  const put = (relative: string, value: string): void => {
    const file = path.join(root, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${value}\n`);
  };
  put('net/ipv4/ip_forward', '0');
  for (const dev of INTERFACES) {
    for (const [setting, value] of [['arp_ignore', '0'], ['arp_announce', '0'], ['rp_filter', '2'], ['send_redirects', '1']] as const) {
      put(`net/ipv4/conf/${dev}/${setting}`, value);
    }
  }
  if (options.ipvs ?? true) {
    for (const [name, value] of Object.entries(IPVS_6_1_DEFAULTS)) put(`net/ipv4/vs/${name}`, value);
  }
  return root;
}

/** Every file of the tree with its exact content, to compare before and after. */
export function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out[path.relative(root, full)] = fs.readFileSync(full, 'latin1');
    }
  };
  walk(root);
  return out;
}

export function removeTree(root: string): void {
  fs.rmSync(root, { recursive: true, force: true });
}
