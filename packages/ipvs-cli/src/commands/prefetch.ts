import type { Destination, IpvsApi, Service } from '@tsipvs/ipvs-core';

/** How many services' real servers are asked for ahead of the one being printed. */
const LOOKAHEAD = 16;

/**
 * Each service with what `collect` made of its real servers (kernel order), in the services' order,
 * while up to LOOKAHEAD dumps run ahead (the client spreads concurrent dumps over several sockets).
 * `collect` sees each real server as it arrives, in an object reused for the next one
 * (`IpvsApi.forEachDestination`), so it keeps only what it returns. Memory stays bounded by the window.
 */
export async function* destinationsInOrder<T>(
  api: IpvsApi,
  services: readonly Service[],
  collect: (service: Service, destination: Destination) => T,
): AsyncGenerator<{ service: Service; items: T[] }> {
  const ahead: Array<Promise<T[]>> = [];
  let next = 0;
  const fill = () => {
    while (next < services.length && ahead.length < LOOKAHEAD) {
      const service = services[next++]!;
      const items: T[] = [];
      const dump = api.forEachDestination(service.key, (d) => { items.push(collect(service, d)); }).then(() => items);
      // failures surface when their turn comes; until then they must not count as unhandled
      dump.catch(() => undefined);
      ahead.push(dump);
    }
  };
  fill();
  for (const service of services) {
    const items = await ahead.shift()!;
    fill();
    yield { service, items };
  }
}
