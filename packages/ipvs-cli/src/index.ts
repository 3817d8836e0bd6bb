export { main, type RunResult } from './main';
export type { CliEnvironment } from './environment';
export type { NameResolver, PortProtocol } from './names/resolver';
export { FilesResolver } from './names/files';
export { processEnvironment, runProcess } from './process';
export * from './rules/save-format';
export { splitRestoreInput, type RestoreLine } from './rules/restore-input';
export { operationOf } from './rules/operations';
