/**
 * Seeded randomness for the control plane: identifiers and fault injection are repeatable for a
 * given seed, so a scenario or a test replays the same way every run.
 */
import { createHash } from 'node:crypto';

/** A pseudo-random number generator returning numbers in `[0, 1)`. */
export type Random = () => number;

/**
 * mulberry32: a tiny, fast 32-bit generator, good enough for simulation (not for cryptography).
 *
 * @param seed - any integer; the same seed gives the same sequence
 * @example
 * const random = mulberry32(42);
 * random(); // 0.6011037519201636, every time
 */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The hex SHA-256 of a string. */
export function sha256Hex(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Identifiers in the formats AWS uses, drawn from a seeded generator. */
export class IdGenerator {
  /** @param random - the generator the identifiers are drawn from */
  constructor(private readonly random: Random) {}

  /** `length` lowercase hex digits, e.g. a task id (32). */
  hex(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += Math.floor(this.random() * 16).toString(16);
    return out;
  }

  /** `length` decimal digits without a leading zero, e.g. the number of a deployment id (19). */
  digits(length: number): string {
    let out = String(1 + Math.floor(this.random() * 9));
    for (let i = 1; i < length; i++) out += String(Math.floor(this.random() * 10));
    return out;
  }

  /** A version 4 UUID, e.g. an event id or a request id. */
  uuid(): string {
    const hex = this.hex(32).split('');
    hex[12] = '4';
    hex[16] = '89ab'[Math.floor(this.random() * 4)] ?? '8';
    const s = hex.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }

  /**
   * The id of a service deployment ARN: 21 characters of the URL-safe base64 alphabet, e.g.
   * `NCWGC2ZR-taawPAYrIaU5` (not related to the `ecs-svc/...` deployment ids).
   */
  serviceDeploymentId(): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let out = '';
    for (let i = 0; i < 21; i++) out += alphabet[Math.floor(this.random() * alphabet.length)];
    return out;
  }

  /** An ECS deployment id: `ecs-svc/` and 19 digits. */
  deploymentId(): string {
    return `ecs-svc/${this.digits(19)}`;
  }
}
