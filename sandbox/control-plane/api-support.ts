/**
 * What the ECS and ECR operation handlers share: the handler shape, pagination with opaque tokens and
 * small input checks.
 */

import { invalidParameter } from './errors';
import type { CallerIdentity } from './events';

/** Who calls and which request this is. */
export interface CallContext {
  caller: CallerIdentity;
  requestId: string;
}

/** One operation: its handler and whether CloudTrail delivers its calls to EventBridge (mutating calls). */
export interface Operation {
  // Inputs arrive as untyped JSON; each handler narrows its own.
  // biome-ignore lint/suspicious/noExplicitAny: the wire format is checked by each handler
  handler: (input: any, context: CallContext) => unknown;
  mutating: boolean;
}

/** Operations by name (`CreateService`, ...). */
export type OperationTable = Record<string, Operation>;

/**
 * One page of `items` from the offset encoded in `nextToken`.
 *
 * @param limit - the largest `maxResults` the operation accepts
 * @param defaultSize - the page size when `maxResults` is absent
 */
export function paginate<T>(
  items: readonly T[],
  input: { nextToken?: string; maxResults?: number },
  limit: number,
  defaultSize = limit,
): { page: T[]; nextToken?: string } {
  const size = input.maxResults ?? defaultSize;
  if (!Number.isInteger(size) || size < 1 || size > limit) {
    throw invalidParameter(`maxResults must be between 1 and ${limit}.`);
  }
  let offset = 0;
  if (input.nextToken !== undefined) {
    try {
      const decoded = JSON.parse(Buffer.from(input.nextToken, 'base64').toString('utf8')) as {
        offset?: unknown;
      };
      if (typeof decoded.offset !== 'number' || !Number.isInteger(decoded.offset) || decoded.offset < 0)
        throw new Error();
      offset = decoded.offset;
    } catch {
      throw invalidParameter('Invalid nextToken.');
    }
  }
  const page = items.slice(offset, offset + size);
  const next = offset + size;
  return next < items.length
    ? { page, nextToken: Buffer.from(JSON.stringify({ offset: next })).toString('base64') }
    : { page };
}

/** A required non-empty string member, else `InvalidParameterException`. */
export function requireString(value: unknown, name: string, error = invalidParameter): string {
  if (typeof value !== 'string' || value.length === 0) throw error(`${name} can not be blank.`);
  return value;
}

/** A deep copy safe to hand out (later simulation changes do not leak into a serialized answer). */
export function copy<T>(value: T): T {
  return structuredClone(value);
}

/** `true` when two JSON-like values are equal. */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
