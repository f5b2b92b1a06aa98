//! Signatures and documentation of every PxL function.
//!
//! Function data lives in one file per family; each entry is a
//! [`FunctionSpec`] whose overloads are written as signature strings such as
//! `"(a: INT64, b: INT64) -> INT64"`. [`registry()`] parses them once into
//! [`Function`]s indexed by name.

mod aggregate;
mod compile_time;
mod json;
mod math;
mod metadata;
mod misc;
mod net;
mod ops;
mod strings;
mod table_valued;

pub use compile_time::{
    CompileTimeSpec, DATAFRAME_METHODS, MODULE_FUNCTIONS, MODULES, ModuleSpec, TYPE_OBJECTS,
    TypeObject,
};

use crate::datatype::{DataType, SemanticType};
use std::collections::HashMap;
use std::sync::OnceLock;

/// What a function produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FnKind {
    /// One value per row.
    Scalar,
    /// One value per group; used inside `.agg()`.
    Aggregate,
    /// A whole table: `px.GetSchemas()` is a DataFrame.
    TableValued,
}

/// Where a function is listed in the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    Operator,
    Math,
    String,
    Regex,
    Json,
    Sql,
    Net,
    RequestPath,
    Time,
    Conversion,
    Pii,
    Protocol,
    Metadata,
    Introspection,
    MachineLearning,
    Aggregate,
    TableValued,
}

impl Family {
    pub fn title(self) -> &'static str {
        match self {
            Family::Operator => "Operators",
            Family::Math => "Math",
            Family::String => "Strings",
            Family::Regex => "Regular expressions",
            Family::Json => "JSON",
            Family::Sql => "SQL",
            Family::Net => "Networking",
            Family::RequestPath => "Request paths",
            Family::Time => "Time",
            Family::Conversion => "Conversion",
            Family::Pii => "PII redaction",
            Family::Protocol => "Protocol names",
            Family::Metadata => "Metadata",
            Family::Introspection => "Introspection",
            Family::MachineLearning => "Machine learning (internal)",
            Family::Aggregate => "Aggregates",
            Family::TableValued => "Table-valued functions",
        }
    }
}

/// How the result's semantic type is derived, beyond what the signature fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SemRule {
    /// The signature's return semantic type (or none).
    Fixed,
    /// The semantic type of the first argument that has one
    /// (arithmetic, abs, min/max/sum/mean, ...).
    Inherit,
    /// Like `Inherit`, but only from arguments after the first (`select`).
    InheritFromValues,
    /// Division: `x / DURATION_NS` is a throughput.
    Divide,
    /// Quantiles: `DURATION_NS` input gives `DURATION_NS_QUANTILES`.
    Quantiles,
}

/// One function as written in the data files.
#[derive(Debug, Clone, Copy)]
pub struct FunctionSpec {
    pub name: &'static str,
    pub kind: FnKind,
    pub family: Family,
    /// One signature string per overload, e.g. `"(a: INT64, b: INT64) -> INT64"`.
    /// A return type may carry a semantic type: `-> STRING:POD_NAME`.
    /// Table-valued functions return a column list: `-> (name: STRING, ...)`,
    /// and their arguments may have defaults: `(include_kelvin: BOOLEAN = True)`.
    pub sigs: &'static [&'static str],
    pub semantic: SemRule,
    /// How many leading arguments must be literals (e.g. a regex pattern).
    pub init_args: usize,
    /// One sentence, shown in completion lists and the reference index.
    pub brief: &'static str,
    /// Longer explanation (markdown).
    pub doc: &'static str,
    /// PxL snippets.
    pub examples: &'static [&'static str],
}

/// A typed parameter of an overload.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub ty: DataType,
    /// A literal default in PxL syntax (table-valued functions only).
    pub default: Option<String>,
}

/// One overload, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Overload {
    pub params: Vec<Param>,
    pub ret: DataType,
    pub ret_semantic: Option<SemanticType>,
    /// Output columns of a table-valued function.
    pub columns: Vec<(String, DataType)>,
}

/// A function with its overloads parsed.
#[derive(Debug, Clone)]
pub struct Function {
    pub spec: &'static FunctionSpec,
    pub overloads: Vec<Overload>,
}

