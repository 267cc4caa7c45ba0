/**
 * Cases are taken from the EventBridge user guide (event patterns, arrays, null values, content
 * filtering, comparison operators) and from the README of aws/event-ruler, the matcher EventBridge uses.
 */
import {
  compilePattern,
  type EventPattern,
  MAX_MATCH_DEPTH,
  MAX_MATCH_ELEMENTS,
  matchesPattern,
  PatternError,
  validatePattern,
} from '../../../tools/eventbridge/pattern';

interface MatchCase {
  readonly name: string;
  readonly pattern: EventPattern;
  readonly event: unknown;
  readonly expected: boolean;
}

/** The sample EC2 event of the EventBridge docs / event-ruler README. */
const ec2Event = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

/** The EC2 event with `detail` fields replaced or added. */
function withDetail(detail: Record<string, unknown>): unknown {
  return { ...ec2Event, detail: { ...ec2Event.detail, ...detail } };
}

/** An event whose only content is `detail`. */
function detailOnly(detail: Record<string, unknown>): unknown {
  return { source: 'my.app', 'detail-type': 'Test', detail };
}

function runCases(cases: readonly MatchCase[]): void {
  it.each(cases)('$name', ({ pattern, event, expected }) => {
    // Prepare
    validatePattern(pattern);

    // Act
    const result = matchesPattern(pattern, event);

    // Assess
    expect(result).toBe(expected);
  });
}

