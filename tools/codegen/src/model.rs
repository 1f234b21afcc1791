//! The subset of the botocore service-model format the generator reads.
//!
//! Models are read as `serde_json::Value` and converted here, so that member
//! order (which is the XML element order AWS answers with) is kept: the
//! workspace enables serde_json's `preserve_order`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::CodegenError;

/// The wire protocol of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// AWS Query (form parameters in, XML out).
    Query,
    /// AWS JSON 1.1 (JSON in and out, `X-Amz-Target` header).
    Json,
}

/// One service model.
#[derive(Debug)]
pub struct Model {
    pub api_version: String,
    pub protocol: Protocol,
    pub xml_namespace: Option<String>,
    pub target_prefix: Option<String>,
    pub endpoint_prefix: String,
    /// Operations by name (sorted: the generated order).
    pub operations: BTreeMap<String, Operation>,
    /// Shapes by name.
    pub shapes: BTreeMap<String, Shape>,
    /// Paginated operations by name, from the service's `paginators-1.json`
    /// (empty until [`Model::add_paginators`]).
    pub paginators: BTreeMap<String, Paginator>,
}

/// One operation's entry in botocore's `paginators-1.json`: which request
/// member carries the marker and the page size, and which response members
/// carry the next marker, the truncation flag and the items.
#[derive(Debug)]
pub struct Paginator {
    /// Request member holding the marker (`Marker`, `NextToken`).
    pub input_token: String,
    /// Response member holding the next marker.
    pub output_token: String,
    /// Request member holding the page size (`MaxItems`, `MaxResults`), if any.
    pub limit_key: Option<String>,
    /// Response member saying more items follow (IAM's `IsTruncated`), if any.
    pub more_results: Option<String>,
    /// Response members holding the items (several for a few IAM calls).
    pub result_keys: Vec<String>,
}

#[derive(Debug)]
pub struct Operation {
    pub name: String,
    pub input: Option<String>,
    pub output: Option<String>,
    pub result_wrapper: Option<String>,
    /// The first sentence of the model's documentation, as plain text.
    pub summary: Option<String>,
}

#[derive(Debug)]
pub struct MemberDef {
    pub name: String,
    pub shape: String,
    pub location_name: Option<String>,
}

#[derive(Debug)]
pub enum ShapeKind {
    Structure {
        members: Vec<MemberDef>,
        required: Vec<String>,
    },
    List {
        member: String,
        member_location: Option<String>,
        flattened: bool,
    },
    Map {
        key: String,
        value: String,
        key_location: Option<String>,
        value_location: Option<String>,
        flattened: bool,
    },
    String,
    Integer,
    Long,
    Boolean,
    Timestamp,
    Blob,
    Double,
}

#[derive(Debug)]
pub struct ErrorInfo {
    pub code: String,
    pub status: u16,
    pub sender: bool,
}

#[derive(Debug)]
pub struct Shape {
    pub kind: ShapeKind,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub pattern: Option<String>,
    pub enum_values: Vec<String>,
    pub sensitive: bool,
    pub exception: bool,
    /// A server-side (5xx) exception without an explicit `error` block.
    pub fault: bool,
    pub error: Option<ErrorInfo>,
    /// The first sentence of the model's documentation, as plain text.
    pub summary: Option<String>,
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn bad(what: impl Into<String>) -> CodegenError {
    CodegenError::Model(what.into())
}

impl Model {
    pub fn parse(text: &str) -> Result<Model, CodegenError> {
        let root: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let meta = root.get("metadata").ok_or_else(|| bad("no metadata"))?;
        let protocol = match str_of(meta, "protocol").as_deref() {
            Some("query") => Protocol::Query,
            Some("json") => Protocol::Json,
            other => return Err(bad(format!("unsupported protocol {other:?}"))),
        };
        let mut operations = BTreeMap::new();
        let ops = root
            .get("operations")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("no operations"))?;
        for (name, op) in ops {
            let input = op.get("input").and_then(|i| str_of(i, "shape"));
            let output = op.get("output").and_then(|o| str_of(o, "shape"));
            let result_wrapper = op.get("output").and_then(|o| str_of(o, "resultWrapper"));
            operations.insert(
                name.clone(),
                Operation {
                    name: name.clone(),
                    input,
                    output,
                    result_wrapper,
                    summary: str_of(op, "documentation").and_then(|d| summary(&d)),
                },
            );
        }
        let mut shapes = BTreeMap::new();
        let raw_shapes = root
            .get("shapes")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("no shapes"))?;
        for (name, s) in raw_shapes {
            shapes.insert(name.clone(), parse_shape(name, s)?);
        }
        Ok(Model {
            api_version: str_of(meta, "apiVersion").ok_or_else(|| bad("no apiVersion"))?,
            protocol,
            xml_namespace: str_of(meta, "xmlNamespace"),
            target_prefix: str_of(meta, "targetPrefix"),
            endpoint_prefix: str_of(meta, "endpointPrefix")
                .ok_or_else(|| bad("no endpointPrefix"))?,
            operations,
            shapes,
            paginators: BTreeMap::new(),
        })
    }

    /// Reads the service's `paginators-1.json` into [`Model::paginators`];
    /// every paginated operation must exist in the model.
    pub fn add_paginators(&mut self, text: &str) -> Result<(), CodegenError> {
        let root: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let entries = root
            .get("pagination")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("paginators: no pagination"))?;
        for (op, p) in entries {
            if !self.operations.contains_key(op) {
                return Err(bad(format!("paginator for unknown operation {op}")));
            }
            let token = |key: &str| -> Result<String, CodegenError> {
                str_of(p, key).ok_or_else(|| bad(format!("paginator {op}: no single {key}")))
            };
            let result_keys = match p.get("result_key") {
                Some(Value::String(k)) => vec![k.clone()],
                Some(Value::Array(ks)) => ks
                    .iter()
                    .map(|k| {
                        k.as_str()
                            .map(str::to_string)
                            .ok_or_else(|| bad(format!("paginator {op}: bad result_key")))
                    })
                    .collect::<Result<_, _>>()?,
                _ => return Err(bad(format!("paginator {op}: no result_key"))),
            };
            self.paginators.insert(
                op.clone(),
                Paginator {
                    input_token: token("input_token")?,
                    output_token: token("output_token")?,
                    limit_key: str_of(p, "limit_key"),
                    more_results: str_of(p, "more_results"),
                    result_keys,
                },
            );
        }
        Ok(())
    }

    pub fn shape(&self, name: &str) -> Result<&Shape, CodegenError> {
        self.shapes
            .get(name)
            .ok_or_else(|| bad(format!("unknown shape {name}")))
    }
}

