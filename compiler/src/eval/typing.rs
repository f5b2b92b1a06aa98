//! Typing column expressions against the relation of the operator that
//! consumes them: column resolution (with aliases and implicit metadata),
//! overload resolution and semantic types.

use super::Evaluator;
use super::metadata::IMPLICIT;
use super::value::{UKind, UNode};
use crate::diagnostic::{Diagnostic, closest};
use crate::ir::{Literal, Relation, ScalarExpr, TypedExpr};
use pxl_stdlib::{DataType, SemanticType};

impl Evaluator {
    pub(crate) fn type_expr(
        &mut self,
        node: &UNode,
        rel: &Relation,
        origin: &str,
    ) -> Option<TypedExpr> {
        let typed = self.type_inner(node, rel, origin)?;
        self.analysis.record(
            node.span,
            crate::analysis::Info::Typed(typed.ty, typed.semantic),
        );
        Some(typed)
    }

    fn type_inner(&mut self, node: &UNode, rel: &Relation, origin: &str) -> Option<TypedExpr> {
        match &node.kind {
            UKind::Lit(l) => Some(TypedExpr {
                expr: ScalarExpr::Literal(l.clone()),
                ty: l.data_type(),
                semantic: lit_semantic(l),
            }),
            UKind::Column(name) => self.resolve_column(name, rel, origin, node),
            UKind::Metadata(key) => self.resolve_metadata(key, rel, node.span),
            UKind::Cast { to, expr } => {
                let inner = self.type_expr(expr, rel, origin)?;
                if inner.ty != to.ty {
                    self.push(
                        Diagnostic::error("E0403", node.span, format!("cannot cast {} to {}: only the semantic type can change", inner.ty, to.path))
                            .help(format!("{} needs a {} value; convert the data first (px.atoi, px.itoa, px.time_to_int64, ...)", to.path, to.ty)),
                    );
                    return None;
                }
                let semantic = (to.semantic != SemanticType::None).then_some(to.semantic);
                Some(TypedExpr { semantic, ..inner })
            }
            UKind::Call { func, args } => {
                let mut typed = Vec::with_capacity(args.len());
                let mut ok = true;
                for a in args {
                    match self.type_expr(a, rel, origin) {
                        Some(t) => typed.push(t),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                let types: Vec<DataType> = typed.iter().map(|t| t.ty).collect();
                let Some(overload) = func.resolve(&types) else {
                    self.no_overload(func, &types, node.span);
                    return None;
                };
                let sems: Vec<_> = typed.iter().map(|t| t.semantic).collect();
                let semantic = func.result_semantic(overload, &sems);
                Some(TypedExpr {
                    ty: overload.ret,
                    semantic,
                    expr: ScalarExpr::Call {
                        func: func.name().to_string(),
                        args: typed,
                    },
                })
            }
            UKind::AggCall { func, .. } => {
                self.push(
                    Diagnostic::error(
                        "E0406",
                        node.span,
                        format!(
                            "aggregate `px.{}` can only be used inside `.agg()`",
                            func.name()
                        ),
                    )
                    .help(format!(
                        "write `df.groupby(...).agg(out=('column', px.{}))`",
                        func.name()
                    )),
                );
                None
            }
        }
    }

    pub(crate) fn resolve_column(
        &mut self,
        name: &str,
        rel: &Relation,
        origin: &str,
        node: &UNode,
    ) -> Option<TypedExpr> {
        if let Some(index) = rel.index(name) {
            return Some(TypedExpr::column(rel, index));
        }
        if name == "resp_latency"
            && let Some(index) = rel.index("latency")
        {
            return Some(TypedExpr::column(rel, index));
        }
        if IMPLICIT.contains(&name) {
            return self.resolve_metadata(name, rel, node.span);
        }
        self.column_not_found(name, rel, origin, node.span);
        None
    }

    pub(crate) fn column_not_found(
        &mut self,
        name: &str,
        rel: &Relation,
        origin: &str,
        span: crate::span::Span,
    ) {
        if self.failed_columns.contains(name) {
            // Its assignment already failed and was reported.
            return;
        }
        let in_source =
            pxl_stdlib::tables::table(origin).is_some_and(|t| t.resolve(name).is_some());
        let message = if in_source {
            format!("column `{name}` is no longer available: it was removed before this point")
        } else {
            format!("column `{name}` not found in `{origin}`")
        };
        let mut d = Diagnostic::error("E0302", span, message);
        let mut candidates: Vec<&str> = rel.names().collect();
        candidates.extend(IMPLICIT.iter().copied().filter(|m| {
            super::metadata::property(m)
                .is_some_and(|(_, keys)| keys.iter().any(|k| rel.index(k).is_some()))
        }));
        if rel.index("latency").is_some() {
            candidates.push("resp_latency");
        }
        if in_source {
            d = d.note(format!(
                "`{name}` is a column of `{origin}`, but a groupby/agg, a column selection or a drop earlier removed it"
            ));
        } else if let Some(s) = closest(name, candidates.iter().copied()) {
            d = d.help(format!("did you mean `{s}`?")).suggest(s);
        } else {
            let names: Vec<&str> = rel.names().collect();
            let shown = if names.len() > 30 {
                format!("{}, ...", names[..30].join(", "))
            } else {
                names.join(", ")
            };
            d = d.note(format!("available columns: {shown}"));
        }
        self.push(d);
    }
}

fn lit_semantic(l: &Literal) -> Option<SemanticType> {
    match l {
        Literal::Time(_) => Some(SemanticType::TimeNs),
        _ => None,
    }
}
