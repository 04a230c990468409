//! NixOS's `assertions` and `warnings`: a module that finds its configuration wrong says so in
//! `assertions = [ { assertion = …; message = …; } ]`, and a system with a false one is not
//! built; `warnings = [ "…" ]` are shown and the build goes on. NixOS declares both in
//! `nixos/modules/misc/assertions.nix` and checks them in
//! `nixos/modules/system/activation/top-level.nix`; netns-compile does what those two files do
//! for the modules it evaluates, so a module's own guard holds here too.
//!
//! The declarations come into play only when a module defines one of the two and none
//! declares it (a module that brings NixOS's own declaration keeps it), after the check for
//! undeclared options: a plain config is evaluated as before.

use super::options::{Declared, declared_at, declared_value};
use super::push_down::defined_values;
use super::{Module, State};
use crate::diagnostic::{Code, Diagnostic};
use crate::eval::{ErrorKind, EvalError, EvalResult, Evaluator, Thunk, Value};
use crate::source::Span;
use std::rc::Rc;

/// NixOS's two declarations, as `nixos/modules/misc/assertions.nix` writes them.
const DECLARATIONS: &str = r#"lib: {
  assertions = lib.mkOption {
    type = lib.types.listOf lib.types.unspecified;
    internal = true;
    default = [ ];
  };
  warnings = lib.mkOption {
    type = lib.types.listOf lib.types.str;
    internal = true;
    default = [ ];
  };
}
"#;

/// Where the declarations say they come from (`_file`), as NixOS's module does.
const FILE: &str = "<netns-compile>/nixos/modules/misc/assertions.nix";

const NAMES: [&str; 2] = ["assertions", "warnings"];

/// Add NixOS's declarations of `assertions` and `warnings` when a module defines one that no
/// module declares. Returns whether there is anything to check.
pub(super) fn declare_when_defined(ev: &Evaluator, state: &Rc<State>) -> EvalResult<bool> {
    let mut defined = false;
    let mut missing = Vec::new();
    for name in NAMES {
        if defined_values(ev, state, &[name])?.is_empty() {
            continue;
        }
        defined = true;
        if !matches!(declared_at(ev, state, &[name.to_string()])?, Declared::Option(_)) {
            missing.push(name);
        }
    }
    if missing.is_empty() {
        return Ok(defined);
    }
    let declarations = ev.load_source(FILE, None, DECLARATIONS)?;
    let declarations = ev.call(ev.force(&declarations)?, state.lib.clone(), Span::BUILTIN)?;
    let Value::Attrs(all) = declarations else {
        unreachable!("the declarations are an attribute set")
    };
    let mut options = crate::eval::Attrs::new();
    for name in missing {
        if let Some(attr) = all.map.get(name) {
            options.insert(Rc::from(name), attr.value.clone(), attr.key_span);
        }
    }
    state.modules.borrow_mut().push(Module {
        config: None,
        options: Some(Thunk::ready(Value::attrs(options), Span::BUILTIN)),
        span: Span::BUILTIN,
        file: Rc::from(FILE),
    });
    // What was looked up before the declarations came is stale now.
    state.declared.borrow_mut().clear();
    Ok(true)
}

/// NixOS's check: every false assertion is an error (one diagnostic, each false assertion
/// labelled, the text NixOS prints); then, if none is false, each warning is shown as NixOS
/// shows it (`trace: warning: …`, through the evaluator's I/O).
pub(super) fn check(ev: &Evaluator, state: &Rc<State>) -> EvalResult<()> {
    let mut failed: Vec<(String, Span)> = Vec::new();
    for item in declared_list(ev, state, "assertions")? {
        let Value::Attrs(a) = ev.force(&item)? else {
            return Err(crate::eval::error(
                item.span(),
                "an assertion must be { assertion; message; }",
            ));
        };
        let (Some(assertion), Some(message)) = (a.get("assertion"), a.get("message")) else {
            return Err(crate::eval::error(
                item.span(),
                "an assertion must have `assertion` and `message`",
            ));
        };
        if !ev.expect_bool(ev.force(assertion)?, assertion.span())? {
            failed.push((
                ev.expect_string(ev.force(message)?, message.span())?.to_string(),
                assertion.span(),
            ));
        }
    }
    if let Some(((_, first), rest)) = failed.split_first() {
        let text: Vec<String> = failed.iter().map(|(m, _)| format!("- {m}")).collect();
        let mut diagnostic = Diagnostic::new(
            Code::FailedAssertion,
            format!("Failed assertions:\n{}", text.join("\n")),
        )
        .at(*first, "this assertion is false");
        for (_, span) in rest {
            diagnostic = diagnostic.also(*span, "this one too");
        }
        return Err(Box::new(EvalError {
            kind: ErrorKind::Other,
            diagnostic,
        }));
    }
    for warning in declared_list(ev, state, "warnings")? {
        let text = ev.expect_string(ev.force(&warning)?, warning.span())?;
        ev.io().trace(&format!("warning: {text}"));
    }
    Ok(())
}

/// The merged list of the declared option `name`, or none when it is not declared.
fn declared_list(ev: &Evaluator, state: &Rc<State>, name: &str) -> EvalResult<Vec<Thunk>> {
    let path = [name.to_string()];
    if !matches!(declared_at(ev, state, &path)?, Declared::Option(_)) {
        return Ok(Vec::new());
    }
    match declared_value(ev, state, &path)? {
        Value::List(items) => Ok(items.to_vec()),
        _ => Err(crate::eval::error(Span::BUILTIN, format!("`{name}` is not a list"))),
    }
}
