//! The compile-time evaluator: runs a PxL module the way Pixie's compiler
//! does (no runtime Python — every statement executes in the compiler),
//! builds the operator graph as DataFrame methods are called, and type-checks
//! column expressions when an operator consumes them.

mod binding;
mod dataframe;
mod metadata;
mod ops;
mod px;
mod time;
mod typing;
pub(crate) mod value;

use crate::analysis::{Analysis, Info, SymbolKind};
use crate::diagnostic::{Diagnostic, closest};
use crate::ir::{Literal, Node, NodeId, Op, Plan, Relation};
use crate::span::Span;
use crate::syntax::ast::{self, Expr, ExprKind, Stmt, StmtKind};
use pxl_stdlib::functions::{DATAFRAME_METHODS, MODULE_FUNCTIONS, TYPE_OBJECTS, registry};
use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
pub(crate) use value::{MAX_EXPR_DEPTH, ModuleKind, Scope, UKind, UserFn, Value};

/// Deepest chain of user-function calls.
const MAX_CALL_DEPTH: usize = 64;

/// Control flow out of a block.
enum Flow {
    Normal,
    Return(Value),
}

pub(crate) struct Evaluator {
    pub diags: Vec<Diagnostic>,
    pub nodes: Vec<Node>,
    /// Table a node's data comes from, for messages ("column not found in `http_events`").
    pub origins: Vec<Rc<str>>,
    pub sinks: Vec<NodeId>,
    sink_names: HashMap<String, usize>,
    pub globals: Rc<RefCell<Scope>>,
    /// `px.display` adds sinks (false while vis.json functions drive the script).
    pub display_enabled: bool,
    pub now_ns: i64,
    call_depth: usize,
    expr_depth: usize,
    /// Set while evaluating the arguments of `.agg(...)`: lambdas are allowed there.
    in_agg_args: bool,
    pub analysis: Analysis,
    /// Depth of user-function calls being evaluated.
    in_function: usize,
    /// Output names of vis.json functions (other sinks avoid them).
    pub reserved_names: rustc_hash::FxHashSet<String>,
    taken_names: rustc_hash::FxHashSet<String>,
    /// Set while a bundled library's module code runs.
    pub defining_library: Option<&'static str>,
    /// The bundled pxviews library's module scope, once imported.
    pub pxviews: Option<Rc<RefCell<Scope>>>,
    /// Columns whose assignment failed: later uses are not reported again.
    pub failed_columns: rustc_hash::FxHashSet<String>,
}

impl Evaluator {
    pub fn new(now_ns: i64) -> Evaluator {
        Evaluator {
            diags: Vec::new(),
            nodes: Vec::new(),
            origins: Vec::new(),
            sinks: Vec::new(),
            sink_names: HashMap::default(),
            globals: Rc::new(RefCell::new(Scope::default())),
            display_enabled: true,
            now_ns,
            call_depth: 0,
            expr_depth: 0,
            in_agg_args: false,
            analysis: Analysis::new(true),
            in_function: 0,
            failed_columns: rustc_hash::FxHashSet::default(),
            pxviews: None,
            defining_library: None,
            reserved_names: rustc_hash::FxHashSet::default(),
            taken_names: rustc_hash::FxHashSet::default(),
        }
    }

    pub fn error(&mut self, code: &'static str, span: Span, message: impl Into<String>) -> Value {
        self.diags.push(Diagnostic::error(code, span, message));
        Value::Error
    }

    pub fn push(&mut self, d: Diagnostic) -> Value {
        self.diags.push(d);
        Value::Error
    }

    // ---- the operator graph -------------------------------------------------

    pub fn add_node(
        &mut self,
        op: Op,
        inputs: Vec<NodeId>,
        relation: impl Into<Arc<Relation>>,
        origin: impl Into<Rc<str>>,
    ) -> NodeId {
        let id = self.nodes.len();
        self.nodes.push(Node {
            id,
            op,
            inputs,
            relation: relation.into(),
        });
        self.origins.push(origin.into());
        id
    }

