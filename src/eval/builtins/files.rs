//! Files and the environment, all read through the evaluator's [`EvalIo`](crate::eval::io::EvalIo):
//! `import`, `scopedImport`, `readFile`, `readDir`, `pathExists`, `hashFile`, `getEnv`, and the
//! search path (`findFile`, `nixPath`).

use super::{Defs, def};
use crate::diagnostic::Code;
use crate::eval::coerce::CoerceMode;
use crate::eval::error::{ErrorKind, EvalResult, error, error_of};
use crate::eval::evaluator::Evaluator;
use crate::eval::search_path::SearchPathEntry;
use crate::eval::value::{Attrs, Thunk, Value};
use crate::source::Span;

pub(super) fn define_files(d: &mut Defs) {
    def(d, "getEnv", 1, |ev, a, span| {
        let name = ev.arg_str(a, 0, span)?;
        Ok(Value::string(ev.io().env_var(&name).unwrap_or_default()))
    });
    def(d, "import", 1, |ev, a, span| {
        let v = ev.arg(a, 0)?;
        let path = ev.path_argument(&v, span)?;
        let thunk = ev.load_file(std::path::Path::new(&path), span)?;
        ev.force(&thunk)
    });
    // The path is looked at first, then the scope (as Nix 2.8 does).
    def(d, "scopedImport", 2, |ev, a, span| {
        let v = ev.arg(a, 1)?;
        let path = ev.path_argument(&v, span)?;
        let scope = ev.arg(a, 0)?;
        let scope = ev.expect_attrs(scope, span, "the scope of 'scopedImport'")?;
        ev.scoped_import(std::path::Path::new(&path), &scope, span)
    });
    // `builtins.findFile [ { prefix; path; } … ] "nixpkgs/lib"`: what `<nixpkgs/lib>` does
    // with the search path given.
    def(d, "findFile", 2, |ev, a, span| {
        let mut entries = Vec::new();
        for item in ev.arg_list(a, 0, span)?.iter() {
            let v = ev.force(item)?;
            let attrs = ev.expect_attrs(v, item.span(), "an element of the search path")?;
            let prefix = match attrs.get("prefix") {
                Some(p) => {
                    let v = ev.force(p)?;
                    ev.expect_string(v, p.span())?.to_string()
                }
                None => String::new(),
            };
            let Some(path) = attrs.get("path") else {
                return Err(error(item.span(), "attribute 'path' missing"));
            };
            let v = ev.force(path)?;
            let mut text = String::new();
            ev.coerce_to_string(&v, CoerceMode::PathInterpolation, path.span(), &mut text)?;
            entries.push(SearchPathEntry { prefix, path: text });
        }
        let name = ev.arg_str(a, 1, span)?;
        ev.find_in(&entries, &name, span)
    });
    def(d, "toPath", 1, |ev, a, span| {
        Ok(Value::string(crate::eval::lower::canonicalize_path(
            &ev.arg_coerced(a, 0, span)?,
        )))
    });
    def(d, "pathExists", 1, |ev, a, span| {
        let v = ev.arg(a, 0)?;
        let p = ev.path_argument(&v, span)?;
        // `…/file/` and `…/file/.` name a directory: they exist only if it is one.
        let raw = ev.to_string_value(&v, CoerceMode::PathInterpolation, span)?;
        let must_be_dir = raw.ends_with('/') || raw.ends_with("/.");
        let path = std::path::Path::new(&p);
        // lstat, as Nix: a dangling symlink exists.
        Ok(Value::Bool(if must_be_dir {
            ev.io().is_dir(path)
        } else {
            ev.io().symlink_file_type(path).is_ok()
        }))
    });
    def(d, "hashFile", 2, |ev, a, span| {
        let algo = ev.arg_str(a, 0, span)?;
        let v = ev.arg(a, 1)?;
        let p = ev.path_argument(&v, span)?;
        let bytes = ev
            .io()
            .read_file(std::path::Path::new(&p))
            .map_err(|e| error(span, format!("cannot read '{p}': {e}")))?;
        Ok(Value::string(super::strings::hash_hex(&algo, &bytes).ok_or_else(
            || error(span, format!("unknown hash algorithm '{algo}'")),
        )?))
    });
    def(d, "readFile", 1, |ev, a, span| {
        let v = ev.arg(a, 0)?;
        let p = ev.path_argument(&v, span)?;
        let bytes = ev
            .io()
            .read_file(std::path::Path::new(&p))
            .map_err(|e| error(span, format!("cannot read '{p}': {e}")))?;
        String::from_utf8(bytes).map(Value::string).map_err(|_| {
            error_of(
                ErrorKind::Other,
                Code::InvalidUtf8,
                span,
                format!("'{p}' is not valid UTF-8"),
            )
        })
    });
    def(d, "readDir", 1, |ev, a, span| {
        let v = ev.arg(a, 0)?;
        let p = ev.path_argument(&v, span)?;
        let entries = ev
            .io()
            .read_dir(std::path::Path::new(&p))
            .map_err(|e| error(span, format!("cannot read directory '{p}': {e}")))?;
        let mut attrs = Attrs::new();
        for (name, kind) in entries {
            attrs.insert_value(&name, Value::str(kind.nix_name()));
        }
        Ok(Value::attrs(attrs))
    });
}

/// `builtins.nixPath`: `[ { prefix; path; } … ]`, as Nix 2.8 lists its search path.
pub(super) fn nix_path_value(entries: &[SearchPathEntry]) -> Value {
    let items = entries
        .iter()
        .map(|e| {
            let mut attrs = Attrs::new();
            attrs.insert_value("path", Value::str(&e.path));
            attrs.insert_value("prefix", Value::str(&e.prefix));
            Thunk::ready(Value::attrs(attrs), Span::BUILTIN)
        })
        .collect();
    Value::list(items)
}

impl Evaluator {
    /// A path argument (`import`, `readFile`): a path value, or a string holding an absolute
    /// path.
    pub(crate) fn path_argument(&self, v: &Value, span: Span) -> EvalResult<String> {
        let s = self.to_string_value(v, CoerceMode::PathInterpolation, span)?;
        if !s.starts_with('/') {
            return Err(error(span, format!("string '{s}' doesn't represent an absolute path")));
        }
        Ok(crate::eval::lower::canonicalize_path(&s))
    }
}
