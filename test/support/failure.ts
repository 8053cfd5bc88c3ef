/** The error a promise rejects with, or undefined when it resolves: for asserting on several properties of one failure. */
export function failureOf(promise: Promise<unknown>): Promise<Error | undefined> {
    return promise.then(
        () => undefined,
        (error: Error) => error,
    );
}
