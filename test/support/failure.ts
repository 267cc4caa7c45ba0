/**
 * The error a promise rejects with; fails the test when it resolves or rejects with a non-Error.
 *
 * @example
 * const error = await failure(poster.post(request));
 * expect(error).toBeInstanceOf(PermanentError);
 */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error(`expected a rejection, got ${String(error)}`);
  return error;
}
