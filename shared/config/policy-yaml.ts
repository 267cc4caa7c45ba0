/**
 * The policy file as people write it, in YAML: parsed and validated with the line, column and field of
 * every problem. The CLI (`autopilot validate-config`), the build (which then writes the result as
 * JSON for the bundles), the sandbox and handlers run from source read YAML through this module; the
 * Lambda bundles do not contain it (see `loadPolicyFile` in `policy-file.ts`).
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import {
  POLICY_FILE_LIMITS,
  type PolicyFile,
  PolicyFileError,
  PolicyFileSchema,
  policyFileTooLarge,
} from './policy-file';

function nodeAt(root: Node | null, path: readonly PropertyKey[]): Node | null {
  let node: Node | null = root;
  let last: Node | null = root;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      // Point at the key when the value is missing, so "policy: " shows its own line.
      node = pair ? ((pair.value as Node | null) ?? (pair.key as Node)) : null;
    } else if (isSeq(node) && typeof key === 'number') {
      node = (node.items[key] as Node | undefined) ?? null;
    } else {
      node = null;
    }
    if (node === null) break;
    last = node;
  }
  return node ?? last;
}

/** Every node of a document, its maps' pairs included, without recursion (a deep file cannot exhaust the stack). */
function* nodesOf(root: Node | null): Generator<Node> {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const node = pending.pop();
    if (isPair(node)) {
      pending.push(node.value, node.key);
    } else if (isMap(node) || isSeq(node)) {
      yield node;
      for (let i = node.items.length - 1; i >= 0; i--) pending.push(node.items[i]);
    } else if (isScalar(node) || isAlias(node)) {
      yield node;
    }
  }
}

/**
 * Duplicate and non-scalar keys, in one pass over the document with a set per map: yaml's own
 * `uniqueKeys` check compares every key with every earlier one (20,000 keys took 8 s).
 */
function keyProblems(root: Node | null): Array<{ node: Node; message: string }> {
  const problems: Array<{ node: Node; message: string }> = [];
  for (const node of nodesOf(root)) {
    if (!isMap(node)) continue;
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      if (!isScalar(key)) {
        problems.push({
          node: key ?? node,
          message: 'a key must be a plain value, not a list, map or alias',
        });
        continue;
      }
      const name = String(key.value);
      if (seen.has(name))
        problems.push({ node: key, message: `Map keys must be unique: "${name}" is given twice` });
      seen.add(name);
    }
  }
  return problems;
}

/** The first line of a yaml error, in words people act on. */
function yamlMessage(message: string): string {
  const first = message.split('\n')[0] ?? '';
  return first.includes('Maximum call stack size exceeded') ? 'the YAML is nested too deeply' : first;
}

/**
 * Parses and validates a policy file's text. Whatever the text holds, the only failure is a
 * {@link PolicyFileError}: a file larger than {@link POLICY_FILE_LIMITS}, YAML nested too deeply,
 * duplicate keys, aliases expanding beyond the limit (an alias bomb), counts and values out of
 * bounds, patterns that could backtrack: each with its line and field.
 *
 * @param text - YAML text
 * @param file - name used in error messages
 * @throws PolicyFileError with line, column and field of every problem
 * @example
 * const policy = parsePolicyFile(readFileSync('autopilot.yml', 'utf8'), 'autopilot.yml');
 */
export function parsePolicyFile(text: string, file = 'autopilot.yml'): PolicyFile {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > POLICY_FILE_LIMITS.bytes) throw policyFileTooLarge(file, bytes);
  const lineCounter = new LineCounter();
  const locate = (offset: number | undefined) => {
    const pos = lineCounter.linePos(offset ?? 0);
    return { line: pos.line, column: pos.col };
  };
  const fail = (issues: Array<{ offset: number | undefined; path: string; message: string }>) =>
    new PolicyFileError(
      file,
      issues.map(({ offset, path, message }) => ({ ...locate(offset), path, message })),
      POLICY_FILE_LIMITS.issues,
    );
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  } catch (error) {
    throw fail([{ offset: 0, path: '(yaml)', message: yamlMessage(String((error as Error)?.message)) }]);
  }
  if (doc.errors.length > 0) {
    throw fail(
      doc.errors.map((e) => ({ offset: e.pos[0], path: '(yaml)', message: yamlMessage(e.message) })),
    );
  }
  const keys = keyProblems(doc.contents);
  if (keys.length > 0) {
    throw fail(keys.map(({ node, message }) => ({ offset: node.range?.[0], path: '(yaml)', message })));
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: POLICY_FILE_LIMITS.aliases });
  } catch (error) {
    const alias = [...nodesOf(doc.contents)].find((node) => isAlias(node));
    const message = String((error as Error)?.message ?? error);
    throw fail([
      {
        offset: alias?.range?.[0],
        path: '(yaml)',
        message: /alias/i.test(message)
          ? `aliases expand to too much (more than ${POLICY_FILE_LIMITS.aliases} aliases resolved): ${message}`
          : yamlMessage(message),
      },
    ]);
  }
  const result = PolicyFileSchema.safeParse(value ?? {});
  if (!result.success) {
    throw new PolicyFileError(
      file,
      // Locating costs a walk per issue: only the ones listed are located.
      result.error.issues.slice(0, POLICY_FILE_LIMITS.issues).map((issue) => {
        // An invalid record key (a policy name) is located at the key itself, not inside its value.
        const invalidKey = issue.code === 'invalid_key';
        const node = nodeAt(doc.contents, invalidKey ? issue.path.slice(0, -1) : issue.path);
        const badKey = invalidKey ? String(issue.path.at(-1)) : undefined;
        const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : badKey;
        const keyNode =
          unknownKey !== undefined && isMap(node)
            ? node.items.find((p) => isScalar(p.key) && String(p.key.value) === unknownKey)?.key
            : undefined;
        const located = (keyNode as Node | undefined) ?? node;
        return {
          ...locate(located?.range?.[0]),
          path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)',
          message: issue.message,
        };
      }),
      POLICY_FILE_LIMITS.issues,
      result.error.issues.length,
    );
  }
  return result.data;
}
