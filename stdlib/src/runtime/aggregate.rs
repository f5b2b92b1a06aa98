//! Aggregate functions that DataFusion does not have in PxL's form.
//!
//! `count`, `sum`, `mean`, `min`, `max` and `any` are lowered by the planner
//! to DataFusion's own aggregates (all of which have mergeable state for
//! partial/final aggregation). `quantiles` is here: a t-digest whose state
//! is DataFusion's serialised t-digest, finalised into Pixie's JSON summary.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::{cast, filter, is_not_null, sort};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, TypeSignature, Volatility,
};
use datafusion_functions_aggregate_common::tdigest::TDigest;
use std::sync::Arc;

/// The quantiles of Pixie's summary, with their JSON keys.
pub const SUMMARY: [(&str, f64); 7] = [
    ("p01", 0.01),
    ("p10", 0.10),
    ("p25", 0.25),
    ("p50", 0.50),
    ("p75", 0.75),
    ("p90", 0.90),
    ("p99", 0.99),
];

const MAX_CENTROIDS: usize = 100;

/// `quantiles(x)` (the JSON summary) or, with `single`, `quantile(x, q)`
/// (one quantile as FLOAT64, what `px.quantiles(q)` lowers to). Both use
/// the same digest, updated and merged the same way, so that
/// `px.quantiles(0.5)` equals the summary's `p50` exactly, on one node or
/// many.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Quantiles {
    signature: Signature,
    single: bool,
}

impl Quantiles {
    fn new(single: bool) -> Self {
        let arg = |t: DataType| {
            if single {
                TypeSignature::Exact(vec![t, DataType::Float64])
            } else {
                TypeSignature::Exact(vec![t])
            }
        };
        Quantiles {
            signature: Signature::one_of(
                vec![arg(DataType::Int64), arg(DataType::Float64)],
                Volatility::Immutable,
            ),
            single,
        }
    }
}

/// `quantiles` as a DataFusion aggregate.
pub fn quantiles_udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(Quantiles::new(false))
}

/// `quantile(x, q)` as a DataFusion aggregate; `q` must be a literal in
/// [0, 1].
pub fn quantile_udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(Quantiles::new(true))
}

impl AggregateUDFImpl for Quantiles {
    fn name(&self) -> &str {
        if self.single { "quantile" } else { "quantiles" }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(if self.single {
            DataType::Float64
        } else {
            DataType::Utf8
        })
    }
    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let at = if self.single {
            let q = args
                .exprs
                .get(1)
                .and_then(|e| e.downcast_ref::<datafusion::physical_expr::expressions::Literal>())
                .and_then(|l| match l.value() {
                    ScalarValue::Float64(Some(q)) => Some(*q),
                    _ => None,
                });
            match q {
                Some(q) if (0.0..=1.0).contains(&q) => Some(q),
                _ => return exec_err!("quantile: the quantile must be a number in [0, 1]"),
            }
        } else {
            None
        };
        Ok(Box::new(QuantilesAccumulator {
            digest: TDigest::new(MAX_CENTROIDS),
            at,
        }))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let f =
            |n: &str, t: DataType| Arc::new(Field::new(format_state_name(args.name, n), t, false));
        Ok(vec![
            f("max_size", DataType::UInt64),
            f("sum", DataType::Float64),
            f("count", DataType::Float64),
            f("max", DataType::Float64),
            f("min", DataType::Float64),
            Arc::new(Field::new_list(
                format_state_name(args.name, "centroids"),
                Field::new_list_field(DataType::Float64, true),
                false,
            )),
        ])
    }
}

#[derive(Debug)]
struct QuantilesAccumulator {
    digest: TDigest,
    /// `quantile(x, q)`: only this quantile, as FLOAT64.
    at: Option<f64>,
}

/// Checks a serialised t-digest before handing it to DataFusion, whose
/// decoder panics on malformed input (state can come from another node).
fn valid_state(state: &[ScalarValue]) -> bool {
    state.len() == 6
        && matches!(state[0], ScalarValue::UInt64(Some(_)))
        && state[1..5]
            .iter()
            .all(|v| matches!(v, ScalarValue::Float64(Some(_))))
        && match &state[5] {
            ScalarValue::List(l) => {
                l.len() == 1
                    && l.value(0).data_type() == &DataType::Float64
                    && l.value(0).len() % 2 == 0
                    && l.value(0).null_count() == 0
            }
            _ => false,
        }
}

impl Accumulator for QuantilesAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        // Only the first argument is data; `quantile`'s second is q.
        let mut v = cast(&values[0], &DataType::Float64)?;
        if v.null_count() > 0 {
            v = filter(&v, &is_not_null(&v)?)?;
        }
        let sorted = sort(&v, None)?;
        let floats: Vec<f64> = sorted.as_primitive::<Float64Type>().values().to_vec();
        self.digest = self.digest.merge_sorted_f64(&floats);
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        if let Some(q) = self.at {
            return Ok(ScalarValue::Float64(
                (self.digest.count() > 0.0).then(|| self.digest.estimate_quantile(q)),
            ));
        }
        if self.digest.count() == 0.0 {
            return Ok(ScalarValue::Utf8(Some(String::new())));
        }
        let mut m = serde_json::Map::new();
        for (key, q) in SUMMARY {
            let v = self.digest.estimate_quantile(q);
            m.insert(
                key.into(),
                serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into),
            );
        }
        Ok(ScalarValue::Utf8(Some(
            serde_json::Value::Object(m).to_string(),
        )))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.digest.size() - size_of_val(&self.digest)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(self.digest.to_scalar_state())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(first) = states.first() else {
            return Ok(());
        };
        let mut digests = Vec::with_capacity(first.len());
        for row in 0..first.len() {
            let state = states
                .iter()
                .map(|a| ScalarValue::try_from_array(a, row))
                .collect::<Result<Vec<_>>>()?;
            if !valid_state(&state) {
                return exec_err!("malformed quantiles state in row {row}");
            }
            digests.push(TDigest::from_scalar_state(&state));
        }
        digests.push(std::mem::replace(
            &mut self.digest,
            TDigest::new(MAX_CENTROIDS),
        ));
        self.digest = TDigest::merge_digests(&digests);
        Ok(())
    }
}
