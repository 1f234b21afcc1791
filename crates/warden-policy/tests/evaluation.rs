//! Table tests per evaluation rule. Each case cites the AWS documentation page it comes from (IAM User Guide
//! pages under https://docs.aws.amazon.com/IAM/latest/UserGuide/, Organizations pages under
//! https://docs.aws.amazon.com/organizations/latest/userguide/).
#![expect(clippy::unwrap_used, reason = "a test that panics has failed")]

use warden_policy::{
    evaluate, Decision, DecisionKind, EvalOptions, NamedPolicy, Policy, PolicySet, PolicyType,
    Principal, RequestContext,
};

use DecisionKind::{Allow, ExplicitDeny, ImplicitDeny};

const USER: &str = "arn:aws:iam::111122223333:user/alice";
const OTHER_USER: &str = "arn:aws:iam::444455556666:user/bob";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/app/s1";
const ROLE: &str = "arn:aws:iam::111122223333:role/team/app";
const FED: &str = "arn:aws:sts::111122223333:federated-user/carol";
const ROOT: &str = "arn:aws:iam::111122223333:root";
const BUCKET: &str = "arn:aws:s3:::bucket/key";

fn allow(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"A","Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    )
}

fn deny(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"D","Effect":"Deny","Action":"{action}","Resource":"*"}}]}}"#
    )
}

/// A resource policy statement list `[effect, principal JSON, action]`.
fn rbp(effect: &str, principal: &str, action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"R","Effect":"{effect}","Principal":{principal},"Action":"{action}","Resource":"*"}}]}}"#
    )
}

fn np(text: &str) -> NamedPolicy {
    NamedPolicy::new("p", Policy::parse(text).unwrap())
}

#[derive(Default)]
struct Case {
    principal: &'static str,
    action: &'static str,
    resource: &'static str,
    resource_account: Option<&'static str>,
    identity: Vec<String>,
    resource_policy: Option<String>,
    boundary: Option<String>,
    session: Option<String>,
    scps: Vec<Vec<String>>,
    rcps: Vec<Vec<String>>,
    opts: EvalOptions,
}

impl Case {
    fn new(principal: &'static str, action: &'static str) -> Case {
        Case {
            principal,
            action,
            resource: BUCKET,
            ..Case::default()
        }
    }

    fn run(&self) -> (Decision, RequestContext) {
        let mut ctx = RequestContext::new(
            Principal::parse(self.principal).unwrap(),
            self.action,
            self.resource,
        )
        .unwrap();
        if let Some(a) = self.resource_account {
            ctx.set_resource_account(a);
        }
        let identity: Vec<NamedPolicy> = self.identity.iter().map(|t| np(t)).collect();
        let resource = self.resource_policy.as_deref().map(np);
        let boundary = self.boundary.as_deref().map(np);
        let session: Vec<NamedPolicy> = self.session.as_deref().map(np).into_iter().collect();
        let levels = |ls: &[Vec<String>]| -> Vec<Vec<NamedPolicy>> {
            ls.iter()
                .map(|l| l.iter().map(|t| np(t)).collect())
                .collect()
        };
        let (scps, rcps) = (levels(&self.scps), levels(&self.rcps));
        let set = PolicySet {
            identity: &identity,
            resource: resource.as_ref(),
            boundary: boundary.as_ref(),
            session: &session,
            scope_down: &[],
            scp_levels: &scps,
            rcp_levels: &rcps,
        };
        (evaluate(&ctx, &set, &self.opts), ctx)
    }

    fn expect(&self, kind: DecisionKind, by: Option<PolicyType>) -> Decision {
        let (d, _) = self.run();
        assert_eq!(
            (d.kind, d.decided_by),
            (kind, by),
            "{} {} ",
            self.principal,
            self.action
        );
        d
    }
}

#[test]
fn identity_policies() {
    // reference_policies_evaluation-logic_policy-eval-denyallow.html: nothing allows -> implicit deny; an
    // explicit deny overrides any allow.
    let mut c = Case::new(USER, "iam:CreateUser");
    c.resource = "arn:aws:iam::111122223333:user/bob";
    let (d, ctx) = c.run();
    assert_eq!(d.kind, ImplicitDeny);
    assert_eq!(
        d.access_denied_message(&ctx).unwrap(),
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:CreateUser on resource: \
         arn:aws:iam::111122223333:user/bob because no identity-based policy allows the iam:CreateUser action"
    );
    c.identity = vec![allow("iam:*")];
    let d = c.expect(Allow, Some(PolicyType::Identity));
    assert_eq!(d.matched().len(), 1);
    assert_eq!(d.matched()[0].statement, 0);
    c.identity.push(deny("iam:Create*"));
    let d = c.expect(ExplicitDeny, Some(PolicyType::Identity));
    assert_eq!(d.matched()[0].policy, 1);
    assert_eq!(
        d.denial_reason("iam:CreateUser").unwrap(),
        "with an explicit deny in an identity-based policy"
    );
    // Actions are case-insensitive (reference_policies_elements_action.html).
    c.identity = vec![allow("IAM:createuser")];
    c.expect(Allow, Some(PolicyType::Identity));
}

