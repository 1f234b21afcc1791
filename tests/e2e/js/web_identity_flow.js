// The AWS SDK for JavaScript v3's web identity flow against warden: fromTokenFile reads
// AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN and AWS_ROLE_SESSION_NAME, calls AssumeRoleWithWebIdentity at
// WARDEN_URL, and the client then signs GetCallerIdentity with the session it got. Prints the answer as JSON.
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");
const { fromTokenFile } = require("@aws-sdk/credential-providers");

async function main() {
  const endpoint = process.env.WARDEN_URL;
  const region = "us-east-1";
  const client = new STSClient({
    region,
    endpoint,
    credentials: fromTokenFile({ clientConfig: { region, endpoint } }),
  });
  const out = await client.send(new GetCallerIdentityCommand({}));
  console.log(JSON.stringify({ Arn: out.Arn, Account: out.Account, UserId: out.UserId }));
}

main().catch((e) => {
  console.log(JSON.stringify({ Error: e.name, Message: e.message }));
  process.exit(1);
});
