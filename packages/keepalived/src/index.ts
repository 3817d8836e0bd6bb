export type * from './config/model';
export type * from './check/health';
export type * from './director/types';
