/**
 * CDK entry point: reads the `mimecastAuditLake` configuration from the context (cdk.json or
 * `-c`), validates it, builds the stack, and runs cdk-nag's AWS Solutions checks on the result.
 * An invalid configuration prints every problem and exits non-zero before anything is synthesized.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONFIG_CONTEXT_KEY, ConfigError, parseAppConfig } from '../lib/config.js';
import { MimecastAuditLakeStack } from '../lib/stack.js';

const app = new App();

let config: ReturnType<typeof parseAppConfig>;
try {
  config = parseAppConfig(app.node.tryGetContext(CONFIG_CONTEXT_KEY));
} catch (err: unknown) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

new MimecastAuditLakeStack(app, config.stackName, { config });
// Any finding that is not acknowledged (with a reason, next to the resource) fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
