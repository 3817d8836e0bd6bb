// Types only: the enums are values, imported from './enums' itself (a re-export would read them
// through getters).
export type * from './enums';
export type * from './service';
export type * from './destination';
export type * from './stats';
export type * from './daemon';
export type * from './info';