    /// The output columns of a node (shared, cheap to clone).
    pub fn relation(&self, id: NodeId) -> Arc<Relation> {
        self.nodes[id].relation.clone()
    }

    pub fn origin_rc(&self, id: NodeId) -> Rc<str> {
        self.origins[id].clone()
    }

    pub fn origin(&self, id: NodeId) -> &str {
        &self.origins[id]
    }

    /// A unique sink name: `output`, `output_1`, ...
    pub fn sink_name(&mut self, name: &str, span: Span) -> String {
        self.sink_name_in(name, span, crate::diagnostic::Origin::Script)
    }

    /// A unique output name; `span` is in `origin`'s text. Names reserved for
    /// vis.json function outputs are skipped (Pixie renames `px.debug` sinks
    /// that collide with them).
    pub fn sink_name_in(
        &mut self,
        name: &str,
        span: Span,
        origin: crate::diagnostic::Origin,
    ) -> String {
        let mut suffix = *self.sink_names.get(name).unwrap_or(&0);
        let mut candidate = name.to_string();
        while self.reserved_names.contains(&candidate) || self.taken_names.contains(&candidate) {
            suffix += 1;
            candidate = format!("{name}_{suffix}");
        }
        self.sink_names.insert(name.to_string(), suffix);
        self.taken_names.insert(candidate.clone());
        if candidate != name {
            let why = if self.reserved_names.contains(name) {
                "is a vis.json output"
            } else {
                "already exists"
            };
            self.diags.push(
                Diagnostic::warning(
                    "W0603",
                    span,
                    format!("a result named `{name}` {why}; this one is named `{candidate}`"),
                )
                .help("give each output a distinct name")
                .in_origin(origin),
            );
        }
        candidate
    }

    /// The plan: nodes reachable from a sink, in creation order.
    pub fn finish_plan(&mut self) -> Plan {
        let mut keep = vec![false; self.nodes.len()];
        let mut stack: Vec<NodeId> = self.sinks.clone();
        while let Some(id) = stack.pop() {
            if !std::mem::replace(&mut keep[id], true) {
                stack.extend(self.nodes[id].inputs.iter().copied());
            }
        }
        let nodes = std::mem::take(&mut self.nodes);
        Plan {
            nodes: nodes.into_iter().filter(|n| keep[n.id]).collect(),
        }
    }

    // ---- statements ---------------------------------------------------------

    pub fn run_module(&mut self, module: &ast::Module) {
        let doc = match module.body.first().map(|s| &s.kind) {
            Some(StmtKind::Expr(Expr {
                kind: ExprKind::Str(s),
                ..
            })) => s.clone(),
            _ => String::new(),
        };
        self.globals.borrow_mut().vars.insert(
            "__doc__".into(),
            Value::lit(Literal::Str(doc), Span::default()),
        );
        let scope = self.globals.clone();
        if let Flow::Return(_) = self.exec_block(&module.body, &scope) {
            // Reported where the `return` was.
        }
    }

    /// Run one module-level statement of a bundled library.
    pub(crate) fn exec_library(&mut self, stmt: &Stmt, scope: &Rc<RefCell<Scope>>) {
        let _ = self.exec(stmt, scope);
    }

    fn exec_block(&mut self, body: &[Stmt], scope: &Rc<RefCell<Scope>>) -> Flow {
        for stmt in body {
            if let Flow::Return(v) = self.exec(stmt, scope) {
                return Flow::Return(v);
            }
        }
        Flow::Normal
    }

