import { createTheme, type CSSVariablesResolver, defaultVariantColorsResolver, Modal, type VariantColorsResolver } from '@mantine/core';

/**
 * Mantine's defaults tuned for WCAG AA contrast (checked by axe-core in test/ui): the darkest shade
 * for filled colors, dark text on light and outline variants (the tint carries the color), shade 9
 * for subtle text, and a darker "dimmed" gray. Focus rings show on keyboard focus.
 */
const variantColorResolver: VariantColorsResolver = (input) => {
  const base = defaultVariantColorsResolver(input);
  const color = input.color ?? input.theme.primaryColor;
  const named = color in input.theme.colors;
  if (input.variant === 'light' || input.variant === 'outline') return { ...base, color: 'var(--mantine-color-dark-7)' };
  if (input.variant === 'subtle' && named) return { ...base, color: `var(--mantine-color-${color}-9)` };
  return base;
};

export const theme = createTheme({
  primaryColor: 'indigo',
  primaryShade: 9,
  focusRing: 'auto',
  defaultRadius: 'sm',
  variantColorResolver,
  // Dialogs' close buttons have an accessible name.
  components: { Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }) },
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
});

export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' },
  dark: {},
});
