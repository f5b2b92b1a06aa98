//! The syntax tree of a PxL file, with byte spans. It keeps constructs PxL
//! rejects (loops, comprehensions, ...) so that the evaluator can say
//! precisely what is not supported instead of a bare syntax error.

use crate::span::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    pub body: Vec<Stmt>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    Expr(Expr),
    /// `a = b = value`: every target, then the value.
    Assign {
        targets: Vec<Expr>,
        value: Expr,
    },
    AugAssign {
        target: Box<Expr>,
        value: Box<Expr>,
    },
    /// `import a.b as c` (one or several names).
    Import(Vec<ImportName>),
    /// `from [.]m import a as b, c`.
    ImportFrom {
        level: usize,
        module: Option<DottedName>,
        names: Vec<ImportName>,
    },
    /// Shared, so that a function value refers to its definition without a copy.
    Def(std::sync::Arc<FunctionDef>),
    Return(Option<Expr>),
    /// A statement PxL does not support (`if`, `for`, `pass`, `class` ...),
    /// named by its keyword; nested statements are kept for the symbol table.
    Unsupported {
        keyword: &'static str,
        body: Vec<Stmt>,
    },
    /// A statement the parser could not read; its error is already reported.
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DottedName {
    pub parts: Vec<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportName {
    pub name: DottedName,
    pub alias: Option<Ident>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    pub decorators: Vec<Expr>,
    pub name: Ident,
    pub params: Vec<Parameter>,
    pub returns: Option<Expr>,
    pub body: Vec<Stmt>,
    pub docstring: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: Ident,
    // Boxed, like the rarer statement kinds, to keep the parser's
    // symbols small: every shift and reduce moves one.
    pub annotation: Option<Box<Expr>>,
    pub default: Option<Box<Expr>>,
    /// 1 for `*args`, 2 for `**kwargs`.
    pub star: u8,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    FloorDiv,
    Pow,
    MatMul,
    BitAnd,
    BitOr,
    BitXor,
    LShift,
    RShift,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Pos,
    Not,
    Invert,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolOp {
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtE,
    Gt,
    GtE,
    In,
    NotIn,
    Is,
    IsNot,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::FloorDiv => "//",
            BinOp::Pow => "**",
            BinOp::MatMul => "@",
            BinOp::BitAnd => "&",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::LShift => "<<",
            BinOp::RShift => ">>",
        }
    }
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::NotEq => "!=",
            CmpOp::Lt => "<",
            CmpOp::LtE => "<=",
            CmpOp::Gt => ">",
            CmpOp::GtE => ">=",
            CmpOp::In => "in",
            CmpOp::NotIn => "not in",
            CmpOp::Is => "is",
            CmpOp::IsNot => "is not",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub keyword: Option<Ident>,
    pub value: Expr,
    /// 1 for `*x`, 2 for `**x`.
    pub star: u8,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Name(String),
    Int(i64),
    /// An integer literal that does not fit INT64 (reported by the evaluator).
    BigInt(String),
    Float(f64),
    Str(String),
    /// A string PxL cannot use: bytes or f-string (`prefix` says which).
    BadStr {
        prefix: char,
    },
    Attribute {
        value: Box<Expr>,
        attr: Ident,
    },
    Subscript {
        value: Box<Expr>,
        index: Box<Expr>,
    },
    Slice,
    Call {
        func: Box<Expr>,
        args: Vec<Arg>,
    },
    BinOp {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    UnaryOp {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    BoolOp {
        op: BoolOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Compare {
        left: Box<Expr>,
        ops: Vec<(CmpOp, Expr)>,
    },
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    Lambda {
        params: Vec<Ident>,
        body: Box<Expr>,
    },
    /// Constructs PxL rejects, named for the error: "conditional expression",
    /// "list comprehension", "set", "starred expression", "yield", "`...`".
    Unsupported(&'static str),
    /// The parser could not read this expression; already reported.
    Error,
}
