/** The ticketing interface (types only; implementations live in their provider folders). */
export type * from './types.ts';
