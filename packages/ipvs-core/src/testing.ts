/**
 * @tsipvs/ipvs-core/testing: test doubles kept out of the production API. A fake kernel with the
 * 6.1 kernel's rules and errnos (`FakeKernel`; `openFakeIpvs` gives the real client over it), a
 * transport answered by a function (`createFakeTransport`) or by recorded kernel replies
 * (`createReplayTransport`; pass either as `openIpvs({ transport })`), and kernel-style replies.
 */
import type { IpvsApi } from './api';
import { openIpvs, type OpenOptions } from './client';
import { FakeKernel } from './testing/fake-kernel';
import { createFakeTransport, type FaultPlan } from './transport/fake-transport';

export type { Transport, DumpVisitor } from './transport/transport';
export type { RequestSequence } from './netlink/message';
export type { DatagramSocket } from './netlink/socket';
export {
  FakeSocket, FaultPlan, FAULT_KINDS, createFakeTransport, type Answer, type FaultKind, type FaultOptions, type FakeTransportOptions, type StruckFault,
} from './transport/fake-transport';
export { createReplayTransport, parseRecording, type Recording } from './transport/replay-transport';
export { FakeKernel };
export { unshareNetns } from './libc/netns';
export { serviceReply, destinationReply, daemonReply, genlReply, FAKE_FAMILY_ID, ZERO_STATS, type ReplyOptions } from './testing/replies';

/**
 * The real client over a fake kernel: `openIpvs` with a transport that `kernel` answers, and its
 * options. The fake answers every request at once, so its deadline only fires when the process
 * itself stalls (a loaded machine): `openIpvs`'s default is kept unless `options.timeoutMs` is given
 * (then the fake transport keeps it too: `faults` of kind `deadline` need it). `options.faults`
 * injects transport failures. `kernel.closed` counts the clients closed.
 */
export async function openFakeIpvs(
  kernel: FakeKernel = new FakeKernel(), options: Omit<OpenOptions, 'transport'> & { readonly faults?: FaultPlan } = {},
): Promise<IpvsApi> {
  const { faults, ...open } = options;
  const transport = createFakeTransport(kernel.answer, { ...(faults ? { faults } : {}), ...(open.timeoutMs !== undefined ? { timeoutMs: open.timeoutMs } : {}) });
  const api = await openIpvs({ ...open, transport });
  const close = api.close.bind(api);
  api.close = () => {
    kernel.closed++;
    close();
  };
  return api;
}
