/**
 * @tsipvs/ipvs-core/testing: test doubles kept out of the production API. A transport answered by a
 * function (`createFakeTransport`) or by recorded kernel replies (`createReplayTransport`); pass it
 * as `openIpvs({ transport })`.
 */
export type { Transport, DatagramSocket, DumpVisitor, RequestSequence } from './transport/transport';
export { FakeSocket, createFakeTransport, type Answer } from './transport/fake-transport';
export { createReplayTransport, parseRecording, type Recording } from './transport/replay-transport';
