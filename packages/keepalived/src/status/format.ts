/** `tsipvs keepalived status` as a table: one block per virtual server, one row per real server. */
import { hostPort } from '../config/values';
import type { StatusReport } from './server';

type VirtualServerReport = StatusReport['status']['virtualServers'][number];
type RealServerReport = VirtualServerReport['realServers'][number];

/** An ISO time without milliseconds ("2026-11-30T02:29:34Z"). */
function time(iso: string | undefined): string {
  return iso === undefined ? '-' : iso.replace(/\.\d+Z$/, 'Z');
}

/** Columns padded to their widest cell, two spaces apart. */
function columns(rows: readonly (readonly string[])[], indent: string): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => `${indent}${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}`.trimEnd() + '\n').join('');
}

/** The checker with the newest result: its kind, verdict, detail and time. */
function lastCheck(rs: RealServerReport): string {
  const checked = rs.health.checkers.filter((c) => c.last !== undefined);
  if (rs.health.checkers.length === 0) return 'no checker (always up)';
  const newest = checked.sort((a, b) => b.last!.at.localeCompare(a.last!.at))[0];
  if (!newest) return 'not checked yet';
  return `${time(newest.last!.at)} ${newest.kind} ${newest.last!.ok ? 'ok' : 'failed'}: ${newest.last!.detail}`;
}

function realServerRow(rs: RealServerReport): string[] {
  const failures = Math.max(0, ...rs.health.checkers.map((c) => c.failuresInRow));
  return [
    hostPort(rs.address, rs.port),
    rs.state,
    `${rs.wantedWeight ?? 'out'}/${rs.configuredWeight}`,
    String(failures),
    lastCheck(rs),
  ];
}

function virtualServerBlock(vs: VirtualServerReport): string {
  const q = vs.quorum;
  const quorum = `quorum ${q.met ? 'met' : 'LOST'} (up weight ${q.upWeight}, needs ${q.required}${q.hysteresis ? ` ±${q.hysteresis}` : ''})`;
  const sorry = vs.sorryServer ? `, sorry server ${hostPort(vs.sorryServer.address, vs.sorryServer.port)} ${vs.sorryServer.active ? 'IN' : 'out'}` : '';
  const head = `${vs.name}  (${vs.at.file}:${vs.at.line})  ${quorum}${sorry}\n`;
  if (vs.realServers.length === 0) return `${head}  no real servers\n`;
  return head + columns([['REAL SERVER', 'STATE', 'WEIGHT', 'FAILURES', 'LAST CHECK'], ...vs.realServers.map(realServerRow)], '  ');
}

type VrrpReport = NonNullable<StatusReport['vrrp']>;

/** One row per VRRP instance: state, priorities, master, last advert, last transition. */
function vrrpBlock(vrrp: VrrpReport): string {
  const rows = vrrp.instances.map((i) => {
    const last = i.transitions.at(-1);
    const dropped = Object.entries(i.dropped).map(([reason, n]) => `${reason} ${n}`).join(', ');
    return [
      i.name, i.state, `${i.effectivePriority}/${i.configuredPriority}`, i.masterAddress ?? '-', time(i.lastAdvertAt),
      last ? `${time(last.at)} ${last.from}->${last.to} (${last.reason})` : '-', dropped || '-',
    ];
  });
  const groups = vrrp.syncGroups.map((g) => `sync group ${g.name}: ${g.state}\n`).join('');
  return `\nVRRP\n${columns([['INSTANCE', 'STATE', 'PRIORITY', 'MASTER', 'LAST ADVERT', 'LAST TRANSITION', 'DROPPED'], ...rows], '  ')}${groups}`;
}

/** The whole report as text. */
export function formatStatus(report: StatusReport): string {
  const { status } = report;
  const last = status.lastReconcile;
  const reconcile = last
    ? `last reconcile ${time(last.at)}: ${last.error ? `FAILED (${last.error})` : `${last.changes} change${last.changes === 1 ? '' : 's'}`}`
    : 'not reconciled yet';
  const head = `tsipvs keepalived (pid ${report.pid}), ${status.configFile}, running since ${time(status.startedAt)}, ${reconcile}\n`;
  const vrrp = report.vrrp && report.vrrp.instances.length > 0 ? vrrpBlock(report.vrrp) : '';
  if (status.virtualServers.length === 0) return `${head}no virtual servers\n${vrrp}`;
  return [head, ...status.virtualServers.map((vs) => `\n${virtualServerBlock(vs)}`), vrrp].join('');
}
