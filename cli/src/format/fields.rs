//! Which fields of dot a parsed template can read, so that a caller may
//! build only those (`ps` skips formatting times and labels that the
//! default table never shows).

use std::collections::BTreeSet;

use super::ast::{Arg, List, Node, Pipe};

/// Every name in every `.A.B` path of `list`, or `None` when the template
/// can see dot as a whole: a bare `.` or any variable (`$` is dot). Names
/// read from narrowed dots (inside `with` or `range`) are included too,
/// which only ever asks for more than is read.
pub(crate) fn fields_read(list: &List) -> Option<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    walk_list(list, &mut names).then_some(names)
}

fn walk_list(list: &List, names: &mut BTreeSet<String>) -> bool {
    list.iter().all(|node| match node {
        Node::Text(_) | Node::Break | Node::Continue => true,
        Node::Action(pipe) => walk_pipe(pipe, names),
        Node::Control(c) => {
            walk_pipe(&c.pipe, names)
                && walk_list(&c.list, names)
                && c.else_list.as_ref().is_none_or(|l| walk_list(l, names))
        }
    })
}

fn walk_pipe(pipe: &Pipe, names: &mut BTreeSet<String>) -> bool {
    pipe.cmds
        .iter()
        .all(|cmd| cmd.args.iter().all(|arg| walk_arg(arg, names)))
}

/// False when `arg` can see the whole of dot.
fn walk_arg(arg: &Arg, names: &mut BTreeSet<String>) -> bool {
    match arg {
        Arg::Field { path, .. } => {
            names.extend(path.iter().cloned());
            true
        }
        Arg::Dot { .. } | Arg::Variable { .. } => false,
        Arg::Chain { node, path, .. } => {
            names.extend(path.iter().cloned());
            walk_arg(node, names)
        }
        Arg::Pipe(pipe) => walk_pipe(pipe, names),
        Arg::Nil { .. }
        | Arg::Bool { .. }
        | Arg::Number { .. }
        | Arg::Str { .. }
        | Arg::Func { .. } => true,
    }
}