describe('exact matching, AND/OR and structure', () => {
  runCases([
    { name: 'matches an exact source', pattern: { source: ['aws.ec2'] }, event: ec2Event, expected: true },
    { name: 'rejects another source', pattern: { source: ['aws.s3'] }, event: ec2Event, expected: false },
    {
      name: 'is case sensitive',
      pattern: { source: ['AWS.EC2'] },
      event: ec2Event,
      expected: false,
    },
    {
      name: 'ORs the values of one field',
      pattern: { detail: { state: ['initializing', 'running'] } },
      event: ec2Event,
      expected: true,
    },
    {
      name: 'rejects when no value of the field matches',
      pattern: { detail: { state: ['initializing', 'stopped'] } },
      event: ec2Event,
      expected: false,
    },
    {
      name: 'ANDs fields (docs simple-matching rule)',
      pattern: {
        'detail-type': ['EC2 Instance State-change Notification'],
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
        detail: { state: ['initializing', 'running'] },
      },
      event: ec2Event,
      expected: true,
    },
    {
      name: 'rejects when one ANDed field fails',
      pattern: { 'detail-type': ['EC2 Spot Instance Interruption Warning'], detail: { state: ['running'] } },
      event: ec2Event,
      expected: false,
    },
    {
      name: 'rejects a field missing from the event',
      pattern: { detail: { 'instance-type': ['t3.micro'] } },
      event: ec2Event,
      expected: false,
    },
    {
      name: 'rejects a nested pattern when the event has no such object',
      pattern: { detail: { state: ['running'] } },
      event: { source: 'aws.ec2' },
      expected: false,
    },
    {
      name: 'does not match a leaf pattern against an object',
      pattern: { detail: ['running'] },
      event: ec2Event,
      expected: false,
    },
    {
      name: 'compares numbers numerically (3.018e2 == 301.8)',
      pattern: { detail: { 'x-limit': [3.018e2] } },
      event: ec2Event,
      expected: true,
    },
    {
      name: 'compares numbers numerically (300 == 300.0)',
      pattern: { detail: { 'x-limit': [300] } },
      event: JSON.parse('{"detail":{"x-limit":300.0}}'),
      expected: true,
    },
    {
      name: 'does not match a number against the same digits as a string',
      pattern: { detail: { 'c-count': ['5'] } },
      event: ec2Event,
      expected: false,
    },
    {
      name: 'matches true exactly',
      pattern: { detail: { enabled: [true] } },
      event: detailOnly({ enabled: true }),
      expected: true,
    },
    {
      name: 'does not match true against "true"',
      pattern: { detail: { enabled: [true] } },
      event: detailOnly({ enabled: 'true' }),
      expected: false,
    },
    {
      name: 'matches any element of an event array (intersection is non-empty)',
      pattern: {
        resources: [
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
          'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
          'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
        ],
      },
      event: {
        resources: [
          'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        ],
      },
      expected: true,
    },
    {
      name: 'rejects an event array with an empty intersection',
      pattern: { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f'] },
      event: { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-00000000'] },
      expected: false,
    },
    {
      name: 'crushes arrays of objects into their parent field',
      pattern: { employees: { firstName: ['Anna'] } },
      event: {
        employees: [
          { firstName: 'John', lastName: 'Doe' },
          { firstName: 'Anna', lastName: 'Smith' },
          { firstName: 'Peter', lastName: 'Jones' },
        ],
      },
      expected: true,
    },
    {
      name: 'requires fields matched under an array to come from the same element',
      pattern: { employees: { firstName: ['Anna'], lastName: ['Jones'] } },
      event: {
        employees: [
          [
            { firstName: 'John', lastName: 'Doe' },
            { firstName: 'Anna', lastName: 'Smith' },
          ],
          [{ firstName: 'Peter', lastName: 'Jones' }],
        ],
      },
      expected: false,
    },
  ]);
});

describe('null values and empty strings', () => {
  const event = {
    version: '0',
    id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
    'detail-type': 'EC2 Instance Launch Successful',
    source: 'aws.autoscaling',
    account: '123456789012',
    time: '2015-11-11T21:31:47Z',
    region: 'us-east-1',
    resources: [],
    detail: { eventVersion: '', responseElements: null },
  };
  runCases([
    { name: 'matches an empty string', pattern: { detail: { eventVersion: [''] } }, event, expected: true },
    { name: 'matches null', pattern: { detail: { responseElements: [null] } }, event, expected: true },
    {
      name: 'does not match null against an empty string',
      pattern: { detail: { eventVersion: [null] } },
      event,
      expected: false,
    },
    {
      name: 'does not match an empty string against null',
      pattern: { detail: { responseElements: [''] } },
      event,
      expected: false,
    },
  ]);
});

describe('prefix', () => {
  runCases([
    {
      name: 'matches a prefix of time',
      pattern: { time: [{ prefix: '2017-10-02' }] },
      event: ec2Event,
      expected: true,
    },
    {
      name: 'rejects another prefix',
      pattern: { time: [{ prefix: '2017-10-03' }] },
      event: ec2Event,
      expected: false,
    },
    {
      name: 'only applies to strings',
      pattern: { detail: { 'c-count': [{ prefix: '5' }] } },
      event: ec2Event,
      expected: false,
    },
    {
      name: 'an empty prefix matches any string',
      pattern: { source: [{ prefix: '' }] },
      event: ec2Event,
      expected: true,
    },
    {
      name: 'equals-ignore-case prefix matches EVENTBRIDGE',
      pattern: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
      event: detailOnly({ service: 'EVENTBRIDGE' }),
      expected: true,
    },
    {
      name: 'equals-ignore-case prefix rejects another word',
      pattern: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
      event: detailOnly({ service: 'Lambda' }),
      expected: false,
    },
    {
      name: 'anything-but prefix "us-" excludes us-east-1',
      pattern: { region: [{ 'anything-but': { prefix: 'us-' } }] },
      event: ec2Event,
      expected: false,
    },
  ]);
});

describe('suffix', () => {
  runCases([
    {
      name: 'matches a .png file name',
      pattern: { FileName: [{ suffix: '.png' }] },
      event: { FileName: 'image.png' },
      expected: true,
    },
    {
      name: 'rejects a .jpg file name',
      pattern: { FileName: [{ suffix: '.png' }] },
      event: { FileName: 'image.jpg' },
      expected: false,
    },
    {
      name: 'source suffix "ec2" (event-ruler README)',
      pattern: { source: [{ suffix: 'ec2' }] },
      event: ec2Event,
      expected: true,
    },
    {
      name: 'equals-ignore-case suffix matches .PNG',
      pattern: { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
      event: detailOnly({ FileName: 'IMAGE.PNG' }),
      expected: true,
    },
    {
      name: 'equals-ignore-case suffix rejects .jpeg',
      pattern: { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
      event: detailOnly({ FileName: 'image.jpeg' }),
      expected: false,
    },
  ]);
});

describe('equals-ignore-case', () => {
  runCases([
    {
      name: 'matches Alice for "alice"',
      pattern: { Name: [{ 'equals-ignore-case': 'alice' }] },
      event: { Name: 'Alice' },
      expected: true,
    },
    {
      name: 'matches ALICE for "alice"',
      pattern: { Name: [{ 'equals-ignore-case': 'alice' }] },
      event: { Name: 'ALICE' },
      expected: true,
    },
    {
      name: 'rejects Alicia',
      pattern: { Name: [{ 'equals-ignore-case': 'alice' }] },
      event: { Name: 'Alicia' },
      expected: false,
    },
    {
      name: 'source "EC2" (event-ruler README) does not match aws.ec2',
      pattern: { source: [{ 'equals-ignore-case': 'EC2' }] },
      event: ec2Event,
      expected: false,
    },
  ]);
});

describe('anything-but', () => {
  runCases([
    {
      name: 'string: matches running',
      pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } },
      event: ec2Event,
      expected: true,
    },
    {
      name: 'string: rejects initializing',
      pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } },
      event: withDetail({ state: 'initializing' }),
      expected: false,
    },
    {
      name: 'number: matches 301.8',
      pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
      event: ec2Event,
      expected: true,
    },
    {
      name: 'number: rejects 123',
      pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
      event: withDetail({ 'x-limit': 123 }),
      expected: false,
    },
    {
      name: 'string list: matches running',
      pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
      event: ec2Event,
      expected: true,
    },
    {
      name: 'string list: rejects overloaded',
      pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
      event: withDetail({ state: 'overloaded' }),
      expected: false,
    },
    {
      name: 'number list: matches 301.8',
      pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
      event: ec2Event,
      expected: true,
    },
    {
      name: 'number list: rejects 300.0',
      pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
      event: JSON.parse('{"detail":{"x-limit":300.0}}'),
      expected: false,
    },
    {
      name: 'number list: a string is never excluded',
      pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
      event: detailOnly({ 'x-limit': '300' }),
      expected: true,
    },
    {
      name: 'prefix: matches running',
      pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
      event: ec2Event,
      expected: true,
    },
    {
      name: 'prefix: rejects initializing',
      pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
      event: withDetail({ state: 'initializing' }),
      expected: false,
    },
    {
      name: 'suffix: matches a .jpg file',
      pattern: { FileName: [{ 'anything-but': { suffix: '.png' } }] },
      event: { FileName: 'photo.jpg' },
      expected: true,
    },
    {
      name: 'suffix: rejects a .png file',
      pattern: { FileName: [{ 'anything-but': { suffix: '.png' } }] },
      event: { FileName: 'photo.png' },
      expected: false,
    },
    {
      name: 'equals-ignore-case: rejects INITIALIZING',
      pattern: { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } },
      event: withDetail({ state: 'INITIALIZING' }),
      expected: false,
    },
    {
      name: 'equals-ignore-case list: matches running',
      pattern: {
        detail: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'Overloaded'] } }] },
      },
      event: ec2Event,
      expected: true,
    },
    {
      name: 'wildcard: matches a path without /lib/',
      pattern: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
      event: { FilePath: '/usr/bin/env' },
      expected: true,
    },
    {
      name: 'wildcard: rejects a path with /lib/',
      pattern: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
      event: { FilePath: '/usr/lib/libc.so' },
      expected: false,
    },
    {
      name: 'does not match a missing field',
      pattern: { detail: { status: [{ 'anything-but': 'initializing' }] } },
      event: ec2Event,
      expected: false,
    },
    {
      name: 'matches an event array when any element is not excluded',
      pattern: { detail: { state: [{ 'anything-but': 'stopped' }] } },
      event: withDetail({ state: ['stopped', 'running'] }),
      expected: true,
    },
    {
      name: 'rejects an event array whose elements are all excluded',
      pattern: { detail: { state: [{ 'anything-but': ['stopped', 'terminated'] }] } },
      event: withDetail({ state: ['stopped', 'terminated'] }),
      expected: false,
    },
  ]);
});

