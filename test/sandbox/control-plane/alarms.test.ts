import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import * as z from 'zod';
import { type Io, main } from '../../../cli/autopilot';
import { sandboxControlFile } from '../../../cli/target';
import type { Sandbox } from '../../../sandbox/account';
import { ControlRequestSchema, serveControl } from '../../../sandbox/control-server';
import { ACCOUNT, REGION, useControlPlane } from './support';

/** `2019-10-02T17:04:40.989+0000`, the timestamp format of the documented examples. */
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/;

const AlarmStateSchema = z.strictObject({
  reason: z.string().min(1),
  reasonData: z.string().optional(),
  timestamp: z.string().regex(TIMESTAMP),
  value: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
});

/**
 * The single-metric "CloudWatch Alarm State Change" of
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
const AlarmStateChangeSchema = EventBridgeSchema.extend({
  source: z.literal('aws.cloudwatch'),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  resources: z.tuple([z.string().regex(/^arn:aws:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$/)]),
  detail: z.strictObject({
    alarmName: z.string().min(1),
    configuration: z.object({
      description: z.string().optional(),
      metrics: z
        .array(
          z.object({
            id: z.string(),
            metricStat: z.object({
              metric: z.object({
                namespace: z.string(),
                name: z.string(),
                dimensions: z.record(z.string(), z.string()),
              }),
              period: z.number().int(),
              stat: z.string(),
            }),
            returnData: z.boolean(),
          }),
        )
        .min(1),
    }),
    previousState: AlarmStateSchema,
    state: AlarmStateSchema,
  }),
});

function capture(): Io & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

describe('setAlarmState', () => {
  const harness = useControlPlane({}, 'all');

  it('emits "CloudWatch Alarm State Change" in the documented shape, with the previous state', () => {
    // Prepare
    const { plane, events } = harness();
    const reason =
      'Threshold Crossed: 1 out of the last 1 datapoints [12.0 (23/11/26 11:40:00)] was greater than the threshold (5.0).';

    // Act
    const raised = plane.setAlarmState('prod-api-5xx', 'ALARM', reason);
    const cleared = plane.setAlarmState('prod-api-5xx', 'OK');

    // Assess
    const first = AlarmStateChangeSchema.parse(raised);
    const second = AlarmStateChangeSchema.parse(cleared);
    expect(first).toMatchObject({
      version: '0',
      account: ACCOUNT,
      region: REGION,
      resources: [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:prod-api-5xx`],
      detail: {
        alarmName: 'prod-api-5xx',
        previousState: { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation' },
        state: { value: 'ALARM', reason },
      },
    });
    expect(second.detail.previousState).toEqual(first.detail.state);
    expect(second.detail.state).toMatchObject({ value: 'OK', reason: 'Set to OK by the sandbox.' });
    expect(second.detail.configuration).toEqual(first.detail.configuration);
    expect(events.slice(-2)).toEqual([raised, cleared]);
    expect(plane.model.alarms.get('prod-api-5xx')?.state.value).toBe('OK');
  });

  it('keeps a configuration given once and refuses unknown states', () => {
    // Prepare
    const { plane } = harness();
    const configuration = {
      description: 'Target 5XX of prod/api',
      metrics: [
        {
          id: 'm1',
          metricStat: {
            metric: {
              namespace: 'AWS/ApplicationELB',
              name: 'HTTPCode_Target_5XX_Count',
              dimensions: { TargetGroup: 'targetgroup/prod-api/6d0ecf831eec9f09' },
            },
            period: 60,
            stat: 'Sum',
          },
          returnData: true,
        },
      ],
    };

    // Act
    plane.setAlarmState('prod-api-target-5xx', 'OK', undefined, configuration);
    const later = plane.setAlarmState('prod-api-target-5xx', 'ALARM');

    // Assess
    expect(AlarmStateChangeSchema.parse(later).detail.configuration).toEqual(configuration);
    expect(() => plane.setAlarmState('x', 'FIRING' as 'ALARM')).toThrow(RangeError);
    expect(() => plane.setAlarmState('', 'ALARM')).toThrow(RangeError);
  });
});

describe('the control endpoint and the CLI', () => {
  const harness = useControlPlane({}, 'all');

  it('set an alarm state through the alarm op', async () => {
    // Prepare
    const { plane } = harness();
    const root = mkdtempSync(join(tmpdir(), 'control-alarm-'));
    const runtime = { operatorEnvironment: () => ({}) };
    const stop = await serveControl({ plane, runtime } as unknown as Sandbox, root);
    const { url } = JSON.parse(readFileSync(sandboxControlFile(root, {}), 'utf8')) as { url: string };

    // Act
    const ok = await fetch(url, {
      method: 'POST',
      body: JSON.stringify({ op: 'alarm', name: 'prod-api-latency', state: 'ALARM', reason: 'p99 > 2 s' }),
    });
    const refused = await fetch(url, {
      method: 'POST',
      body: JSON.stringify({ op: 'alarm', name: 'prod-api-latency', state: 'RED' }),
    });
    await stop();
    rmSync(root, { recursive: true, force: true });

    // Assess
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({
      alarm: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:prod-api-latency`,
      state: 'ALARM',
      previousState: 'INSUFFICIENT_DATA',
    });
    expect(refused.status).toBe(400);
    expect(plane.emitted.at(-1)?.detail).toMatchObject({ state: { value: 'ALARM', reason: 'p99 > 2 s' } });
    expect(ControlRequestSchema.safeParse({ op: 'alarm', name: '', state: 'OK' }).success).toBe(false);
  });

  it('refuses an unknown state in `autopilot sandbox alarm` before calling the sandbox', async () => {
    // Prepare
    const io = capture();

    // Act
    const status = await main(['node', 'autopilot', 'sandbox', 'alarm', 'prod-api-5xx', 'RED'], io);

    // Assess
    expect(status).toBe(2);
    expect(io.errors).toEqual(['expected ALARM, OK or INSUFFICIENT_DATA, got "RED"']);
    expect(io.lines).toEqual([]);
  });
});
