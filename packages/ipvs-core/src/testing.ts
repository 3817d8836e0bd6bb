/**
 * @tsipvs/ipvs-core/testing: test doubles kept out of the production API. A fake kernel with the
 * 6.1 kernel's rules and errnos (`FakeKernel`; `openFakeIpvs` gives the real client over it), a
 * transport answered by a function (`createFakeTransport`) or by recorded kernel replies
 * (`createReplayTransport`; pass either as `openIpvs({ transport })`), and kernel-style replies.
 */
import type { IpvsApi } from './api';
import { openIpvs, type OpenOptions } from './client';
import { FakeKernel } from './testing/fake-kernel';
import { createFakeTransport } from './transport/fake-transport';

export type { Transport, DumpVisitor } from './transport/transport';
export type { RequestSequence } from './netlink/message';
export type { DatagramSocket } from './netlink/socket';
export { FakeSocket, createFakeTransport, type Answer } from './transport/fake-transport';
export { createReplayTransport, parseRecording, type Recording } from './transport/replay-transport';
export { FakeKernel };
export { serviceReply, destinationReply, daemonReply, genlReply, FAKE_FAMILY_ID, ZERO_STATS, type ReplyOptions } from './testing/replies';

/**
 * The real client over a fake kernel: `openIpvs` with a transport that `kernel` answers, and its
 * options. The fake answers every request at once, so its deadline only fires when the process
 * itself stalls (a loaded machine): `openIpvs`'s default is kept. `kernel.closed` counts the clients
 * closed.
 */
export async function openFakeIpvs(kernel: FakeKernel = new FakeKernel(), options: Omit<OpenOptions, 'transport'> = {}): Promise<IpvsApi> {
  const api = await openIpvs({ ...options, transport: createFakeTransport(kernel.answer) });
  const close = api.close.bind(api);
  api.close = () => {
    kernel.closed++;
    close();
  };
  return api;
}
