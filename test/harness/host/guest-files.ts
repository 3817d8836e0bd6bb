/** Files generated into the guest image. */

/** Marker that starts every structured line the guest sends to the host (on its second serial port). */
export const MARKER = '@@TSIPVS ';

/** Modules loaded at boot: IPVS with every scheduler the kernel ships, and what the labs use. */
export const GUEST_MODULES = [
  'ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_lc', 'ip_vs_wlc', 'ip_vs_lblc', 'ip_vs_lblcr', 'ip_vs_dh', 'ip_vs_sh',
  'ip_vs_sed', 'ip_vs_nq', 'ip_vs_fo', 'ip_vs_ovf', 'ip_vs_mh', 'ip_vs_pe_sip',
  'dummy', 'veth', 'bridge', 'ipip', 'ip_gre', 'fou', 'nf_conntrack', 'nf_nat', 'nf_tables', 'nft_compat',
  'xt_mark', 'xt_multiport', 'xt_tcpudp', 'iptable_mangle',
];

/** /etc/hosts of the guest: the one the oracle's name-dependent scenarios were recorded with. */
export const GUEST_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  '192.0.2.1\tvip1.example.test',
  '192.0.2.10\trs1.example.test',
  '192.0.2.11\trs2.example.test',
  '2001:db8::1\tvip6.example.test',
  '2001:db8::10\trs6.example.test',
  '',
].join('\n');

/**
 * /init: mounts the pseudo file systems, loads the modules, brings lo up, runs the command the host
 * put on the kernel command line (base64 in `lab=`), reports its exit status with a marker on the
 * second serial port, then powers off. Any failure before the marker leaves the host without one,
 * which the host treats as a failed run.
 */
export const GUEST_INIT = `#!/bin/busybox sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
chmod 1777 /tmp # the initramfs is writable already; no tmpfs here, the project may live under /tmp
mkdir -p /run/netns
out=/dev/ttyS1
stty -F $out raw -echo 2>/dev/null
say() { echo "${MARKER}$1" > $out; }
say "{\\"type\\":\\"booted\\",\\"uptime\\":\\"$(cut -d' ' -f1 /proc/uptime)\\",\\"kernel\\":\\"$(uname -r)\\"}"
failed=""
for m in ${GUEST_MODULES.join(' ')}; do
  modprobe $m 2>/dev/null || failed="$failed $m"
done
[ -n "$failed" ] && say "{\\"type\\":\\"log\\",\\"text\\":\\"modules not loaded:$failed\\"}"
/usr/sbin/ip link set lo up
hostname tsipvs-lab
cmd=$(tr ' ' '\\n' < /proc/cmdline | sed -n 's/^lab=//p' | base64 -d)
cd /
sh -c "$cmd" > $out 2>&1 < /dev/null
status=$?
say "{\\"type\\":\\"exit\\",\\"status\\":$status,\\"uptime\\":\\"$(cut -d' ' -f1 /proc/uptime)\\"}"
sync
poweroff -f
`;
