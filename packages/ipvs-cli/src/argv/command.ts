import type {
  DaemonConfig, DaemonState, DestinationKey, DestinationOptions, ServiceKey, ServiceOptions, Timeouts,
} from '@tsipvs/ipvs-core';
import type { CommandName, OptionName } from './spec';

/** Which listing was asked for and how to render it. */
export interface ListFormat {
  readonly numeric: boolean;
  readonly exact: boolean;
  readonly sort: boolean;
  readonly stats: boolean;
  readonly rate: boolean;
  readonly thresholds: boolean;
  readonly persistentConn: boolean;
  readonly tunInfo: boolean;
  readonly connections: boolean;
  readonly timeouts: boolean;
  readonly daemons: boolean;
  readonly json: boolean;
  readonly pretty: boolean;
}

/** A fully validated command line, ready to run. */
export interface ParsedCommand {
  readonly command: CommandName;
  readonly given: ReadonlySet<OptionName>;
  readonly service: ServiceKey | undefined;
  readonly serviceOptions: ServiceOptions;
  readonly destination: DestinationKey | undefined;
  readonly destinationOptions: DestinationOptions;
  readonly format: ListFormat;
  readonly timeouts: Timeouts | undefined;
  readonly daemon: DaemonConfig;
  readonly daemonState: DaemonState;
}

export type CommandLine =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'run'; readonly command: ParsedCommand };
