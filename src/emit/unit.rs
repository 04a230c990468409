//! The text of a namespace's service unit and its timer, as systemd-lib writes them.

use crate::model::{SectionEntry, ServiceUnit};
use crate::nix_text::push_json_string;

/// systemd-lib's `serviceToUnit` text.
pub fn render_unit(unit: &ServiceUnit) -> String {
    let mut out = String::from("[Unit]\n");
    section_lines(&mut out, &unit.unit_section);
    out.push_str("\n[Service]\n");
    let mut variable = String::new();
    for (name, value) in &unit.environment {
        // `Environment=${builtins.toJSON "${name}=${toString value}"}`.
        variable.clear();
        variable.push_str(name);
        variable.push('=');
        value.push_to_string(&mut variable);
        out.push_str("Environment=");
        push_json_string(&variable, &mut out);
        out.push('\n');
    }
    for (key, value) in &unit.flags {
        out.push_str(key);
        out.push('=');
        out.push_str(if *value { "true" } else { "false" });
        out.push('\n');
    }
    section_lines(&mut out, &unit.service_section);
    if !unit.wanted_by.is_empty() {
        out.push_str("\n[Install]\nWantedBy=");
        out.push_str(&unit.wanted_by.join(" "));
        out.push('\n');
    }
    out
}

/// `<unit>.timer` of a service with `startAt`.
pub fn timer_name(unit_name: &str) -> String {
    format!("{}.timer", unit_name.strip_suffix(".service").unwrap_or(unit_name))
}

/// The timer NixOS adds for a service with `startAt` (nixos/modules/system/boot/systemd.nix:
/// `systemd.timers.<name> = { wantedBy = [ "timers.target" ]; timerConfig.OnCalendar =
/// service.startAt; }` for enabled services), rendered by systemd-lib's `timerToUnit`: the
/// `[Unit]` section is empty (the timer sets no unit options), `[Timer]` is followed by the
/// blank line its template ends with.
pub fn render_timer(unit: &ServiceUnit) -> Option<String> {
    if unit.start_at.is_empty() {
        return None;
    }
    let mut out = String::from("[Unit]\n\n[Timer]\n");
    for calendar in &unit.start_at {
        out.push_str("OnCalendar=");
        out.push_str(calendar);
        out.push('\n');
    }
    out.push_str("\n\n[Install]\nWantedBy=timers.target\n");
    Some(out)
}

/// `attrsToSection`: one `key=value` line a value, each through `toOption`.
fn section_lines(out: &mut String, section: &[SectionEntry]) {
    for (key, values) in section {
        for v in values {
            out.push_str(key);
            out.push('=');
            v.value.push_option_string(out);
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Setting;
    use crate::nix_text::NixValue;
    use crate::source::Span;

    #[test]
    fn environment_is_nix_to_json_and_settings_to_option() {
        let at = |value| Setting {
            value,
            span: Span::BUILTIN,
        };
        let unit = ServiceUnit {
            environment: vec![
                ("QUOTE".into(), NixValue::Str("say \"hi\" $HOME".into())),
                ("A".into(), NixValue::Str("b\\c\nd\u{1}".into())),
                // Nix 2.8 names only \n, \r and \t; a backspace is \u0008 (not \b).
                ("B".into(), NixValue::Str("\u{8}\u{c}".into())),
                ("N".into(), NixValue::Bool(true)),
            ],
            service_section: vec![(
                "X".into(),
                vec![at(NixValue::Bool(false)), at(NixValue::Float(1.5)), at(NixValue::Null)],
            )],
            ..ServiceUnit::default()
        };
        assert_eq!(
            render_unit(&unit),
            "[Unit]\n\n[Service]\nEnvironment=\"QUOTE=say \\\"hi\\\" $HOME\"\n\
             Environment=\"A=b\\\\c\\nd\\u0001\"\nEnvironment=\"B=\\u0008\\u000c\"\nEnvironment=\"N=1\"\n\
             X=false\nX=1.500000\nX=\n"
        );
    }
}
