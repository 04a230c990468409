//! The text of a script: the model says what it is made of ([`ScriptBody`]), this writes it.

use super::guard::guard_ruleset;
use crate::model::command::{Arg, Command, ShellLine};
use crate::model::connect::Dns;
use crate::model::escape::escape_shell_arg;
use crate::model::{Namespace, ScriptBody, Template, Tools};

/// The text of a template (see [`Template`]).
fn template_text(template: Template) -> &'static str {
    match template {
        Template::OpenVpn => include_str!("templates/openvpn.sh"),
        Template::Watchdog => include_str!("templates/watchdog.sh"),
        Template::PortForward => include_str!("templates/port_forward.sh"),
        Template::WgQuickFile => include_str!("templates/wg_quick_file.sh"),
    }
}

/// The text of a script of `ns` (one of its unit's or of its connectivity units').
pub fn script_text(body: &ScriptBody, ns: &Namespace, tools: &Tools) -> String {
    match body {
        // The netns module's scripts (nixos/modules/services/networking/netns.nix).
        ScriptBody::Attach => {
            let q = escape_shell_arg(&ns.name);
            format!(
                "#!{}\n{} netns attach {q} $$\nmkdir -p /etc/netns/{q}\ntouch /etc/netns/{q}/resolv.conf\n\n",
                tools.runtime_shell, tools.ip
            )
        }
        ScriptBody::Sysctl => {
            let mut out = String::new();
            for e in &ns.sysctl {
                if let Some(value) = &e.value {
                    out.push_str(&e.key);
                    out.push('=');
                    value.push_to_string(&mut out);
                    out.push('\n');
                }
            }
            out
        }
        ScriptBody::Ruleset => format!("#!{} -f\nflush ruleset\n{}\n", tools.nft, ns.nftables),
        ScriptBody::Job { text, strict } => job_script(&tools.runtime_shell, text, *strict),
        ScriptBody::Shell(lines) => {
            let lines: Vec<String> = lines.iter().map(shell_line).collect();
            shell_script(&tools.runtime_shell, lines.iter().map(String::as_str))
        }
        ScriptBody::Template { settings, template } => {
            let settings: Vec<String> = settings
                .iter()
                .map(|(name, value)| format!("{name}={}", escape_shell_arg(value)))
                .collect();
            let lines = settings
                .iter()
                .map(String::as_str)
                .chain([template_text(*template).trim_end()]);
            shell_script(&tools.runtime_shell, lines)
        }
        ScriptBody::Guard(table) => guard_ruleset(table, &tools.nft),
        ScriptBody::ResolvConf { dns, path } => {
            let lines = [
                ShellLine::Comment("Truncated in place, never replaced: joined services bind-mount this file."),
                resolv_conf_command(dns, path).into(),
            ];
            let lines: Vec<String> = lines.iter().map(shell_line).collect();
            shell_script(&tools.runtime_shell, lines.iter().map(String::as_str))
        }
    }
}

/// `printf '%s\n' LINE… > path`: the lines of resolv.conf as resolv.conf(5) spells them.
fn resolv_conf_command(dns: &Dns, path: &str) -> Command {
    let mut printf = Command::new("printf").value("%s\\n");
    for server in &dns.servers {
        printf = printf.value(format!("nameserver {}", server.value));
    }
    for (keyword, values) in [("search", &dns.search), ("options", &dns.options)] {
        if !values.is_empty() {
            let values: Vec<&str> = values.iter().map(|v| v.value.as_str()).collect();
            printf = printf.value(format!("{keyword} {}", values.join(" ")));
        }
    }
    printf.stdout_to(path.to_string())
}

/// A job script's text, as systemd-lib's `makeJobScript` (nixos/lib/systemd-lib.nix) writes
/// it: `writeShellScriptBin name "set -e\n\n${text}\n"` (the builder adds the `#!` line and
/// a newline), or with `enableStrictShellChecks` `writeShellApplication { name; text; }`,
/// whose text is the `#!` line, one `set -o` line for each of its default `bashOptions`
/// (errexit, nounset, pipefail), a blank line and the text
/// (pkgs/build-support/trivial-builders/default.nix).
fn job_script(shell: &str, text: &str, strict: bool) -> String {
    if strict {
        format!("#!{shell}\nset -o errexit\nset -o nounset\nset -o pipefail\n\n{text}\n")
    } else {
        format!("#!{shell}\nset -e\n\n{text}\n\n")
    }
}

/// One line of a run-time script: a command's program and values quoted for the shell.
fn shell_line(line: &ShellLine) -> String {
    let command: &Command = match line {
        ShellLine::Comment(text) => return format!("# {text}"),
        ShellLine::Run(command) => command,
    };
    let mut out = escape_shell_arg(&command.program);
    for arg in &command.args {
        out.push(' ');
        match arg {
            Arg::Word(word) => out.push_str(word),
            Arg::Value(value) => out.push_str(&escape_shell_arg(value)),
        }
    }
    if let Some(path) = &command.stdout_to {
        out.push_str(" > ");
        out.push_str(&escape_shell_arg(path));
    }
    if command.may_fail {
        out.push_str(" 2>/dev/null || true");
    }
    out
}

/// A run-time script of ours: `set -e`, then the lines.
fn shell_script<'a>(shell: &str, lines: impl Iterator<Item = &'a str>) -> String {
    let mut text = format!("#!{shell}\nset -e\n");
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    text
}
