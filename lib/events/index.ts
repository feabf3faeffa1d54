export * from './delivery';
export * from './endpoints';
export * from './job-events';
export * from './publisher';
export * from './schemas';
export * from './store';
