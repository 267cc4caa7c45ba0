import { repositoryKey } from '../../../../shared/domain/aws/ecr-repository';
import { ACCOUNT, aPush } from '../../../support/in-memory';

describe('repositoryKey', () => {
  it('joins account, region and repository name', () => {
    // Prepare
    const repository = { accountId: ACCOUNT, region: 'eu-west-1', repositoryName: 'team/api' };

    // Act
    const key = repositoryKey(repository);

    // Assess
    expect(key).toBe('123456789012:eu-west-1:team/api');
  });

  it('accepts a push (extra fields ignored)', () => {
    // Prepare
    const push = aPush({ region: 'us-east-1', repositoryName: 'web' });

    // Act
    const key = repositoryKey(push);

    // Assess
    expect(key).toBe('123456789012:us-east-1:web');
  });
});
