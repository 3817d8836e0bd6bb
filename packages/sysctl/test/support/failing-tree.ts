/** A SysctlTree whose writes to one setting (optionally of one value) fail the way the kernel rejects a value. */
import { SysctlError } from '../../src/errors';
import { SysctlKeyLike, toKey } from '../../src/names';
import { SysctlTree } from '../../src/tree';

export class FailingTree extends SysctlTree {
  /** Dotted name whose writes fail. */
  failWritesTo: string | undefined;
  /** Only writes of this value fail, when set. */
  failingValue: string | undefined;

  override writeBytes(name: SysctlKeyLike, content: Buffer): void {
    const value = content.toString('utf8').replace(/\n$/, '');
    if (toKey(name).dotted === this.failWritesTo && (this.failingValue === undefined || value === this.failingValue)) throw new SysctlError('write-rejected', `the kernel rejected ${JSON.stringify(value)} (EINVAL)`);
    super.writeBytes(name, content);
  }
}
