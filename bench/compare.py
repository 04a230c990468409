#!/usr/bin/env python3
"""Side-by-side benchmark of netns-compile (SPEC §10). Run it as `bench/run.sh`.

Generates configs with ../shared/bench/gen.py, then runs every case REPS times, interleaved
(one repetition of every case, then the next), and prints the medians, the peak memory
(maximum resident set size, from `/usr/bin/time`) and
the ratios SPEC §10 sets targets for. Nothing here is a test: it only measures.
"""
import os, shutil, statistics, subprocess, sys, tempfile, time

if not os.path.exists("/usr/bin/time"):
    sys.exit("bench: needs GNU time (apt-get install time)")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def shared_dir():
    """`shared/` in the nearest folder above the project that has it (`../shared` beside a
    checkout, `../../shared` beside a worktree in `wt/`), as the tests find it."""
    here = os.path.dirname(ROOT)
    while True:
        if os.path.isdir(os.path.join(here, "shared")):
            return os.path.join(here, "shared")
        parent = os.path.dirname(here)
        if parent == here:
            return os.path.join(os.path.dirname(ROOT), "shared")
        here = parent


SHARED = shared_dir()


def run(argv, rss_file, env=None):
    """Wall time (s) and peak RSS (MB) of one run of argv under `/usr/bin/time` (both sides of
    a ratio pay its small cost alike); fails loudly on a non-zero exit."""
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file, *argv],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"{' '.join(argv)} exited {p.returncode}:\n{p.stderr.decode(errors='replace')}")
    with open(rss_file) as f:
        return wall, int(f.read().split()[-1]) / 1024


