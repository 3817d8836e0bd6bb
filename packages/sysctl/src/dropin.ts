/** Drop-in files for /etc/sysctl.d, so that a preset's settings are applied again at boot. */
import * as path from 'node:path';
import { DesiredFile, DesiredSysctl } from './desired';
import { Role } from './presets';

export const DEFAULT_DROPIN_DIR = '/etc/sysctl.d';

export function defaultDropinFile(role: Role): string {
  return path.join(DEFAULT_DROPIN_DIR, `90-tsipvs-${role}.conf`);
}

/** The drop-in holding every setting of a preset (dotted names, as systemd-sysctl and sysctl --system read them). */
export function dropinFor(file: string, title: string, role: Role, sysctls: readonly DesiredSysctl[]): DesiredFile {
  const lines = [
    `# ${title}`,
    `# Written by "tsipvs ${role} setup"; "tsipvs ${role} teardown" restores what was here before.`,
    '# Addresses (VIPs) are not kept by sysctl.d: configure them in your network configuration too.',
    ...sysctls.map((s) => `${s.key.dotted} = ${s.value}`),
  ];
  return { path: file, content: `${lines.join('\n')}\n`, reason: 'keep these settings across reboots' };
}
