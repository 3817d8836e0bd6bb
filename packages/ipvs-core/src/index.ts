export * from './model';
export type { IpvsApi, Operation, OperationList } from './api';
export { IpvsClient, openIpvs, type OpenOptions, type BatchResult } from './client';
export { IpvsError, IpvsProtocolError, IpvsValidationError, NetlinkError, ipvsadmMessage, type IpvsOperation } from './errors';
export { errnoCode, strerror } from './errno';
export {
  formatAddress, formatIPv4, formatIPv6, familyOf, isAddressOf, normalizeAddress, netmaskToPrefix, prefixToNetmask,
  writeAddress,
} from './addresses';
export { resolveIpvsFamily } from './family';
export * from './rules';
export * as codec from './protocol/codec';
export { RequestEncoder } from './protocol/codec';
export { RequestBatch } from './protocol/batch';
export { MessageWriter, Attributes, parseAttributes } from './protocol/attributes';
export {
  parseMessages, buildDoneMessage, buildErrorMessage, buildGenlMessage, type NetlinkMessage,
} from './protocol/message';
export {
  requestList, type Transport, type DatagramSocket, type DumpVisitor, type NetlinkTransportOptions, type RequestSequence,
} from './transport/transport';
export { NetlinkTransport } from './transport/netlink-transport';
export { FakeSocket, createFakeTransport, type Answer } from './transport/fake-transport';
export { createReplayTransport, parseRecording, type Recording } from './transport/replay-transport';