impl Function {
    pub fn name(&self) -> &'static str {
        self.spec.name
    }

    pub fn kind(&self) -> FnKind {
        self.spec.kind
    }

    /// The overload whose parameter types equal `args` exactly.
    pub fn resolve(&self, args: &[DataType]) -> Option<&Overload> {
        self.overloads.iter().find(|o| {
            o.params.len() == args.len() && o.params.iter().zip(args).all(|(p, a)| p.ty == *a)
        })
    }

    /// The result's semantic type for the chosen overload and argument semantic types.
    pub fn result_semantic(
        &self,
        overload: &Overload,
        arg_semantics: &[Option<SemanticType>],
    ) -> Option<SemanticType> {
        use SemanticType as S;
        let inherit = |args: &[Option<SemanticType>]| {
            args.iter()
                .flatten()
                .copied()
                .find(|s| !matches!(s, S::None | S::Unspecified | S::TimeNs))
        };
        match self.spec.semantic {
            SemRule::Fixed => overload.ret_semantic,
            // One argument (abs, negate, min, max, any, ...): its meaning carries
            // over. Several (arithmetic): only quantities carry over, and never
            // into a string (concatenation) or a time (time - duration is a time).
            SemRule::Inherit if arg_semantics.len() <= 1 => {
                overload.ret_semantic.or_else(|| inherit(arg_semantics))
            }
            SemRule::Inherit => overload.ret_semantic.or_else(|| {
                if matches!(overload.ret, DataType::String | DataType::Time64Ns) {
                    return None;
                }
                inherit(arg_semantics).filter(|s| {
                    matches!(
                        s,
                        S::Bytes
                            | S::DurationNs
                            | S::ThroughputPerNs
                            | S::ThroughputBytesPerNs
                            | S::Percent
                    )
                })
            }),
            SemRule::InheritFromValues => overload
                .ret_semantic
                .or_else(|| inherit(arg_semantics.get(1..).unwrap_or(&[]))),
            SemRule::Divide => match (
                arg_semantics.first().copied().flatten(),
                arg_semantics.get(1).copied().flatten(),
            ) {
                (Some(S::Bytes), Some(S::DurationNs)) => Some(S::ThroughputBytesPerNs),
                (_, Some(S::DurationNs)) => Some(S::ThroughputPerNs),
                _ => None,
            },
            SemRule::Quantiles => match arg_semantics.first().copied().flatten() {
                Some(S::DurationNs) => Some(S::DurationNsQuantiles),
                _ => Some(S::Quantiles),
            },
        }
    }
}

/// All functions, parsed and indexed by name.
#[derive(Debug)]
pub struct Registry {
    functions: Vec<Function>,
    by_name: HashMap<&'static str, usize>,
}

impl Registry {
    pub fn get(&self, name: &str) -> Option<&Function> {
        self.by_name.get(name).map(|&i| &self.functions[i])
    }

    pub fn functions(&self) -> &[Function] {
        &self.functions
    }

    /// Names of every function, for "did you mean" suggestions.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.functions.iter().map(|f| f.spec.name)
    }
}

/// Every spec of every family, in reference order.
pub fn specs() -> impl Iterator<Item = &'static FunctionSpec> {
    [
        ops::FUNCTIONS,
        math::FUNCTIONS,
        strings::FUNCTIONS,
        json::FUNCTIONS,
        net::FUNCTIONS,
        metadata::FUNCTIONS,
        misc::FUNCTIONS,
        aggregate::FUNCTIONS,
        table_valued::FUNCTIONS,
    ]
    .into_iter()
    .flatten()
}

/// The registry, parsed on first use.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut functions = Vec::new();
        let mut by_name = HashMap::new();
        for spec in specs() {
            let overloads = spec
                .sigs
                .iter()
                .map(|s| {
                    parse_signature(s)
                        .unwrap_or_else(|e| panic!("bad signature {s:?} of {}: {e}", spec.name))
                })
                .collect();
            by_name.insert(spec.name, functions.len());
            functions.push(Function { spec, overloads });
        }
        Registry { functions, by_name }
    })
}

/// Parse `"(a: INT64, b: STRING = 'x') -> INT64:BYTES"` or `"() -> (c: STRING)"`.
pub fn parse_signature(sig: &str) -> Result<Overload, String> {
    let sig = sig.trim();
    let rest = sig
        .strip_prefix('(')
        .ok_or("signature must start with '('")?;
    let close = rest.find(')').ok_or("missing ')'")?;
    let (params_text, rest) = (&rest[..close], &rest[close + 1..]);
    let ret_text = rest.trim().strip_prefix("->").ok_or("missing '->'")?.trim();
    let params = split_list(params_text)
        .map(|p| {
            let (name, rest) = p
                .split_once(':')
                .ok_or(format!("parameter {p:?} has no type"))?;
            let (ty, default) = match rest.split_once('=') {
                Some((ty, d)) => (ty.trim(), Some(d.trim().to_string())),
                None => (rest.trim(), None),
            };
            Ok(Param {
                name: name.trim().to_string(),
                ty: parse_type(ty)?,
                default,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    if let Some(cols) = ret_text.strip_prefix('(') {
        let cols = cols
            .strip_suffix(')')
            .ok_or("missing ')' after output columns")?;
        let columns = split_list(cols)
            .map(|c| {
                let (name, ty) = c
                    .split_once(':')
                    .ok_or(format!("column {c:?} has no type"))?;
                Ok((name.trim().to_string(), parse_type(ty.trim())?))
            })
            .collect::<Result<Vec<_>, String>>()?;
        return Ok(Overload {
            params,
            ret: DataType::String,
            ret_semantic: None,
            columns,
        });
    }
    let (ty, semantic) = match ret_text.split_once(':') {
        Some((ty, st)) => {
            let st = SemanticType::from_name(&format!("ST_{}", st.trim()))
                .ok_or(format!("unknown semantic type {st:?}"))?;
            (ty.trim(), Some(st))
        }
        None => (ret_text, None),
    };
    Ok(Overload {
        params,
        ret: parse_type(ty)?,
        ret_semantic: semantic,
        columns: Vec::new(),
    })
}

fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn parse_type(text: &str) -> Result<DataType, String> {
    DataType::from_name(text).ok_or(format!("unknown data type {text:?}"))
}

#[cfg(test)]
mod tests;
