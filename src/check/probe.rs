//! What only the real tools know (`check --probe`): whether `nft` accepts each namespace's
//! ruleset, and whether the kernel has each sysctl key a namespace sets. The pure checks
//! judge the model alone; this layer runs programs, and only the command line enables it.
//!
//! Both run in a throwaway network namespace (`unshare --net`, as systemd's
//! `PrivateNetwork=true` makes one), so the host's ruleset and sysctls are never touched.
//! Without root, `unshare --map-root-user --net` gives the same without privileges; the kernel
//! then hides a few `net.*` keys from the namespace it does not trust (some
//! `net.netfilter.*` ones), which the probe would report as absent: run it as root for the
//! exact set a unit gets.

use super::sysctl::{self, Scope};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::{Model, Namespace};
use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The programs the probe runs, found before anything runs.
#[derive(Clone, Debug)]
pub struct Prober {
    pub nft: PathBuf,
    pub unshare: PathBuf,
    pub find: PathBuf,
    /// `--map-root-user` too (not root).
    pub user_namespace: bool,
}

/// A program on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

impl Prober {
    /// `nft` of the configuration's tools when it exists here, else from `PATH`; `unshare`
    /// and `find` from `PATH`. The error says what is missing and where it was looked for.
    pub fn find(model: &Model) -> Result<Prober, String> {
        let nft = Some(PathBuf::from(&model.tools.nft))
            .filter(|p| is_executable(p))
            .or_else(|| on_path("nft"))
            .ok_or_else(|| {
                format!(
                    "--probe needs nft: it is neither at {} (the configuration's tools) nor on PATH (install nftables)",
                    model.tools.nft
                )
            })?;
        let unshare = on_path("unshare").ok_or("--probe needs unshare on PATH (install util-linux)")?;
        let find = on_path("find").ok_or("--probe needs find on PATH (install findutils)")?;
        // SAFETY: geteuid has no preconditions.
        let user_namespace = unsafe { libc::geteuid() } != 0;
        Ok(Prober {
            nft,
            unshare,
            find,
            user_namespace,
        })
    }

    /// Run `program args` in a fresh network namespace, with `stdin`; (success, stdout, stderr).
    fn in_fresh_netns(&self, program: &Path, args: &[&str], stdin: &[u8]) -> Result<(bool, String, String), String> {
        let mut cmd = Command::new(&self.unshare);
        if self.user_namespace {
            cmd.arg("--map-root-user");
        }
        cmd.arg("--net").arg("--").arg(program).args(args);
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", self.unshare.display()))?;
        let mut input = child.stdin.take().expect("stdin is piped");
        // nft may stop reading at its first error: a broken pipe is not a failure.
        let _ = input.write_all(stdin);
        drop(input);
        let out = child
            .wait_with_output()
            .map_err(|e| format!("{}: {e}", self.unshare.display()))?;
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        // unshare's own failure (no user namespaces, no privilege) is not the probe's answer.
        if !out.status.success() && stderr.starts_with("unshare:") {
            return Err(format!(
                "cannot make a throwaway network namespace: {}",
                stderr.trim_end()
            ));
        }
        Ok((
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr,
        ))
    }
}

/// Run every probe over the model, pushing what they find. `Err` when a probe cannot run.
pub fn probe_model(model: &Model, prober: &Prober, diags: &mut Diagnostics) -> Result<(), String> {
    if model.nftables_enable {
        probe_rulesets(model, prober, diags)?;
    }
    probe_sysctls(model, prober, diags)
}

fn probe_rulesets(model: &Model, prober: &Prober, diags: &mut Diagnostics) -> Result<(), String> {
    // Inherited rulesets are one text for many namespaces: ask nft once per text.
    let mut verdicts: HashMap<&str, Option<String>> = HashMap::new();
    for ns in model.namespaces.iter().filter(|ns| !ns.nftables.trim().is_empty()) {
        if !verdicts.contains_key(ns.nftables.as_str()) {
            let (ok, _, stderr) = prober.in_fresh_netns(&prober.nft, &["-c", "-f", "-"], ns.nftables.as_bytes())?;
            verdicts.insert(&ns.nftables, (!ok).then_some(stderr));
        }
        if let Some(Some(output)) = verdicts.get(ns.nftables.as_str()) {
            diags.push(nft_rejected(ns, output));
        }
    }
    Ok(())
}

