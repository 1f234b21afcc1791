//! Policy sets shared by the benches: realistic statement shapes spread over 20 services.
// `allow`, not `expect`: each bench includes this module and uses a different part of it.
#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "shared bench fixtures: not every bench uses every helper, and a broken fixture should panic"
)]

use warden_policy::{NamedPolicy, Policy, PolicySet, Principal, RequestContext};

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
    let cond = if i.is_multiple_of(3) {
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

/// 10 identity policies holding `statements` statements in all, a boundary and 2 SCP levels, compiled.
pub struct Fixture {
    pub identity: Vec<NamedPolicy>,
    pub boundary: NamedPolicy,
    pub scps: Vec<Vec<NamedPolicy>>,
}

impl Fixture {
    pub fn new(statements: usize) -> Fixture {
        let compile = |t: &str| NamedPolicy::new("p", Policy::parse(t).unwrap());
        Fixture {
            identity: identity_policies(10, statements / 10)
                .iter()
                .map(|t| compile(t))
                .collect(),
            boundary: compile(BOUNDARY),
            scps: vec![vec![compile(SCP_ROOT)], vec![compile(SCP_OU)]],
        }
    }

    pub fn set(&self) -> PolicySet<'_> {
        PolicySet {
            identity: &self.identity,
            boundary: Some(&self.boundary),
            scp_levels: &self.scps,
            ..PolicySet::default()
        }
    }
}

/// A request by IAM user alice with a team tag, a source IP and a Region.
pub fn request(action: &str, resource: &str) -> RequestContext {
    request_as(action, resource, "team-0", "10.0.3.4")
}

/// The same with a chosen team tag and source IP.
pub fn request_as(action: &str, resource: &str, team: &str, ip: &str) -> RequestContext {
    let p = Principal::parse("arn:aws:iam::111122223333:user/alice").unwrap();
    let mut c = RequestContext::new(p, action, resource).unwrap();
    c.insert("aws:PrincipalTag/team", team);
    c.insert("aws:SourceIp", ip);
    c.insert("aws:RequestedRegion", "us-east-1");
    c
}

/// `lines` evaluate requests (JSON Lines) that share a few policy texts.
pub fn batch_input(lines: usize) -> String {
    let identity = identity_policies(3, 5);
    let mut out = String::with_capacity(lines * 1_500);
    let principals = [
        "arn:aws:iam::111122223333:user/alice",
        "arn:aws:sts::111122223333:assumed-role/app/s1",
        "arn:aws:iam::111122223333:user/bob",
    ];
    for i in 0..lines {
        let svc = SERVICES[i % 7];
        let line = format!(
            r#"{{"principal":"{}","action":"{svc}:GetThing","resource":"arn:aws:{svc}:::res-{}/k","context":{{"aws:PrincipalTag/team":"team-{}","aws:SourceIp":"10.0.0.{}"}},"identityPolicies":[{},{},{}],"permissionsBoundary":{},"serviceControlPolicies":[[{}],[{}]]}}"#,
            principals[i % 3],
            i % 15,
            i % 5,
            i % 250,
            identity[0],
            identity[1],
            identity[2],
            BOUNDARY,
            SCP_ROOT,
            SCP_OU,
        );
        out.push_str(&line);
        out.push('\n');
    }
    out
}
