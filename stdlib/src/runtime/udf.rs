//! The scalar UDF framework: one DataFusion [`ScalarUDF`] per registry
//! function, whose overloads come from the registry's signatures and whose
//! body is a kernel over Arrow arrays.
//!
//! Kernels see every argument as an array of the batch's length (a literal
//! argument is expanded once per batch) and return an array of that length.
//! PxL has no nulls, but outer joins make them: a row with a null argument
//! gives a null result.

use super::arrow_type;
use crate::datatype::DataType;
use crate::functions::{FnKind, registry};
use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::DataType as ArrowType;
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A kernel: the arguments as arrays of equal length, and that length (which
/// a function without arguments needs) → the result.
pub type Kernel = Arc<dyn Fn(&[ArrayRef], usize) -> Result<ArrayRef> + Send + Sync>;

/// A registry function as a DataFusion UDF.
pub struct PxlUdf {
    name: String,
    signature: Signature,
    /// (argument types, result type) per overload, in Arrow types.
    overloads: Vec<(Vec<ArrowType>, ArrowType)>,
    kernel: Kernel,
}

impl std::fmt::Debug for PxlUdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PxlUdf").field("name", &self.name).finish()
    }
}

impl PartialEq for PxlUdf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.overloads == other.overloads
    }
}
impl Eq for PxlUdf {}
impl Hash for PxlUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl PxlUdf {
    /// The UDF for registry function `name` with the given kernel. Fails
    /// when the registry has no scalar function of that name.
    pub fn new(name: &str, kernel: Kernel) -> Result<Self> {
        let Some(spec) = registry().get(name) else {
            return plan_err!("no function `{name}` in the registry");
        };
        if spec.spec.kind != FnKind::Scalar {
            return plan_err!("`{name}` is not a scalar function");
        }
        let mut overloads: Vec<(Vec<ArrowType>, ArrowType)> = Vec::new();
        for o in &spec.overloads {
            let args: Vec<ArrowType> = o.params.iter().map(|p| arrow_type(p.ty)).collect();
            let ret = arrow_type(o.ret);
            if !overloads.iter().any(|(a, _)| *a == args) {
                overloads.push((args, ret));
            }
        }
        let sigs = overloads
            .iter()
            .map(|(args, _)| {
                if args.is_empty() {
                    TypeSignature::Nullary
                } else {
                    TypeSignature::Exact(args.clone())
                }
            })
            .collect();
        Ok(PxlUdf {
            name: name.to_string(),
            signature: Signature::one_of(sigs, Volatility::Immutable),
            overloads,
            kernel,
        })
    }

    pub fn into_udf(self) -> ScalarUDF {
        ScalarUDF::new_from_impl(self)
    }
}

impl ScalarUDFImpl for PxlUdf {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, arg_types: &[ArrowType]) -> Result<ArrowType> {
        match self.overloads.iter().find(|(a, _)| a == arg_types) {
            Some((_, ret)) => Ok(ret.clone()),
            None => plan_err!(
                "`{}` has no overload for arguments {arg_types:?}",
                self.name
            ),
        }
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let all_scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let arrays = args
            .args
            .iter()
            .map(|a| a.to_array(n))
            .collect::<Result<Vec<_>>>()?;
        let out = (self.kernel)(&arrays, n)?;
        if out.len() != n {
            return exec_err!(
                "`{}` returned {} rows for {n} input rows",
                self.name,
                out.len()
            );
        }
        if all_scalar && n == 1 {
            return Ok(ColumnarValue::Scalar(
                datafusion::common::ScalarValue::try_from_array(&out, 0)?,
            ));
        }
        Ok(ColumnarValue::Array(out))
    }
}

/// The PxL types of a call's arguments as seen by a kernel.
pub fn arrow_types(args: &[ArrayRef]) -> Vec<ArrowType> {
    args.iter().map(|a| a.data_type().clone()).collect()
}

/// Physical equality of PxL types (INT64 and TIME64NS are both Int64).
pub fn same_physical(a: DataType, b: DataType) -> bool {
    arrow_type(a) == arrow_type(b)
}
