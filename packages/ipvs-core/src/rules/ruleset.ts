/**
 * A ruleset: the desired (or current) IPVS table as plain data, and the identities used to match
 * services and real servers between two tables.
 */
import type { Destination, DestinationKey, DestinationSettings, Service, ServiceKey, ServiceSettings } from '../model';

export interface RuleDestination {
  readonly key: DestinationKey;
  readonly options: DestinationSettings;
}

export interface RuleService {
  readonly key: ServiceKey;
  readonly options: ServiceSettings;
  readonly destinations: readonly RuleDestination[];
}

/** The whole table: services, each with its real servers. */
export interface Ruleset {
  readonly services: readonly RuleService[];
}

const HASHED = 0x2;

/** A service as a rule: drops what the kernel reports but does not take back (stats, HASHED). */
export function ruleServiceOf(service: Service, destinations: readonly RuleDestination[]): RuleService {
  const { scheduler, timeout, netmask, flags, persistenceEngine } = service;
  return {
    key: service.key,
    options: { scheduler, timeout, netmask, flags: flags & ~HASHED, ...(persistenceEngine ? { persistenceEngine } : {}) },
    destinations,
  };
}

/** Hands out one frozen settings object per distinct real-server setting (see `destinationOptionsPool`). */
export type DestinationOptionsPool = (options: DestinationSettings) => DestinationSettings;

/** A real server's identity and settings, copied (the object given may be reused for the next one); no counters or connection counts. */
export function ruleDestinationOf(d: Destination, share: DestinationOptionsPool): RuleDestination {
  return {
    key: { family: d.key.family, address: d.key.address, port: d.key.port },
    options: share(d),
  };
}

/** Beyond this many distinct settings, a pool no longer remembers new ones (memory stays bounded). */
const MAX_SHARED_OPTIONS = 4096;

/**
 * A pool of frozen settings objects, the same object for equal settings: a large ruleset then holds
 * one settings object per distinct setting instead of one per real server (a table of 100k real
 * servers has a handful). The usual settings (a weight and a forwarding method, nothing else) are
 * found by a number; the others by a text key, which costs a string per lookup. One pool per table
 * read: nothing is kept once the table is gone.
 */
export function destinationOptionsPool(): DestinationOptionsPool {
  const usualSettings = new Map<number, DestinationSettings>();
  const otherSettings = new Map<string, DestinationSettings>();
  return (o) => {
    // each read once: `o` may be a view that decodes on every read
    const { forwarding, weight, upperThreshold, lowerThreshold, tunnelType, tunnelPort, tunnelFlags } = o;
    const usual = upperThreshold === 0 && lowerThreshold === 0 && tunnelType === 0 && tunnelPort === 0 && tunnelFlags === 0 &&
      (forwarding & 7) === forwarding && weight >>> 0 === weight;
    // a u32 weight above a 3-bit forwarding method: below 2^35, exact
    const number = usual ? weight * 8 + forwarding : 0;
    const text = usual ? '' : `${forwarding} ${weight} ${upperThreshold} ${lowerThreshold} ${tunnelType} ${tunnelPort} ${tunnelFlags}`;
    const known = usual ? usualSettings.get(number) : otherSettings.get(text);
    if (known) return known;
    const shared = Object.freeze({ forwarding, weight, upperThreshold, lowerThreshold, tunnelType, tunnelPort, tunnelFlags });
    if (usualSettings.size + otherSettings.size < MAX_SHARED_OPTIONS) {
      if (usual) usualSettings.set(number, shared);
      else otherSettings.set(text, shared);
    }
    return shared;
  };
}

export function sameServiceOptions(a: ServiceSettings, b: ServiceSettings): boolean {
  return (
    a.scheduler === b.scheduler &&
    (a.flags & ~HASHED) === (b.flags & ~HASHED) &&
    a.timeout === b.timeout &&
    String(a.netmask) === String(b.netmask) &&
    (a.persistenceEngine ?? '') === (b.persistenceEngine ?? '')
  );
}

export function sameDestinationOptions(a: DestinationSettings, b: DestinationSettings): boolean {
  return (
    a.forwarding === b.forwarding &&
    a.weight === b.weight &&
    a.upperThreshold === b.upperThreshold &&
    a.lowerThreshold === b.lowerThreshold &&
    a.tunnelType === b.tunnelType &&
    a.tunnelPort === b.tunnelPort &&
    a.tunnelFlags === b.tunnelFlags
  );
}
