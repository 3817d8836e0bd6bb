/**
 * @tsipvs/ipvs-core/wire: the bytes, for those who need them (fake kernels, recorders, tools that
 * encode large batches themselves). Not needed to use the library.
 */
export { RequestEncoder } from './protocol/codec';
export * as codec from './protocol/codec';
export { RequestBatch } from './protocol/batch';
export { MessageWriter } from './netlink/writer';
export { Attributes } from './netlink/attributes';
export { parseMessages, type NetlinkMessage } from './netlink/message';
export { buildDoneMessage, buildErrorMessage, buildGenlMessage } from './netlink/replies';
export * as constants from './protocol/constants';
export {
  formatAddress, formatNodeIPv4, formatNodeIPv6, familyOf, isAddressOf, normalizeAddress, netmaskToPrefix, prefixToNetmask,
  writeAddress, writeNodeIPv4, writeNodeIPv6,
} from './node-address';
export { decodeServiceNest, writeServiceIdentity } from './protocol/service';
export { decodeDestinationNest } from './protocol/destination';
export { decodeDaemonNest } from './protocol/daemon';
