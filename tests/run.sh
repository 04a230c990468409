#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this).
# On a fresh Debian machine it first installs what the tests need (as root, when missing):
# nix-bin and nix-setup-systemd (real Nix: the oracle of the differential tests and real
# nix-build runs), nftables, iproute2, procps, systemd (systemd-analyze) and util-linux
# (unshare, nsenter) for the runtime tests, and systemd-container (systemd-nspawn), in which
# tests/systemd_boot.rs boots this machine's systemd as PID 1 of a throwaway container.
# With CI set (.ci/run sets it), what cannot be installed is an error here, as a test that
# cannot run is one in the tests (tests/common's `skip`).
set -euo pipefail
cd "$(dirname "$0")/.."

# What is missing, as the Debian packages that bring it.
missing() {
  need=()
  command -v nix-instantiate >/dev/null || need+=(nix-bin)
  # nix-setup-systemd makes the nixbld users that a real nix-build needs.
  getent group nixbld >/dev/null || need+=(nix-setup-systemd)
  command -v nft >/dev/null || need+=(nftables)
  command -v ip >/dev/null || need+=(iproute2)
  command -v sysctl >/dev/null || need+=(procps)
  command -v systemd-analyze >/dev/null || need+=(systemd)
  command -v unshare >/dev/null || need+=(util-linux)
  # The connectivity tests (tests/connectivity.rs): WireGuard in user space, a TCP test peer, and
  # systemd-socket-activate (in Debian's systemd package) to stand in for the socket unit.
  command -v wg >/dev/null || need+=(wireguard-tools)
  command -v wireguard-go >/dev/null || need+=(wireguard-go)
  command -v socat >/dev/null || need+=(socat)
  command -v systemd-nspawn >/dev/null || need+=(systemd-container)
  # portForward under systemd (tests/tunnel_boot.rs): the NAT-PMP client its unit runs.
  command -v natpmpc >/dev/null || need+=(natpmpc)
  # OpenVPN under systemd (tests/openvpn_boot.rs): client and server, and the certificates.
  command -v openvpn >/dev/null || need+=(openvpn)
  command -v openssl >/dev/null || need+=(openssl)
  # GNU patch judges the unified diffs of `install --dry-run` (src/install/diff.rs).
  command -v patch >/dev/null || need+=(patch)
}

missing
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing: ${need[*]}"
  # A failed install is judged below, by what is still missing.
  apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null || true
  missing
fi
if [ ${#need[@]} -gt 0 ]; then
  # Under CI a test that cannot run fails (tests/common's skip); say why before it gets there.
  if [ -n "${CI:-}" ]; then
    echo "ERROR: ${need[*]} missing and not installed (that needs root and apt-get); with CI set the tests that need them may not skip" >&2
    exit 1
  fi
  echo "WARNING: missing ${need[*]} and not installed: the tests that need them say SKIPPED"
fi

cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
# One release build serves every test binary (the evaluator-heavy suites run several times
# faster than in a debug build); overflow and debug assertions are the fuzz run's job below.
cargo test --release --locked
# A bounded fuzz run (about a minute per target; docs/hardening.md has the longer one).
tests/fuzz.sh