    fn exec(&mut self, stmt: &Stmt, scope: &Rc<RefCell<Scope>>) -> Flow {
        match &stmt.kind {
            StmtKind::Expr(e) => {
                self.eval(e, scope);
            }
            StmtKind::Assign { targets, value } => {
                if targets.len() > 1 {
                    self.push(
                        Diagnostic::error(
                            "E0106",
                            stmt.span,
                            "PxL assigns to one target at a time",
                        )
                        .help("write one assignment per line: `a = value` then `b = a`"),
                    );
                    return Flow::Normal;
                }
                self.assign(&targets[0], value, scope);
            }
            StmtKind::AugAssign { .. } if self.in_function > 0 => {}
            StmtKind::AugAssign { target, .. } => {
                let name = match &target.kind {
                    ExprKind::Name(n) => n.as_str(),
                    _ => "x",
                };
                self.push(
                    Diagnostic::error(
                        "E0101",
                        stmt.span,
                        "augmented assignment (`+=` and friends) is not supported in PxL",
                    )
                    .help(format!("write `{name} = {name} + value` instead")),
                );
            }
            StmtKind::Import(names) => {
                for n in names {
                    self.import(n, scope);
                }
            }
            StmtKind::ImportFrom {
                level,
                module,
                names,
            } => self.import_from(*level, module.as_ref(), names, stmt.span, scope),
            StmtKind::Def(def) => self.define(def, scope),
            StmtKind::Return(value) => {
                if self.in_function == 0 {
                    self.push(Diagnostic::error(
                        "E0108",
                        stmt.span,
                        "`return` outside of a function",
                    ));
                    return Flow::Normal;
                }
                let v = value.as_ref().map_or(Value::None, |e| self.eval(e, scope));
                return Flow::Return(v);
            }
            StmtKind::Unsupported { .. } if self.in_function > 0 => {
                // Reported once when the function was defined.
            }
            StmtKind::Unsupported { keyword, .. } => {
                let help = match *keyword {
                    "if" | "while" | "for" | "try" | "with" => {
                        "PxL scripts have no control flow; use DataFrame filters (`df[df.x > 0]`), `px.select(cond, a, b)`, or a function per case"
                    }
                    "class" => "define functions with `def` instead",
                    "pass" => "remove it; a function body needs at least one real statement",
                    _ => "remove this statement",
                };
                let what = if matches!(*keyword, "pass" | "break" | "continue") {
                    format!("`{keyword}` is not supported in PxL")
                } else {
                    format!("`{keyword}` statements are not supported in PxL")
                };
                let span = Span {
                    start: stmt.span.start,
                    end: stmt.span.start + keyword.len() as u32,
                };
                self.push(Diagnostic::error("E0101", span, what).help(help));
            }
            StmtKind::Error => {}
        }
        Flow::Normal
    }

