/**
 * `vrrp_sync_group`: instances that change state together (an outside and an inside VIP of one NAT
 * director, say). When a member becomes MASTER or BACKUP the others follow; a member in FAULT takes
 * the group to BACKUP (it cannot be MASTER without all its members), as keepalived does.
 */
import type { VrrpInstance, Transition } from './instance';
import type { VrrpSyncGroupConfig } from '../config/vrrp-model';
import type { VrrpState } from './machine';

export class VrrpSyncGroup {
  private following = false;
  private groupState: VrrpState = 'INIT';

  constructor(readonly config: VrrpSyncGroupConfig, private readonly members: readonly VrrpInstance[], private readonly notify: (command: string, args: readonly string[]) => void) {
    for (const member of members) member.on('transition', (t: Transition) => this.moved(member, t));
  }

  get state(): VrrpState {
    return this.groupState;
  }

  private moved(member: VrrpInstance, t: Transition): void {
    if (this.following) return;
    const to = t.to === 'FAULT' ? 'BACKUP' : t.to;
    if (to !== 'MASTER' && to !== 'BACKUP') return;
    this.following = true;
    try {
      for (const other of this.members) if (other !== member) other.follow(to, `sync group ${this.config.name}: ${member.config.name} is ${t.to}`);
    } finally {
      this.following = false;
    }
    const groupState: VrrpState = t.to === 'FAULT' ? 'FAULT' : to;
    if (groupState === this.groupState) return;
    this.groupState = groupState;
    const n = this.config.notify;
    const specific = groupState === 'MASTER' ? n.master : groupState === 'BACKUP' ? n.backup : n.fault;
    if (specific) this.notify(specific, []);
    if (n.any) this.notify(n.any, ['GROUP', this.config.name, groupState, '0']);
  }
}
