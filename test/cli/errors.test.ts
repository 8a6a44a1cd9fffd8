import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-runner.js';
import { useCliHarness } from './harness.js';

/** What an operator sees when the CLI cannot do its job: one message on stderr that says what to do. */
describe('factify-rotation error messages', () => {
  const harness = useCliHarness();

  it('explains how to provide AWS credentials when there are none, before calling AWS', async () => {
    const { secretsManager } = harness.environment;

    const { code, stdout, stderr } = await runCli(['status', 'prod/factify'], {
      AWS_REGION: secretsManager.region,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
    });

    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toMatch(/^No usable AWS credentials were found/);
    expect(stderr).toContain('AWS_PROFILE');
    expect(stderr).toContain('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
    expect(secretsManager.calls).toEqual([]);
  });

  it('asks for a region when none is configured', async () => {
    const { code, stderr } = await harness.run(['status', 'prod/factify'], { AWS_REGION: '' });

    expect(code).toBe(1);
    expect(stderr).toMatch(/^No AWS region is configured\. Set AWS_REGION/);
  });

  it('names the region in use when the secret is not found there', async () => {
    const { code, stderr } = await harness.run(['status', 'prod/other'], { AWS_REGION: 'eu-west-1' });

    expect(code).toBe(1);
    expect(stderr).toMatch(/^Secret prod\/other was not found in region eu-west-1 /);
    expect(stderr).toContain('Check the name or ARN, AWS_REGION and AWS_PROFILE.');
  });

  it("points at the ARN's own region when it differs from the region in use", async () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/factify-AbCdEf';

    const { stderr } = await harness.run(['status', arn]);

    expect(stderr).toContain('not found in region us-east-1');
    expect(stderr).toContain('Its ARN is in region eu-west-1: set AWS_REGION=eu-west-1.');
  });

  it('names the missing permission on AccessDenied', async () => {
    harness.environment.secretsManager.failNext('ListSecretVersionIds', {
      type: 'AccessDeniedException',
      message: 'User: arn:aws:iam::123456789012:user/night-operator is not authorized',
    });

    const { code, stderr } = await harness.run(['status', 'prod/factify']);

    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^Access denied: your AWS identity may not call secretsmanager:ListSecretVersionIds on arn:aws:secretsmanager:us-east-1:\S+ in region us-east-1 \(AWS said: User: arn:aws:iam::123456789012:user\/night-operator is not authorized\)\. Grant secretsmanager:ListSecretVersionIds on the secret/,
    );
  });

  it('names RotateSecret and the invoke permission when rotate is denied', async () => {
    harness.environment.secretsManager.failNext('RotateSecret', { type: 'AccessDeniedException' });

    const { stderr } = await harness.run(['rotate', 'prod/factify']);

    expect(stderr).toContain('may not call secretsmanager:RotateSecret');
    expect(stderr).toContain('and lambda:InvokeFunction on its rotation function');
  });

  it.each(['UnrecognizedClientException', 'InvalidSignatureException'])(
    'says the credentials were rejected on %s',
    async (type) => {
      harness.environment.secretsManager.failNext('DescribeSecret', { type });

      const { code, stderr } = await harness.run(['status', 'prod/factify']);

      expect(code).toBe(1);
      expect(stderr).toMatch(/^AWS rejected the credentials in use: they are unknown, expired or mistyped/);
    },
  );

  it('says so when the secret does not hold a Factify key, without quoting the value', async () => {
    await harness.environment.secretsManager
      .client()
      .send(
        new PutSecretValueCommand({ SecretId: 'prod/factify', SecretString: 'hunter2-database-password' }),
      );

    const status = await harness.run(['status', 'prod/factify']);
    const rotate = await harness.run(['rotate', 'prod/factify']);

    for (const { code, stderr } of [status, rotate]) {
      expect(code).toBe(1);
      expect(stderr).toMatch(
        /^The AWSCURRENT value of secret \S+ is not a Factify key secret: it is not valid JSON/,
      );
      expect(stderr).not.toContain('hunter2');
    }
    expect(harness.environment.secretsManager.calls.map((call) => call.operation)).not.toContain(
      'RotateSecret',
    );
  });

  it('rejects an invalid FACTIFY_API_URL before any call', async () => {
    const { code, stderr } = await harness.run(['status', 'prod/factify'], {
      FACTIFY_API_URL: 'http://factify.example.com/v1',
    });

    expect(code).toBe(1);
    expect(stderr).toMatch(/^FACTIFY_API_URL is invalid: http is allowed only for a loopback host/);
    expect(harness.environment.secretsManager.calls).toEqual([]);
  });

  it('reports a wrong command line with exit code 2', async () => {
    const { code, stderr } = await harness.run(['status']);

    expect(code).toBe(2);
    expect(stderr).toContain('status needs a secret');
    expect(stderr).toContain('Run `npx factify-rotation status --help` for usage.');
  });
});
