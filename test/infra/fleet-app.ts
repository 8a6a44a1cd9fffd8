import { App, Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { FactifyKeyRotationEnrollment } from '../../infra/enrollment.js';
import { FactifyKeyRotation } from '../../infra/factify-key-rotation.js';
import { ACCOUNT, CDK_JSON, importSecret, KMS_KEY_ARN, REGION, tempDir } from './support.js';

const ENV = { account: ACCOUNT, region: REGION };
/** How many secrets each application stack of the fleet enrolls. */
export const SECRETS_PER_APP_STACK = 250;

/** The complete ARN of the fleet's secret number `index`, each in a team's own name space. */
export const fleetSecretArn = (index: number): string =>
  `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:team-${index}/factify-AbC${String(index).padStart(3, '0')}`;

/** A synthesized template: untyped JSON. */
export interface TemplateJson {
  readonly Resources: Record<string, { readonly Type: string; readonly Properties: Record<string, unknown> }>;
}

/**
 * A CDK app as a platform team runs it: a platform stack with a grace period and a customer-managed key, and
 * application stacks that enroll `count` secrets (250 each) with the platform function's ARN, synthesized.
 */
export function synthesizeFleet(count: number, outdir = tempDir()) {
  const app = new App({ outdir, context: CDK_JSON.context });
  const platformStack = new Stack(app, 'Platform', { env: ENV });
  const platform = new FactifyKeyRotation(platformStack, 'Rotation', {
    revokeGracePeriod: Duration.hours(1),
    encryptionKeys: [kms.Key.fromKeyArn(platformStack, 'Key', KMS_KEY_ARN)],
  });
  const appStacks: Stack[] = [];
  for (let start = 0; start < count; start += SECRETS_PER_APP_STACK) {
    const stack = new Stack(app, `App${appStacks.length}`, { env: ENV });
    for (let index = start; index < Math.min(count, start + SECRETS_PER_APP_STACK); index++) {
      new FactifyKeyRotationEnrollment(stack, `Enroll${index}`, {
        secret: importSecret(stack, fleetSecretArn(index)),
        rotationFunctionArn: platform.rotationFunction.functionArn,
      });
    }
    appStacks.push(stack);
  }
  const assembly = app.synth();
  const template = (stack: Stack) => assembly.getStackByName(stack.stackName).template as TemplateJson;
  const platformTemplate = template(platformStack);
  const roleId = platformStack.getLogicalId(platform.role.node.defaultChild as never);
  return {
    platform,
    platformTemplate,
    appTemplates: appStacks.map(template),
    /** The function role's policies as IAM counts them: their documents' JSON, without whitespace. */
    rolePolicyChars: Object.values(platformTemplate.Resources)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy')
      .filter((resource) => JSON.stringify(resource.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .reduce((sum, resource) => sum + JSON.stringify(resource.Properties.PolicyDocument).length, 0),
  };
}

export function resourcesOf(template: TemplateJson, type: string) {
  return Object.values(template.Resources).filter((resource) => resource.Type === type);
}