fn nft_rejected(ns: &Namespace, output: &str) -> Diagnostic {
    // nft names its input `/dev/stdin`; its line numbers are the ruleset's own.
    let first = output
        .lines()
        .find(|l| l.contains("Error:"))
        .unwrap_or("nft -c failed")
        .replace("/dev/stdin:", "line ");
    let d = Diagnostic::new(
        Code::NftRejected,
        format!("nft rejects the nftables ruleset of namespace `{}`", ns.name),
    );
    let d = if ns.nftables_inherited {
        d.at(
            ns.nftables_span,
            format!("inherited from `networking.nftables.ruleset`: {first}"),
        )
        .also(ns.name_span, "this namespace inherits it")
    } else {
        d.at(ns.nftables_span, first)
    };
    d.note(format!(
        "`nft -c -f` in a fresh network namespace said:\n{}",
        output.trim_end().replace("/dev/stdin:", "line ")
    ))
    .note("the namespace's unit would fail, and the services that join it would not start")
}

/// The path under `/proc/sys` of a key, as procps' sysctl reads it: with `.` as separator
/// unless the first separator is `/` (then dots are part of names, `eth0.1`).
pub fn sysctl_path(key: &str) -> String {
    match key.find(['.', '/']) {
        Some(i) if key.as_bytes()[i] == b'/' => key.to_string(),
        _ => key
            .chars()
            .map(|c| match c {
                '.' => '/',
                '/' => '.',
                c => c,
            })
            .collect(),
    }
}

/// The `net/…` keys (as `/proc/sys` paths) a listing of `/proc/sys/net` shows.
fn keys_of_listing(listing: &str) -> BTreeSet<String> {
    listing
        .lines()
        .filter_map(|l| l.strip_prefix("/proc/sys/"))
        .map(str::to_string)
        .collect()
}

fn host_keys() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut stack = vec![PathBuf::from("/proc/sys/net")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix("/proc/sys") {
                keys.insert(rel.to_string_lossy().into_owned());
            }
        }
    }
    keys
}

fn probe_sysctls(model: &Model, prober: &Prober, diags: &mut Diagnostics) -> Result<(), String> {
    // The keys the static table leaves to the kernel: `net.*` ones it takes for per-namespace.
    let asked: Vec<(&Namespace, &crate::model::SysctlEntry)> = model
        .namespaces
        .iter()
        .flat_map(|ns| ns.sysctl.iter().map(move |e| (ns, e)))
        .filter(|(_, e)| e.value.is_some() && sysctl::scope(&e.key) == Scope::Namespace)
        .collect();
    if asked.is_empty() {
        return Ok(());
    }
    let (ok, listing, stderr) = prober.in_fresh_netns(&prober.find, &["/proc/sys/net", "-type", "f"], b"")?;
    if !ok {
        return Err(format!(
            "listing /proc/sys/net in a fresh network namespace failed: {}",
            stderr.trim_end()
        ));
    }
    let fresh = keys_of_listing(&listing);
    let host = host_keys();
    for (ns, e) in asked {
        let path = sysctl_path(&e.key);
        if fresh.contains(&path) {
            continue;
        }
        let origin = if ns.sysctl_inherited {
            "inherited from `boot.kernel.sysctl`"
        } else {
            "defined by the namespace"
        };
        if host.contains(&path) {
            // The host has it and a namespace does not: what the static table says of the
            // keys it knows, found here for one it does not.
            diags.push(
                Diagnostic::new(
                    Code::SysctlNotInNamespace,
                    format!("sysctl `{}` does not exist in a network namespace", e.key),
                )
                .at(e.key_span, format!("{origin}; `sysctl --ignore` skips it there")),
            );
            continue;
        }
        let dotted = |p: &str| p.replace('/', ".");
        let names: Vec<String> = fresh.iter().map(|k| dotted(k)).collect();
        let mut d = Diagnostic::new(
            Code::UnknownSysctl,
            format!("sysctl `{}` does not exist on this kernel", e.key),
        )
        .at(e.key_span, format!("{origin}; `sysctl --ignore` skips it silently"))
        .note(format!(
            "/proc/sys/{path} exists neither in a fresh network namespace nor on the host"
        ));
        if let Some(best) = crate::suggest::closest(&dotted(&path), names.iter().map(String::as_str)) {
            d = d.help(format!("did you mean `{best}`?"));
        }
        diags.push(d);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctl_paths_as_procps_reads_them() {
        assert_eq!(sysctl_path("net.ipv4.ip_forward"), "net/ipv4/ip_forward");
        assert_eq!(
            sysctl_path("net/ipv4/conf/eth0.1/rp_filter"),
            "net/ipv4/conf/eth0.1/rp_filter"
        );
        assert_eq!(
            sysctl_path("net.ipv4.conf.eth0/1.rp_filter"),
            "net/ipv4/conf/eth0.1/rp_filter"
        );
    }
}