describe('numeric', () => {
  const docsPattern: EventPattern = {
    detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    },
  };
  runCases([
    { name: 'docs example matches (5, 3, 301.8)', pattern: docsPattern, event: ec2Event, expected: true },
    {
      name: 'upper bound <= 5 is inclusive, lower bound > 0 is exclusive',
      pattern: { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
      event: withDetail({ 'c-count': 0 }),
      expected: false,
    },
    {
      name: 'rejects c-count 6',
      pattern: docsPattern,
      event: withDetail({ 'c-count': 6 }),
      expected: false,
    },
    {
      name: 'rejects d-count 10 for < 10',
      pattern: docsPattern,
      event: withDetail({ 'd-count': 10 }),
      expected: false,
    },
    {
      name: '>= includes its bound',
      pattern: { detail: { 'd-count': [{ numeric: ['>=', 3] }] } },
      event: ec2Event,
      expected: true,
    },
    {
      name: 'only applies to JSON numbers, not numeric strings',
      pattern: { detail: { 'c-count': [{ numeric: ['>', 0] }] } },
      event: withDetail({ 'c-count': '5' }),
      expected: false,
    },
    {
      name: 'does not match a missing field',
      pattern: { detail: { 'e-count': [{ numeric: ['>', 0] }] } },
      event: ec2Event,
      expected: false,
    },
    {
      name: 'matches when any element of an event array is in range',
      pattern: { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
      event: withDetail({ 'c-count': [0, 9, 4] }),
      expected: true,
    },
    {
      name: 'ORs two ranges (age < 30 or >= 60)',
      pattern: { detail: { age: [{ numeric: ['<', 30] }, { numeric: ['>=', 60] }] } },
      event: detailOnly({ age: 61 }),
      expected: true,
    },
  ]);
});

describe('cidr', () => {
  runCases([
    {
      name: 'matches 10.0.0.33 in 10.0.0.0/24',
      pattern: { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } },
      event: ec2Event,
      expected: true,
    },
    {
      name: 'rejects 10.0.1.1 for 10.0.0.0/24',
      pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
      event: detailOnly({ sourceIPAddress: '10.0.1.1' }),
      expected: false,
    },
    {
      name: 'rejects a string that is not an IP address',
      pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
      event: detailOnly({ sourceIPAddress: 'cloudtrail.amazonaws.com' }),
      expected: false,
    },
    {
      name: 'matches IPv6 2001:db8::1 in 2001:db8::/32',
      pattern: { detail: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] } },
      event: detailOnly({ sourceIPAddress: '2001:db8::1' }),
      expected: true,
    },
    {
      name: 'rejects IPv6 2001:db9::1 for 2001:db8::/32',
      pattern: { detail: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] } },
      event: detailOnly({ sourceIPAddress: '2001:db9::1' }),
      expected: false,
    },
    {
      name: 'an exact IPv6 value matches another spelling of the same address',
      pattern: { detail: { sourceIPAddress: ['2001:db8::1'] } },
      event: detailOnly({ sourceIPAddress: '2001:0db8:0:0:0:0:0:0001' }),
      expected: true,
    },
  ]);
});