    fn assign(&mut self, target: &Expr, value: &Expr, scope: &Rc<RefCell<Scope>>) {
        match &target.kind {
            ExprKind::Name(name) => {
                let v = self.eval(value, scope);
                self.analysis.define(
                    name,
                    target.span,
                    SymbolKind::Variable,
                    describe_value(self, &v),
                );
                self.record_value(value.span, &v);
                scope.borrow_mut().vars.insert(name.clone(), v);
            }
            ExprKind::Attribute { value: obj, attr } => {
                self.assign_column(obj, &attr.name, attr.span, target.span, value, scope, false);
            }
            ExprKind::Subscript { value: obj, index } => {
                let key = self.eval(index, scope);
                match key.as_str() {
                    Some(name) => {
                        let name = name.to_string();
                        self.assign_column(obj, &name, index.span, target.span, value, scope, true);
                    }
                    None => {
                        let target_value = self.eval(obj, scope);
                        match (&target_value, &key) {
                            (Value::Error, _) | (_, Value::Error) => {}
                            (Value::DataFrame(_), _) => {
                                self.error("E0507", index.span, "a column assignment needs a string column name: `df['name'] = expr`");
                            }
                            (other, _) => {
                                self.push(
                                    Diagnostic::error("E0507", target.span, format!("subscript assignment is not allowed on `{}` objects", other.type_name()))
                                        .help("PxL values are immutable at compile time; build a new list instead"),
                                );
                            }
                        }
                    }
                }
            }
            ExprKind::Tuple(_) | ExprKind::List(_) => {
                self.push(
                    Diagnostic::error(
                        "E0106",
                        target.span,
                        "PxL does not unpack tuples in assignments",
                    )
                    .help("assign each value on its own line"),
                );
            }
            _ => {
                self.error("E0106", target.span, "this cannot be assigned to; the target must be a name, `df.column` or `df['column']`");
            }
        }
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "one call site per assignment form"
    )]
    fn assign_column(
        &mut self,
        obj: &Expr,
        column: &str,
        column_span: Span,
        target_span: Span,
        value: &Expr,
        scope: &Rc<RefCell<Scope>>,
        subscript: bool,
    ) {
        let ExprKind::Name(df_name) = &obj.kind else {
            self.push(
                Diagnostic::error(
                    "E0507",
                    obj.span,
                    "columns can only be assigned on a DataFrame variable",
                )
                .help("assign the DataFrame to a name first: `df = ...` then `df.col = ...`"),
            );
            return;
        };
        let target = self.eval(obj, scope);
        let v = self.eval(value, scope);
        match target {
            Value::DataFrame(df) => {
                let mut result = self.map_column(df, column, column_span, &v, value.span);
                if matches!(result, Value::Error) {
                    // Go on with the DataFrame as it was, so later statements are
                    // still checked; uses of this column are not reported again.
                    self.failed_columns.insert(column.to_string());
                    result = Value::DataFrame(df);
                }
                self.analysis.define(
                    column,
                    column_span,
                    SymbolKind::Column,
                    Info::Object("column"),
                );
                scope.borrow_mut().vars.insert(df_name.clone(), result);
            }
            Value::Error => {}
            other if subscript => {
                self.error(
                    "E0507",
                    target_span,
                    format!(
                        "subscript assignment is not allowed on `{}` objects",
                        other.type_name()
                    ),
                );
            }
            other => {
                self.error(
                    "E0507",
                    target_span,
                    format!(
                        "cannot set attribute `{column}` on a `{}` object",
                        other.type_name()
                    ),
                );
            }
        }
    }

    fn import(&mut self, name: &ast::ImportName, scope: &Rc<RefCell<Scope>>) {
        let parts = &name.name.parts;
        let full: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
        let Some(module) = module_by_name(&full.join(".")) else {
            self.unknown_module(&full.join("."), name.name.span);
            return;
        };
        let bind = name.alias.as_ref().unwrap_or(&parts[0]);
        let value = if name.alias.is_some() {
            module
        } else {
            module_by_name(full[0]).unwrap_or(Value::Error)
        };
        self.analysis.define(
            &bind.name,
            bind.span,
            SymbolKind::Module,
            Info::Signature(full.join(".")),
        );
        scope.borrow_mut().vars.insert(bind.name.clone(), value);
    }

    fn unknown_module(&mut self, name: &str, span: Span) {
        let known = ["px", "pxtrace", "pxconfig", "pxviews"];
        let mut d = Diagnostic::error("E0202", span, format!("no module named `{name}`"))
            .note("PxL scripts can import px, pxtrace, pxconfig and pxviews");
        if let Some(s) = closest(name, known) {
            d = d.help(format!("did you mean `{s}`?")).suggest(s);
        }
        self.push(d);
    }

    fn import_from(
        &mut self,
        level: usize,
        module: Option<&ast::DottedName>,
        names: &[ast::ImportName],
        span: Span,
        scope: &Rc<RefCell<Scope>>,
    ) {
        if level > 0 || module.is_none() {
            self.error("E0202", span, "relative imports are not supported in PxL; import px, pxtrace, pxconfig or pxviews");
            return;
        }
        let Some(module) = module else { return };
        let path: Vec<&str> = module.parts.iter().map(|p| p.name.as_str()).collect();
        let Some(m) = module_by_name(&path.join(".")) else {
            self.unknown_module(&path.join("."), module.span);
            return;
        };
        for n in names {
            let item = &n.name.parts[0];
            if item.name == "*" {
                self.error(
                    "E0203",
                    item.span,
                    "`import *` is not supported; import the names you use",
                );
                continue;
            }
            let before = self.diags.len();
            let v = self.get_attr(m.clone(), &item.name, item.span);
            if matches!(v, Value::Error) {
                // Name the failure as an import error, keeping the suggestion.
                for d in &mut self.diags[before..] {
                    if d.code == "E0204" {
                        d.code = "E0203";
                        d.message = format!(
                            "cannot import name `{}` from `{}`",
                            item.name,
                            path.join(".")
                        );
                    }
                }
                continue;
            }
            let bind = n.alias.as_ref().unwrap_or(item);
            self.analysis.define(
                &bind.name,
                bind.span,
                SymbolKind::Function,
                Info::Signature(format!("{}.{}", path.join("."), item.name)),
            );
            scope.borrow_mut().vars.insert(bind.name.clone(), v);
        }
    }

    /// Statements PxL rejects anywhere in a function body (called or not).
    fn report_unsupported(&mut self, body: &[Stmt]) {
        for stmt in body {
            match &stmt.kind {
                StmtKind::Unsupported { body: inner, .. } => {
                    let saved = self.in_function;
                    self.in_function = 0;
                    self.exec(stmt, &self.globals.clone());
                    self.in_function = saved;
                    self.report_unsupported(inner);
                }
                StmtKind::AugAssign { .. } => {
                    let saved = self.in_function;
                    self.in_function = 0;
                    self.exec(stmt, &self.globals.clone());
                    self.in_function = saved;
                }
                StmtKind::Def(d) => self.report_unsupported(&d.body),
                _ => {}
            }
        }
    }

    fn define(&mut self, def: &Arc<ast::FunctionDef>, scope: &Rc<RefCell<Scope>>) {
        self.report_unsupported(&def.body);
        for p in &def.params {
            if p.default.is_some() {
                self.push(
                    Diagnostic::error(
                        "E0107",
                        p.span,
                        "default parameter values are not supported in PxL",
                    )
                    .help("remove the default; vis.json variables supply argument values"),
                );
            }
            if p.star > 0 {
                self.error(
                    "E0107",
                    p.span,
                    "`*args` and `**kwargs` parameters are not supported in PxL",
                );
            }
        }
        let annotations = def
            .params
            .iter()
            .map(|p| p.annotation.as_ref().map(|a| self.eval(a, scope)))
            .collect();
        let f = Rc::new(UserFn {
            def: Arc::clone(def),
            scope: scope.clone(),
            annotations,
            library: self.defining_library,
        });
        let params: Vec<String> = def.params.iter().map(|p| p.name.name.clone()).collect();
        self.analysis.define(
            &def.name.name,
            def.name.span,
            SymbolKind::Function,
            Info::Signature(format!("def {}({})", def.name.name, params.join(", "))),
        );
        let mut value = Value::UserFn(f);
        for dec in def.decorators.iter().rev() {
            let d = self.eval(dec, scope);
            value = self.call_value(d, vec![(None, value, def.name.span)], dec.span, scope);
        }
        scope.borrow_mut().vars.insert(def.name.name.clone(), value);
    }

    /// Call a user function with bound arguments.
    pub fn call_user(
        &mut self,
        f: &Rc<UserFn>,
        args: Vec<(Option<String>, Value, Span)>,
        span: Span,
    ) -> Value {
        let params: Vec<binding::Param> = f
            .def
            .params
            .iter()
            .map(|p| binding::Param {
                name: p.name.name.clone(),
                default: None,
                kwargs: false,
            })
            .collect();
        let Some(bound) = self.bind(&f.def.name.name, &params, args, span) else {
            return Value::Error;
        };
        if self.call_depth >= MAX_CALL_DEPTH {
            return self.error(
                "E0209",
                span,
                format!(
                    "function calls nest more than {MAX_CALL_DEPTH} deep (is `{}` recursive?)",
                    f.def.name.name
                ),
            );
        }
        let child = Rc::new(RefCell::new(Scope {
            vars: HashMap::default(),
            parent: Some(f.scope.clone()),
        }));
        for (p, v) in f.def.params.iter().zip(bound) {
            self.analysis.define(
                &p.name.name,
                p.name.span,
                SymbolKind::Parameter,
                describe_value(self, &v),
            );
            child.borrow_mut().vars.insert(p.name.name.clone(), v);
        }
        self.call_depth += 1;
        self.in_function += 1;
        let before = self.diags.len();
        let flow = self.exec_block(&f.def.body, &child);
        self.in_function -= 1;
        self.call_depth -= 1;
        if let Some(lib) = f.library {
            // Problems inside a library function are reported at the call.
            for d in &mut self.diags[before..] {
                d.message = format!("inside `{lib}.{}`: {}", f.def.name.name, d.message);
                d.span = span;
                d.labels.clear();
                d.suggestions.clear();
            }
        }
        match flow {
            Flow::Return(v) => v,
            Flow::Normal => Value::None,
        }
    }

    // ---- expressions --------------------------------------------------------

    pub fn eval(&mut self, e: &Expr, scope: &Rc<RefCell<Scope>>) -> Value {
        if self.expr_depth >= MAX_EXPR_DEPTH {
            return self.error(
                "E0006",
                e.span,
                format!("expression is nested more than {MAX_EXPR_DEPTH} levels deep"),
            );
        }
        self.expr_depth += 1;
        let v = self.eval_inner(e, scope);
        self.expr_depth -= 1;
        if let Value::Expr(node) = &v
            && node.depth > MAX_EXPR_DEPTH
        {
            return self.error("E0006", e.span, format!("expression is nested more than {MAX_EXPR_DEPTH} levels deep; split it with intermediate columns"));
        }
        v
    }

    fn eval_inner(&mut self, e: &Expr, scope: &Rc<RefCell<Scope>>) -> Value {
        let span = e.span;
        match &e.kind {
            ExprKind::Name(name) => self.lookup(name, span, scope),
            ExprKind::Int(i) => Value::lit(Literal::Int(*i), span),
            ExprKind::BigInt(text) => self.error(
                "E0007",
                span,
                format!("integer `{text}` does not fit in INT64"),
            ),
            ExprKind::Float(f) => Value::lit(Literal::Float(*f), span),
            ExprKind::Str(s) => Value::lit(Literal::Str(s.clone()), span),
            ExprKind::BadStr { .. } | ExprKind::Error => Value::Error,
            ExprKind::Attribute { value, attr } => {
                let v = self.eval(value, scope);
                let result = self.get_attr(v, &attr.name, attr.span);
                self.record_value(span, &result);
                result
            }
            ExprKind::Subscript { value, index } => {
                let v = self.eval(value, scope);
                let i = self.eval(index, scope);
                self.subscript(v, i, span, index.span)
            }
            ExprKind::Slice => self.push(
                Diagnostic::error(
                    "E0102",
                    span,
                    "slices are not supported in PxL; index with a single value",
                )
                .help("for the first rows of a DataFrame use `df.head(n)`"),
            ),
            ExprKind::Call { func, args } => {
                let f = self.eval(func, scope);
                let is_agg =
                    matches!(&f, Value::Method { spec, .. } if spec.path == "DataFrame.agg");
                let saved = self.in_agg_args;
                self.in_agg_args = is_agg;
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    if a.star > 0 {
                        self.error(
                            "E0102",
                            a.span,
                            "argument unpacking (`*x`, `**x`) is not supported in PxL",
                        );
                        continue;
                    }
                    let v = self.eval(&a.value, scope);
                    values.push((a.keyword.as_ref().map(|k| k.name.clone()), v, a.span));
                }
                self.in_agg_args = saved;
                let result = self.call_value(f, values, span, scope);
                self.record_value(span, &result);
                result
            }
            ExprKind::BinOp { op, left, right } => {
                let l = self.eval(left, scope);
                let r = self.eval(right, scope);
                self.binary(*op, l, r, span)
            }
            ExprKind::UnaryOp { op, operand } => {
                let v = self.eval(operand, scope);
                self.unary(*op, v, span)
            }
            ExprKind::BoolOp { op, left, right } => {
                let l = self.eval(left, scope);
                let r = self.eval(right, scope);
                let name = match op {
                    ast::BoolOp::And => "logicalAnd",
                    ast::BoolOp::Or => "logicalOr",
                };
                self.apply_op(name, vec![l, r], span)
            }
            ExprKind::Compare { left, ops } => {
                if ops.len() > 1 {
                    return self.push(
                        Diagnostic::error("E0104", span, "comparisons cannot be chained in PxL")
                            .help("combine two comparisons with `and`: `(a < b) and (b < c)`"),
                    );
                }
                let (op, right) = &ops[0];
                let l = self.eval(left, scope);
                let r = self.eval(right, scope);
                self.compare(*op, l, r, span)
            }
            ExprKind::List(items) => {
                let v = items.iter().map(|i| self.eval(i, scope)).collect();
                Value::List(Rc::new(v))
            }
            ExprKind::Tuple(items) => {
                let v = items.iter().map(|i| self.eval(i, scope)).collect();
                Value::Tuple(Rc::new(v))
            }
            ExprKind::Dict(items) => {
                let v = items
                    .iter()
                    .map(|(k, v)| (self.eval(k, scope), self.eval(v, scope)))
                    .collect();
                Value::Dict(Rc::new(v))
            }
            ExprKind::Lambda { params, body } => {
                if !self.in_agg_args {
                    return self.push(
                        Diagnostic::error("E0105", span, "lambdas are only allowed as the aggregate of an agg spec")
                            .help("write `out=('col', lambda x: px.mean(x >= 400))` inside `.agg(...)`, or define a function with `def`"),
                    );
                }
                Value::Lambda(Rc::new(value::LambdaFn {
                    params: params.clone(),
                    body: (**body).clone(),
                    span,
                    scope: scope.clone(),
                }))
            }
            ExprKind::Unsupported(what) => {
                let help = match *what {
                    "conditional expression" => "use `px.select(condition, if_true, if_false)`",
                    "list comprehension"
                    | "generator expression"
                    | "dict comprehension"
                    | "set comprehension" => {
                        "write the list out, or express the computation with DataFrame operations"
                    }
                    "set" => "use a list `[...]`",
                    _ => "remove it",
                };
                self.push(
                    Diagnostic::error("E0102", span, format!("{what} is not supported in PxL"))
                        .help(help),
                )
            }
        }
    }

    fn lookup(&mut self, name: &str, span: Span, scope: &Rc<RefCell<Scope>>) -> Value {
        if let Some(v) = scope.borrow().lookup(name) {
            self.analysis.use_name(name, span);
            return v;
        }
        if let Some(v) = builtin(name, span) {
            return v;
        }
        let mut candidates = scope.borrow().names();
        candidates.extend(
            [
                "True", "False", "None", "str", "int", "float", "bool", "list",
            ]
            .map(String::from),
        );
        let mut d = Diagnostic::error("E0201", span, format!("name `{name}` is not defined"));
        if let Some(s) = closest(name, candidates.iter().map(String::as_str)) {
            d = d.help(format!("did you mean `{s}`?")).suggest(s);
        } else if matches!(name, "px" | "pxtrace" | "pxconfig" | "pxviews") {
            d = d.help(format!("add `import {name}` at the top of the script"));
        }
        self.push(d)
    }

    /// Evaluate a default-value snippet from the stdlib (`[]`, `'output'`, `None`).
    pub fn eval_default(&mut self, source: &str, span: Span) -> Value {
        thread_local! {
            /// Parsed default-value snippets; the stdlib has a few dozen.
            static DEFAULTS: RefCell<HashMap<String, Option<Expr>>> = RefCell::new(HashMap::default());
        }
        let cached = DEFAULTS.with(|d| {
            if let Some(e) = d.borrow().get(source) {
                return e.clone();
            }
            let parsed = crate::syntax::parse(&format!("{source}\n"));
            let e = match parsed.module.body.into_iter().next().map(|s| s.kind) {
                Some(StmtKind::Expr(e)) if parsed.diagnostics.is_empty() => Some(e),
                _ => None,
            };
            d.borrow_mut().insert(source.to_string(), e.clone());
            e
        });
        match cached {
            Some(mut e) => {
                relocate(&mut e, span);
                let globals = self.globals.clone();
                self.eval(&e, &globals)
            }
            None => self.error(
                "E9999",
                span,
                format!("internal error: bad default `{source}` in the stdlib"),
            ),
        }
    }

    fn record_value(&mut self, span: Span, v: &Value) {
        if self.analysis.enabled {
            let d = describe_value(self, v);
            self.analysis.record(span, d);
        }
    }
}

