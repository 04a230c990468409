//! Option locations (`loc` in nixpkgs' module system) and how messages show them
//! (`showOption`).

use std::rc::Rc;

/// An option location, e.g. `services.netns.namespaces.vpn.sysctl`: a shared chain of names,
/// so that walking into an option costs one small allocation; it is rendered only for errors.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Loc(Option<Rc<LocPart>>);

#[derive(Debug, PartialEq)]
struct LocPart {
    parent: Loc,
    name: String,
}

impl Loc {
    pub fn new(parts: &[&str]) -> Loc {
        parts.iter().fold(Loc::default(), |loc, p| loc.child(p))
    }

    pub fn child(&self, name: &str) -> Loc {
        Loc(Some(Rc::new(LocPart {
            parent: self.clone(),
            name: name.to_string(),
        })))
    }

    /// The last name of the location.
    pub fn name(&self) -> &str {
        self.0.as_ref().map_or("", |p| p.name.as_str())
    }

    /// `showOption`: components that are not plain identifiers are quoted.
    pub fn show(&self) -> String {
        let mut parts = Vec::new();
        let mut at = self;
        while let Some(p) = &at.0 {
            parts.push(show_component(&p.name));
            at = &p.parent;
        }
        parts.reverse();
        parts.join(".")
    }
}

fn show_component(p: &str) -> String {
    let plain = p.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && p.chars().all(|c| c.is_ascii_alphanumeric() || "_'-".contains(c));
    if plain || p.starts_with("[definition ") || p == "<name>" {
        p.to_string()
    } else {
        serde_json::to_string(p).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_option_quotes_dotted_names() {
        let l = Loc::new(&["boot", "kernel", "sysctl", "net.ipv4.ip_forward"]);
        assert_eq!(l.show(), r#"boot.kernel.sysctl."net.ipv4.ip_forward""#);
    }
}
