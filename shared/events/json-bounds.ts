/**
 * Bounds on the shape of JSON that autopilot receives. An event may nest arrays and objects as deep
 * as its sender likes (EventBridge itself processes up to 1000 levels), but V8's recursive
 * `JSON.stringify`, `structuredClone` and `Array.prototype.flat` run out of stack a few thousand
 * levels down, so autopilot rejects absurd nesting before anything recursive sees it, and never
 * recurses over a value it did not check.
 */

/**
 * The deepest nesting of objects and arrays an event's `detail` may have. The AWS events autopilot
 * consumes nest at most about eight levels (a CloudTrail record's `requestParameters`); 64 leaves a
 * wide margin and stays far below what recursion survives.
 */
export const MAX_DETAIL_DEPTH = 64;

/**
 * Whether `value` nests objects and arrays deeper than `max` levels (a scalar is 0 levels deep, `[]`
 * and `{}` are 1). Iterative, so no nesting can exhaust the stack, and it stops at the first
 * container past `max`.
 *
 * @example nestingExceeds([[1]], 1) // true
 * @example nestingExceeds({ a: [1] }, 2) // false
 */
export function nestingExceeds(value: unknown, max: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    const depth = next.depth + 1;
    if (depth > max) return true;
    const children = Array.isArray(next.value) ? next.value : Object.values(next.value);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth });
    }
  }
  return false;
}

/**
 * `JSON.stringify(value)`, except that objects and arrays nested deeper than `maxDepth` are written
 * as the string `"[nested deeper than <maxDepth> levels]"`, so a hostile value can be logged or
 * parked without exhausting the stack.
 *
 * @example boundedJson({ a: [[1]] }, 2) // '{"a":["[nested deeper than 2 levels]"]}'
 */
export function boundedJson(value: unknown, maxDepth: number): string {
  const depths = new WeakMap<object, number>();
  const marker = `[nested deeper than ${maxDepth} levels]`;
  return JSON.stringify(value, function replace(this: unknown, _key: string, child: unknown) {
    if (typeof child !== 'object' || child === null) return child;
    // The root's holder is a wrapper object JSON.stringify made: it has no depth recorded.
    const holderDepth = typeof this === 'object' && this !== null ? (depths.get(this) ?? 0) : 0;
    const depth = holderDepth + 1;
    if (depth > maxDepth) return marker;
    depths.set(child, depth);
    return child;
  });
}