describe('exists', () => {
  runCases([
    {
      name: 'exists: true matches a present field',
      pattern: { detail: { state: [{ exists: true }] } },
      event: ec2Event,
      expected: true,
    },
    {
      name: 'exists: true rejects a missing field',
      pattern: { detail: { state: [{ exists: true }] } },
      event: detailOnly({ 'c-count': { c1: 100 } }),
      expected: false,
    },
    {
      name: 'exists: true matches a null value (the value is not considered)',
      pattern: { detail: { responseElements: [{ exists: true }] } },
      event: detailOnly({ responseElements: null }),
      expected: true,
    },
    {
      name: 'exists: false matches a missing field',
      pattern: { detail: { 'c-count': [{ exists: false }] } },
      event: detailOnly({ state: ['initializing', 'running'] }),
      expected: true,
    },
    {
      name: 'exists: false rejects a present field',
      pattern: { detail: { 'c-count': [{ exists: false }] } },
      event: ec2Event,
      expected: false,
    },
    {
      name: 'exists: false matches a field that is not a leaf node',
      pattern: { detail: { 'c-count': [{ exists: false }] } },
      event: detailOnly({ state: ['initializing', 'running'], 'c-count': { c1: 100 } }),
      expected: true,
    },
    {
      name: 'exists: true rejects a field that is not a leaf node',
      pattern: { detail: { 'c-count': [{ exists: true }] } },
      event: detailOnly({ 'c-count': { c1: 100 } }),
      expected: false,
    },
    {
      name: 'exists: false matches when the parent object is missing too',
      pattern: { detail: { 'c-count': [{ exists: false }] } },
      event: { source: 'aws.ec2' },
      expected: true,
    },
  ]);
});

