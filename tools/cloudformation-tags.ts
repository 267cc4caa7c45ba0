/**
 * CloudFormation short-form intrinsics (`!Ref X`, `!GetAtt X.Arn`, `!Sub ...`) as `yaml` custom tags,
 * read as their long form (`{ Ref: 'X' }`, `{ 'Fn::GetAtt': 'X.Arn' }`), so serverless.yml parses;
 * used by its one reader, `tools/serverless-config.ts`.
 */
import type { Tags } from 'yaml';

const INTRINSICS = [
  'Ref',
  'GetAtt',
  'Sub',
  'Join',
  'If',
  'Equals',
  'Select',
  'Split',
  'ImportValue',
  'FindInMap',
];

/** The custom tags to pass to `parse(text, { customTags: CLOUDFORMATION_TAGS })`. */
export const CLOUDFORMATION_TAGS = INTRINSICS.flatMap((name) => {
  const key = name === 'Ref' ? 'Ref' : `Fn::${name}`;
  const resolve = (value: unknown) => ({ [key]: value });
  return [
    { tag: `!${name}`, resolve },
    { tag: `!${name}`, collection: 'seq', resolve },
    { tag: `!${name}`, collection: 'map', resolve },
  ];
}) as unknown as Tags;
