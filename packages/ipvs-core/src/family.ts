import { Errno } from './errno';
import { IpvsError, NetlinkError } from './errors';
import { decodeFamilyId, encodeGetFamily } from './protocol/codec';
import { IPVS_GENL_NAME } from './protocol/constants';
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
    if (error instanceof NetlinkError) throw new IpvsError(error.errno, 'resolveFamily', { family: IPVS_GENL_NAME });
    throw error;
  }
  const reply = replies[0];
  if (!reply) throw new IpvsError(Errno.ENOENT, 'resolveFamily', { family: IPVS_GENL_NAME });
  return decodeFamilyId(reply);
}
