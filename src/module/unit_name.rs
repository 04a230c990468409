//! A namespace's unit name, as the NixOS `services.netns` module writes it: the module stage
//! needs it to find the definitions made directly on `systemd.services.netns-<escaped>`.

/// The unit name of a namespace: NixOS replaces every maximal run of characters outside the
/// POSIX bracket `[^a-zA-Z0-9_.\-]` with one `-`. In a POSIX bracket the backslash is a
/// literal, so `\` is kept. Non-ASCII characters are replaced (the match is on bytes).
pub fn escape_unit_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    push_escaped(name, &mut out);
    out
}

/// [`escape_unit_name`] at the end of `out`.
fn push_escaped(name: &str, out: &mut String) {
    let keep = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '\\' | '-');
    let mut in_run = false;
    for c in name.chars() {
        if keep(c) {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('-');
            in_run = true;
        }
    }
}

/// `netns-<escaped>.service`.
pub fn namespace_unit_name(name: &str) -> String {
    let mut out = namespace_service_name(name);
    out.push_str(".service");
    out
}

/// `netns-<escaped>`: the namespace's name in `systemd.services`. Written in place (with room
/// for `.service`): every namespace's name passes here.
pub fn namespace_service_name(name: &str) -> String {
    let mut out = String::with_capacity("netns-.service".len() + name.len());
    out.push_str("netns-");
    push_escaped(name, &mut out);
    out
}
