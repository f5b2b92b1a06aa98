use super::*;

#[test]
fn every_signature_parses_and_names_are_unique() {
    let mut seen = std::collections::HashSet::new();
    for spec in specs() {
        assert!(
            seen.insert(spec.name),
            "function {} is defined twice",
            spec.name
        );
        assert!(!spec.sigs.is_empty(), "{} has no overloads", spec.name);
        assert!(!spec.brief.is_empty(), "{} has no brief", spec.name);
        for sig in spec.sigs {
            let o = parse_signature(sig).unwrap_or_else(|e| panic!("{}: {sig}: {e}", spec.name));
            assert_eq!(
                spec.kind == FnKind::TableValued,
                !o.columns.is_empty(),
                "{}: only table-valued functions return columns",
                spec.name
            );
        }
    }
}

#[test]
fn overloads_are_not_ambiguous() {
    for f in registry().functions() {
        for (i, a) in f.overloads.iter().enumerate() {
            for b in &f.overloads[i + 1..] {
                let ta: Vec<_> = a.params.iter().map(|p| p.ty).collect();
                let tb: Vec<_> = b.params.iter().map(|p| p.ty).collect();
                assert_ne!(ta, tb, "{} has two overloads taking {ta:?}", f.name());
            }
        }
    }
}

/// Every overload Pixie ships must exist here with the same result type.
#[test]
fn covers_pixie_surface() {
    let text = include_str!("../../tests/data/pixie-overloads.txt");
    let mut missing = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (kind, rest) = line.split_once(' ').unwrap();
        let name = rest.split('(').next().unwrap();
        let Some(f) = registry().get(name) else {
            missing.push(format!("{line}  (no function)"));
            continue;
        };
        let want_kind = match kind {
            "scalar" => FnKind::Scalar,
            "aggregate" => FnKind::Aggregate,
            _ => FnKind::TableValued,
        };
        if f.kind() != want_kind {
            missing.push(format!("{line}  (kind is {:?})", f.kind()));
            continue;
        }
        if want_kind == FnKind::TableValued {
            continue;
        }
        let args = rest[name.len() + 1..rest.find(')').unwrap()].trim();
        let args: Vec<DataType> = if args.is_empty() {
            Vec::new()
        } else {
            args.split(',')
                .map(|a| DataType::from_name(a.trim()).unwrap())
                .collect()
        };
        let ret = DataType::from_name(rest.rsplit("-> ").next().unwrap().trim()).unwrap();
        match f.resolve(&args) {
            Some(o) if o.ret == ret => {}
            Some(o) => missing.push(format!("{line}  (returns {})", o.ret)),
            None => missing.push(format!("{line}  (no overload)")),
        }
    }
    assert!(
        missing.is_empty(),
        "{} overloads missing:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

#[test]
fn arithmetic_keeps_only_quantities() {
    use SemanticType as S;
    let add = registry().get("add").unwrap();
    let o = add.resolve(&[DataType::String, DataType::String]).unwrap();
    assert_eq!(
        add.result_semantic(o, &[Some(S::HttpReqMethod), None]),
        None
    );
    let o = add.resolve(&[DataType::Int64, DataType::Int64]).unwrap();
    assert_eq!(
        add.result_semantic(o, &[Some(S::Bytes), None]),
        Some(S::Bytes)
    );
    assert_eq!(add.result_semantic(o, &[Some(S::Port), None]), None);
    let sub = registry().get("subtract").unwrap();
    let o = sub.resolve(&[DataType::Time64Ns, DataType::Int64]).unwrap();
    assert_eq!(sub.result_semantic(o, &[None, Some(S::DurationNs)]), None);
    let abs = registry().get("abs").unwrap();
    let o = abs.resolve(&[DataType::Int64]).unwrap();
    assert_eq!(
        abs.result_semantic(o, &[Some(S::DurationNs)]),
        Some(S::DurationNs)
    );
}
