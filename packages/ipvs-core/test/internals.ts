/** What the unit tests reach: the public entries plus the internals they exercise directly. */
export * from '../src';
export * from '../src/wire';
export * from '../src/testing';
export { errnoCode } from '../src/errno';
export { NetlinkError, NetlinkTransportError } from '../src/errors';
export { differences, planRestore, type UndoPlan } from '../src/rules/undo';
export { operationRange, isOperation } from '../src/rules/change';
export { readCurrentState } from '../src/rules/prior-state';
export { ruleServiceOf, ruleDestinationOf, destinationOptionsPool, sameServiceOptions, sameDestinationOptions } from '../src/rules/ruleset';
export { NetlinkTransport } from '../src/transport/netlink-transport';
export { NO_ANSWER, NOT_SENT } from '../src/transport/transport';
export { requestList } from '../src/netlink/message';
export { resolveIpvsFamily } from '../src/family';
export * from '../src/journal';
export { lockAbstractName } from '../src/table-lock';
export { SyncTransport } from '../src/transport/sync-transport';
export { encodeGetFamily, decodeFamilyId } from '../src/protocol/codec';
