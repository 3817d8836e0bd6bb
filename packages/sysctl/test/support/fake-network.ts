/** An in-memory NetworkInterfaces, with a way to make one operation fail. */
import { LinkInfo, NetworkInterfaces } from '../../src/interfaces';

export class FakeNetwork implements NetworkInterfaces {
  readonly up = new Map<string, boolean>();
  readonly addresses = new Set<string>();
  /** When set, addAddress of this address throws. */
  failAddingAddress: string | undefined;
  closed = false;

  constructor(links: Readonly<Record<string, boolean>> = { lo: true, eth0: true, tunl0: false }) {
    for (const [name, up] of Object.entries(links)) this.up.set(name, up);
  }

  async link(name: string): Promise<LinkInfo | undefined> {
    const up = this.up.get(name);
    return up === undefined ? undefined : { name, index: [...this.up.keys()].indexOf(name) + 1, up };
  }

  async setLinkUp(name: string, up: boolean): Promise<void> {
    if (!this.up.has(name)) throw new Error(`no link ${name}`);
    this.up.set(name, up);
  }

  async hasAddress(dev: string, address: string, prefixLength: number): Promise<boolean> {
    return this.addresses.has(`${dev} ${address}/${prefixLength}`);
  }

  async addAddress(dev: string, address: string, prefixLength: number): Promise<void> {
    if (address === this.failAddingAddress) throw new Error('Request rejected: EPERM');
    const id = `${dev} ${address}/${prefixLength}`;
    if (this.addresses.has(id)) throw new Error('Request rejected: EEXIST');
    this.addresses.add(id);
  }

  async deleteAddress(dev: string, address: string, prefixLength: number): Promise<void> {
    if (!this.addresses.delete(`${dev} ${address}/${prefixLength}`)) throw new Error('Request rejected: EADDRNOTAVAIL');
  }

  close(): void {
    this.closed = true;
  }

  /** Links and addresses, to compare before and after. */
  snapshot(): { up: [string, boolean][]; addresses: string[] } {
    return { up: [...this.up.entries()], addresses: [...this.addresses].sort() };
  }
}
