/**
 * The override mechanics every kernel choice list shares (conv_select.ts, matmul_select.ts, reduce_select.ts): a
 * global override (bench, tests) and a per-session chooser (a tuning table), each honoured only when it names a
 * variant the list says is valid for the shape (`valid`), else the list's fixed rule decides.
 */
export type VariantChooser<S, V extends string> = (s: S) => V | undefined;

export interface VariantChoice<S, V extends string, D> {
  /** Installs (or, with undefined, removes) the global override. Returns the previous one. */
  setOverride(fn: VariantChooser<S, V> | undefined): VariantChooser<S, V> | undefined;
  /** The valid variant the per-session chooser (`local`) or else the global override names, or undefined. */
  explicit(s: S, device: D, local?: VariantChooser<S, V>): V | undefined;
}

/** `valid(s, device)`: every variant that runs `s` on `device` (D = void where the device does not matter). */
export function variantChoice<S, V extends string, D = void>(valid: (s: S, device: D) => readonly V[]): VariantChoice<S, V, D> {
  let override: VariantChooser<S, V> | undefined;
  return {
    setOverride(fn) {
      const prev = override;
      override = fn;
      return prev;
    },
    explicit(s, device, local) {
      const forced = local?.(s) ?? override?.(s);
      return forced && valid(s, device).includes(forced) ? forced : undefined;
    },
  };
}
