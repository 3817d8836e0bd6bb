/**
 * ipvsadm's defaults for the settings a caller leaves out: the one place they are filled in, before
 * the encoder validates and writes them (so `addService(key, { scheduler: 'rr' })` sends exactly
 * what `ipvsadm -A -t ... -s rr` sends).
 */
import type { DestinationOptions, DestinationSettings } from './destination';
import { AddressFamily, ForwardingMethod, ServiceFlags, TunnelType } from './enums';
import type { ServiceKey, ServiceOptions, ServiceSettings } from './service';

/** ipvsadm's scheduler when `-s` is not given (DEF_SCHED). */
const DEFAULT_SCHEDULER = 'wlc';
/** ipvsadm's persistence timeout for `-p` without a value, in seconds (IPVS_SVC_PERSISTENT_TIMEOUT). */
const DEFAULT_PERSISTENCE_TIMEOUT = 360;

/**
 * Every setting of a service of `key`'s family: those of `options`, and ipvsadm's default for each
 * one left out (undefined). Values are not checked here: the request encoder does that.
 */
export function serviceSettings(key: Pick<ServiceKey, 'family'>, options: ServiceOptions = {}): ServiceSettings {
  const flags = options.flags ?? 0;
  const settings: ServiceSettings = {
    scheduler: options.scheduler ?? DEFAULT_SCHEDULER,
    timeout: options.timeout ?? ((flags & ServiceFlags.Persistent) !== 0 ? DEFAULT_PERSISTENCE_TIMEOUT : 0),
    netmask: options.netmask ?? (key.family === AddressFamily.IPv6 ? 128 : '255.255.255.255'),
    flags,
  };
  return options.persistenceEngine === undefined ? settings : { ...settings, persistenceEngine: options.persistenceEngine };
}

/**
 * Every setting of a real server: those of `options`, and ipvsadm's default for each one left out
 * (undefined): direct routing, weight 1, no thresholds, IPIP without port or flags. Values are not
 * checked here: the request encoder does that.
 */
export function destinationSettings(options: DestinationOptions = {}): DestinationSettings {
  return {
    forwarding: options.forwarding ?? ForwardingMethod.DirectRoute,
    weight: options.weight ?? 1,
    upperThreshold: options.upperThreshold ?? 0,
    lowerThreshold: options.lowerThreshold ?? 0,
    tunnelType: options.tunnelType ?? TunnelType.IPIP,
    tunnelPort: options.tunnelPort ?? 0,
    tunnelFlags: options.tunnelFlags ?? 0,
  };
}