describe('wildcard', () => {
  runCases([
    {
      name: 'dir/*.png matches dir/image.png',
      pattern: { detail: { FileName: [{ wildcard: 'dir/*.png' }] } },
      event: detailOnly({ FileName: 'dir/image.png' }),
      expected: true,
    },
    {
      name: 'dir/*.png matches across slashes (dir/sub/image.png)',
      pattern: { detail: { FileName: [{ wildcard: 'dir/*.png' }] } },
      event: detailOnly({ FileName: 'dir/sub/image.png' }),
      expected: true,
    },
    {
      name: 'dir/*.png rejects dir/image.jpg',
      pattern: { detail: { FileName: [{ wildcard: 'dir/*.png' }] } },
      event: detailOnly({ FileName: 'dir/image.jpg' }),
      expected: false,
    },
    {
      name: 'the wildcard may match an empty string',
      pattern: { detail: { FileName: [{ wildcard: 'dir/*.png' }] } },
      event: detailOnly({ FileName: 'dir/.png' }),
      expected: true,
    },
    {
      name: 'Simple*Service matches SimpleNotificationService',
      pattern: { source: [{ wildcard: 'Simple*Service' }] },
      event: { source: 'SimpleNotificationService' },
      expected: true,
    },
    {
      name: 'several wildcards keep their order',
      pattern: { detail: { key: [{ wildcard: 'a*b*c' }] } },
      event: detailOnly({ key: 'axxcyyb' }),
      expected: false,
    },
    {
      name: 'matches an event bus ARN in any account',
      pattern: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
      event: { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/orders' },
      expected: true,
    },
    {
      name: 'an escaped \\* matches a literal asterisk',
      pattern: { detail: { FileName: [{ wildcard: 'dir/\\*.png' }] } },
      event: detailOnly({ FileName: 'dir/*.png' }),
      expected: true,
    },
    {
      name: 'an escaped \\* is not a wildcard',
      pattern: { detail: { FileName: [{ wildcard: 'dir/\\*.png' }] } },
      event: detailOnly({ FileName: 'dir/image.png' }),
      expected: false,
    },
    {
      name: 'an escaped \\\\ matches a literal backslash',
      pattern: { detail: { path: [{ wildcard: 'C:\\\\*' }] } },
      event: detailOnly({ path: 'C:\\Windows' }),
      expected: true,
    },
    {
      name: 'only applies to strings',
      pattern: { detail: { 'c-count': [{ wildcard: '*' }] } },
      event: ec2Event,
      expected: false,
    },
  ]);
});

describe('$or', () => {
  const metricEvent = (fields: Record<string, unknown>): unknown => ({ source: 'aws.cloudwatch', ...fields });
  const sourceAndMetricOrNamespace: EventPattern = {
    source: ['aws.cloudwatch'],
    $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
  };
  const orWithAndInside: EventPattern = {
    source: ['aws.cloudwatch'],
    $or: [
      { metricName: ['CPUUtilization', 'ReadLatency'] },
      { metricType: ['MetricType'], namespace: ['AWS/EC2', 'AWS/ES'] },
      { scope: ['Service'] },
    ],
  };
  runCases([
    {
      name: 'matches the first branch',
      pattern: sourceAndMetricOrNamespace,
      event: metricEvent({ metricName: 'CPUUtilization' }),
      expected: true,
    },
    {
      name: 'matches the second branch',
      pattern: sourceAndMetricOrNamespace,
      event: metricEvent({ namespace: 'AWS/ES' }),
      expected: true,
    },
    {
      name: 'rejects when no branch matches',
      pattern: sourceAndMetricOrNamespace,
      event: metricEvent({ metricName: 'DiskReadOps', namespace: 'AWS/RDS' }),
      expected: false,
    },
    {
      name: 'is still ANDed with the sibling fields',
      pattern: sourceAndMetricOrNamespace,
      event: { source: 'aws.ec2', metricName: 'CPUUtilization' },
      expected: false,
    },
    {
      name: 'a branch with two fields needs both',
      pattern: orWithAndInside,
      event: metricEvent({ namespace: 'AWS/EC2' }),
      expected: false,
    },
    {
      name: 'a branch with two fields matches when both match',
      pattern: orWithAndInside,
      event: metricEvent({ metricType: 'MetricType', namespace: 'AWS/EC2' }),
      expected: true,
    },
    {
      name: 'works inside a nested object',
      pattern: {
        detail: {
          $or: [{ 'c-count': [{ numeric: ['>', 10] }] }, { 'x-limit': [{ numeric: ['=', 301.8] }] }],
        },
      },
      event: ec2Event,
      expected: true,
    },
  ]);
});

describe('complex example with multiple matching', () => {
  const pattern: EventPattern = {
    time: [{ prefix: '2017-10-02' }],
    detail: {
      state: [{ 'anything-but': 'initializing' }],
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ 'anything-but': [100, 200, 300] }],
      'source-ip': [{ cidr: '10.0.0.0/8' }],
    },
  };
  runCases([
    { name: 'matches the docs event', pattern, event: ec2Event, expected: true },
    {
      name: 'rejects when one condition fails',
      pattern,
      event: withDetail({ 'source-ip': '192.168.0.1' }),
      expected: false,
    },
  ]);
});

