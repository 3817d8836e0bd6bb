/** Shared helpers of the ipvs-core in-VM suites (registers no case of its own). */
import * as assert from 'node:assert/strict';
import { IpvsError, openIpvs, type IpvsApi } from '@tsipvs/ipvs-core';
import { ipvsadmMessage } from 'tsipvs';
import type { VmTestContext } from '../harness/guest';

/** Dummy interface with IPv4 and IPv6 addresses, so real servers in 10/8 and 2001:db8::/64 are unicast-routable. */
export const DUMMY =
  'ip link add d0 type dummy && ip link set d0 up && ip addr add 10.0.0.254/8 dev d0 && ip -6 addr add 2001:db8::fe/64 dev d0 nodad';

export async function withClient<T>(body: (ipvs: IpvsApi) => Promise<T>): Promise<T> {
  const ipvs = await openIpvs({ timeoutMs: 10_000 });
  try {
    return await body(ipvs);
  } finally {
    ipvs.close();
  }
}

/** `ipvsadm -S -n` of the case's namespace, as lines. */
export function saved(t: VmTestContext): string[] {
  const r = t.ipvsadm(['-S', '-n']);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((line) => line !== '');
}

/** Awaits a rejection and checks it is the IpvsError we expect, which the CLI words as ipvsadm does (`ipvsadm`). */
export async function expectIpvsError(
  promise: Promise<unknown>, expected: { code: string; operation: string; ipvsadm: string },
): Promise<IpvsError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof IpvsError, `expected an IpvsError, got ${String(error)}`);
    assert.equal(error.code, expected.code);
    assert.equal(error.operation, expected.operation);
    assert.equal(ipvsadmMessage(error.operation, error.errno), expected.ipvsadm);
    return error;
  }
  assert.fail(`expected ${expected.code} from ${expected.operation}`);
}
