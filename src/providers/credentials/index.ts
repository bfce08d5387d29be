/** Credentials keyed on auth kind, and the sources clients ask for them at each call. */
export * from './types.ts';
export * from './stored.ts';
export * from './sources.ts';