/// Point every span of a default-value snippet at the call that used it.
fn relocate(e: &mut Expr, span: Span) {
    e.span = span;
    match &mut e.kind {
        ExprKind::List(items) | ExprKind::Tuple(items) => {
            items.iter_mut().for_each(|i| relocate(i, span))
        }
        ExprKind::Dict(items) => items.iter_mut().for_each(|(k, v)| {
            relocate(k, span);
            relocate(v, span);
        }),
        ExprKind::UnaryOp { operand, .. } => relocate(operand, span),
        _ => {}
    }
}

fn builtin(name: &str, span: Span) -> Option<Value> {
    Some(match name {
        "True" => Value::lit(Literal::Bool(true), span),
        "False" => Value::lit(Literal::Bool(false), span),
        "None" => Value::None,
        "list" => Value::Type("list"),
        "dict" => Value::Type("dict"),
        _ => {
            return TYPE_OBJECTS
                .iter()
                .find(|t| t.path == name)
                .map(Value::TypeObject);
        }
    })
}

fn module_by_name(name: &str) -> Option<Value> {
    Some(Value::Module(match name {
        "px" => ModuleKind::Px,
        "pxtrace" => ModuleKind::PxTrace,
        "pxconfig" => ModuleKind::PxConfig,
        "pxviews" => ModuleKind::PxViews,
        "px.otel" => ModuleKind::Otel,
        "px.otel.metric" => ModuleKind::OtelMetric,
        "px.otel.trace" => ModuleKind::OtelTrace,
        "px.vis" => ModuleKind::Vis,
        _ => return None,
    }))
}

/// What a value is, for hovers and the symbol table (cheap: no formatting).
pub(crate) fn describe_value(_ev: &Evaluator, v: &Value) -> Info {
    match v {
        Value::DataFrame(id) => Info::DataFrame(*id),
        Value::Expr(e) => match &e.kind {
            UKind::Lit(l) => Info::Literal(l.data_type()),
            UKind::Column(c) => Info::Column(c.clone()),
            _ => Info::Object("expression"),
        },
        other => Info::Object(other.type_name()),
    }
}

pub(crate) fn method_spec(path: &str) -> Option<&'static pxl_stdlib::functions::CompileTimeSpec> {
    DATAFRAME_METHODS.iter().find(|m| m.path == path)
}

pub(crate) fn module_function(
    path: &str,
) -> Option<&'static pxl_stdlib::functions::CompileTimeSpec> {
    MODULE_FUNCTIONS.iter().find(|m| m.path == path)
}

pub(crate) fn registry_function(name: &str) -> Option<&'static pxl_stdlib::functions::Function> {
    registry().get(name)
}
