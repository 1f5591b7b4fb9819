/** Expected outcomes are typed results, not exceptions (DESIGN §5). */
export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });

/** One bad field of a request: its path (e.g. `batch[2].timestamp`) and what is wrong with it. */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}
