import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CDK_JSON,
  OTHER_SECRET_ARN,
  REGION,
  REPO_ROOT,
  removeTempDirs,
  SECRET_ARN,
  tempDir,
} from './support.js';

afterAll(removeTempDirs);

const BUILD = 'npm run build --silent';

/**
 * Runs the CDK CLI as a user would, on a machine with no AWS credentials and no network: every outbound
 * connection or DNS lookup, by the CLI or the app, is refused and logged.
 */
async function cdkSynth(context: Record<string, string>) {
  const home = tempDir();
  const outdir = tempDir();
  const networkLog = join(home, 'network.log');
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^AWS_/.test(key))),
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    DENY_NETWORK_LOG: networkLog,
    NODE_OPTIONS: `--import ${join(REPO_ROOT, 'test/infra/fixtures/deny-network.mjs')}`,
  };
  // cdk.json's app minus its build step: `npm test` has built the bundle, and rebuilding it here would race
  // with the test files that run it.
  const app = CDK_JSON.app.slice(`${BUILD} && `.length);
  const args = [
    'synth',
    '--output',
    outdir,
    '--app',
    app,
    ...Object.entries(context).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];
  const result = await promisify(execFile)(join(REPO_ROOT, 'node_modules/.bin/cdk'), args, {
    cwd: REPO_ROOT,
    env,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
  const connections = readFileSync(networkLog, { encoding: 'utf8', flag: 'a+' });
  return { ...result, outdir, connections };
}

describe('cdk.json', () => {
  it('builds the bundle before running the app, and turns notices and telemetry off', () => {
    expect(CDK_JSON.app).toBe(`${BUILD} && node --import tsx infra/app.ts`);
    expect(CDK_JSON.notices).toBe(false);
    expect(CDK_JSON.context['cli-telemetry']).toBe(false);
  });
});

describe('npx cdk synth', () => {
  it('synthesizes the app offline, without credentials, in the secrets region, clean under cdk-nag, with a grace', async () => {
    const result = await cdkSynth({
      secretArns: `${SECRET_ARN},${OTHER_SECRET_ARN}`,
      alertEmail: 'ops@example.com',
      revokeGraceSeconds: '3600',
    });
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(result.connections).toBe('');

    const manifest = JSON.parse(readFileSync(join(result.outdir, 'manifest.json'), 'utf8'));
    expect(manifest.artifacts.FactifyKeyRotation.environment).toBe(`aws://123456789012/${REGION}`);
    const template = JSON.parse(
      readFileSync(join(result.outdir, 'FactifyKeyRotation.template.json'), 'utf8'),
    );
    const resources = Object.values(template.Resources) as {
      Type: string;
      Properties: Record<string, unknown>;
    }[];
    const ofType = (type: string) =>
      resources.filter((resource) => resource.Type === type).map((r) => r.Properties);
    expect(ofType('AWS::Lambda::Function')).toEqual([
      expect.objectContaining({
        Runtime: 'nodejs24.x',
        Environment: { Variables: expect.objectContaining({ REVOKE_GRACE_SECONDS: '3600' }) },
      }),
    ]);
    expect(ofType('AWS::SecretsManager::RotationSchedule').map((schedule) => schedule.SecretId)).toEqual([
      SECRET_ARN,
      OTHER_SECRET_ARN,
    ]);
    expect(ofType('AWS::SNS::Subscription')).toEqual([
      expect.objectContaining({ Endpoint: 'ops@example.com' }),
    ]);
    expect(Object.keys(template.Outputs)).toEqual([
      'RotationFunctionName',
      'RotationFunctionArn',
      'LogGroupName',
      'AlertTopicArn',
      'DashboardName',
      'FailedInvocationsQueueUrl',
    ]);
    const report = JSON.parse(readFileSync(join(result.outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });

  it('fails without secretArns, showing how to pass them', async () => {
    const result = await cdkSynth({});
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('secretArns is missing: pass the complete ARNs of the secrets to rotate');
    expect(result.stderr).toContain('npx cdk deploy -c secretArns=arn:aws:secretsmanager:');
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.connections).toBe('');
  });
});
