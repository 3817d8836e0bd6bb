import type { Destination, IpvsApi, Service } from '@tsipvs/ipvs-core';

/** How many services' real servers are asked for ahead of the one being printed. */
const LOOKAHEAD = 16;

/**
 * The real servers of each service, in the services' order, while up to LOOKAHEAD dumps run ahead
 * (the client spreads concurrent dumps over several sockets). Memory stays bounded by the window.
 */
export async function* destinationsInOrder(
  api: IpvsApi,
  services: readonly Service[],
): AsyncGenerator<{ service: Service; destinations: Destination[] }> {
  const ahead: Array<Promise<Destination[]>> = [];
  let next = 0;
  const fill = () => {
    while (next < services.length && ahead.length < LOOKAHEAD) {
      const dump = api.getDestinations(services[next++]!.key);
      // failures surface when their turn comes; until then they must not count as unhandled
      dump.catch(() => undefined);
      ahead.push(dump);
    }
  };
  fill();
  for (const service of services) {
    const destinations = await ahead.shift()!;
    fill();
    yield { service, destinations };
  }
}