def main():
    reps = int(os.environ.get("REPS", "15"))
    exe = sys.argv[1]
    gen = os.path.join(SHARED, "bench", "gen.py")
    work = tempfile.mkdtemp(prefix="netns-bench-", dir=os.environ.get("BENCH_DISK", os.path.join(ROOT, "target")))
    shm = tempfile.mkdtemp(prefix="netns-bench-", dir="/dev/shm")
    try:
        cfg = os.path.join(work, "configs")
        subprocess.run([sys.executable, gen, cfg, "1", "100", "1000", "10000"], check=True)
        have_nix = shutil.which("nix-instantiate") is not None
        cases = {}  # name -> (prepare, argv, env)

        def case(name, argv, out=None, env=None):
            def prepare():
                if out:
                    shutil.rmtree(out, ignore_errors=True)
            cases[name] = (prepare, argv, env)

        for n in (1, 100, 1000, 10000):
            for ext in ("nix", "json"):
                case(f"check {n}.{ext}", [exe, "check", f"{cfg}/{n}.{ext}"])
        for where, base in (("tmpfs", shm), ("disk", work)):
            for ext in ("nix", "json"):
                out = f"{base}/out-{ext}"
                case(f"build 1000.{ext} → {where}", [exe, "build", f"{cfg}/1000.{ext}", "--out", out], out)
            # `cp -r` of build's own output tree, on the same file system.
            src = f"{base}/tree"
            subprocess.run([exe, "build", f"{cfg}/1000.json", "--out", src], check=True, stdout=subprocess.DEVNULL)
            case(f"cp -r its tree → {where}", ["cp", "-r", src, f"{base}/copy"], f"{base}/copy")
        case("build 10000.nix → tmpfs", [exe, "build", f"{cfg}/10000.nix", "--out", f"{shm}/out10k"], f"{shm}/out10k")
        case("eval 10000.nix", [exe, "eval", f"{cfg}/10000.nix"])
        if have_nix:
            case("nix-instantiate --eval --strict --json 10000.nix",
                 ["nix-instantiate", "--eval", "--strict", "--json", f"{cfg}/10000.nix"])
        # The module system's side: bench/nixos-module.nix under real Nix with nixpkgs' lib.
        nixpkgs_lib = os.environ.get("NIXPKGS_LIB_2022", os.path.join(SHARED, "nixpkgs-lib", "2022-11", "lib"))
        have_stand_in = have_nix and os.path.isdir(nixpkgs_lib)
        if have_stand_in:
            case("module system stand-in 1000.nix (real Nix)",
                 ["nix-instantiate", "--eval", "--strict", "--json", os.path.join(HERE, "nixos-module.nix"),
                  "--arg", "libDir", nixpkgs_lib, "--arg", "config", f"{cfg}/1000.nix"])
        # The evaluator on module-system code: bench/gen-modules.py's attrsOf-submodule
        # workload through `lib.evalModules`, with the native lib (no NIX_PATH) and with
        # nixpkgs' lib, beside real Nix with nixpkgs' lib.
        # Real Nix evaluates it with current nixpkgs' lib (the module system SPEC §10 means).
        current_lib = os.environ.get("NIXPKGS_LIB_CURRENT", os.path.join(SHARED, "nixpkgs-lib", "current", "lib"))
        modules = os.path.join(work, "modules-1000.nix")
        subprocess.run([sys.executable, os.path.join(HERE, "gen-modules.py"), modules, "1000"], check=True)
        native_env = {k: v for k, v in os.environ.items() if k != "NIX_PATH"}
        nixpkgs_env = {**native_env, "NIX_PATH": f"nixpkgs={os.path.dirname(os.path.abspath(current_lib))}"}
        module_cases = {"eval modules-1000.nix (native lib)": ([exe, "eval", modules], native_env)}
        if os.path.isdir(current_lib):
            module_cases["eval modules-1000.nix (nixpkgs lib)"] = ([exe, "eval", modules], nixpkgs_env)
            if have_nix:
                module_cases["nix-instantiate --eval --strict --json modules-1000.nix"] = (
                    ["nix-instantiate", "--eval", "--strict", "--json", modules], nixpkgs_env)
        outputs = {name: subprocess.run(argv, env=env, capture_output=True, check=True).stdout.strip()
                   for name, (argv, env) in module_cases.items()}
        if len(set(outputs.values())) != 1:
            sys.exit(f"the module-system cases disagree on modules-1000.nix: {sorted(outputs)}")
        for name, (argv, env) in module_cases.items():
            case(name, argv, env=env)
        # Same output, or the comparison means nothing.
        if have_nix:
            ours = subprocess.run([exe, "eval", f"{cfg}/1000.nix"], capture_output=True, check=True).stdout
            theirs = subprocess.run(["nix-instantiate", "--eval", "--strict", "--json", f"{cfg}/1000.nix"],
                                    capture_output=True, check=True).stdout
            if ours.strip() != theirs.strip():
                sys.exit("eval and nix-instantiate disagree on 1000.nix")

        times = {k: [] for k in cases}
        mem = {k: 0.0 for k in cases}
        for _ in range(reps):
            for name, (prepare, argv, env) in cases.items():
                prepare()
                wall, rss = run(argv, os.path.join(work, "rss"), env)
                times[name].append(wall)
                mem[name] = max(mem[name], rss)
        med = {k: statistics.median(v) for k, v in times.items()}

        width = max(map(len, cases)) + 2
        print(f"\nnetns-compile benchmark: {reps} interleaved repetitions, medians ({os.cpu_count()} CPUs)\n")
        print(f"| {'case':<{width}} | {'median ms':>9} | {'peak MB':>7} |")
        print(f"|{'-' * (width + 2)}|{'-' * 11}|{'-' * 9}|")
        for k in cases:
            print(f"| {k:<{width}} | {med[k] * 1000:9.1f} | {mem[k]:7.1f} |")

        print("\n| ratio (SPEC §10) | value | target |")
        print("|---|---|---|")

        def ratio(label, value, target, ok):
            print(f"| {label} | {value} | {target} {'✓' if ok else '✗'} |")

        for ext in ("nix", "json"):
            ms = med[f"check 1000.{ext}"] * 1000
            ratio(f"check 1000.{ext}", f"{ms:.1f} ms", "≈20 ms", ms <= 25)
            ms = med[f"check 10000.{ext}"] * 1000
            ratio(f"check 10000.{ext}", f"{ms:.1f} ms", "< 250 ms", ms < 250)
            mb = mem[f"check 10000.{ext}"]
            ratio(f"check 10000.{ext} peak memory", f"{mb:.1f} MB", "< 100 MB", mb < 100)
            r = med[f"check 10000.{ext}"] / med[f"check 1000.{ext}"]
            ratio(f"check {ext} 10k / 1k", f"{r:.2f}×", "≤ 11×", r <= 11)
        for where in ("tmpfs", "disk"):
            for ext in ("nix", "json"):
                r = med[f"build 1000.{ext} → {where}"] / med[f"cp -r its tree → {where}"]
                ratio(f"build 1000.{ext} / cp -r ({where})", f"{r:.2f}×", "≤ 1.2×", r <= 1.2)
        if have_nix:
            ours, theirs = "eval 10000.nix", "nix-instantiate --eval --strict --json 10000.nix"
            r = med[ours] / med[theirs]
            ratio("eval 10000.nix / nix-instantiate (time)", f"{r:.2f}×", "< 1×", r < 1)
            r = mem[ours] / mem[theirs]
            ratio("eval 10000.nix / nix-instantiate (peak memory)", f"{r:.2f}×", "< 1×", r < 1)
        theirs = "nix-instantiate --eval --strict --json modules-1000.nix"
        # The native lib at most half of Nix's time; the evaluator alone (nixpkgs' lib) no slower.
        for ours, target in (("eval modules-1000.nix (native lib)", 0.5), ("eval modules-1000.nix (nixpkgs lib)", 1)):
            if ours in med and theirs in med:
                r = med[ours] / med[theirs]
                ratio(f"{ours} / nix-instantiate (time)", f"{r:.2f}×", f"≤ {target:g}×", r <= target)
        if have_stand_in:
            r = med["module system stand-in 1000.nix (real Nix)"] / med["check 1000.nix"]
            ratio("module system stand-in / check 1000.nix (lower bound: lighter than NixOS)", f"{r:.0f}×", "≥ 200× vs NixOS", r >= 200)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(shm, ignore_errors=True)


if __name__ == "__main__":
    main()
