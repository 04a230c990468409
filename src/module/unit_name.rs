//! A namespace's unit name, as the NixOS `services.netns` module writes it: the module stage
//! needs it to find the definitions made directly on `systemd.services.netns-<escaped>`.

/// The unit name of a namespace: NixOS replaces every maximal run of characters outside the
/// POSIX bracket `[^a-zA-Z0-9_.\-]` with one `-`. In a POSIX bracket the backslash is a
/// literal, so `\` is kept. Non-ASCII characters are replaced (the match is on bytes).
pub fn escape_unit_name(name: &str) -> String {
    let keep = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '\\' | '-');
    let mut out = String::with_capacity(name.len());
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
    out
}

/// `netns-<escaped>.service`.
pub fn namespace_unit_name(name: &str) -> String {
    format!("{}.service", namespace_service_name(name))
}

/// `netns-<escaped>`: the namespace's name in `systemd.services`.
pub fn namespace_service_name(name: &str) -> String {
    format!("netns-{}", escape_unit_name(name))
}
