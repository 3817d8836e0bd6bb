export * from './enums';
export * from './service';
export * from './destination';
export * from './stats';
export * from './daemon';
export * from './info';
