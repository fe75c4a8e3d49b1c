import { type App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag v3: rule packs are CDK policy-validation plugins (`Validations.of(app).addPlugins`), run
 * on every synth after the templates are written. A finding that is neither fixed nor acknowledged
 * fails `cdk synth` / `cdk deploy` (errors) or is printed (warnings); the infrastructure tests
 * require zero of both.
 *
 * `writeSuppressionsToCloudFormation` copies every acknowledgement (rule id + reason) into the
 * resource's template Metadata (`cdk_nag.rules_to_suppress`), so whoever reads the deployed
 * template sees why a rule does not apply.
 */
export function addSecurityChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
}

/**
 * Acknowledges one AwsSolutions finding on one construct (and what it contains), with the reason.
 *
 * cdk-nag v3 has no `NagSuppressions` any more: acknowledgements are CDK's own
 * `Validations.of(construct).acknowledge`. Rules that report several findings per resource (IAM4,
 * IAM5) are acknowledged per finding, `AwsSolutions-IAM5[Resource::<Table.Arn>/index/*]`, the v3
 * form of v2's `appliesTo`: any other wildcard on the same policy is still reported.
 */
export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  if (!/^AwsSolutions-[A-Z]+[0-9]+(\[.+\])?$/.test(rule)) throw new Error(`not an AwsSolutions rule id: ${rule}`);
  if (reason.trim().length < 40) throw new Error(`acknowledging ${rule} needs a specific reason, got "${reason}"`);
  Validations.of(scope).acknowledge({ id: rule, reason });
}

/** `<LogicalId.Arn>` as cdk-nag prints a `Fn::GetAtt` of the resource's ARN in a finding. */
export function nagArnRef(resource: IConstruct): string {
  const cfn = resource.node.defaultChild as CfnElement | undefined;
  if (cfn === undefined) throw new Error(`${resource.node.path} has no CloudFormation resource`);
  return `<${Stack.of(resource).getLogicalId(cfn)}.Arn>`;
}
