//! warden-codegen: generates `warden-wire`'s request/response types, input
//! decoders with model constraints, response encoders, service traits and
//! dispatch from the botocore service models checked in under
//! `crates/warden-wire/models/`.
//!
//! `cargo run -p warden-codegen` rewrites `crates/warden-wire/src/generated/`;
//! `cargo run -p warden-codegen -- --check` only compares. warden-wire's
//! `generated_is_current` test calls [`stale_files`] so that a model or
//! generator change without regeneration fails the test suite.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub mod model;
pub mod names;

use model::{Model, Protocol, ShapeKind};
use names::{
    field_name, lower_camel, pattern_forbids, screaming, snake_case, translate_pattern, type_name,
};

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum CodegenError {
    /// The model does not have the shape the generator expects.
    #[error("service model: {0}")]
    Model(String),
    /// Reading a model or writing output failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// rustfmt could not be run or rejected the generated code.
    #[error("rustfmt: {0}")]
    Rustfmt(String),
}

/// One service to generate.
#[derive(Debug, Clone, Copy)]
pub struct ServiceSpec {
    /// File under `models/`.
    pub model_file: &'static str,
    /// The service's botocore `paginators-1.json`, under `models/`.
    pub paginators_file: &'static str,
    /// Module name under `generated/`.
    pub module: &'static str,
    /// Name of the generated handler trait.
    pub trait_name: &'static str,
    /// Variant of `warden_wire::error::Service`.
    pub service_variant: &'static str,
}

/// The services warden serves, in generation order.
pub const SERVICES: &[ServiceSpec] = &[
    ServiceSpec {
        model_file: "iam-2010-05-08.json",
        paginators_file: "iam-2010-05-08.paginators.json",
        module: "iam",
        trait_name: "IamApi",
        service_variant: "Iam",
    },
    ServiceSpec {
        model_file: "sts-2011-06-15.json",
        paginators_file: "sts-2011-06-15.paginators.json",
        module: "sts",
        trait_name: "StsApi",
        service_variant: "Sts",
    },
    ServiceSpec {
        model_file: "organizations-2016-11-28.json",
        paginators_file: "organizations-2016-11-28.paginators.json",
        module: "organizations",
        trait_name: "OrganizationsApi",
        service_variant: "Organizations",
    },
];

/// The botocore release the models come from (see `scripts/update-models.sh`).
pub const BOTOCORE_VERSION: &str = "1.44.8";

/// The string shape whose values IAM renders URL-encoded (policy documents).
const POLICY_DOCUMENT_SHAPE: &str = "policyDocumentType";

/// Where the models live, relative to the workspace root.
pub const MODELS_DIR: &str = "crates/warden-wire/models";
/// Where the generated code goes, relative to the workspace root.
pub const OUTPUT_DIR: &str = "crates/warden-wire/src/generated";

/// A generated file: path relative to the workspace root, and contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: PathBuf,
    pub contents: String,
}

