//! Policy sets shared by the benches: realistic statement shapes spread over 20 services.
#![allow(dead_code)]

pub const SERVICES: [&str; 20] = [
    "s3",
    "ec2",
    "iam",
    "dynamodb",
    "sqs",
    "sns",
    "lambda",
    "kms",
    "logs",
    "cloudwatch",
    "sts",
    "rds",
    "ecr",
    "ecs",
    "events",
    "states",
    "secretsmanager",
    "ssm",
    "kinesis",
    "glue",
];

/// One statement: `Get*`/`List*` on a resource of its service, every 3rd with a tag condition, every 10th a
/// Deny of `Delete*`.
pub fn statement(i: usize) -> String {
    let svc = SERVICES[i % SERVICES.len()];
    let (effect, actions) = if i % 10 == 9 {
        ("Deny", format!("[\"{svc}:Delete*\"]"))
    } else {
        (
            "Allow",
            format!("[\"{svc}:Get*\",\"{svc}:List*\",\"{svc}:Describe*\"]"),
        )
    };
    let cond = if i % 3 == 0 {
        format!(",\"Condition\":{{\"StringEquals\":{{\"aws:PrincipalTag/team\":\"team-{}\"}},\"IpAddress\":{{\"aws:SourceIp\":\"10.{}.0.0/16\"}}}}", i % 5, i % 256)
    } else {
        String::new()
    };
    format!(
        "{{\"Sid\":\"S{i}\",\"Effect\":\"{effect}\",\"Action\":{actions},\"Resource\":[\"arn:aws:{svc}:::res-{i}/*\",\"arn:aws:{svc}:::res-{i}\"]{cond}}}"
    )
}

/// `policies` policies holding `per_policy` statements each, numbered consecutively.
pub fn identity_policies(policies: usize, per_policy: usize) -> Vec<String> {
    (0..policies)
        .map(|p| {
            let sts: Vec<String> = (0..per_policy)
                .map(|s| statement(p * per_policy + s))
                .collect();
            format!(
                "{{\"Version\":\"2012-10-17\",\"Statement\":[{}]}}",
                sts.join(",")
            )
        })
        .collect()
}

pub const BOUNDARY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","ec2:*","dynamodb:*","sqs:*","lambda:*"],"Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}"#;
pub const SCP_ROOT: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"FullAWSAccess","Effect":"Allow","Action":"*","Resource":"*"}]}"#;
pub const SCP_OU: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":["organizations:*","account:*"],"Resource":"*"},{"Effect":"Deny","NotAction":["iam:*","sts:*","s3:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}}]}"#;