/// Members the models mark required that AWS leaves out of some answers, so
/// they are generated as optional: GetUser for the root user answers a `User`
/// with no `UserName` and no `Path` (raw AWS XML quoted in amazonka#102).
const MODEL_REQUIRED_AWS_OMITS: &[(&str, &str)] = &[("User", "UserName"), ("User", "Path")];

fn parse_shape(name: &str, s: &Value) -> Result<Shape, CodegenError> {
    let ty = str_of(s, "type").ok_or_else(|| bad(format!("shape {name} has no type")))?;
    let ref_shape = |key: &str| -> Result<String, CodegenError> {
        s.get(key)
            .and_then(|m| str_of(m, "shape"))
            .ok_or_else(|| bad(format!("shape {name} has no {key}")))
    };
    let ref_location = |key: &str| s.get(key).and_then(|m| str_of(m, "locationName"));
    let flattened = s.get("flattened").and_then(Value::as_bool).unwrap_or(false);
    let kind = match ty.as_str() {
        "structure" => {
            let mut members = Vec::new();
            if let Some(ms) = s.get("members").and_then(Value::as_object) {
                for (mname, m) in ms {
                    members.push(MemberDef {
                        name: mname.clone(),
                        shape: str_of(m, "shape")
                            .ok_or_else(|| bad(format!("member {name}.{mname} has no shape")))?,
                        location_name: str_of(m, "locationName"),
                    });
                }
            }
            let required: Vec<String> = s
                .get("required")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            let required = required
                .into_iter()
                .filter(|m| !MODEL_REQUIRED_AWS_OMITS.contains(&(name, m.as_str())))
                .collect();
            ShapeKind::Structure { members, required }
        }
        "list" => ShapeKind::List {
            member: ref_shape("member")?,
            member_location: ref_location("member"),
            flattened,
        },
        "map" => ShapeKind::Map {
            key: ref_shape("key")?,
            value: ref_shape("value")?,
            key_location: ref_location("key"),
            value_location: ref_location("value"),
            flattened,
        },
        "string" => ShapeKind::String,
        "integer" => ShapeKind::Integer,
        "long" => ShapeKind::Long,
        "boolean" => ShapeKind::Boolean,
        "timestamp" => ShapeKind::Timestamp,
        "blob" => ShapeKind::Blob,
        "double" | "float" => ShapeKind::Double,
        other => return Err(bad(format!("shape {name}: unsupported type {other}"))),
    };
    let num = |key: &str| {
        s.get(key)
            .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
    };
    let error = s.get("error").and_then(|e| {
        Some(ErrorInfo {
            code: str_of(e, "code")?,
            status: e
                .get("httpStatusCode")
                .and_then(Value::as_u64)
                .and_then(|c| u16::try_from(c).ok())
                .unwrap_or(400),
            sender: e
                .get("senderFault")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    });
    Ok(Shape {
        kind,
        min: num("min"),
        max: num("max"),
        pattern: str_of(s, "pattern"),
        enum_values: s
            .get("enum")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        sensitive: s.get("sensitive").and_then(Value::as_bool).unwrap_or(false),
        exception: s.get("exception").and_then(Value::as_bool).unwrap_or(false),
        fault: s.get("fault").and_then(Value::as_bool).unwrap_or(false),
        error,
        summary: str_of(s, "documentation").and_then(|d| summary(&d)),
    })
}

/// The first sentence of a model's HTML documentation as one line of plain
/// text for a doc comment: tags dropped (`<code>` becomes backticks),
/// entities decoded, whitespace collapsed; `None` when there is no text.
pub fn summary(html: &str) -> Option<String> {
    let mut text = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            rest = &rest[open..];
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        let code = tag == "code" || tag == "/code";
        text.push(if code { '`' } else { ' ' });
        rest = &rest[open + close + 1..];
    }
    text.push_str(rest);
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    let mut line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for p in [".", ",", ";", ":", ")"] {
        line = line.replace(&format!(" {p}"), p);
    }
    // A sentence ends at a period followed by a space or the end, except
    // after "e.g" and "i.e".
    let mut end = line.len();
    for (i, _) in line.match_indices('.') {
        let next_is_space = line[i + 1..].chars().next().is_none_or(char::is_whitespace);
        let before = &line[..i];
        if next_is_space && !before.ends_with("e.g") && !before.ends_with("i.e") {
            end = i + 1;
            break;
        }
    }
    let sentence = line[..end].trim();
    (!sentence.is_empty()).then(|| sentence.to_string())
}
