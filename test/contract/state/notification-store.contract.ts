/**
 * The contract of {@link NotificationStore}: aggregation windows counted (once per event) and closed once,
 * threads saved once.
 */
import type { NotificationMessage } from '../../../shared/domain/notify/message';
import type { NotificationStore, NotificationWindow } from '../../../shared/ports';
import { describeContract, type MakeSubject } from './contract';

const WINDOW = { start: '2026-11-23T10:00:00.000Z', end: '2026-11-23T10:01:00.000Z' };
const NEXT = { start: '2026-11-23T10:01:00.000Z', end: '2026-11-23T10:02:00.000Z' };
const GROUP = 'Deployment Started|prod|info';

function first(): NotificationMessage {
  return {
    eventType: 'Deployment Started',
    id: 'event-1',
    severity: 'info',
    title: 'prod/api deploying api:8',
    text: 'main moved.',
    facts: [{ label: 'Cluster', value: 'prod' }],
    links: [],
    cluster: 'prod',
    service: 'api',
    threadKey: 'prod/api@arn:aws:ecs:eu-west-1:123456789012:task-definition/api:8',
    at: '2026-11-23T10:00:05Z',
    dryRun: false,
  };
}

export function describeNotificationStoreContract(name: string, make: MakeSubject<NotificationStore>): void {
  describeContract('NotificationStore', name, make, (store) => {
    describe('windows', () => {
      it('opens a window on the first notification and counts the next ones into it', async () => {
        // Act
        const opened = await store().admit('ops', GROUP, WINDOW, 'event-1');
        const next = await store().admit('ops', GROUP, WINDOW, 'event-2');

        // Assess
        expect(opened).toEqual({
          channel: 'ops',
          groupKey: GROUP,
          windowStart: WINDOW.start,
          windowEnd: WINDOW.end,
          count: 1,
          examples: [],
          late: false,
        });
        expect(next.count).toBe(2);
      });

      it('keeps windows apart per channel, group and time, and lists only the ended ones', async () => {
        // Prepare
        await store().admit('ops', GROUP, WINDOW, 'event-3');
        await store().admit('ops', GROUP, WINDOW, 'event-4');
        await store().admit('team', GROUP, WINDOW, 'event-5');
        await store().admit('ops', 'Deployment Started|staging|info', WINDOW, 'event-6');
        await store().admit('ops', GROUP, NEXT, 'event-7');

        // Act
        const ended = await store().listEndedWindows(new Date(WINDOW.end));

        // Assess
        expect(ended.map((w) => [w.channel, w.groupKey, w.windowStart, w.count]).sort()).toEqual(
          [
            ['ops', GROUP, WINDOW.start, 2],
            ['ops', 'Deployment Started|staging|info', WINDOW.start, 1],
            ['team', GROUP, WINDOW.start, 1],
          ].sort(),
        );
      });

      it('keeps a few examples and closes a window once', async () => {
        // Prepare
        const window = await store().admit('ops', GROUP, WINDOW, 'event-8');
        for (let i = 0; i < 7; i++) await store().addExample('ops', GROUP, WINDOW.start, `example ${i}`);

        // Act
        const [listed] = await store().listEndedWindows(new Date(WINDOW.end));
        const closed = await store().closeWindow(window);
        const closedAgain = await store().closeWindow(window);

        // Assess
        expect(listed?.examples).toEqual(['example 0', 'example 1', 'example 2', 'example 3', 'example 4']);
        expect([closed, closedAgain]).toEqual([true, false]);
        expect(await store().listEndedWindows(new Date(WINDOW.end))).toEqual([]);
      });

      it('counts an event once: admitted again (a retry), it gets the count it was given', async () => {
        // Prepare
        await store().admit('ops', GROUP, WINDOW, 'event-1');
        await store().admit('ops', GROUP, WINDOW, 'event-2');

        // Act
        const again = await store().admit('ops', GROUP, WINDOW, 'event-1');
        const elsewhere = await store().admit('team', GROUP, WINDOW, 'event-1');
        const next = await store().admit('ops', GROUP, WINDOW, 'event-3');

        // Assess
        expect([again.count, elsewhere.count, next.count]).toEqual([1, 1, 3]);
        const [ops] = (await store().listEndedWindows(new Date(WINDOW.end))).filter(
          (w) => w.channel === 'ops',
        );
        expect(ops).toEqual({
          channel: 'ops',
          groupKey: GROUP,
          windowStart: WINDOW.start,
          windowEnd: WINDOW.end,
          count: 3,
          examples: [],
        });
      });

      it('keeps an example once (a retry adds it again)', async () => {
        // Prepare
        await store().admit('ops', GROUP, WINDOW, 'event-1');
        await store().addExample('ops', GROUP, WINDOW.start, 'prod/api deploying api:8');

        // Act
        await store().addExample('ops', GROUP, WINDOW.start, 'prod/api deploying api:8');
        await store().addExample('ops', GROUP, WINDOW.start, 'prod/web deploying web:3');

        // Assess
        const [listed] = await store().listEndedWindows(new Date(WINDOW.end));
        expect(listed?.examples).toEqual(['prod/api deploying api:8', 'prod/web deploying web:3']);
      });

      it('does not recreate a closed window for a late example', async () => {
        // Prepare
        const window = await store().admit('ops', GROUP, WINDOW, 'event-9');
        await store().closeWindow(window);

        // Act
        await store().addExample('ops', GROUP, WINDOW.start, 'late');

        // Assess
        expect(await store().listEndedWindows(new Date(WINDOW.end))).toEqual([]);
      });

      it('remembers a closed window: an event counted after the close is late, its retry too, and the window is listed again', async () => {
        // Prepare
        await store().admit('ops', GROUP, WINDOW, 'event-1');
        const [listed] = await store().listEndedWindows(new Date(WINDOW.end));
        await store().closeWindow(listed as NotificationWindow);

        // Act
        const late = await store().admit('ops', GROUP, WINDOW, 'event-2');
        const again = await store().admit('ops', GROUP, WINDOW, 'event-2');
        const early = await store().admit('ops', GROUP, WINDOW, 'event-1');
        await store().addExample('ops', GROUP, WINDOW.start, 'late one', { late: true });

        // Assess
        expect([late.count, late.late, again.count, again.late, early.count, early.late]).toEqual([
          2,
          true,
          2,
          true,
          1,
          false,
        ]);
        expect(await store().listEndedWindows(new Date(WINDOW.end))).toEqual([
          {
            channel: 'ops',
            groupKey: GROUP,
            windowStart: WINDOW.start,
            windowEnd: WINDOW.end,
            count: 2,
            examples: [],
            closed: { told: 1, atCount: 1, lateExamples: ['late one'] },
          },
        ]);
      });

      it('notes the late count a flush saw, and closes again once told, keeping the count it was first closed at', async () => {
        // Prepare
        await store().admit('ops', GROUP, WINDOW, 'event-1');
        await store().closeWindow(
          (await store().listEndedWindows(new Date(WINDOW.end)))[0] as NotificationWindow,
        );
        await store().admit('ops', GROUP, WINDOW, 'event-2');
        const [lateOnes] = await store().listEndedWindows(new Date(WINDOW.end));

        // Act
        await store().noteLateCount(lateOnes as NotificationWindow);
        const [noted] = await store().listEndedWindows(new Date(WINDOW.end));
        const closedAgain = await store().closeWindow(noted as NotificationWindow);
        const closedThrice = await store().closeWindow(noted as NotificationWindow);
        const later = await store().admit('ops', GROUP, WINDOW, 'event-3');

        // Assess
        expect(noted?.closed).toEqual({ told: 1, atCount: 1, seen: 2, lateExamples: [] });
        expect([closedAgain, closedThrice]).toEqual([true, false]);
        expect(later.closed).toEqual({ told: 2, atCount: 1, seen: 2, lateExamples: [] });
        expect(later.late).toBe(true);
      });

      it('does not make late an event counted between the listing and the close (it was answered as the open window would)', async () => {
        // Prepare
        await store().admit('ops', GROUP, WINDOW, 'event-1');
        const [listed] = await store().listEndedWindows(new Date(WINDOW.end));
        await store().admit('ops', GROUP, WINDOW, 'event-2');

        // Act
        await store().closeWindow(listed as NotificationWindow);
        const retried = await store().admit('ops', GROUP, WINDOW, 'event-2');

        // Assess
        expect(retried.late).toBe(false);
        expect(retried.closed).toEqual({ told: 1, atCount: 2, lateExamples: [] });
      });

      it('notes no late count on a window that is not closed', async () => {
        // Prepare
        const window = await store().admit('ops', GROUP, WINDOW, 'event-1');

        // Act
        await store().noteLateCount(window);

        // Assess
        const [listed] = await store().listEndedWindows(new Date(WINDOW.end));
        expect(listed?.closed).toBeUndefined();
      });
    });

    describe('threads', () => {
      it('remembers the first message of a thread once, per channel', async () => {
        // Prepare
        const thread = { ts: '1767261600.000100', channelId: 'C0123456789', first: first() };

        // Act
        const saved = await store().saveThread('deploys', 'prod/api@api:8', thread);
        const savedAgain = await store().saveThread('deploys', 'prod/api@api:8', { ...thread, ts: 'other' });

        // Assess
        expect([saved, savedAgain]).toEqual([true, false]);
        expect(await store().getThread('deploys', 'prod/api@api:8')).toEqual(thread);
        expect(await store().getThread('other-channel', 'prod/api@api:8')).toBeUndefined();
      });
    });
  });
}