describe('patterns used by ecs-autopilot', () => {
  const ecrPushPattern: EventPattern = {
    source: ['aws.ecr'],
    'detail-type': ['ECR Image Action'],
    detail: { 'action-type': ['PUSH'], result: ['SUCCESS'] },
  };
  const ecrPushEvent = {
    version: '0',
    id: '13cde686-328b-6117-af20-0e5566167482',
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: '123456789012',
    time: '2019-11-16T01:54:34Z',
    region: 'us-west-2',
    resources: [],
    detail: {
      result: 'SUCCESS',
      'repository-name': 'my-repository-name',
      'image-digest': 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234',
      'action-type': 'PUSH',
      'image-tag': 'latest',
    },
  };
  const ecsApiPattern: EventPattern = {
    source: ['aws.ecs'],
    'detail-type': ['AWS API Call via CloudTrail'],
    detail: {
      eventSource: ['ecs.amazonaws.com'],
      eventName: ['CreateService', 'UpdateService', 'DeleteService', 'TagResource', 'UntagResource'],
    },
  };
  const ecsApiEvent = (eventName: string, eventSource = 'ecs.amazonaws.com'): unknown => ({
    version: '0',
    id: 'c0a1d3f0-1234-4bcd-9e2f-0a1b2c3d4e5f',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ecs',
    account: '123456789012',
    time: '2024-05-02T10:15:30Z',
    region: 'eu-west-1',
    resources: [],
    detail: {
      eventVersion: '1.08',
      userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/deployer/ci' },
      eventTime: '2024-05-02T10:15:30Z',
      eventSource,
      eventName,
      awsRegion: 'eu-west-1',
      sourceIPAddress: '203.0.113.10',
      requestParameters: { cluster: 'prod', service: 'api', desiredCount: 3 },
      responseElements: null,
    },
  });
  runCases([
    { name: 'ECR push success matches', pattern: ecrPushPattern, event: ecrPushEvent, expected: true },
    {
      name: 'ECR push failure does not match',
      pattern: ecrPushPattern,
      event: { ...ecrPushEvent, detail: { ...ecrPushEvent.detail, result: 'FAILURE' } },
      expected: false,
    },
    {
      name: 'ECR delete does not match',
      pattern: ecrPushPattern,
      event: { ...ecrPushEvent, detail: { ...ecrPushEvent.detail, 'action-type': 'DELETE' } },
      expected: false,
    },
    {
      name: 'ECS UpdateService via CloudTrail matches',
      pattern: ecsApiPattern,
      event: ecsApiEvent('UpdateService'),
      expected: true,
    },
    {
      name: 'ECS UntagResource via CloudTrail matches',
      pattern: ecsApiPattern,
      event: ecsApiEvent('UntagResource'),
      expected: true,
    },
    {
      name: 'ECS DescribeServices does not match',
      pattern: ecsApiPattern,
      event: ecsApiEvent('DescribeServices'),
      expected: false,
    },
    {
      name: 'another event source does not match',
      pattern: ecsApiPattern,
      event: ecsApiEvent('UpdateService', 'ec2.amazonaws.com'),
      expected: false,
    },
    {
      name: 'the ECR pattern does not match the ECS event',
      pattern: ecrPushPattern,
      event: ecsApiEvent('UpdateService'),
      expected: false,
    },
  ]);

  it('compiles a pattern once and reuses it across events', () => {
    // Prepare
    const matches = compilePattern(ecsApiPattern);

    // Act
    const results = ['CreateService', 'ListServices', 'DeleteService'].map((name) =>
      matches(ecsApiEvent(name)),
    );

    // Assess
    expect(results).toEqual([true, false, true]);
  });

  it('treats a non-object event as an event without fields', () => {
    // Prepare
    const pattern: EventPattern = { detail: { state: [{ exists: false }] } };

    // Act
    const results = [matchesPattern(ecrPushPattern, null), matchesPattern(pattern, 'not an event')];

    // Assess
    expect(results).toEqual([false, true]);
  });
});