#[test]
fn not_action_and_not_resource() {
    // reference_policies_elements_notaction.html: Allow + NotAction allows everything else, in every service.
    let mut c = Case::new(USER, "s3:GetObject");
    c.identity = vec![r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#.into()];
    c.expect(Allow, Some(PolicyType::Identity));
    c.action = "iam:CreateUser";
    c.expect(ImplicitDeny, Some(PolicyType::Identity));
    // reference_policies_elements_notresource.html: Allow s3:* on every resource except one bucket.
    let mut c = Case::new(USER, "s3:GetObject");
    c.identity = vec![r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotResource":["arn:aws:s3:::secret","arn:aws:s3:::secret/*"]}]}"#.into()];
    c.expect(Allow, Some(PolicyType::Identity));
    c.resource = "arn:aws:s3:::secret/k";
    c.expect(ImplicitDeny, Some(PolicyType::Identity));
    // Wildcard-only actions have resource "*": NotResource with specific ARNs still grants.
    c.resource = "*";
    c.expect(Allow, Some(PolicyType::Identity));
}

#[test]
fn service_control_policies() {
    // orgs_manage_policies_scps_evaluation.html: every level must allow; a deny at any level denies.
    let full = allow("*");
    let mut c = Case::new(USER, "s3:GetObject");
    c.identity = vec![allow("s3:*")];
    c.scps = vec![vec![full.clone()], vec![allow("s3:*")]];
    let d = c.expect(Allow, Some(PolicyType::Identity));
    assert_eq!(d.matched().len(), 3);
    c.scps = vec![vec![full.clone()], vec![allow("ec2:*")]];
    let (d, ctx) = c.run();
    assert_eq!(
        (d.kind, d.decided_by),
        (ImplicitDeny, Some(PolicyType::Scp))
    );
    assert!(d
        .access_denied_message(&ctx)
        .unwrap()
        .ends_with("because no service control policy allows the s3:GetObject action"));
    // The union of the policies at one level is what counts.
    c.scps = vec![vec![full.clone()], vec![allow("ec2:*"), allow("s3:Get*")]];
    c.expect(Allow, Some(PolicyType::Identity));
    c.scps = vec![vec![full.clone(), deny("s3:*")], vec![full.clone()]];
    let d = c.expect(ExplicitDeny, Some(PolicyType::Scp));
    assert_eq!(
        d.denial_reason("s3:GetObject").unwrap(),
        "with an explicit deny in a service control policy"
    );
    assert_eq!((d.matched()[0].level, d.matched()[0].policy), (0, 1));
    // SCPs never apply to the management account.
    c.opts.principal_account_is_management = true;
    c.expect(Allow, Some(PolicyType::Identity));
    // SCPs do apply to a member account's root user.
    let mut r = Case::new(ROOT, "s3:GetObject");
    r.scps = vec![vec![allow("ec2:*")]];
    r.expect(ImplicitDeny, Some(PolicyType::Scp));
    r.scps = vec![vec![full]];
    r.expect(Allow, None);
    // The root user of a standalone or management account: allowed unless something denies.
    let mut r = Case::new(ROOT, "iam:CreateUser");
    r.opts.principal_account_is_management = true;
    r.scps = vec![vec![allow("ec2:*")]];
    r.expect(Allow, None);
}

#[test]
fn resource_control_policies() {
    // orgs_manage_policies_rcps_evaluation.html: RCPFullAWSAccess is implied, custom RCPs deny.
    let rcp_deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-1"}}}]}"#;
    let mut c = Case::new(USER, "s3:GetObject");
    c.identity = vec![allow("s3:*")];
    c.rcps = vec![vec![rcp_deny.into()]];
    let d = c.expect(ExplicitDeny, Some(PolicyType::Rcp));
    assert_eq!(
        d.denial_reason("s3:GetObject").unwrap(),
        "with an explicit deny in a resource control policy"
    );
    c.rcps = vec![vec![rcp_deny.replace("s3:*", "sqs:*")]];
    c.expect(Allow, Some(PolicyType::Identity));
    // RCPs apply to anonymous callers too, but never to the management account's resources.
    c.rcps = vec![vec![rcp_deny.into()]];
    c.opts.resource_account_is_management = true;
    c.expect(Allow, Some(PolicyType::Identity));
}

#[test]
fn permissions_boundaries() {
    // access_policies_boundaries.html: the boundary allows S3, CloudWatch and EC2; the identity policy allows
    // iam:CreateUser; CreateUser is denied because the boundary does not allow it.
    let boundary = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","cloudwatch:*","ec2:*"],"Resource":"*"}]}"#;
    let mut c = Case::new(USER, "iam:CreateUser");
    c.identity = vec![allow("iam:CreateUser")];
    c.boundary = Some(boundary.into());
    let d = c.expect(ImplicitDeny, Some(PolicyType::Boundary));
    assert_eq!(
        d.denial_reason("iam:CreateUser").unwrap(),
        "because no permissions boundary allows the iam:CreateUser action"
    );
    c.action = "ec2:RunInstances";
    c.expect(ImplicitDeny, Some(PolicyType::Identity));
    c.identity = vec![allow("ec2:*")];
    let d = c.expect(Allow, Some(PolicyType::Identity));
    assert_eq!(d.matched().len(), 2);
    c.boundary = Some(deny("ec2:*").replace("\"D\"", "\"X\""));
    c.expect(ExplicitDeny, Some(PolicyType::Boundary));
}

#[test]
fn session_policies() {
    // access_policies.html#policies_session: the session's permissions are the intersection of the identity
    // policies and the session policy.
    let mut c = Case::new(SESSION, "s3:PutObject");
    c.identity = vec![allow("s3:*")];
    c.session = Some(allow("s3:Get*"));
    let d = c.expect(ImplicitDeny, Some(PolicyType::Session));
    assert_eq!(
        d.denial_reason("s3:PutObject").unwrap(),
        "because no session policy allows the s3:PutObject action"
    );
    c.action = "s3:GetObject";
    c.expect(Allow, Some(PolicyType::Identity));
    // A role session without a session policy keeps the role's permissions ...
    c.session = None;
    c.expect(Allow, Some(PolicyType::Identity));
    // ... a GetFederationToken session without one has none.
    let mut f = Case::new(FED, "s3:GetObject");
    f.identity = vec![allow("s3:*")];
    f.expect(ImplicitDeny, Some(PolicyType::Session));
    f.session = Some(allow("s3:*"));
    f.expect(Allow, Some(PolicyType::Identity));
}

#[test]
fn same_account_resource_policies() {
    // reference_policies_evaluation-logic.html ("Resource-based policies", same account) and the session-policy
    // and boundary pages: how far a resource-policy allow reaches depends on how it names the caller.
    let user = r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#;
    let role = r#"{"AWS":"arn:aws:iam::111122223333:role/team/app"}"#;
    let session = r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/app/s1"}"#;
    let account = r#"{"AWS":"111122223333"}"#;
    let boundary = Some(allow("ec2:*"));

    // A user ARN: allowed without identity policies, and the boundary does not limit it.
    let mut c = Case::new(USER, "s3:GetObject");
    c.resource_policy = Some(rbp("Allow", user, "s3:GetObject"));
    c.expect(Allow, Some(PolicyType::Resource));
    c.boundary = boundary.clone();
    c.expect(Allow, Some(PolicyType::Resource));
    // The account: delegation only; the identity policy must allow.
    c.resource_policy = Some(rbp("Allow", account, "s3:GetObject"));
    c.boundary = None;
    c.expect(ImplicitDeny, Some(PolicyType::Identity));
    c.identity = vec![allow("s3:GetObject")];
    c.expect(Allow, Some(PolicyType::Identity));
    // An explicit deny in the resource policy wins.
    c.resource_policy = Some(rbp("Deny", user, "s3:*"));
    let d = c.expect(ExplicitDeny, Some(PolicyType::Resource));
    assert_eq!(
        d.denial_reason("s3:GetObject").unwrap(),
        "with an explicit deny in a resource-based policy"
    );

    // The role ARN (pathed; the session ARN has no path): grants the session, but its boundary and session
    // policy still limit it.
    let mut c = Case::new(SESSION, "s3:GetObject");
    c.resource_policy = Some(rbp("Allow", role, "s3:GetObject"));
    c.expect(Allow, Some(PolicyType::Resource));
    c.boundary = boundary.clone();
    c.expect(ImplicitDeny, Some(PolicyType::Boundary));
    c.boundary = None;
    c.session = Some(allow("ec2:*"));
    c.expect(ImplicitDeny, Some(PolicyType::Session));
    // The session ARN: boundary and session policy do not limit (open question 1: we follow the doc).
    c.resource_policy = Some(rbp("Allow", session, "s3:GetObject"));
    c.expect(Allow, Some(PolicyType::Resource));
    c.boundary = boundary;
    c.expect(Allow, Some(PolicyType::Resource));
    // A statement without Principal in a resource policy never matches.
    c.resource_policy = Some(allow("s3:*"));
    c.expect(ImplicitDeny, Some(PolicyType::Identity));
}

#[test]
fn cross_account() {
    // reference_policies_evaluation-logic-cross-account.html: both sides must allow.
    let bob = r#"{"AWS":"arn:aws:iam::444455556666:user/bob"}"#;
    let mut c = Case::new(OTHER_USER, "s3:GetObject");
    c.resource_account = Some("111122223333");
    c.identity = vec![allow("s3:GetObject")];
    c.expect(ImplicitDeny, Some(PolicyType::Resource));
    c.resource_policy = Some(rbp("Allow", bob, "s3:GetObject"));
    c.expect(Allow, Some(PolicyType::Identity));
    c.identity.clear();
    c.expect(ImplicitDeny, Some(PolicyType::Identity));
    // Naming the other account works the same way cross-account.
    c.identity = vec![allow("s3:*")];
    c.resource_policy = Some(rbp(
        "Allow",
        r#"{"AWS":"arn:aws:iam::444455556666:root"}"#,
        "s3:*",
    ));
    c.expect(Allow, Some(PolicyType::Identity));
    // The resource account comes from the ARN when it has one.
    let mut q = Case::new(OTHER_USER, "sqs:SendMessage");
    q.resource = "arn:aws:sqs:us-east-1:111122223333:queue";
    q.identity = vec![allow("sqs:*")];
    q.expect(ImplicitDeny, Some(PolicyType::Resource));
}

#[test]
fn trust_and_key_policies_must_allow() {
    // reference_policies_evaluation-logic-cross-account.html and the KMS key-policy rule: role trust policies
    // and KMS key policies must allow explicitly, even in the same account.
    let mut c = Case::new(USER, "sts:AssumeRole");
    c.resource = ROLE;
    c.opts.require_resource_policy_allow = true;
    c.identity = vec![allow("sts:AssumeRole")];
    let (d, ctx) = c.run();
    assert_eq!(
        (d.kind, d.decided_by),
        (ImplicitDeny, Some(PolicyType::Resource))
    );
    // AssumeRole denials carry no reason in AWS's message.
    assert_eq!(
        d.access_denied_message(&ctx).unwrap(),
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/team/app"
    );
    // A trust policy naming the user suffices on its own in the same account.
    c.identity.clear();
    c.resource_policy = Some(rbp(
        "Allow",
        r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#,
        "sts:AssumeRole",
    ));
    c.expect(Allow, Some(PolicyType::Resource));
    // Naming the account needs the identity policy too.
    c.resource_policy = Some(rbp(
        "Allow",
        r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
        "sts:AssumeRole",
    ));
    c.expect(ImplicitDeny, Some(PolicyType::Identity));
    c.identity = vec![allow("sts:AssumeRole")];
    c.expect(Allow, Some(PolicyType::Identity));
    // KMS: an identity allow works only if the key policy trusts the account; even root is locked out otherwise.
    let mut k = Case::new(ROOT, "kms:Decrypt");
    k.resource = "arn:aws:kms:us-east-1:111122223333:key/1";
    k.opts.require_resource_policy_allow = true;
    k.resource_policy = Some(rbp(
        "Allow",
        r#"{"AWS":"arn:aws:iam::999988887777:root"}"#,
        "kms:*",
    ));
    k.expect(ImplicitDeny, Some(PolicyType::Resource));
    k.resource_policy = Some(rbp(
        "Allow",
        r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
        "kms:*",
    ));
    k.expect(Allow, None);
}

#[test]
fn anonymous_and_service_callers() {
    // access_policies.html (resource-based policies) and the public-simulator anonymous cases: only
    // resource-based policies with Principal "*" (and RCPs) apply; SCPs and identity policies do not.
    let mut c = Case::new("anonymous", "s3:GetObject");
    c.expect(ImplicitDeny, Some(PolicyType::Resource));
    c.resource_policy = Some(rbp("Allow", r#""*""#, "s3:GetObject"));
    c.scps = vec![vec![deny("*")]];
    c.identity = vec![deny("*")];
    c.expect(Allow, Some(PolicyType::Resource));
    c.resource_policy = Some(rbp("Allow", r#"{"AWS":"*"}"#, "s3:GetObject"));
    c.expect(Allow, Some(PolicyType::Resource));
    c.resource_policy = Some(rbp("Allow", r#"{"AWS":"111122223333"}"#, "s3:GetObject"));
    c.expect(ImplicitDeny, Some(PolicyType::Resource));
    // reference_policies_elements_principal.html#principal-services
    let mut s = Case::new("cloudtrail.amazonaws.com", "s3:PutObject");
    s.resource_policy = Some(rbp(
        "Allow",
        r#"{"Service":"cloudtrail.amazonaws.com"}"#,
        "s3:PutObject",
    ));
    s.expect(Allow, Some(PolicyType::Resource));
    s.resource_policy = Some(rbp(
        "Allow",
        r#"{"Service":"config.amazonaws.com"}"#,
        "s3:PutObject",
    ));
    s.expect(ImplicitDeny, Some(PolicyType::Resource));
}

#[test]
fn not_principal() {
    // reference_policies_elements_notprincipal.html: Deny + NotPrincipal denies everyone not listed.
    let np = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","111122223333"]},"Action":"s3:*","Resource":"*"}]}"#;
    let mut c = Case::new(USER, "s3:GetObject");
    c.identity = vec![allow("s3:*")];
    c.resource_policy = Some(np.into());
    c.expect(Allow, Some(PolicyType::Identity));
    let mut o = Case::new(OTHER_USER, "s3:GetObject");
    o.resource_account = Some("111122223333");
    o.resource_policy = Some(np.into());
    o.expect(ExplicitDeny, Some(PolicyType::Resource));
    // access_policies_boundaries.html: Deny + NotPrincipal always denies a principal with a boundary.
    c.boundary = Some(allow("s3:*"));
    c.expect(ExplicitDeny, Some(PolicyType::Resource));
}

#[test]
fn resources_and_variables() {
    // reference_policies_variables.html: each user gets a home folder.
    let home = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/home/${aws:username}/*"}]}"#;
    let mut c = Case::new(USER, "s3:GetObject");
    c.identity = vec![home.into()];
    c.resource = "arn:aws:s3:::bucket/home/alice/a/b.txt";
    c.expect(Allow, Some(PolicyType::Identity));
    c.resource = "arn:aws:s3:::bucket/home/bob/a.txt";
    c.expect(ImplicitDeny, Some(PolicyType::Identity));
    // Resources are case-sensitive (reference_policies_elements_resource.html).
    c.resource = "arn:aws:s3:::bucket/home/Alice/a.txt";
    c.expect(ImplicitDeny, Some(PolicyType::Identity));
    // Without Version the variable is literal text.
    c.identity = vec![home.replace("\"Version\":\"2012-10-17\",", "")];
    c.resource = "arn:aws:s3:::bucket/home/${aws:username}/x";
    c.expect(Allow, Some(PolicyType::Identity));
}

#[test]
fn web_identity_trust_and_principal_arn() {
    // id_roles_create_for-idp_oidc.html: a trust policy for a web identity provider, with an audience condition.
    let trust = NamedPolicy::new(
        "trust",
        Policy::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},
            "Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"accounts.google.com:aud":"my-app"}}}]}"#,
        )
        .unwrap(),
    );
    let set = PolicySet {
        resource: Some(&trust),
        ..PolicySet::default()
    };
    let opts = EvalOptions {
        require_resource_policy_allow: true,
        ..EvalOptions::default()
    };
    let google = Principal::parse("accounts.google.com").unwrap();
    let mut ctx =
        RequestContext::new(google.clone(), "sts:AssumeRoleWithWebIdentity", ROLE).unwrap();
    ctx.insert("accounts.google.com:aud", "my-app");
    assert_eq!(evaluate(&ctx, &set, &opts).kind, Allow);
    ctx.insert("accounts.google.com:aud", "other-app");
    assert_eq!(evaluate(&ctx, &set, &opts).kind, ImplicitDeny);
    let ctx = RequestContext::new(google, "sts:AssumeRole", ROLE).unwrap();
    assert_eq!(evaluate(&ctx, &set, &opts).kind, ImplicitDeny);

    // reference_policies_condition-keys.html#condition-keys-principalarn: for a role session aws:PrincipalArn is
    // the role's ARN (with its path when the caller knows it).
    let p = NamedPolicy::new(
        "p",
        Policy::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*",
            "Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/team/*"}}}]}"#,
        )
        .unwrap(),
    );
    let set = PolicySet {
        identity: std::slice::from_ref(&p),
        ..PolicySet::default()
    };
    let session = Principal::parse(SESSION).unwrap();
    let ctx = RequestContext::new(session.clone(), "s3:GetObject", BUCKET).unwrap();
    assert_eq!(
        evaluate(&ctx, &set, &EvalOptions::default()).kind,
        ImplicitDeny,
        "no path known"
    );
    let ctx = RequestContext::new(session.with_role_arn(ROLE), "s3:GetObject", BUCKET).unwrap();
    assert_eq!(evaluate(&ctx, &set, &EvalOptions::default()).kind, Allow);
}

#[test]
fn several_session_policies() {
    // access_policies.html#policies_session: an inline session policy and managed session policies (PolicyArns)
    // together; the session gets what the identity policies allow and some session policy allows.
    let identity = [np(&allow("*"))];
    let session = [np(&allow("s3:Get*")), np(&allow("ec2:Describe*"))];
    let set = PolicySet {
        identity: &identity,
        session: &session,
        ..PolicySet::default()
    };
    let p = Principal::parse(SESSION).unwrap();
    for (action, want) in [
        ("s3:GetObject", Allow),
        ("ec2:DescribeInstances", Allow),
        ("s3:PutObject", ImplicitDeny),
    ] {
        let ctx = RequestContext::new(p.clone(), action, "*").unwrap();
        assert_eq!(
            evaluate(&ctx, &set, &EvalOptions::default()).kind,
            want,
            "{action}"
        );
    }
}

#[test]
fn resource_type_word_is_literal() {
    // IAM User Guide, reference_identifiers.html and reference-arns.html: "You cannot use a wildcard in the
    // portion of the ARN that specifies the resource type, such as the term user in an IAM ARN".
    let with_resource = |resource: &str, effect: &str, element: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}","Action":"iam:GetUser","{element}":"{resource}"}}]}}"#
        )
    };
    let mut c = Case::new(USER, "iam:GetUser");
    c.resource = "arn:aws:iam::111122223333:user/alice";
    c.identity = vec![with_resource(
        "arn:aws:iam::111122223333:us*r/alice",
        "Allow",
        "Resource",
    )];
    c.expect(ImplicitDeny, Some(PolicyType::Identity));
    c.identity = vec![with_resource(
        "arn:aws:iam::111122223333:*/alice",
        "Allow",
        "Resource",
    )];
    c.expect(ImplicitDeny, Some(PolicyType::Identity));
    // Control: the literal type word, or a resource part that is only `*`.
    c.identity = vec![with_resource(
        "arn:aws:iam::111122223333:user/*",
        "Allow",
        "Resource",
    )];
    c.expect(Allow, Some(PolicyType::Identity));
    c.identity = vec![with_resource(
        "arn:aws:iam::111122223333:*",
        "Allow",
        "Resource",
    )];
    c.expect(Allow, Some(PolicyType::Identity));
    // Such a NotResource entry excludes nothing: Deny + NotResource still denies.
    c.identity = vec![
        allow("iam:GetUser"),
        with_resource(
            "arn:aws:iam::111122223333:us*r/alice",
            "Deny",
            "NotResource",
        ),
    ];
    c.expect(ExplicitDeny, Some(PolicyType::Identity));
    c.identity = vec![
        allow("iam:GetUser"),
        with_resource(
            "arn:aws:iam::111122223333:user/alice",
            "Deny",
            "NotResource",
        ),
    ];
    c.expect(Allow, Some(PolicyType::Identity));
    // S3 and execute-api resource parts start with a name, not a type word: their globs stand.
    let mut s = Case::new(USER, "s3:GetObject");
    s.identity = vec![
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::buck*/*"}]}"#
            .to_string(),
    ];
    s.expect(Allow, Some(PolicyType::Identity));
}

#[test]
fn get_caller_identity_needs_no_permission() {
    // STS API reference, GetCallerIdentity: "No permissions are required to perform this operation. If an
    // administrator attaches a policy to your identity that explicitly denies access to the
    // sts:GetCallerIdentity action, you can still perform this operation."
    let mut c = Case::new(USER, "sts:GetCallerIdentity");
    c.resource = "*";
    let d = c.expect(Allow, None);
    assert!(d.exemption().unwrap().contains("needs no permission"));
    c.identity = vec![deny("*")];
    c.scps = vec![vec![deny("sts:*")]];
    c.expect(Allow, None);
    // Control: another STS action is denied as usual, and an anonymous caller is not exempt.
    let mut other = Case::new(USER, "sts:GetAccessKeyInfo");
    other.resource = "*";
    other.identity = vec![deny("*")];
    assert!(other
        .expect(ExplicitDeny, Some(PolicyType::Identity))
        .exemption()
        .is_none());
    let mut anon = Case::new("anonymous", "sts:GetCallerIdentity");
    anon.resource = "*";
    anon.expect(ImplicitDeny, Some(PolicyType::Resource));
}

#[test]
fn trust_and_key_policies_must_allow_without_a_flag() {
    // reference_policies_evaluation-logic-cross-account.html: role trust policies and KMS key policies must
    // allow even in the same account. The evaluator tells from the action and the resource.
    let mut c = Case::new(USER, "sts:AssumeRole");
    c.resource = ROLE;
    c.identity = vec![allow("sts:AssumeRole")];
    c.expect(ImplicitDeny, Some(PolicyType::Resource));
    c.resource_policy = Some(rbp("Allow", r#"{"AWS":"111122223333"}"#, "sts:AssumeRole"));
    c.expect(Allow, Some(PolicyType::Identity));
    for action in [
        "sts:TagSession",
        "sts:SetSourceIdentity",
        "sts:AssumeRoleWithWebIdentity",
    ] {
        let mut t = Case::new(USER, "sts:AssumeRole");
        t.action = action;
        t.resource = ROLE;
        t.identity = vec![allow("sts:*")];
        t.expect(ImplicitDeny, Some(PolicyType::Resource));
    }
    let mut k = Case::new(USER, "kms:Decrypt");
    k.resource = "arn:aws:kms:us-east-1:111122223333:key/1";
    k.identity = vec![allow("kms:*")];
    k.expect(ImplicitDeny, Some(PolicyType::Resource));
    k.resource_policy = Some(rbp(
        "Allow",
        r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
        "kms:*",
    ));
    k.expect(Allow, Some(PolicyType::Identity));
    // AWS's policy simulator decides sts:AssumeRole* from the identity policies only (aws/aws-cli#10314):
    // the option turns the inference off for it.
    let mut sim = Case::new(USER, "sts:AssumeRole");
    sim.resource = ROLE;
    sim.identity = vec![allow("sts:AssumeRole")];
    sim.opts.trust_and_key_policies_optional = true;
    sim.expect(Allow, Some(PolicyType::Identity));
    // Controls: an identity policy alone suffices for other resources in the same account.
    let mut r = Case::new(USER, "iam:GetRole");
    r.resource = ROLE;
    r.identity = vec![allow("iam:GetRole")];
    r.expect(Allow, Some(PolicyType::Identity));
    let mut a = Case::new(USER, "kms:Decrypt");
    a.resource = "arn:aws:kms:us-east-1:111122223333:alias/app";
    a.identity = vec![allow("kms:*")];
    a.expect(Allow, Some(PolicyType::Identity));
}

#[test]
fn unresolvable_variable_in_not_resource() {
    // reference_policies_variables.html: a variable whose key is not in the request cannot be resolved, and
    // the statement does not match. For NotResource that means the statement does not apply at all (it would
    // otherwise exclude nothing and apply to everything).
    let deny_outside_home = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::bucket/${aws:PrincipalTag/home}/*"}]}"#;
    let mut c = Case::new(USER, "s3:GetObject");
    c.resource = "arn:aws:s3:::bucket/other/key";
    c.identity = vec![allow("s3:*"), deny_outside_home.to_string()];
    // The tag is missing: the Deny does not apply.
    c.expect(Allow, Some(PolicyType::Identity));
    // Control: with the tag, the Deny applies outside the home prefix.
    let (d, _) = {
        let mut ctx =
            RequestContext::new(Principal::parse(USER).unwrap(), "s3:GetObject", c.resource)
                .unwrap();
        ctx.insert("aws:PrincipalTag/home", "alice");
        let identity: Vec<NamedPolicy> = c.identity.iter().map(|t| np(t)).collect();
        let set = PolicySet {
            identity: &identity,
            ..PolicySet::default()
        };
        (evaluate(&ctx, &set, &EvalOptions::default()), ctx)
    };
    assert_eq!(d.kind, ExplicitDeny);
}

#[test]
fn star_principal_does_not_name_the_session() {
    // access_policies_boundaries.html: a boundary "does not limit permissions granted by a resource-based
    // policy that specifies the ARN of the resulting session"; a policy that grants the role ARN is limited.
    // `"*"` specifies no ARN, so for a role session it reaches as far as naming the role: the boundary still
    // limits. (For an IAM user, "*" reaches as the user ARN would; see same_account_resource_policies.)
    let mut c = Case::new(SESSION, "s3:GetObject");
    c.resource_policy = Some(rbp("Allow", r#""*""#, "s3:GetObject"));
    c.expect(Allow, Some(PolicyType::Resource));
    c.boundary = Some(allow("ec2:*"));
    c.expect(ImplicitDeny, Some(PolicyType::Boundary));
    // Control: the session's own ARN is not limited by the boundary.
    c.resource_policy = Some(rbp(
        "Allow",
        r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/app/s1"}"#,
        "s3:GetObject",
    ));
    c.expect(Allow, Some(PolicyType::Resource));
}

#[test]
fn scope_down_layers_each_limit_and_never_grant() {
    // id_credentials_temp_control-access_getscopedcredentials.html: GetScopedCredentials' permissions are the
    // intersection of the calling session's permissions, the scope-down policy of this call and those of prior
    // calls in the chain; the resulting credentials never have more permissions than the calling session.
    let identity = [np(&allow("s3:*"))];
    let session = [np(&allow("s3:*Object"))];
    let layers = [np(&allow("s3:Get*")), np(&allow("s3:GetObject"))];
    let set = PolicySet {
        identity: &identity,
        session: &session,
        scope_down: &layers,
        ..PolicySet::default()
    };
    let p = Principal::parse(SESSION).unwrap();
    for (action, want) in [
        ("s3:GetObject", Allow),
        // Allowed by the first layer and the session policy, not by the second layer.
        ("s3:GetObjectAcl", ImplicitDeny),
        // Allowed by the session policy, not by the first layer.
        ("s3:PutObject", ImplicitDeny),
    ] {
        let ctx = RequestContext::new(p.clone(), action, BUCKET).unwrap();
        let d = evaluate(&ctx, &set, &EvalOptions::default());
        assert_eq!(d.kind, want, "{action}");
        if want == ImplicitDeny {
            assert_eq!(d.decided_by, Some(PolicyType::Session), "{action}");
        }
    }

    // A layer that allows everything grants nothing the identity policies do not.
    let wide = [np(&allow("*"))];
    let set = PolicySet {
        identity: &identity,
        scope_down: &wide,
        ..PolicySet::default()
    };
    let ctx = RequestContext::new(p.clone(), "ec2:RunInstances", "*").unwrap();
    assert_eq!(
        evaluate(&ctx, &set, &EvalOptions::default()).kind,
        ImplicitDeny
    );
    let ctx = RequestContext::new(p.clone(), "s3:GetObject", BUCKET).unwrap();
    assert_eq!(evaluate(&ctx, &set, &EvalOptions::default()).kind, Allow);

    // A deny in any layer is an explicit deny, reported at the layer's level (1 + layer).
    let layers = [np(&allow("s3:*")), np(&deny("s3:DeleteObject"))];
    let set = PolicySet {
        identity: &identity,
        scope_down: &layers,
        ..PolicySet::default()
    };
    let ctx = RequestContext::new(p.clone(), "s3:DeleteObject", BUCKET).unwrap();
    let d = evaluate(&ctx, &set, &EvalOptions::default());
    assert_eq!(d.kind, ExplicitDeny);
    let r = d.matched()[0];
    assert_eq!((r.policy_type, r.level), (PolicyType::Session, 2));
    assert_eq!(set.sid(&r), Some("D"));
}

#[test]
fn scope_down_layers_limit_even_a_resource_policy_naming_the_session() {
    // A same-account resource policy naming the exact session would grant past the session policy
    // (reference_policies_evaluation-logic_policy-eval-basics); a scope-down layer still limits it, as scoped
    // credentials never have more permissions than the layer grants.
    let bucket_policy = np(&rbp("Allow", &format!(r#"{{"AWS":"{SESSION}"}}"#), "s3:*"));
    let only_get = [np(&allow("s3:GetObject"))];
    let p = Principal::parse(SESSION).unwrap();
    // The bucket's ARN names no account: the same account is assumed.
    let ctx = RequestContext::new(p.clone(), "s3:PutObject", BUCKET).unwrap();
    let unscoped = PolicySet {
        resource: Some(&bucket_policy),
        session: &only_get,
        ..PolicySet::default()
    };
    assert_eq!(
        evaluate(&ctx, &unscoped, &EvalOptions::default()).kind,
        Allow,
        "control"
    );
    let scoped = PolicySet {
        resource: Some(&bucket_policy),
        scope_down: &only_get,
        ..PolicySet::default()
    };
    assert_eq!(
        evaluate(&ctx, &scoped, &EvalOptions::default()).kind,
        ImplicitDeny
    );
}
