/**
 * @tsipvs/ipvs-core/testing: test doubles kept out of the production API. A transport answered by a
 * function (`createFakeTransport`) or by recorded kernel replies (`createReplayTransport`); pass it
 * as `openIpvs({ transport })`.
 */
export type { Transport, DumpVisitor } from './transport/transport';
export type { RequestSequence } from './netlink/message';
export type { DatagramSocket } from './netlink/socket';
export { FakeSocket, createFakeTransport, type Answer } from './transport/fake-transport';
export { createReplayTransport, parseRecording, type Recording } from './transport/replay-transport';
