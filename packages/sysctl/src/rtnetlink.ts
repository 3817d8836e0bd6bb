/** NetworkInterfaces over rtnetlink (the npm `netlink` package), as `ip link` / `ip addr` would do. */
import { withNetns, type NetnsSpec } from '@tsipvs/ipvs-core/netns';
import { FlagsNew, createRtNetlink, RtNetlinkSocket } from 'netlink';
import { SysctlError, errorText } from './errors';
import { AddressExtra, LinkInfo, NetworkInterfaces } from './interfaces';

const AF_INET = 2;
const RT_SCOPE_UNIVERSE = 0;

export interface RtnetlinkOptions {
  /** The network namespace whose links and addresses to manage (its socket is created there). */
  readonly netns?: NetnsSpec;
}

export class RtnetlinkInterfaces implements NetworkInterfaces {
  private socket: RtNetlinkSocket | undefined;

  constructor(private readonly options: RtnetlinkOptions = {}) {}

  async link(name: string): Promise<LinkInfo | undefined> {
    const links = await this.call('list links', (s) => s.getLinks());
    const found = links.find((l) => l.attrs.ifname === name);
    if (!found || found.data.index === undefined) return undefined;
    return { name, index: found.data.index, up: found.data.flags?.up === true };
  }

  async setLinkUp(name: string, up: boolean): Promise<void> {
    const index = await this.indexOf(name);
    await this.call(`set ${name} ${up ? 'up' : 'down'}`, (s) => s.setLink({ index, flags: up ? { up: true } : {}, change: { up: true } }));
  }

  async hasAddress(dev: string, address: string, prefixLength: number): Promise<boolean> {
    const index = await this.indexOf(dev);
    const wanted = ipv4Bytes(address);
    const addresses = await this.call('list addresses', (s) => s.getAddresses({ family: AF_INET }));
    return addresses.some(
      (a) => a.data.index === index && a.data.prefixlen === prefixLength && a.attrs.local !== undefined && wanted.equals(a.attrs.local),
    );
  }

  async addAddress(dev: string, address: string, prefixLength: number, extra: AddressExtra = {}): Promise<void> {
    const index = await this.indexOf(dev);
    const bytes = ipv4Bytes(address);
    await this.call(`add ${address}/${prefixLength} to ${dev}`, (s) =>
      s.newAddress(
        { family: AF_INET, prefixlen: prefixLength, index, scope: extra.scope ?? RT_SCOPE_UNIVERSE },
        {
          local: bytes, address: bytes,
          ...(extra.label ? { label: extra.label } : {}),
          ...(extra.broadcast ? { broadcast: ipv4Bytes(extra.broadcast) } : {}),
        },
        { flags: FlagsNew.CREATE | FlagsNew.EXCL },
      ),
    );
  }

  async deleteAddress(dev: string, address: string, prefixLength: number): Promise<void> {
    const index = await this.indexOf(dev);
    const bytes = ipv4Bytes(address);
    await this.call(`delete ${address}/${prefixLength} from ${dev}`, (s) =>
      s.delAddress({ family: AF_INET, prefixlen: prefixLength, index }, { local: bytes, address: bytes }),
    );
  }

  close(): void {
    this.socket?.socket.close();
    this.socket = undefined;
  }

  private async indexOf(name: string): Promise<number> {
    const link = await this.link(name);
    if (!link) throw new SysctlError('no-such-interface', `no network interface named ${name}`);
    return link.index;
  }

  private async call<T>(what: string, request: (socket: RtNetlinkSocket) => Promise<T>): Promise<T> {
    // the socket is created synchronously: inside withNetns, it belongs to that namespace for good
    const netns = this.options.netns;
    this.socket ??= netns === undefined ? createRtNetlink() : withNetns(netns, () => createRtNetlink());
    try {
      return await request(this.socket);
    } catch (error) {
      throw new SysctlError('netlink', `rtnetlink: cannot ${what}: ${errorText(error)}`);
    }
  }
}

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}
