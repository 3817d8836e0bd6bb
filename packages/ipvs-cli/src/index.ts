export { main, runCollected, type RunResult } from './main';
export type { CliEnvironment, CliOutput, RuntimeVersions, TerminalOutput } from './environment';
export type { NameResolver, PortProtocol } from './names/resolver';
export { FilesResolver } from './names/files';
export { runProcess } from './process';
export { ipvsadmMessage } from './kernel-messages';