/// The workspace root, from this crate's manifest directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Generates every file (rustfmt-formatted) from the models under `root`.
pub fn generate(root: &Path) -> Result<Vec<GeneratedFile>, CodegenError> {
    let mut files = Vec::new();
    let mut errors: Vec<(String, u16, bool, &'static str)> = Vec::new();
    for spec in SERVICES {
        let path = root.join(MODELS_DIR).join(spec.model_file);
        let text = std::fs::read_to_string(&path).map_err(|source| CodegenError::Io {
            path: path.clone(),
            source,
        })?;
        let mut model = Model::parse(&text)?;
        let path = root.join(MODELS_DIR).join(spec.paginators_file);
        let text = std::fs::read_to_string(&path).map_err(|source| CodegenError::Io {
            path: path.clone(),
            source,
        })?;
        model.add_paginators(&text)?;
        let code = ServiceGen::new(spec, &model)?.emit()?;
        files.push(GeneratedFile {
            path: Path::new(OUTPUT_DIR).join(format!("{}.rs", spec.module)),
            contents: rustfmt(root, &code)?,
        });
        collect_errors(spec, &model, &mut errors);
    }
    files.push(GeneratedFile {
        path: Path::new(OUTPUT_DIR).join("errors.rs"),
        contents: rustfmt(root, &emit_errors(&errors)?)?,
    });
    files.push(GeneratedFile {
        path: Path::new(OUTPUT_DIR).join("mod.rs"),
        contents: rustfmt(root, &emit_mod())?,
    });
    Ok(files)
}

/// Writes the generated files under `root`.
pub fn write(root: &Path) -> Result<Vec<PathBuf>, CodegenError> {
    let files = generate(root)?;
    let dir = root.join(OUTPUT_DIR);
    std::fs::create_dir_all(&dir).map_err(|source| CodegenError::Io { path: dir, source })?;
    let mut written = Vec::new();
    for f in files {
        let path = root.join(&f.path);
        std::fs::write(&path, f.contents).map_err(|source| CodegenError::Io {
            path: path.clone(),
            source,
        })?;
        written.push(f.path);
    }
    Ok(written)
}

/// The generated files whose checked-in contents differ from what the
/// generator produces now (empty when everything is current).
pub fn stale_files(root: &Path) -> Result<Vec<PathBuf>, CodegenError> {
    let mut stale = Vec::new();
    for f in generate(root)? {
        let current = std::fs::read_to_string(root.join(&f.path)).unwrap_or_default();
        if current != f.contents {
            stale.push(f.path);
        }
    }
    Ok(stale)
}

/// Formats code with the toolchain's rustfmt, run from the workspace root so
/// it reads the same configuration as `cargo fmt`.
fn rustfmt(root: &Path, code: &str) -> Result<String, CodegenError> {
    let rustfmt = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let mut child = Command::new(rustfmt)
        .args(["--edition", "2021", "--emit", "stdout", "--quiet"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| CodegenError::Rustfmt(e.to_string()))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| CodegenError::Rustfmt("no stdin".into()))?;
    let input = code.to_string();
    // Write from a thread: rustfmt may fill its stdout pipe before it has
    // read all of its input.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| CodegenError::Rustfmt(e.to_string()))?;
    writer
        .join()
        .map_err(|_| CodegenError::Rustfmt("writer thread panicked".into()))?
        .map_err(|e| CodegenError::Rustfmt(e.to_string()))?;
    if !output.status.success() {
        return Err(CodegenError::Rustfmt(
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| CodegenError::Rustfmt(e.to_string()))
}

fn header(what: &str) -> String {
    format!(
        "// @generated by warden-codegen from {what} (botocore {BOTOCORE_VERSION}).\n\
         // Do not edit: change the generator or the models and run `cargo run -p warden-codegen`.\n\n"
    )
}

fn emit_mod() -> String {
    let mut s = header("the service models");
    s.push_str("//! Code generated from AWS's botocore service models.\n\n");
    for spec in SERVICES {
        let _ = writeln!(s, "pub mod {};", spec.module);
    }
    s.push_str("pub mod errors;\n");
    s
}

/// AWS error codes warden answers with that no service model declares as an
/// error shape, with their HTTP status and whether the sender is at fault.
/// Statuses are those of AWS's "Common Errors" reference; `ExpiredToken` is
/// 403 for IAM as well as STS, which is what both answer for an expired
/// session token on the signature path. `RequestTimeout` (a body not sent in
/// time) is warden's own: 408, the HTTP status for exactly that. These come
/// first: a model declaring one of them differently does not change it.
pub const COMMON_ERRORS: &[(&str, u16, bool)] = &[
    ("AccessDenied", 403, true),
    ("AccessDeniedException", 400, true),
    ("ExpiredToken", 403, true),
    ("IncompleteSignature", 400, true),
    ("InternalFailure", 500, false),
    ("InvalidAction", 400, true),
    ("InvalidClientTokenId", 403, true),
    ("InvalidParameterCombination", 400, true),
    ("InvalidParameterValue", 400, true),
    ("InvalidQueryParameter", 400, true),
    ("MalformedQueryString", 404, true),
    ("MissingAction", 400, true),
    ("MissingAuthenticationToken", 403, true),
    ("MissingParameter", 400, true),
    ("NotAuthorized", 400, true),
    ("NotImplemented", 501, false),
    ("OptInRequired", 403, true),
    ("RequestEntityTooLarge", 413, true),
    ("RequestExpired", 400, true),
    ("RequestTimeout", 408, true),
    ("SerializationException", 400, true),
    ("ServiceUnavailable", 503, false),
    ("SignatureDoesNotMatch", 403, true),
    ("Throttling", 400, true),
    ("ThrottlingException", 400, true),
    ("UnknownOperationException", 400, true),
    ("UnrecognizedClientException", 403, true),
    ("ValidationError", 400, true),
    ("ValidationException", 400, true),
];

/// Error codes of every modeled exception: (code, status, sender fault).
fn collect_errors(
    spec: &ServiceSpec,
    model: &Model,
    out: &mut Vec<(String, u16, bool, &'static str)>,
) {
    for (name, shape) in &model.shapes {
        if !shape.exception {
            continue;
        }
        let (code, status, sender) = match &shape.error {
            Some(e) => (e.code.clone(), e.status, e.sender),
            // JSON services name errors by shape; without an `error` block
            // botocore treats them as 400 client errors unless `fault`.
            None if shape.fault => (name.clone(), 500, false),
            None => (name.clone(), 400, true),
        };
        out.push((code, status, sender, spec.module));
    }
}

/// The `ErrorCode` enum: the common codes, then every modeled one, each
/// code once with the first status seen (conflicts are listed as comments).
/// The variant is the code itself, so a misspelt code does not compile.
fn emit_errors(errors: &[(String, u16, bool, &'static str)]) -> Result<String, CodegenError> {
    let mut by_code: BTreeMap<&str, (u16, bool, &str)> = BTreeMap::new();
    for (code, status, sender) in COMMON_ERRORS {
        by_code.insert(code, (*status, *sender, "common"));
    }
    let mut conflicts = Vec::new();
    for (code, status, sender, module) in errors {
        match by_code.get(code.as_str()) {
            Some(&(s, f, first)) if (s, f) != (*status, *sender) => {
                conflicts.push(format!(
                    "// `{code}`: {first} says {s}, {module} says {status}; the first is kept."
                ));
            }
            Some(_) => {}
            None => {
                by_code.insert(code, (*status, *sender, module));
            }
        }
    }
    for code in by_code.keys() {
        let valid = code.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && code.chars().all(|c| c.is_ascii_alphanumeric());
        if !valid {
            return Err(CodegenError::Model(format!(
                "error code {code:?} is not a Rust identifier"
            )));
        }
    }
    let mut s = header("the error shapes of the service models");
    s.push_str("//! Every AWS error code warden answers with, and its HTTP status and fault.\n\n");
    for c in &conflicts {
        s.push_str(c);
        s.push('\n');
    }
    s.push_str(
        "use crate::error::Fault;\n\n\
         /// An AWS error code: the modeled error shapes of IAM, STS and\n\
         /// Organizations and the common codes no model declares. The variant is\n\
         /// the code as AWS spells it on the wire, so a misspelt code does not\n\
         /// compile, and the HTTP status comes with the code, never from the call site.\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\n\
         pub enum ErrorCode {\n",
    );
    for (code, (status, _, from)) in &by_code {
        let _ = writeln!(s, "/// `{code}` ({status}, {from})\n{code},");
    }
    s.push_str("}\n\nimpl ErrorCode {\n/// Every code, sorted.\npub const ALL: &'static [ErrorCode] = &[\n");
    for code in by_code.keys() {
        let _ = writeln!(s, "ErrorCode::{code},");
    }
    s.push_str("];\n\n/// The code as AWS writes it (`<Code>`, JSON `__type`).\npub fn as_str(self) -> &'static str {\nmatch self {\n");
    for code in by_code.keys() {
        let _ = writeln!(s, "ErrorCode::{code} => {code:?},");
    }
    s.push_str("}\n}\n\n/// The HTTP status AWS answers this code with.\npub fn status(self) -> u16 {\nmatch self {\n");
    let mut by_status: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
    for (code, (status, _, _)) in &by_code {
        by_status.entry(*status).or_default().push(code);
    }
    for (status, codes) in &by_status {
        let arms: Vec<String> = codes.iter().map(|c| format!("ErrorCode::{c}")).collect();
        let _ = writeln!(s, "{} => {status},", arms.join(" | "));
    }
    s.push_str("}\n}\n\n/// Who is at fault: the `<Type>` of the error envelope.\npub fn fault(self) -> Fault {\nmatch self {\n");
    let receivers: Vec<String> = by_code
        .iter()
        .filter(|(_, (_, sender, _))| !sender)
        .map(|(c, _)| format!("ErrorCode::{c}"))
        .collect();
    if !receivers.is_empty() {
        let _ = writeln!(s, "{} => Fault::Receiver,", receivers.join(" | "));
    }
    s.push_str("_ => Fault::Sender,\n}\n}\n\n/// The code spelt exactly `code`, if warden knows it.\npub fn from_code(code: &str) -> Option<ErrorCode> {\nmatch code {\n");
    for code in by_code.keys() {
        let _ = writeln!(s, "{code:?} => Some(ErrorCode::{code}),");
    }
    s.push_str("_ => None,\n}\n}\n}\n\n");
    s.push_str(
        "impl std::fmt::Display for ErrorCode {\n\
         fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {\n\
         f.write_str(self.as_str())\n}\n}\n",
    );
    Ok(s)
}

/// Generation state for one service.
struct ServiceGen<'a> {
    spec: &'a ServiceSpec,
    model: &'a Model,
    /// Structures reachable from operation inputs (get decoders).
    input_structs: BTreeSet<String>,
    /// Structures reachable from operation outputs (get encoders).
    output_structs: BTreeSet<String>,
    /// Non-structure shapes reachable from inputs (may get rule statics).
    input_leaves: BTreeSet<String>,
    /// Rust type name per structure shape.
    type_names: BTreeMap<String, String>,
    /// Rule static name per constrained shape.
    rule_names: BTreeMap<String, String>,
    /// Pattern static name per distinct Java pattern.
    pattern_names: BTreeMap<String, String>,
    /// Whether a structure can derive `Default`.
    defaults: BTreeMap<String, bool>,
    /// Rust type name per enum string shape reachable from an operation.
    enum_types: BTreeMap<String, String>,
}

impl<'a> ServiceGen<'a> {
    fn new(spec: &'a ServiceSpec, model: &'a Model) -> Result<Self, CodegenError> {
        let mut g = ServiceGen {
            spec,
            model,
            input_structs: BTreeSet::new(),
            output_structs: BTreeSet::new(),
            input_leaves: BTreeSet::new(),
            type_names: BTreeMap::new(),
            rule_names: BTreeMap::new(),
            pattern_names: BTreeMap::new(),
            defaults: BTreeMap::new(),
            enum_types: BTreeMap::new(),
        };
        let mut all_leaves = BTreeSet::new();
        for op in model.operations.values() {
            if let Some(i) = &op.input {
                let mut structs = BTreeSet::new();
                let mut leaves = BTreeSet::new();
                g.walk(i, &mut structs, &mut leaves)?;
                g.input_structs.extend(structs);
                all_leaves.extend(leaves.iter().cloned());
                g.input_leaves.extend(leaves);
            }
            if let Some(o) = &op.output {
                let mut structs = BTreeSet::new();
                let mut leaves = BTreeSet::new();
                g.walk(o, &mut structs, &mut leaves)?;
                g.output_structs.extend(structs);
                all_leaves.extend(leaves);
            }
        }
        let mut used_types = BTreeSet::new();
        for s in g.input_structs.iter().chain(g.output_structs.iter()) {
            let t = type_name(s);
            if g.type_names.contains_key(s) {
                continue;
            }
            if !used_types.insert(t.clone()) {
                return Err(CodegenError::Model(format!("type name clash: {t}")));
            }
            g.type_names.insert(s.clone(), t);
        }
        for leaf in &all_leaves {
            let shape = model.shape(leaf)?;
            if matches!(shape.kind, ShapeKind::String) && !shape.enum_values.is_empty() {
                let t = type_name(leaf);
                if !used_types.insert(t.clone()) {
                    return Err(CodegenError::Model(format!("type name clash: {t}")));
                }
                g.enum_types.insert(leaf.clone(), t);
            }
        }
        g.check_no_direct_recursion()?;
        let all: Vec<String> = g.type_names.keys().cloned().collect();
        for s in &all {
            let d = g.can_default(s, &mut BTreeSet::new())?;
            g.defaults.insert(s.clone(), d);
        }
        g.assign_rule_names()?;
        Ok(g)
    }

    fn walk(
        &self,
        name: &str,
        structs: &mut BTreeSet<String>,
        leaves: &mut BTreeSet<String>,
    ) -> Result<(), CodegenError> {
        let shape = self.model.shape(name)?;
        match &shape.kind {
            ShapeKind::Structure { members, .. } => {
                if structs.insert(name.to_string()) {
                    for m in members {
                        self.walk(&m.shape, structs, leaves)?;
                    }
                }
            }
            ShapeKind::List { member, .. } => {
                leaves.insert(name.to_string());
                self.walk(member, structs, leaves)?;
            }
            ShapeKind::Map { key, value, .. } => {
                leaves.insert(name.to_string());
                self.walk(key, structs, leaves)?;
                self.walk(value, structs, leaves)?;
            }
            _ => {
                leaves.insert(name.to_string());
            }
        }
        Ok(())
    }

    /// A structure that contains itself other than through a list or map
    /// would need boxing; the models have none, and we refuse rather than
    /// emit a type of infinite size.
    fn check_no_direct_recursion(&self) -> Result<(), CodegenError> {
        fn visit(
            g: &ServiceGen<'_>,
            name: &str,
            stack: &mut Vec<String>,
        ) -> Result<(), CodegenError> {
            if stack.iter().any(|s| s == name) {
                return Err(CodegenError::Model(format!(
                    "recursive structure {name} needs boxing"
                )));
            }
            stack.push(name.to_string());
            if let ShapeKind::Structure { members, .. } = &g.model.shape(name)?.kind {
                for m in members {
                    if matches!(g.model.shape(&m.shape)?.kind, ShapeKind::Structure { .. }) {
                        visit(g, &m.shape, stack)?;
                    }
                }
            }
            stack.pop();
            Ok(())
        }
        for s in self.type_names.keys() {
            visit(self, s, &mut Vec::new())?;
        }
        Ok(())
    }

    /// `Default` can be derived unless a required member has no default
    /// (`OffsetDateTime`, or a structure that itself cannot default).
    fn can_default(&self, name: &str, seen: &mut BTreeSet<String>) -> Result<bool, CodegenError> {
        if !seen.insert(name.to_string()) {
            return Ok(true);
        }
        let ShapeKind::Structure { members, required } = &self.model.shape(name)?.kind else {
            return Ok(true);
        };
        for m in members {
            if !required.contains(&m.name) {
                continue;
            }
            let ok = match &self.model.shape(&m.shape)?.kind {
                ShapeKind::Timestamp => false,
                ShapeKind::Structure { .. } => self.can_default(&m.shape, seen)?,
                _ => true,
            };
            if !ok {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn assign_rule_names(&mut self) -> Result<(), CodegenError> {
        let mut used = BTreeSet::new();
        let leaves: Vec<String> = self.input_leaves.iter().cloned().collect();
        for name in leaves {
            let shape = self.model.shape(&name)?;
            let prefix = match shape.kind {
                ShapeKind::String => {
                    if shape.min.is_none()
                        && shape.max.is_none()
                        && shape.pattern.is_none()
                        && shape.enum_values.is_empty()
                        && !shape.sensitive
                    {
                        continue;
                    }
                    "STR"
                }
                ShapeKind::Integer | ShapeKind::Long => {
                    if shape.min.is_none() && shape.max.is_none() {
                        continue;
                    }
                    "INT"
                }
                ShapeKind::List { .. } | ShapeKind::Map { .. } | ShapeKind::Blob => {
                    if shape.min.is_none() && shape.max.is_none() {
                        continue;
                    }
                    "LEN"
                }
                _ => continue,
            };
            let mut rule = format!("{prefix}_{}", screaming(&name));
            let mut n = 2;
            while !used.insert(rule.clone()) {
                rule = format!("{prefix}_{}_{n}", screaming(&name));
                n += 1;
            }
            if let Some(p) = &shape.pattern {
                if !self.pattern_names.contains_key(p) {
                    let pn = format!("PATTERN_{}", self.pattern_names.len());
                    self.pattern_names.insert(p.clone(), pn);
                }
            }
            self.rule_names.insert(name, rule);
        }
        Ok(())
    }

    fn rust_type(&self, name: &str) -> Result<String, CodegenError> {
        let shape = self.model.shape(name)?;
        Ok(match &shape.kind {
            ShapeKind::String => match self.enum_types.get(name) {
                Some(t) => t.clone(),
                None => "String".into(),
            },
            ShapeKind::Integer => "i32".into(),
            ShapeKind::Long => "i64".into(),
            ShapeKind::Boolean => "bool".into(),
            ShapeKind::Double => "f64".into(),
            ShapeKind::Timestamp => "::time::OffsetDateTime".into(),
            ShapeKind::Blob => "Vec<u8>".into(),
            ShapeKind::List { member, .. } => format!("Vec<{}>", self.rust_type(member)?),
            ShapeKind::Map { key, value, .. } => format!(
                "::std::collections::BTreeMap<{}, {}>",
                self.rust_type(key)?,
                self.rust_type(value)?
            ),
            ShapeKind::Structure { .. } => self
                .type_names
                .get(name)
                .cloned()
                .ok_or_else(|| CodegenError::Model(format!("no type for {name}")))?,
        })
    }

    fn rules_ref(&self, name: &str, kind: &str) -> String {
        match self.rule_names.get(name) {
            Some(r) => format!("&{r}"),
            None => format!("&crate::rules::{kind}::NONE"),
        }
    }

    fn emit(&self) -> Result<String, CodegenError> {
        let m = self.model;
        let mut s = header(&format!("`{}`", self.spec.model_file));
        let _ = writeln!(
            s,
            "//! Shapes, decoders, encoders, the `{}` handler trait and dispatch for {} {} ({}).\n",
            self.spec.trait_name,
            m.endpoint_prefix,
            m.api_version,
            match m.protocol {
                Protocol::Query => "AWS Query protocol",
                Protocol::Json => "AWS JSON 1.1 protocol",
            }
        );
        let _ = writeln!(
            s,
            "/// The API version of this service.\npub const API_VERSION: &str = {:?};",
            m.api_version
        );
        if let Some(ns) = &m.xml_namespace {
            let _ = writeln!(
                s,
                "/// The XML namespace of responses.\npub const XML_NAMESPACE: &str = {ns:?};"
            );
        }
        if let Some(tp) = &m.target_prefix {
            let _ = writeln!(
                s,
                "/// The `X-Amz-Target` prefix (`{tp}.Operation`).\npub const TARGET_PREFIX: &str = {tp:?};"
            );
        }
        let _ = writeln!(
            s,
            "/// This service.\npub const SERVICE: crate::error::Service = crate::error::Service::{};\n",
            self.spec.service_variant
        );
        self.emit_rules(&mut s)?;
        for (name, tn) in &self.enum_types {
            self.emit_enum(&mut s, name, tn)?;
        }
        for name in self.type_names.keys() {
            self.emit_struct(&mut s, name)?;
        }
        self.emit_pagination(&mut s)?;
        self.emit_operations(&mut s)?;
        Ok(s)
    }

    /// An enum shape as a newtype over its text with one constant per model
    /// value. Not a Rust enum: decoding already refuses a value outside the
    /// list, but responses carry values the domain stores as text, and AWS
    /// adds values over time, so an unknown value must still round-trip.
    fn emit_enum(&self, s: &mut String, name: &str, tn: &str) -> Result<(), CodegenError> {
        let shape = self.model.shape(name)?;
        let listed: Vec<String> = shape.enum_values.iter().map(|v| format!("`{v}`")).collect();
        let _ = writeln!(
            s,
            "/// The `{name}` enum shape: {}. Constants for the model's values;\n\
             /// any other text still round-trips ([`From<String>`]).\n\
             #[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]\n\
             pub struct {tn}(::std::borrow::Cow<'static, str>);\n\n\
             impl {tn} {{",
            listed.join(", ")
        );
        let mut consts = BTreeSet::new();
        for v in &shape.enum_values {
            let c = screaming(v);
            let valid = c.chars().next().is_some_and(|ch| ch.is_ascii_uppercase())
                && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
            if !valid || !consts.insert(c.clone()) {
                return Err(CodegenError::Model(format!(
                    "enum {name}: value {v:?} gives no distinct constant name"
                )));
            }
            let _ = writeln!(
                s,
                "/// `{v}`\npub const {c}: {tn} = {tn}(::std::borrow::Cow::Borrowed({v:?}));"
            );
        }
        let _ = writeln!(
            s,
            "\n/// The value as it is on the wire.\npub fn as_str(&self) -> &str {{\n&self.0\n}}\n}}\n\n\
             impl From<String> for {tn} {{\nfn from(value: String) -> Self {{\nSelf(::std::borrow::Cow::Owned(value))\n}}\n}}\n\n\
             impl ::std::fmt::Display for {tn} {{\nfn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {{\nf.write_str(&self.0)\n}}\n}}\n"
        );
        Ok(())
    }

    fn emit_rules(&self, s: &mut String) -> Result<(), CodegenError> {
        for (java, pn) in &self.pattern_names {
            let _ = writeln!(
                s,
                "static {pn}: ::std::sync::LazyLock<Option<::regex::Regex>> = \
                 ::std::sync::LazyLock::new(|| crate::rules::compile_pattern({:?}));",
                translate_pattern(java)
            );
        }
        let _ = writeln!(
            s,
            "\n/// Every pattern of the model (for the test that they all compile).\n\
             pub static PATTERNS: &[crate::rules::PatternRule] = &["
        );
        for (java, pn) in &self.pattern_names {
            let _ = writeln!(
                s,
                "crate::rules::PatternRule {{ java: {java:?}, regex: &{pn}, forbid: {:?} }},",
                pattern_forbids(java)
            );
        }
        s.push_str("];\n\n");
        for (name, rule) in &self.rule_names {
            let shape = self.model.shape(name)?;
            let opt_u = |v: Option<i64>| match v {
                Some(n) => format!("Some({})", n.max(0)),
                None => "None".to_string(),
            };
            let opt_i = |v: Option<i64>| match v {
                Some(n) => format!("Some({n})"),
                None => "None".to_string(),
            };
            match shape.kind {
                ShapeKind::String => {
                    let pattern = match &shape.pattern {
                        Some(p) => format!(
                            "Some(crate::rules::PatternRule {{ java: {p:?}, regex: &{}, forbid: {:?} }})",
                            self.pattern_names.get(p).map(String::as_str).unwrap_or(""),
                            pattern_forbids(p)
                        ),
                        None => "None".into(),
                    };
                    let enums: Vec<String> =
                        shape.enum_values.iter().map(|e| format!("{e:?}")).collect();
                    let _ = writeln!(
                        s,
                        "static {rule}: crate::rules::StrRules = crate::rules::StrRules {{ \
                         min: {}, max: {}, pattern: {pattern}, enum_values: &[{}], sensitive: {} }};",
                        opt_u(shape.min),
                        opt_u(shape.max),
                        enums.join(", "),
                        shape.sensitive
                    );
                }
                ShapeKind::Integer | ShapeKind::Long => {
                    let _ = writeln!(
                        s,
                        "static {rule}: crate::rules::IntRules = crate::rules::IntRules {{ min: {}, max: {} }};",
                        opt_i(shape.min),
                        opt_i(shape.max)
                    );
                }
                _ => {
                    let _ = writeln!(
                        s,
                        "static {rule}: crate::rules::LenRules = crate::rules::LenRules {{ min: {}, max: {} }};",
                        opt_u(shape.min),
                        opt_u(shape.max)
                    );
                }
            }
        }
        s.push('\n');
        Ok(())
    }

    fn emit_struct(&self, s: &mut String, name: &str) -> Result<(), CodegenError> {
        let ShapeKind::Structure { members, required } = &self.model.shape(name)?.kind else {
            return Ok(());
        };
        let tn = &self.type_names[name];
        let default = if self.defaults.get(name).copied().unwrap_or(false) {
            ", Default"
        } else {
            ""
        };
        let doc = match &self.model.shape(name)?.summary {
            Some(summary) => summary.clone(),
            None => format!("The `{name}` shape."),
        };
        let _ = writeln!(
            s,
            "/// {doc}\n#[derive(Debug, Clone, PartialEq{default})]\npub struct {tn} {{"
        );
        for m in members {
            let ty = self.rust_type(&m.shape)?;
            let req = required.contains(&m.name);
            let encoded = if m.shape == POLICY_DOCUMENT_SHAPE
                && self.model.protocol == Protocol::Query
                && self.output_structs.contains(name)
            {
                " Plain JSON: it is URL-encoded on the wire, as AWS does"
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "/// `{}`{}.{encoded}",
                m.name,
                if req { " (required)" } else { "" }
            );
            if req {
                let _ = writeln!(s, "pub {}: {ty},", field_name(&m.name));
            } else {
                let _ = writeln!(s, "pub {}: Option<{ty}>,", field_name(&m.name));
            }
        }
        s.push_str("}\n\n");

        if self.input_structs.contains(name) {
            self.emit_decode(s, name, tn, members, required)?;
        }
        if self.output_structs.contains(name) {
            match self.model.protocol {
                Protocol::Query => self.emit_xml_encode(s, tn, members, required)?,
                Protocol::Json => self.emit_json_encode(s, tn, members, required)?,
            }
        }
        Ok(())
    }

    fn emit_decode(
        &self,
        s: &mut String,
        _name: &str,
        tn: &str,
        members: &[model::MemberDef],
        required: &[String],
    ) -> Result<(), CodegenError> {
        let (tr, dec, mem, method) = match self.model.protocol {
            Protocol::Query => (
                "crate::query::QueryDecode",
                "crate::query::QueryDecoder<'_>",
                "crate::query::Member",
                "decode_query",
            ),
            Protocol::Json => (
                "crate::json::JsonDecode",
                "crate::json::JsonDecoder",
                "crate::json::JsonMember<'_>",
                "decode_json",
            ),
        };
        let _ = writeln!(s, "impl {tr} for {tn} {{");
        if self.model.protocol == Protocol::Query {
            let _ = writeln!(
                s,
                "const SERVICE: crate::error::Service = crate::error::Service::{};",
                self.spec.service_variant
            );
        }
        let _ = writeln!(
            s,
            "fn {method}(d: &mut {dec}, at: &{mem}) -> Option<Self> {{"
        );
        if members.is_empty() {
            let _ = writeln!(s, "let _ = (d, at);");
        }
        for m in members {
            let req = required.contains(&m.name);
            let wire = m.location_name.as_deref().unwrap_or(&m.name);
            let child = format!("&at.child({wire:?}, {:?})", lower_camel(&m.name));
            let expr = self.decode_expr(&m.shape, &child, if req { "true" } else { "false" })?;
            let _ = writeln!(s, "let f_{} = {expr};", snake_case(&m.name));
        }
        let _ = writeln!(s, "Some(Self {{");
        for m in members {
            let req = required.contains(&m.name);
            let _ = writeln!(
                s,
                "{}: f_{}{},",
                field_name(&m.name),
                snake_case(&m.name),
                if req { "?" } else { "" }
            );
        }
        s.push_str("})\n}\n}\n\n");
        Ok(())
    }

    fn decode_expr(&self, name: &str, at: &str, req: &str) -> Result<String, CodegenError> {
        let shape = self.model.shape(name)?;
        Ok(match &shape.kind {
            ShapeKind::String => match self.enum_types.get(name) {
                Some(t) => format!(
                    "d.string({at}, {req}, {}).map({t}::from)",
                    self.rules_ref(name, "StrRules")
                ),
                None => format!(
                    "d.string({at}, {req}, {})",
                    self.rules_ref(name, "StrRules")
                ),
            },
            ShapeKind::Integer => {
                format!("d.int32({at}, {req}, {})", self.rules_ref(name, "IntRules"))
            }
            ShapeKind::Long => {
                format!("d.int64({at}, {req}, {})", self.rules_ref(name, "IntRules"))
            }
            ShapeKind::Boolean => format!("d.boolean({at}, {req})"),
            ShapeKind::Double => format!("d.double({at}, {req})"),
            ShapeKind::Timestamp => format!("d.timestamp({at}, {req})"),
            ShapeKind::Blob => format!("d.blob({at}, {req}, {})", self.rules_ref(name, "LenRules")),
            ShapeKind::Structure { .. } => {
                format!("d.structure::<{}>({at}, {req})", self.type_names[name])
            }
            ShapeKind::List {
                member,
                member_location,
                flattened,
            } => {
                if self.model.protocol == Protocol::Query
                    && (*flattened || member_location.as_deref().is_some_and(|l| l != "member"))
                {
                    return Err(CodegenError::Model(format!(
                        "list {name}: flattened or renamed members are not supported"
                    )));
                }
                let inner = self.decode_expr(member, "at", "true")?;
                format!(
                    "d.list({at}, {req}, {}, |d, at| {inner})",
                    self.rules_ref(name, "LenRules")
                )
            }
            ShapeKind::Map {
                key,
                value,
                key_location,
                value_location,
                flattened,
            } => {
                if self.model.protocol == Protocol::Query
                    && (*flattened
                        || key_location.as_deref().is_some_and(|l| l != "key")
                        || value_location.as_deref().is_some_and(|l| l != "value"))
                {
                    return Err(CodegenError::Model(format!(
                        "map {name}: flattened or renamed entries are not supported"
                    )));
                }
                let k = self.decode_expr(key, "at", "true")?;
                let v = self.decode_expr(value, "at", "true")?;
                format!(
                    "d.map({at}, {req}, {}, |d, at| {k}, |d, at| {v})",
                    self.rules_ref(name, "LenRules")
                )
            }
        })
    }

    fn emit_xml_encode(
        &self,
        s: &mut String,
        tn: &str,
        members: &[model::MemberDef],
        required: &[String],
    ) -> Result<(), CodegenError> {
        let _ = writeln!(
            s,
            "impl crate::xml::XmlEncode for {tn} {{\nfn encode_xml(&self, w: &mut crate::xml::XmlWriter) {{"
        );
        if members.is_empty() {
            let _ = writeln!(s, "let _ = w;");
        }
        for m in members {
            let wire = m.location_name.as_deref().unwrap_or(&m.name);
            let stmt = self.xml_stmt(&m.shape, wire, "v", 0)?;
            if required.contains(&m.name) {
                let _ = writeln!(s, "{{ let v = &self.{}; {stmt} }}", field_name(&m.name));
            } else {
                let _ = writeln!(
                    s,
                    "if let Some(v) = &self.{} {{ {stmt} }}",
                    field_name(&m.name)
                );
            }
        }
        s.push_str("}\n}\n\n");
        Ok(())
    }

    /// A statement writing `v` (a reference) as element `elem`.
    fn xml_stmt(
        &self,
        name: &str,
        elem: &str,
        v: &str,
        depth: usize,
    ) -> Result<String, CodegenError> {
        let shape = self.model.shape(name)?;
        Ok(match &shape.kind {
            // IAM answers policy documents URL-encoded; the shape name is
            // what botocore keys its decoding on.
            ShapeKind::String if name == POLICY_DOCUMENT_SHAPE => {
                format!("w.url_encoded_text({elem:?}, {v});")
            }
            ShapeKind::String if self.enum_types.contains_key(name) => {
                format!("w.text({elem:?}, {v}.as_str());")
            }
            ShapeKind::String => format!("w.text({elem:?}, {v});"),
            ShapeKind::Integer => format!("w.int({elem:?}, i64::from(*{v}));"),
            ShapeKind::Long => format!("w.int({elem:?}, *{v});"),
            ShapeKind::Boolean => format!("w.boolean({elem:?}, *{v});"),
            ShapeKind::Double => format!("w.text({elem:?}, &{v}.to_string());"),
            ShapeKind::Timestamp => format!("w.timestamp({elem:?}, {v});"),
            ShapeKind::Blob => format!("w.blob({elem:?}, {v});"),
            ShapeKind::Structure { .. } => format!("w.structure({elem:?}, {v});"),
            ShapeKind::List {
                member,
                member_location,
                flattened,
            } => {
                let item = format!("item{depth}");
                let member_elem = member_location.as_deref().unwrap_or("member");
                if *flattened {
                    let inner = self.xml_stmt(member, elem, &item, depth + 1)?;
                    format!("for {item} in {v} {{ {inner} }}")
                } else {
                    let inner = self.xml_stmt(member, member_elem, &item, depth + 1)?;
                    format!("w.start({elem:?}); for {item} in {v} {{ {inner} }} w.end({elem:?});")
                }
            }
            ShapeKind::Map {
                key,
                value,
                key_location,
                value_location,
                flattened,
            } => {
                let k = format!("key{depth}");
                let val = format!("value{depth}");
                let ks =
                    self.xml_stmt(key, key_location.as_deref().unwrap_or("key"), &k, depth + 1)?;
                let vs = self.xml_stmt(
                    value,
                    value_location.as_deref().unwrap_or("value"),
                    &val,
                    depth + 1,
                )?;
                if *flattened {
                    format!(
                        "for ({k}, {val}) in {v} {{ w.start({elem:?}); {ks} {vs} w.end({elem:?}); }}"
                    )
                } else {
                    format!(
                        "w.start({elem:?}); for ({k}, {val}) in {v} {{ w.start(\"entry\"); {ks} {vs} w.end(\"entry\"); }} w.end({elem:?});"
                    )
                }
            }
        })
    }

    fn emit_json_encode(
        &self,
        s: &mut String,
        tn: &str,
        members: &[model::MemberDef],
        required: &[String],
    ) -> Result<(), CodegenError> {
        let _ = writeln!(
            s,
            "impl crate::json::JsonEncode for {tn} {{\nfn encode_json(&self) -> ::serde_json::Value {{"
        );
        if members.is_empty() {
            s.push_str("::serde_json::Value::Object(::serde_json::Map::new())\n}\n}\n\n");
            return Ok(());
        }
        s.push_str("let mut m = ::serde_json::Map::new();\n");
        for mdef in members {
            let wire = mdef.location_name.as_deref().unwrap_or(&mdef.name);
            let expr = self.json_expr(&mdef.shape, "v", 0)?;
            if required.contains(&mdef.name) {
                let _ = writeln!(
                    s,
                    "{{ let v = &self.{}; m.insert({wire:?}.to_string(), {expr}); }}",
                    field_name(&mdef.name)
                );
            } else {
                let _ = writeln!(
                    s,
                    "if let Some(v) = &self.{} {{ m.insert({wire:?}.to_string(), {expr}); }}",
                    field_name(&mdef.name)
                );
            }
        }
        s.push_str("::serde_json::Value::Object(m)\n}\n}\n\n");
        Ok(())
    }

    /// An expression turning `v` (a reference) into a `serde_json::Value`.
    fn json_expr(&self, name: &str, v: &str, depth: usize) -> Result<String, CodegenError> {
        let shape = self.model.shape(name)?;
        Ok(match &shape.kind {
            ShapeKind::String if self.enum_types.contains_key(name) => {
                format!("::serde_json::Value::String({v}.as_str().to_string())")
            }
            ShapeKind::String => format!("::serde_json::Value::String({v}.clone())"),
            ShapeKind::Integer | ShapeKind::Long => format!("::serde_json::Value::from(*{v})"),
            ShapeKind::Boolean => format!("::serde_json::Value::Bool(*{v})"),
            ShapeKind::Double => format!("crate::json::double_value(*{v})"),
            ShapeKind::Timestamp => format!("crate::json::timestamp_value({v})"),
            ShapeKind::Blob => format!("crate::json::blob_value({v})"),
            ShapeKind::Structure { .. } => format!("crate::json::JsonEncode::encode_json({v})"),
            ShapeKind::List { member, .. } => {
                let item = format!("item{depth}");
                let inner = self.json_expr(member, &item, depth + 1)?;
                // `|x| f(x)` is a redundant closure to clippy: pass `f`.
                let mapper = match inner.strip_suffix(&format!("({item})")) {
                    Some(f) if !f.contains('(') => f.to_string(),
                    _ => format!("|{item}| {inner}"),
                };
                format!("::serde_json::Value::Array({v}.iter().map({mapper}).collect())")
            }
            ShapeKind::Map { key, value, .. } => {
                let k = format!("key{depth}");
                let item = format!("value{depth}");
                let inner = self.json_expr(value, &item, depth + 1)?;
                let key_text = if self.enum_types.contains_key(key) {
                    format!("{k}.as_str().to_string()")
                } else {
                    format!("{k}.clone()")
                };
                format!(
                    "::serde_json::Value::Object({v}.iter().map(|({k}, {item})| ({key_text}, {inner})).collect())"
                )
            }
        })
    }

    /// `crate::page` trait impls for every operation in `paginators-1.json`:
    /// `PageRequest` on the input, `PageResponse` on the output, and
    /// `PageItems` where one member carries the items. Shapes shared by
    /// several operations get one impl.
    fn emit_pagination(&self, s: &mut String) -> Result<(), CodegenError> {
        let mut inputs = BTreeSet::new();
        let mut outputs = BTreeSet::new();
        for (op_name, p) in &self.model.paginators {
            let op = &self.model.operations[op_name];
            let missing =
                |what: &str| CodegenError::Model(format!("paginated {op_name} has no {what}"));
            let input = op.input.as_deref().ok_or_else(|| missing("input"))?;
            let output = op.output.as_deref().ok_or_else(|| missing("output"))?;
            if inputs.insert(input) {
                self.emit_page_request(s, op_name, input, p)?;
            }
            if outputs.insert(output) {
                self.emit_page_response(s, op_name, output, p)?;
            }
        }
        Ok(())
    }

    /// A structure's member by name, and whether it is required.
    fn member<'m>(
        &'m self,
        shape: &str,
        member: &str,
    ) -> Result<(&'m model::MemberDef, bool), CodegenError> {
        let ShapeKind::Structure { members, required } = &self.model.shape(shape)?.kind else {
            return Err(CodegenError::Model(format!("{shape} is not a structure")));
        };
        let m = members
            .iter()
            .find(|m| m.name == member)
            .ok_or_else(|| CodegenError::Model(format!("{shape} has no member {member}")))?;
        Ok((m, required.contains(&m.name)))
    }

    fn emit_page_request(
        &self,
        s: &mut String,
        op: &str,
        input: &str,
        p: &model::Paginator,
    ) -> Result<(), CodegenError> {
        let tn = &self.type_names[input];
        let (token, token_req) = self.member(input, &p.input_token)?;
        if token_req || !matches!(self.model.shape(&token.shape)?.kind, ShapeKind::String) {
            return Err(CodegenError::Model(format!(
                "{op}: {} is not an optional string",
                p.input_token
            )));
        }
        let limit = match &p.limit_key {
            Some(key) => {
                let (m, req) = self.member(input, key)?;
                if req || !matches!(self.model.shape(&m.shape)?.kind, ShapeKind::Integer) {
                    return Err(CodegenError::Model(format!(
                        "{op}: {key} is not an optional integer"
                    )));
                }
                format!("self.{}", field_name(key))
            }
            None => "None".to_string(),
        };
        let _ = writeln!(
            s,
            "/// Paginated (`{op}`): `{}` in, limit `{}`.\n\
             impl crate::page::PageRequest for {tn} {{\n\
             fn marker(&self) -> Option<&str> {{ self.{}.as_deref() }}\n\
             fn limit(&self) -> Option<i32> {{ {limit} }}\n\
             }}\n",
            p.input_token,
            p.limit_key.as_deref().unwrap_or("none"),
            field_name(&p.input_token),
        );
        Ok(())
    }

    fn emit_page_response(
        &self,
        s: &mut String,
        op: &str,
        output: &str,
        p: &model::Paginator,
    ) -> Result<(), CodegenError> {
        let tn = &self.type_names[output];
        let (token, token_req) = self.member(output, &p.output_token)?;
        if token_req || !matches!(self.model.shape(&token.shape)?.kind, ShapeKind::String) {
            return Err(CodegenError::Model(format!(
                "{op}: {} is not an optional string",
                p.output_token
            )));
        }
        let token_field = field_name(&p.output_token);
        // IsTruncated (where the output has it) is set from the marker, so
        // the two can never disagree.
        let more = match &p.more_results {
            Some(key) => {
                let (m, req) = self.member(output, key)?;
                if !matches!(self.model.shape(&m.shape)?.kind, ShapeKind::Boolean) {
                    return Err(CodegenError::Model(format!("{op}: {key} is not a boolean")));
                }
                let value = if req {
                    "next.is_some()"
                } else {
                    "Some(next.is_some())"
                };
                Some((field_name(key), value))
            }
            None => None,
        };
        let set_more = more
            .as_ref()
            .map(|(f, v)| format!("self.{f} = {v};\n"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "/// Paginated (`{op}`): the next marker goes in `{}`{}.\n\
             impl crate::page::PageResponse for {tn} {{\n\
             fn set_next(&mut self, next: Option<String>) {{\n{set_more}self.{token_field} = next;\n}}\n\
             }}\n",
            p.output_token,
            p.more_results
                .as_deref()
                .map(|m| format!(", `{m}` says whether it is set"))
                .unwrap_or_default(),
        );
        let [result_key] = p.result_keys.as_slice() else {
            return Ok(());
        };
        let (items, items_req) = self.member(output, result_key)?;
        let ShapeKind::List {
            member: item_shape, ..
        } = &self.model.shape(&items.shape)?.kind
        else {
            return Err(CodegenError::Model(format!(
                "{op}: {result_key} is not a list"
            )));
        };
        let item = self.rust_type(item_shape)?;
        let ShapeKind::Structure { members, required } = &self.model.shape(output)?.kind else {
            return Err(CodegenError::Model(format!("{output} is not a structure")));
        };
        // Members that are neither items nor pagination (GetGroup's Group)
        // come in as `rest`: one as itself, several as a tuple.
        let rest: Vec<(String, String)> = members
            .iter()
            .filter(|m| {
                m.name != *result_key
                    && m.name != p.output_token
                    && Some(&m.name) != p.more_results.as_ref()
            })
            .map(|m| {
                let ty = self.rust_type(&m.shape)?;
                let ty = if required.contains(&m.name) {
                    ty
                } else {
                    format!("Option<{ty}>")
                };
                Ok((field_name(&m.name), ty))
            })
            .collect::<Result<_, CodegenError>>()?;
        let rest_ty = match rest.as_slice() {
            [] => "()".to_string(),
            [(_, ty)] => ty.clone(),
            many => format!(
                "({})",
                many.iter()
                    .map(|(_, t)| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let mut fields = String::new();
        for m in members {
            let f = field_name(&m.name);
            let value = if m.name == *result_key {
                if items_req {
                    "items".to_string()
                } else {
                    "Some(items)".to_string()
                }
            } else if m.name == p.output_token {
                "next".to_string()
            } else if let Some((_, v)) = more.as_ref().filter(|(mf, _)| *mf == f) {
                (*v).to_string()
            } else if rest.len() == 1 {
                "rest".to_string()
            } else {
                let i = rest.iter().position(|(rf, _)| *rf == f).unwrap_or_default();
                format!("rest.{i}")
            };
            // The truncation flag is computed before `next` moves.
            if m.name == p.output_token {
                continue;
            }
            let _ = writeln!(fields, "{f}: {value},");
        }
        let rest_param = if rest.is_empty() { "_rest" } else { "rest" };
        let _ = writeln!(
            s,
            "impl crate::page::PageItems for {tn} {{\n\
             type Item = {item};\n\
             type Rest = {rest_ty};\n\
             fn page({rest_param}: {rest_ty}, items: Vec<{item}>, next: Option<String>) -> Self {{\n\
             Self {{\n{fields}{token_field}: next,\n}}\n\
             }}\n\
             }}\n"
        );
        Ok(())
    }

    fn emit_operations(&self, s: &mut String) -> Result<(), CodegenError> {
        let m = self.model;
        let prefix = &m.endpoint_prefix;
        // Operation enum.
        s.push_str(
            "/// Every operation of the service.\n\
             #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\n\
             pub enum Operation {\n",
        );
        for op in m.operations.keys() {
            let _ = writeln!(s, "/// `{op}`\n{op},");
        }
        s.push_str("}\n\n");
        s.push_str("impl Operation {\n/// Every operation, sorted by name.\npub const ALL: &'static [Operation] = &[\n");
        for op in m.operations.keys() {
            let _ = writeln!(s, "Operation::{op},");
        }
        s.push_str("];\n\n/// The operation's wire name (`Action=` / `X-Amz-Target` suffix).\npub fn name(self) -> &'static str {\nmatch self {\n");
        for op in m.operations.keys() {
            let _ = writeln!(s, "Operation::{op} => {op:?},");
        }
        let _ = writeln!(
            s,
            "}}\n}}\n\n/// The IAM action name that authorizes the operation (`{prefix}:Name`).\npub fn action(self) -> &'static str {{\nmatch self {{"
        );
        for op in m.operations.keys() {
            let _ = writeln!(s, "Operation::{op} => \"{prefix}:{op}\",");
        }
        s.push_str("}\n}\n\n/// The operation with this exact wire name.\npub fn from_name(name: &str) -> Option<Operation> {\nmatch name {\n");
        for op in m.operations.keys() {
            let _ = writeln!(s, "{op:?} => Some(Operation::{op}),");
        }
        s.push_str("_ => None,\n}\n}\n}\n\n");
        s.push_str(
            "/// The wire names of every operation, sorted.\npub const OPERATIONS: &[&str] = &[\n",
        );
        for op in m.operations.keys() {
            let _ = writeln!(s, "{op:?},");
        }
        s.push_str("];\n\n");

        // Handler trait.
        let tr = self.spec.trait_name;
        let _ = writeln!(
            s,
            "/// The handlers of the service: one method per operation, from the typed\n\
             /// request to the typed response. Every method defaults to a\n\
             /// `NotImplemented` error, so an implementation overrides only what it serves.\n\
             pub trait {tr} {{\n\
             /// Per-request context passed through to every handler (caller identity,\n\
             /// request id, ...).\n\
             type Ctx;\n\
             /// The handlers' error: the implementation's own type, so handlers can use\n\
             /// `?` on their domain's errors; dispatch turns it into the wire error. It\n\
             /// is built from an [`ApiError`](crate::error::ApiError) for the defaults.\n\
             type Error: From<crate::error::ApiError> + Into<crate::error::ApiError>;\n"
        );
        for op in m.operations.values() {
            let method = snake_case(&op.name);
            let input = match &op.input {
                Some(i) => format!(", input: {}", self.type_names[i]),
                None => String::new(),
            };
            let output = match &op.output {
                Some(o) => self.type_names[o].clone(),
                None => "()".to_string(),
            };
            let unused = if op.input.is_some() {
                "let _ = (ctx, input);"
            } else {
                "let _ = ctx;"
            };
            let doc = match &op.summary {
                Some(summary) => format!("`{}`: {summary}", op.name),
                None => format!("`{}`", op.name),
            };
            let _ = writeln!(
                s,
                "/// {doc}\nfn {method}(&self, ctx: &Self::Ctx{input}) -> Result<{output}, Self::Error> {{\n{unused}\nErr(crate::error::ApiError::not_implemented({:?}).into())\n}}\n",
                op.name
            );
        }
        s.push_str("}\n\n");

        match m.protocol {
            Protocol::Query => self.emit_query_dispatch(s),
            Protocol::Json => self.emit_json_dispatch(s),
        }
    }

    fn emit_query_dispatch(&self, s: &mut String) -> Result<(), CodegenError> {
        let tr = self.spec.trait_name;
        let _ = writeln!(
            s,
            "/// Decodes the request of `action` from `params`, calls the handler and\n\
             /// renders the complete XML response body. Unknown actions give\n\
             /// `InvalidAction`, a `Version` other than [`API_VERSION`] too (AWS looks\n\
             /// operations up by version), undecodable or invalid input `ValidationError`.\n\
             pub fn dispatch<S: {tr} + ?Sized>(svc: &S, ctx: &S::Ctx, action: &str, params: &crate::query::QueryParams, request_id: &str) -> Result<String, crate::error::ApiError> {{\n\
             if action.is_empty() {{ return Err(crate::error::ApiError::missing_action()); }}\n\
             let version = params.version().unwrap_or(API_VERSION);\n\
             let op = match Operation::from_name(action) {{\n\
             Some(op) if version == API_VERSION => op,\n\
             _ => return Err(crate::error::ApiError::invalid_action(action, version)),\n\
             }};\n\
             dispatch_operation(svc, ctx, op, params, request_id)\n\
             }}\n\n\
             /// [`dispatch`] for an operation already looked up (e.g. by the server,\n\
             /// to authorize `op.action()` first).\n\
             pub fn dispatch_operation<S: {tr} + ?Sized>(svc: &S, ctx: &S::Ctx, op: Operation, params: &crate::query::QueryParams, request_id: &str) -> Result<String, crate::error::ApiError> {{\n\
             match op {{"
        );
        for op in self.model.operations.values() {
            let method = snake_case(&op.name);
            let bind = if op.output.is_some() {
                "let output = "
            } else {
                ""
            };
            let out_ref = if op.output.is_some() {
                "&output"
            } else {
                "&()"
            };
            let call = match &op.input {
                Some(i) => format!(
                    "let input: {} = params.decode()?;\n{bind}svc.{method}(ctx, input).map_err(Into::into)?;",
                    self.type_names[i]
                ),
                None => format!("{bind}svc.{method}(ctx).map_err(Into::into)?;"),
            };
            let wrapper = match (&op.output, &op.result_wrapper) {
                (Some(_), Some(w)) => format!("Some({w:?})"),
                (Some(_), None) => format!("Some(\"{}Result\")", op.name),
                (None, _) => "None".into(),
            };
            let _ = writeln!(
                s,
                "Operation::{} => {{\n{call}\nOk(crate::xml::render_response({:?}, XML_NAMESPACE, {wrapper}, {out_ref}, request_id))\n}}",
                op.name, op.name
            );
        }
        s.push_str("}\n}\n");
        Ok(())
    }

    fn emit_json_dispatch(&self, s: &mut String) -> Result<(), CodegenError> {
        let tr = self.spec.trait_name;
        let _ = writeln!(
            s,
            "/// Decodes the JSON request body of `operation` (the `X-Amz-Target` suffix),\n\
             /// calls the handler and renders the JSON response body. Unknown\n\
             /// operations give `UnknownOperationException`, malformed JSON\n\
             /// `SerializationException`, invalid input `InvalidInputException` with a reason.\n\
             pub fn dispatch_json<S: {tr} + ?Sized>(svc: &S, ctx: &S::Ctx, operation: &str, body: &[u8]) -> Result<Vec<u8>, crate::error::ApiError> {{\n\
             let Some(op) = Operation::from_name(operation) else {{\n\
             return Err(crate::error::ApiError::new(crate::generated::errors::ErrorCode::UnknownOperationException, format!(\"Unknown operation {{operation}}\")));\n\
             }};\n\
             dispatch_json_operation(svc, ctx, op, body)\n\
             }}\n\n\
             /// [`dispatch_json`] for an operation already looked up.\n\
             pub fn dispatch_json_operation<S: {tr} + ?Sized>(svc: &S, ctx: &S::Ctx, op: Operation, body: &[u8]) -> Result<Vec<u8>, crate::error::ApiError> {{\n\
             match op {{"
        );
        for op in self.model.operations.values() {
            let method = snake_case(&op.name);
            let bind = if op.output.is_some() {
                "let output = "
            } else {
                ""
            };
            let call = match &op.input {
                Some(i) => format!(
                    "let input: {} = crate::json::decode_body(body)?;\n{bind}svc.{method}(ctx, input).map_err(Into::into)?;",
                    self.type_names[i]
                ),
                None => format!("crate::json::check_body(body)?;\n{bind}svc.{method}(ctx).map_err(Into::into)?;"),
            };
            let render = if op.output.is_some() {
                "Ok(crate::json::render(&output))"
            } else {
                "Ok(b\"{}\".to_vec())"
            };
            let _ = writeln!(s, "Operation::{} => {{\n{call}\n{render}\n}}", op.name);
        }
        s.push_str("}\n}\n");
        Ok(())
    }
}
