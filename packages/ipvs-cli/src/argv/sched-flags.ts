import { ServiceFlags } from '@tsipvs/ipvs-core';
import { usageError } from '../errors';

const FLAG_BITS: Record<string, { readonly bit: number; readonly scheduler?: string }> = {
  'flag-1': { bit: ServiceFlags.Sched1 },
  'flag-2': { bit: ServiceFlags.Sched2 },
  'flag-3': { bit: ServiceFlags.Sched3 },
  'sh-fallback': { bit: ServiceFlags.Sched1, scheduler: 'sh' },
  'sh-port': { bit: ServiceFlags.Sched2, scheduler: 'sh' },
  'mh-fallback': { bit: ServiceFlags.Sched1, scheduler: 'mh' },
  'mh-port': { bit: ServiceFlags.Sched2, scheduler: 'mh' },
};

/** Every name -b takes. */
export const SCHEDULER_FLAG_NAMES: readonly string[] = Object.keys(FLAG_BITS);

/**
 * A -b list ("sh-fallback,sh-port") as service flag bits. Empty items are skipped, so "-b ," is the
 * same as "-b ''" (ipvsadm crashes on it).
 */
export function parseSchedulerFlags(list: string, scheduler: string): number {
  let flags = 0;
  for (const item of list.split(',').filter((i) => i !== '')) {
    const known = FLAG_BITS[item];
    if (!known) throw usageError(`invalid scheduler flag \`${item}'`);
    if (known.scheduler && known.scheduler !== scheduler) throw usageError(`incompatible scheduler flag \`${item}'`);
    flags |= known.bit;
  }
  return flags;
}

/** The names ipvsadm shows for the scheduler flag bits of a service (listing and -S). */
export function schedulerFlagNames(scheduler: string, flags: number): string[] {
  const names: string[] = [];
  if (scheduler === 'sh' || scheduler === 'mh') {
    if (flags & ServiceFlags.Sched1) names.push(`${scheduler}-fallback`);
    if (flags & ServiceFlags.Sched2) names.push(`${scheduler}-port`);
  } else {
    if (flags & ServiceFlags.Sched1) names.push('flag-1');
    if (flags & ServiceFlags.Sched2) names.push('flag-2');
    if (flags & ServiceFlags.Sched3) names.push('flag-3');
  }
  return names;
}

/** Whether the listing shows the "(flags)" part: any of the three scheduler bits set. */
export function hasSchedulerFlags(flags: number): boolean {
  return (flags & (ServiceFlags.Sched1 | ServiceFlags.Sched2 | ServiceFlags.Sched3)) !== 0;
}
