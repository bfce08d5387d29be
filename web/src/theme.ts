import { createTheme } from '@mantine/core';

/** Mantine's defaults with a focus ring on every keyboard focus and a darker primary shade (contrast). */
export const theme = createTheme({
  primaryColor: 'indigo',
  primaryShade: 7,
  focusRing: 'auto',
  defaultRadius: 'sm',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
});
