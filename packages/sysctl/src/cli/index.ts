export { treeOf, type CommandDeps } from './command-support';
export { registerSysctlCommand } from './sysctl-command';
export { registerRealserverCommand } from './realserver-command';
export { registerDirectorCommand } from './director-command';
