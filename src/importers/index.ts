export { detectFormat, DETECT_BYTES, importerFor, importers, type Detection } from './registry.ts';
export * from './types.ts';