describe('validatePattern', () => {
  const invalid: ReadonlyArray<{ readonly name: string; readonly pattern: unknown; readonly path: string }> =
    [
      { name: 'pattern that is not an object', pattern: ['aws.ec2'], path: '$' },
      { name: 'empty pattern', pattern: {}, path: '$' },
      { name: 'leaf that is not an array', pattern: { source: 'aws.ec2' }, path: '$.source' },
      { name: 'empty array', pattern: { source: [] }, path: '$.source' },
      { name: 'empty nested object', pattern: { detail: {} }, path: '$.detail' },
      { name: 'nested array as a value', pattern: { source: [['aws.ec2']] }, path: '$.source[0]' },
      { name: 'unknown operator', pattern: { source: [{ contains: 'ec2' }] }, path: '$.source[0].contains' },
      {
        name: 'two operators in one expression',
        pattern: { source: [{ prefix: 'aws', suffix: 'ec2' }] },
        path: '$.source[0]',
      },
      { name: 'prefix that is a number', pattern: { source: [{ prefix: 1 }] }, path: '$.source[0].prefix' },
      {
        name: 'numeric value that is not a number',
        pattern: { detail: { 'c-count': [{ numeric: ['>', '0'] }] } },
        path: '$.detail["c-count"][0].numeric[1]',
      },
      {
        name: 'unknown numeric operator',
        pattern: { detail: { 'c-count': [{ numeric: ['!=', 0] }] } },
        path: '$.detail["c-count"][0].numeric[0]',
      },
      {
        name: 'numeric range that starts with an upper bound',
        pattern: { detail: { 'c-count': [{ numeric: ['<', 10, '>', 0] }] } },
        path: '$.detail["c-count"][0].numeric',
      },
      {
        name: 'numeric range with bounds reversed',
        pattern: { detail: { 'c-count': [{ numeric: ['>', 10, '<', 0] }] } },
        path: '$.detail["c-count"][0].numeric',
      },
      {
        name: 'anything-but with mixed types',
        pattern: { detail: { state: [{ 'anything-but': ['stopped', 1] }] } },
        path: '$.detail.state[0]["anything-but"]',
      },
      {
        name: 'anything-but with an empty list',
        pattern: { detail: { state: [{ 'anything-but': [] }] } },
        path: '$.detail.state[0]["anything-but"]',
      },
      {
        name: 'anything-but null',
        pattern: { detail: { state: [{ 'anything-but': null }] } },
        path: '$.detail.state[0]["anything-but"]',
      },
      {
        name: 'anything-but with an unsupported operator',
        pattern: { detail: { state: [{ 'anything-but': { numeric: ['>', 1] } }] } },
        path: '$.detail.state[0]["anything-but"].numeric',
      },
      {
        name: 'anything-but with an empty prefix',
        pattern: { detail: { state: [{ 'anything-but': { prefix: '' } }] } },
        path: '$.detail.state[0]["anything-but"].prefix',
      },
      {
        name: 'exists that is not a boolean',
        pattern: { detail: { state: [{ exists: 'true' }] } },
        path: '$.detail.state[0].exists',
      },
      {
        name: 'cidr with a bad prefix length',
        pattern: { detail: { ip: [{ cidr: '10.0.0.0/33' }] } },
        path: '$.detail.ip[0].cidr',
      },
      {
        name: 'cidr that is not an address',
        pattern: { detail: { ip: [{ cidr: 'ten/8' }] } },
        path: '$.detail.ip[0].cidr',
      },
      {
        name: 'wildcard with consecutive stars',
        pattern: { detail: { key: [{ wildcard: 'a**b' }] } },
        path: '$.detail.key[0].wildcard',
      },
      {
        name: 'wildcard with a bad escape',
        pattern: { detail: { key: [{ wildcard: 'a\\b' }] } },
        path: '$.detail.key[0].wildcard',
      },
      {
        name: '$or with a single branch',
        pattern: { $or: [{ source: ['aws.ec2'] }] },
        path: '$.$or',
      },
      { name: '$or that is not an array', pattern: { $or: { source: ['aws.ec2'] } }, path: '$.$or' },
      {
        name: '$or branch that is not an object',
        pattern: { $or: [{ source: ['aws.ec2'] }, ['aws.s3']] },
        path: '$.$or[1]',
      },
      {
        name: 'reserved name inside $or',
        pattern: { $or: [{ numeric: [123] }, { prefix: ['abc'] }] },
        path: '$.$or[0].numeric',
      },
    ];

  it.each(invalid)('rejects $name', ({ pattern, path }) => {
    // Prepare
    const act = (): void => validatePattern(pattern as EventPattern);

    // Act
    let error: unknown;
    try {
      act();
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(PatternError);
    expect((error as PatternError).path).toBe(path);
    expect((error as PatternError).message).toContain(`at ${path}:`);
  });

  it('accepts every operator from the comparison-operators table', () => {
    // Prepare
    const pattern: EventPattern = {
      Location: ['New York'],
      Day: ['Monday'],
      state: [{ 'anything-but': 'initializing' }],
      Region: [{ 'anything-but': { prefix: 'us-' } }],
      FileName: [{ 'anything-but': { suffix: '.png' } }],
      status: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }],
      FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }],
      service: [{ prefix: { 'equals-ignore-case': 'eventb' } }],
      tail: [{ suffix: { 'equals-ignore-case': 'tbridge' } }],
      LastName: [''],
      Name: [{ 'equals-ignore-case': 'alice' }],
      Weight: [{ numeric: ['>', 10, '<=', 20] }],
      Ip: [{ cidr: '10.0.0.0/24' }],
      ProductName: [{ exists: true }],
      Key: [{ wildcard: 'dir/*.png' }],
      Null: [null],
      $or: [{ Color: ['red'] }, { Size: ['L'] }],
    };

    // Act
    const act = (): void => validatePattern(pattern);

    // Assess
    expect(act).not.toThrow();
  });

  it('makes matchesPattern throw for an invalid pattern', () => {
    // Prepare
    const pattern: EventPattern = { detail: { state: 'running' } };

    // Act
    const act = (): boolean => matchesPattern(pattern, ec2Event);

    // Assess
    expect(act).toThrow(PatternError);
    expect(act).toThrow('Invalid event pattern at $.detail.state: "state" must be an object or an array');
  });
});

