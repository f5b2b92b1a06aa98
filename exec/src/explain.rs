//! `pxl explain`: the plan of every output in PxL terms, then what reaches
//! each table scan after DataFusion's optimiser (columns read, time range,
//! pushed filters), and with `verbose` DataFusion's physical plan.

use crate::Engine;
use crate::format::rfc3339;
use datafusion::common::DataFusionError;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::displayable;
use pxl_compiler::ir;
use pxl_planner::Output;
use std::fmt::Write;

pub async fn explain(
    engine: &Engine,
    plan: &ir::Plan,
    outputs: &[Output],
    now_ns: i64,
    verbose: bool,
) -> Result<String, DataFusionError> {
    let mut out = String::new();
    let _ = writeln!(out, "now = {}", rfc3339(now_ns));
    for o in outputs {
        let _ = writeln!(out, "\noutput `{}`", o.name);
        out.push_str(&plan.render_from(o.sink, 1));
        let state = engine.context().state();
        let optimized = state.optimize(&o.plan)?;
        let mut scans = Vec::new();
        optimized.apply(|node| {
            if let LogicalPlan::TableScan(scan) = node {
                scans.push(describe_scan(scan));
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        if !scans.is_empty() {
            let _ = writeln!(out, "  reads:");
            for s in scans {
                let _ = writeln!(out, "    {s}");
            }
        }
        // The notes on rewritten keys need the physical plan; without
        // `--verbose` a plan that cannot be made just has none.
        let physical = state.create_physical_plan(&optimized).await;
        let RewrittenKeys {
            pregrouped,
            coded,
            indexed,
            compared,
        } = physical.as_ref().map(rewritten_keys).unwrap_or_default();
        if !pregrouped.is_empty() {
            let _ = writeln!(
                out,
                "  pre-grouped by UPID (each function runs once per process, not per row):"
            );
            for p in pregrouped {
                let _ = writeln!(out, "    {p}");
            }
        }
        if !coded.is_empty() {
            let _ = writeln!(
                out,
                "  grouped by the table store's string codes (decoded once per group): {}",
                coded.join(", ")
            );
        }
        if !indexed.is_empty() {
            let _ = writeln!(
                out,
                "  groups found by indexing the codes, not by hashing: {}",
                indexed.join(", ")
            );
        }
        if !compared.is_empty() {
            let _ = writeln!(
                out,
                "  compared with literals through the table store's string codes: {}",
                compared.join(", ")
            );
        }
        if verbose {
            let physical = physical?;
            let _ = writeln!(out, "  DataFusion physical plan:");
            for line in displayable(physical.as_ref())
                .indent(true)
                .to_string()
                .lines()
            {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    Ok(out)
}

/// The grouping keys [`crate::pregroup`] evaluates once per UPID group
/// (`name = function(upid)` for each), and those [`crate::dictgroup`]
/// groups by their codes, and the columns its filters compare through
/// their codes.
fn rewritten_keys(
    plan: &std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>,
) -> RewrittenKeys {
    use datafusion::physical_expr::ScalarFunctionExpr;
    use datafusion::physical_expr::expressions::Column;
    use datafusion::physical_plan::filter::FilterExec;
    use datafusion::physical_plan::projection::ProjectionExec;
    let (mut found, mut coded, mut compared) = (Vec::new(), Vec::new(), Vec::new());
    let mut indexed = Vec::new();
    let _ = plan.apply(|node| {
        let dense = node.downcast_ref::<crate::densegroup::DenseCodeAggregateExec>();
        if let Some(d) = dense
            && !indexed.iter().any(|k| k == d.key_name())
        {
            indexed.push(d.key_name().to_string());
        }
        let predicate = node
            .downcast_ref::<FilterExec>()
            .map(FilterExec::predicate)
            .or_else(|| dense.and_then(|d| d.predicate()));
        if let Some(predicate) = predicate {
            let _ = predicate.apply(|e| {
                let name = e
                    .downcast_ref::<Column>()
                    .and_then(|c| c.name().strip_prefix(crate::dictgroup::CODE_PREFIX));
                if let Some(name) = name
                    && !compared.iter().any(|c| c == name)
                {
                    compared.push(name.to_string());
                }
                Ok(TreeNodeRecursion::Continue)
            });
        }
        if let Some(p) = node.downcast_ref::<ProjectionExec>() {
            for pe in p.expr() {
                let Some(f) = pe.expr.downcast_ref::<ScalarFunctionExpr>() else {
                    continue;
                };
                if f.name() == crate::dictgroup::DECODE {
                    coded.push(pe.alias.clone());
                    continue;
                }
                let from_key = f
                    .args()
                    .first()
                    .and_then(|a| a.downcast_ref::<ScalarFunctionExpr>());
                if from_key.is_some_and(|k| k.name() == crate::pregroup::UPID_FROM_KEY) {
                    found.push(format!("{} = {}(upid)", pe.alias, f.name()));
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    RewrittenKeys {
        pregrouped: found,
        coded,
        indexed,
        compared,
    }
}

/// What [`rewritten_keys`] finds.
#[derive(Default)]
struct RewrittenKeys {
    pregrouped: Vec<String>,
    coded: Vec<String>,
    /// Code keys whose groups are found by indexing, not hashing
    /// ([`crate::densegroup`]).
    indexed: Vec<String>,
    compared: Vec<String>,
}

fn describe_scan(scan: &datafusion::logical_expr::TableScan) -> String {
    let cols: Vec<String> = scan
        .projected_schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut s = format!("{} columns=[{}]", scan.table_name, cols.join(", "));
    let (start, end) = pxl_stdlib::runtime::time_bounds(&scan.filters);
    if start.is_some() || end.is_some() {
        let _ = write!(
            s,
            " time=[{} .. {}]",
            start.map_or("-inf".to_string(), rfc3339),
            end.map_or("+inf".to_string(), rfc3339)
        );
    }
    if !scan.filters.is_empty() {
        let f: Vec<String> = scan.filters.iter().map(ToString::to_string).collect();
        let _ = write!(s, " pushed_filters=[{}]", f.join(", "));
    }
    s
}
