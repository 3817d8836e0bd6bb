import { Errno } from './errno';
import { IpvsError, NetlinkError } from './errors';
import { decodeFamilyId, encodeGetFamily } from './protocol/codec';
import { IPVS_GENL_NAME } from './protocol/constants';
import type { NetlinkMessage } from './netlink/message';
import type { SyncTransport } from './transport/sync-transport';
import type { Transport } from './transport/transport';

const cache = new WeakMap<Transport, Promise<number>>();

/**
 * The generic netlink id of the IPVS family on this transport's socket (asked once through
 * nlctrl, then cached). A missing family means the ip_vs module is not loaded.
 */
export function resolveIpvsFamily(transport: Transport): Promise<number> {
  let id = cache.get(transport);
  if (!id) {
    id = lookUp(transport);
    cache.set(transport, id);
    id.catch(() => cache.delete(transport)); // a failure is not cached: the module may get loaded
  }
  return id;
}

async function lookUp(transport: Transport): Promise<number> {
  let replies;
  try {
    replies = await transport.request(encodeGetFamily(IPVS_GENL_NAME));
  } catch (error) {
    throw familyError(error);
  }
  return familyOf(replies);
}

/** The same lookup on a blocking transport (not cached: it is asked once per socket owner). */
export function resolveIpvsFamilySync(transport: SyncTransport): number {
  let replies;
  try {
    replies = transport.requestSync(encodeGetFamily(IPVS_GENL_NAME));
  } catch (error) {
    throw familyError(error);
  }
  return familyOf(replies);
}

function familyError(error: unknown): unknown {
  return error instanceof NetlinkError ? new IpvsError(error.errno, 'resolveFamily', { family: IPVS_GENL_NAME }) : error;
}

function familyOf(replies: readonly NetlinkMessage[]): number {
  const reply = replies[0];
  if (!reply) throw new IpvsError(Errno.ENOENT, 'resolveFamily', { family: IPVS_GENL_NAME });
  return decodeFamilyId(reply);
}