describe('hostile events', () => {
  /** `[[[…value…]]]`, `depth` arrays deep, built from text as a sender would send it. */
  const nested = (depth: number, value: string): unknown =>
    JSON.parse(`${'['.repeat(depth)}${JSON.stringify(value)}${']'.repeat(depth)}`);

  it('matches the rest of an event whose detail holds an array 10,000 deep, without a RangeError', () => {
    // Prepare
    const event = withDetail({ junk: nested(10_000, 'x') });

    // Act
    const matches = [
      matchesPattern({ source: ['aws.ec2'], detail: { state: ['running'] } }, event),
      matchesPattern({ detail: { junk: ['x'] } }, event),
      matchesPattern({ detail: { junk: [{ exists: false }] } }, event),
      matchesPattern({ detail: { junk: { a: ['x'] } } }, event),
    ];

    // Assess
    expect(matches).toEqual([true, false, false, false]);
  });

  it('crushes out arrays up to the bound as EventBridge does, and treats deeper ones as not matching', () => {
    // Prepare
    const pattern: EventPattern = { detail: { value: ['x'] } };

    // Act
    const within = matchesPattern(pattern, withDetail({ value: nested(MAX_MATCH_DEPTH, 'x') }));
    const beyond = matchesPattern(pattern, withDetail({ value: nested(MAX_MATCH_DEPTH + 1, 'x') }));

    // Assess
    expect([within, beyond]).toEqual([true, false]);
  });

  it('walks at most the bounded number of elements of one field', () => {
    // Prepare
    const pattern: EventPattern = { detail: { value: ['x'] } };
    const many = (count: number) => [...Array<string>(count - 1).fill('y'), 'x'];

    // Act
    const within = matchesPattern(pattern, withDetail({ value: many(MAX_MATCH_ELEMENTS) }));
    const beyond = matchesPattern(pattern, withDetail({ value: many(MAX_MATCH_ELEMENTS + 1) }));

    // Assess
    expect([within, beyond]).toEqual([true, false]);
  });
});
