/**
 * What the state contracts share: a settable clock, a fresh subject per test, and fixtures. A contract
 * (`<port>.contract.ts`) states a port's behaviour once; `state-ports.test.ts` runs it against the
 * in-memory fake and the DynamoDB adapter on dynalite, so the fake cannot drift from the table.
 */
import type { IndexedService } from '../../../shared/ports';

/** A clock a contract moves forward (lease expiry, TTL renewal). */
export class ContractClock {
  private current = new Date('2026-01-13T10:00:00.000Z');

  now = (): Date => new Date(this.current);

  /** Moves the clock `seconds` forward. */
  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

/** Builds the port under test, fresh (an empty table) for every test, on the contract's clock. */
export type MakeSubject<P> = (clock: ContractClock) => Promise<P>;

/**
 * Declares a port's contract for one implementation: `<port> contract (<name>)`, with a fresh
 * subject and clock before each test.
 *
 * @param cases - declares the tests; `subject()` and `clock()` are valid inside them
 */
export function describeContract<P>(
  port: string,
  name: string,
  make: MakeSubject<P>,
  cases: (subject: () => P, clock: () => ContractClock) => void,
): void {
  describe(`${port} contract (${name})`, () => {
    let subject: P | undefined;
    let clock = new ContractClock();
    beforeEach(async () => {
      clock = new ContractClock();
      subject = await make(clock);
    });
    cases(
      () => {
        if (!subject) throw new Error('the subject exists only inside tests');
        return subject;
      },
      () => clock,
    );
  });
}

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const API_REPO = `${ACCOUNT}:${REGION}:team/api`;
export const WORKER_REPO = `${ACCOUNT}:${REGION}:team/worker`;
export const CLUSTER = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`;

/** The ARN of a service of cluster prod. */
export const serviceArn = (name: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/${name}`;

/** A service of cluster prod as the index keeps it. */
export function service(name: string): IndexedService {
  return { serviceArn: serviceArn(name), clusterArn: CLUSTER, serviceName: name };
}

/** A revision of family `api`. */
export const revision = (n: number) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/api:${n}`;

/** A time on 2026-01-13: `at('10:15:00')`. */
export const at = (time: string) => `2026-01-13T${time}.000Z`;

/** A digest `sha256:<64 hex>` of one repeated pair: `digest('ab')`. */
export const digest = (pair: string) => `sha256:${pair.repeat(32)}`;
