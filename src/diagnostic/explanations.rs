//! What each code means, why it matters, and an example of the mistake with its fix: the text
//! of `netns-compile explain CODE` and of docs/diagnostics.md. The match has no wildcard, so a
//! new row in the table of codes does not build without its explanation.
//!
//! Each example's `before` is a whole configuration that raises its code and `after` the same
//! configuration fixed, raising nothing: tests/explain.rs compiles both. Codes that only
//! `check --probe` finds are compiled with the probe; where a configuration cannot show the
//! mistake as text, [`Standalone`] says how its `before` is compiled instead, or why it is not
//! (then the test compiles only its `after`).

use super::code::Code;
use super::explain::{Example, Explanation, Language, Standalone};

pub(super) fn explanation(code: Code) -> &'static Explanation {
    match code {
        Code::JsonSyntax => &Explanation {
            meaning: "The input (a `.json` file, `-` for standard input, or a `--tools` file) is \
                not JSON: a stray or missing comma, an unclosed bracket, an empty input. A key \
                given twice in one object, and an integer that does not fit Nix's 64-bit signed \
                integers, are refused the same way.",
            why: "`nix eval --json` never prints such text: the file was edited by hand or cut \
                short. JSON does not say which value a duplicated key has, and a number Nix \
                cannot hold would be a different number, so netns-compile does not guess.",
            example: Example {
                language: Language::Json,
                before: r#"
{
  "services": {
    "netns": {
      "namespaces": { "vpn": {}, }
    }
  }
}
"#,
                after: r#"
{
  "services": {
    "netns": {
      "namespaces": { "vpn": {} }
    }
  }
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::InvalidUtf8 => &Explanation {
            meaning: "The input, a `.nix` file it imports, or a file read with \
                `builtins.readFile` holds bytes that are not UTF-8, such as a file saved as \
                Latin-1. The diagnostic points at the first bad byte.",
            why: "Nix strings are text, and names and values end up in unit files and scripts: \
                a byte read as some other character would name another namespace or write \
                another value. Only the file's author knows the encoding it was meant in.",
            example: Example {
                language: Language::Nix,
                before: r#"
# Saved as Latin-1: the `é` is the single byte 0xE9.
{
  services.netns.namespaces."café" = { };
}
"#,
                after: r#"
# Saved as UTF-8: the `é` is the two bytes 0xC3 0xA9.
{
  services.netns.namespaces."café" = { };
}
"#,
                standalone: Standalone::SavedAsLatin1,
            },
        },
        Code::LimitExceeded => &Explanation {
            meaning: "The input is past one of the limits that keep a run bounded: larger than \
                `--max-input-bytes` (32 MiB by default), JSON nested deeper than 512 levels, a \
                Nix expression nested deeper than 1000 levels, or an evaluation nested too \
                deeply for its 1 GiB stack or longer than `--max-eval-steps` (20 million steps \
                by default).",
            why: "An endless recursion or a runaway input would otherwise run until the memory \
                is gone, or crash; the limit turns it into an error that points at where it \
                happened. Real configurations are far below these limits: past one, look for a \
                recursion without a base case, or raise the limit if the input is really that \
                large.",
            example: Example {
                language: Language::Nix,
                before: r#"
let
  # Meant to stop after four workers: nothing stops it.
  workers = n: [ "worker${toString n}" ] ++ workers (n + 1);
in
{
  services.netns.namespaces = builtins.listToAttrs (
    map (name: { inherit name; value = { }; }) (workers 1)
  );
}
"#,
                after: r#"
let
  workers = n: if n > 4 then [ ] else [ "worker${toString n}" ] ++ workers (n + 1);
in
{
  services.netns.namespaces = builtins.listToAttrs (
    map (name: { inherit name; value = { }; }) (workers 1)
  );
}
"#,
                standalone: Standalone::No {
                    reason: "reaching a limit takes seconds and a gigabyte of memory, or an \
                        input far larger than an example; tests/limits.rs tests the limits at \
                        their boundaries",
                },
            },
        },
        Code::PartialConfig => &Explanation {
            meaning: "The JSON holds `namespaces` at its top level and no `services`: it is \
                what `nix eval --json` prints for `config.services.netns` alone, where the \
                compiler needs the subset of the configuration it reads.",
            why: "A namespace's `nftables` defaults to `networking.nftables.ruleset`, its \
                `sysctl` to `boot.kernel.sysctl`, and the ruleset is loaded only when \
                `networking.nftables.enable` is true. Without them the units would silently \
                differ from the ones NixOS builds. The flake's `lib.toCompilerJSON` prints the \
                whole subset (the message shows the command); the fix below is its shape, \
                shortened.",
            example: Example {
                language: Language::Json,
                before: r#"
{
  "namespaces": {
    "vpn": { "sysctl": { "net.ipv4.ip_forward": 1 } }
  }
}
"#,
                after: r#"
{
  "services": {
    "netns": {
      "namespaces": {
        "vpn": { "sysctl": { "net.ipv4.ip_forward": 1 } }
      }
    }
  },
  "networking": { "nftables": { "enable": false, "ruleset": "" } },
  "boot": { "kernel": { "sysctl": {} } }
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::NixSyntax => &Explanation {
            meaning: "The `.nix` input, or a file it imports, does not parse: a missing `;`, an \
                unclosed bracket, a stray token, a binding without a name, a formal argument \
                given twice (`{ a, a }:`). Only the first error of a cascade is reported.",
            why: "Nothing can be evaluated from a file that does not parse. The place shown is \
                where the parser noticed, which is often just after the mistake: a missing `;` \
                is reported at the token that follows it.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn = {
    sysctl."net.ipv4.ip_forward" = 1
  };
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn = {
    sysctl."net.ipv4.ip_forward" = 1;
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::NixEval => &Explanation {
            meaning: "Evaluating the Nix code failed: an undefined variable, a missing \
                attribute, an attribute defined twice, a value of the wrong type for an \
                operator or a builtin, `throw`, `abort` or a failed `assert`, infinite \
                recursion, an option that is read but has no default and no definition, or a \
                `pkgs.<name>` that is not one of the tools netns-compile knows.",
            why: "Real Nix stops at the same place. netns-compile evaluates the configuration \
                itself, without Nix, and shows where the evaluation failed and, for an option \
                nobody defines, where it is declared and where it was needed.",
            example: Example {
                language: Language::Nix,
                before: r#"
let
  ruleset = "table inet filter { }";
in
{
  networking.nftables.enable = true;
  services.netns.namespaces.vpn.nftables = rulesett;
}
"#,
                after: r#"
let
  ruleset = "table inet filter { }";
in
{
  networking.nftables.enable = true;
  services.netns.namespaces.vpn.nftables = ruleset;
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::UnknownOption => &Explanation {
            meaning: "A key that names no option: inside a namespace \
                (`services.netns.namespaces.<name>`), inside its `service`, under an option \
                tree a module declares (submodules included), or in `tools`. Top-level keys \
                the compiler does not read are ignored, since a whole NixOS configuration may \
                be given, but below an option it knows every key must be an option.",
            why: "Otherwise a typo would be dropped without a word: with `sysctls` for \
                `sysctl`, the namespace would keep the inherited sysctl keys and nothing would \
                say so. NixOS rejects such keys too; netns-compile points at the key and \
                suggests the closest option.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.sysctls."net.ipv4.ip_forward" = 1;
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn.sysctl."net.ipv4.ip_forward" = 1;
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::OverlappingDeclaration => &Explanation {
            meaning: "A module declares an option (`options.… = mkOption …`) above or below one \
                of the options netns-compile reads (`options.systemd.services.<name>.vpn`, \
                `options.systemd`, `options.boot.kernel.sysctl.<key>`), or declares one it reads \
                as NixOS's module defines it (`networking.wireguard.interfaces`, `tools`). A \
                module that declares one of the compiler's own options itself \
                (`services.netns.namespaces`, `systemd.services`, `boot.kernel.sysctl`, …) is \
                merged with the compiler's declaration, as NixOS merges it: that is the way to \
                add a sub-option.",
            why: "NixOS refuses an option below one whose type is not a submodule, and merges a \
                declaration of its own options with its module's. netns-compile would otherwise \
                read the option without what the module's declaration does to it (its \
                sub-options' definitions, a service joining a namespace), and the units would \
                silently differ from NixOS's.",
            example: Example {
                language: Language::Nix,
                before: r#"
{ lib, config, ... }:
{
  options.systemd.services.transmission.vpn = lib.mkOption { type = lib.types.str; };
  config = {
    services.netns.namespaces.wg = { };
    systemd.services.transmission.vpn = "wg";
  };
}
"#,
                after: r#"
{ lib, ... }:
{
  options.systemd.services = lib.mkOption {
    type = lib.types.attrsOf (lib.types.submodule ({ config, ... }: {
      options.vpn = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; };
      config = lib.mkIf (config.vpn != null) { netns = config.vpn; };
    }));
  };
  config = {
    services.netns.namespaces.wg = { };
    systemd.services.transmission.vpn = "wg";
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::TypeMismatch => &Explanation {
            meaning: "A definition whose value is not of its option's type: a string where a \
                list belongs, a number for a ruleset, a port over 65535 or a value an enum does \
                not list in an option a module declares. Also a `serviceConfig` value that \
                cannot be written into a unit (an attribute set), a systemd field with a fixed \
                set of values (`Type`, `Restart`) given another, and a `tools` entry that is \
                not an absolute path.",
            why: "NixOS rejects these when it evaluates the configuration. Let through, the \
                value would reach the unit file in a form systemd ignores or reads otherwise; \
                netns-compile points at the definition and names the type it expected.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.service.wantedBy = "multi-user.target";
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn.service.wantedBy = [ "multi-user.target" ];
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::ConflictingDefinitions => &Explanation {
            meaning: "Two definitions give one single-valued option different values at the \
                same priority: two modules setting `networking.nftables.enable` to `true` and \
                `false`, or a namespace's `service` setting what the netns module sets itself, \
                such as `serviceConfig.Type` (it is `\"oneshot\"`) or `preStop` (the module \
                sets `ExecStop`). An option defined both null and not null, and a module \
                argument defined twice, are conflicts too.",
            why: "The module system cannot choose, and NixOS stops with the same error. \
                `lib.mkForce` or `lib.mkDefault` settles it when one value should win. For the \
                namespace's own unit, the better fix is usually another: it must stay a \
                oneshot that creates the namespace and remains, so a long-running program \
                belongs in a service of its own that joins the namespace.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.service.serviceConfig = {
    Type = "simple";
    ExecStart = "/run/current-system/sw/bin/my-daemon";
  };
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn = { };
  systemd.services.my-daemon = {
    netns = "vpn";
    serviceConfig.ExecStart = "/run/current-system/sw/bin/my-daemon";
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::DuplicateDefinition => &Explanation {
            meaning: "A sysctl key, in `boot.kernel.sysctl` or in a namespace's `sysctl`, is \
                defined by two definitions, even with equal values. The typed keys \
                `net.core.rmem_max` and `net.core.wmem_max` are the exception: they take the \
                highest value.",
            why: "In NixOS each sysctl key is an option that takes exactly one definition, and \
                two fail the evaluation. Two modules setting one key usually means one of them \
                is stale; `lib.mkForce` chooses when both must stay.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  imports = [
    { services.netns.namespaces.vpn.sysctl."net.ipv4.ip_forward" = 1; }
  ];
  services.netns.namespaces.vpn.sysctl."net.ipv4.ip_forward" = 1;
}
"#,
                after: r#"
{
  imports = [
    { services.netns.namespaces.vpn.sysctl."net.ipv4.ip_forward" = 1; }
  ];
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::InvalidProperty => &Explanation {
            meaning: "A property the module system cannot read: `mkIf` with a condition that \
                is not a bool, `mkMerge` of something that is not a list, `mkOverride` or \
                `mkOrder` with a priority that is not an integer, or, in JSON, a `_type` \
                marker without its fields (`condition`, `content`, `contents`, `priority`).",
            why: "NixOS fails on these too. Nix has no truthy values: `\"yes\"` is a string, \
                and a condition that is neither `true` nor `false` can neither keep nor drop \
                the definition.",
            example: Example {
                language: Language::Nix,
                before: r#"
{ lib, ... }:
let
  firewall = "yes";
in
{
  services.netns.namespaces.vpn.nftables = lib.mkIf firewall "table inet filter { }";
}
"#,
                after: r#"
{ lib, ... }:
let
  firewall = true;
in
{
  services.netns.namespaces.vpn.nftables = lib.mkIf firewall "table inet filter { }";
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::FailedAssertion => &Explanation {
            meaning: "A module says the configuration is wrong: an entry of its `assertions` \
                list has `assertion = false`. The message is the module's own, listed as \
                NixOS lists it (`Failed assertions:`); every false entry is pointed at. When \
                none is false, the modules' `warnings` are shown as NixOS shows them \
                (`trace: warning: …`) and the build goes on.",
            why: "A module's author writes an assertion where a setting would not work: NixOS \
                refuses to build such a system (`nixos-rebuild` stops with this message). \
                netns-compile evaluates the same modules without NixOS, so it keeps the \
                module's guard instead of writing units the module's author ruled out.",
            example: Example {
                language: Language::Nix,
                before: r#"
{ config, lib, ... }:
let
  cfg = config.services.confined;
in
{
  options.services.confined.namespace = lib.mkOption {
    type = lib.types.str;
    default = "";
  };
  config = {
    assertions = [
      {
        assertion = cfg.namespace != "";
        message = "services.confined.namespace must name a namespace";
      }
    ];
    services.netns.namespaces.${cfg.namespace} = { };
  };
}
"#,
                after: r#"
{ config, lib, ... }:
let
  cfg = config.services.confined;
in
{
  options.services.confined.namespace = lib.mkOption {
    type = lib.types.str;
    default = "";
  };
  config = {
    assertions = [
      {
        assertion = cfg.namespace != "";
        message = "services.confined.namespace must name a namespace";
      }
    ];
    services.confined.namespace = "vpn";
    services.netns.namespaces.${cfg.namespace} = { };
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::InvalidNamespaceName => &Explanation {
            meaning: "A namespace name that iproute2 rejects (empty, `.`, `..`, containing `/`, \
                over 255 bytes), that starts with `-`, that holds a newline or other control \
                character, or that holds `$`, `%` or `\\`; or a name whose unit name would be \
                longer than the 255 bytes systemd allows.",
            why: "The name is used as it is by `ip netns attach` (it names a file under \
                /run/netns), in /etc/netns/<name>/, and in the unit's command lines. NixOS \
                accepts such names and writes a unit that fails, or worse: systemd expands `$`, \
                `%` and `\\` in command lines, so the unit's `ExecStop=` could delete another \
                namespace, and a control character would break the unit file.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces."vpn/office" = { };
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn-office = { };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::UnitNameCollision => &Explanation {
            meaning: "Two namespaces whose names give the same unit name: in \
                `netns-<escaped>.service` every run of characters other than letters, digits, \
                `_`, `.`, `\\` and `-` becomes one `-`, so `my lab` and `my-lab` are both \
                `netns-my-lab.service`. Also a unit that a connectivity option adds (a host \
                link, a published port's socket and forwarder) named like a unit that exists \
                already.",
            why: "NixOS silently keeps only one of the two units: one namespace would not \
                exist, and the services that join it would run in the other.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces."my lab" = { };
  services.netns.namespaces.my-lab = { };
}
"#,
                after: r#"
{
  services.netns.namespaces.lab-a = { };
  services.netns.namespaces.lab-b = { };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::HostSysctl => &Explanation {
            meaning: "A key of a namespace's own `sysctl` that Linux does not keep per network \
                namespace: `vm.*`, `kernel.*`, `fs.*` and the few global `net.*` keys.",
            why: "A network namespace has its own copy of the per-namespace `net.*` keys only. \
                The namespace's sysctl script runs inside the namespace, but a global key has \
                one value for the whole machine: setting it there changes the host, each time \
                the namespace starts. Host-wide keys belong in `boot.kernel.sysctl`.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.sysctl = {
    "net.ipv4.ip_forward" = 1;
    "vm.swappiness" = 10;
  };
}
"#,
                after: r#"
{
  boot.kernel.sysctl."vm.swappiness" = 10;
  services.netns.namespaces.vpn.sysctl = {
    "net.ipv4.ip_forward" = 1;
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::UnknownNamespace => &Explanation {
            meaning: "`systemd.services.<svc>.netns`, or NixOS's \
                `networking.wireguard.interfaces.<i>.interfaceNamespace`, names a namespace \
                that `services.netns.namespaces` does not declare. The closest declared name \
                is suggested.",
            why: "The service's drop-in would bind it to a namespace unit that does not exist, \
                so systemd would not start it; a WireGuard interface could not be moved into \
                the namespace. Usually the name is a typo.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn = { };
  systemd.services.downloader.netns = "vnp";
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn = { };
  systemd.services.downloader.netns = "vpn";
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::JoinsTwoNamespaces => &Explanation {
            meaning: "`systemd.services.<svc>.netns` is set for a service that is itself a \
                namespace's own unit (`netns-<name>.service`): that unit creates its namespace \
                (`PrivateNetwork=true`) and cannot also join another one.",
            why: "With the drop-in, systemd would run the unit in the other namespace instead \
                of a fresh one, and the first name would become a second name for the other \
                namespace: what is meant to be separate would share its interfaces, routes and \
                firewall.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn = { };
  services.netns.namespaces.lab = { };
  systemd.services.netns-vpn.netns = "lab";
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn = { };
  services.netns.namespaces.lab = { };
  systemd.services.lab-tests.netns = "lab";
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::InvalidUnitName => &Explanation {
            meaning: "A unit name systemd does not accept: a service of `systemd.services` that \
                joins a namespace under a name with a space, a `/` or another character unit \
                names cannot hold, or a published port's label (part of its socket's and \
                forwarder's unit names) that is not made of letters, digits, `-`, `_` and `.`.",
            why: "systemd refuses such a unit, so the drop-in that puts the service into its \
                namespace (`<svc>.service.d/netns.conf`) or the published port's units would \
                never be read.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn = { };
  systemd.services."my web".netns = "vpn";
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn = { };
  systemd.services.my-web.netns = "vpn";
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::OrderingCycle => &Explanation {
            meaning: "The units' `After=`/`Before=` orderings form a cycle. The whole cycle is \
                shown, with the orderings the netns module and systemd's standard targets add \
                themselves: every namespace unit is `Before=network.target`, and \
                `network-online.target` is after `network.target`, so a namespace ordered after \
                `network-online.target` is a cycle.",
            why: "systemd cannot honour a cycle: at boot it breaks it by deleting one of its \
                jobs, chosen arbitrarily, so some unit of the cycle (the namespace, or a \
                target) does not start. A namespace needs no network to be created; a service \
                that needs the network online is the one to order after \
                `network-online.target`.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.service = {
    wants = [ "network-online.target" ];
    after = [ "network-online.target" ];
  };
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn = { };
  systemd.services.downloader = {
    netns = "vpn";
    wants = [ "network-online.target" ];
    after = [ "network-online.target" ];
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::UnitValueBreaksLine => &Explanation {
            meaning: "A value of a namespace's `service.serviceConfig` or `service.unitConfig` \
                holds a newline (other than one at its end) or another control character.",
            why: "NixOS copies the value into the unit file as it is. The newline ends the \
                directive, and what follows is read as a line of its own: systemd ignores it \
                with a warning, or, if it looks like `Key=value`, takes it as a directive \
                nobody wrote. A list gives one directive per item.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.service.serviceConfig.ExecStartPost = ''
    /run/current-system/sw/bin/ip route show
    /run/current-system/sw/bin/touch /run/vpn-up
  '';
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn.service.serviceConfig.ExecStartPost = [
    "/run/current-system/sw/bin/ip route show"
    "/run/current-system/sw/bin/touch /run/vpn-up"
  ];
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::InvalidListen => &Explanation {
            meaning: "A published port (`publish.<label>`) without `listen` or without `port`, \
                or a `listen` that is not an address and a port: `\"127.0.0.1:8080\"`, \
                `\"[::1]:8080\"` (IPv6 in brackets), `\"0.0.0.0:8080\"`, or a port alone \
                (address 127.0.0.1). Host names are not resolved.",
            why: "The host's socket unit listens on exactly this address, and systemd takes \
                addresses only: `localhost` cannot be bound. Without `port` there is nothing \
                inside the namespace to forward to.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.web.publish.ui = {
    listen = "localhost:8080";
    port = 3000;
  };
}
"#,
                after: r#"
{
  services.netns.namespaces.web.publish.ui = {
    listen = "127.0.0.1:8080";
    port = 3000;
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::PortOutOfRange => &Explanation {
            meaning: "A published port's `port`, or the port of its `listen`, outside 1–65535.",
            why: "TCP ports are 16-bit and port 0 cannot be connected to: the socket unit or \
                its forwarder would fail when it starts, long after the build.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.web.publish.ui = {
    listen = "127.0.0.1:8080";
    port = 80800;
  };
}
"#,
                after: r#"
{
  services.netns.namespaces.web.publish.ui = {
    listen = "127.0.0.1:8080";
    port = 8080;
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::DuplicateListen => &Explanation {
            meaning: "Two published ports, in one namespace or two, that would listen on the \
                same host address and port. A wildcard address (`0.0.0.0`, `[::]`) takes the \
                port on every address, so it clashes with any other address on that port.",
            why: "The second socket unit would fail to bind when it starts (the address is in \
                use), and what it publishes would be unreachable.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.downloads.publish.ui = {
    listen = "0.0.0.0:8080";
    port = 9091;
  };
  services.netns.namespaces.media.publish.web = {
    listen = "127.0.0.1:8080";
    port = 8096;
  };
}
"#,
                after: r#"
{
  services.netns.namespaces.downloads.publish.ui = {
    listen = "0.0.0.0:8080";
    port = 9091;
  };
  services.netns.namespaces.media.publish.web = {
    listen = "127.0.0.1:8096";
    port = 8096;
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::UnsupportedProtocol => &Explanation {
            meaning: "A published port with `protocol = \"udp\"`, or with a protocol other than \
                `\"tcp\"`.",
            why: "A published port is a socket unit on the host and `systemd-socket-proxyd` in \
                the namespace, which forwards stream connections only: systemd 252's proxyd \
                refuses a datagram socket, so a UDP port would be dead. For UDP, give the \
                namespace a `hostLink` and reach the namespace's end of it directly.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.dns.publish.resolver = {
    listen = "127.0.0.1:5353";
    port = 53;
    protocol = "udp";
  };
}
"#,
                after: r#"
{
  # The host reaches the resolver at the namespace's end of the link, UDP included.
  services.netns.namespaces.dns.hostLink.enable = true;
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::InvalidDnsServer => &Explanation {
            meaning: "An entry of `dns.servers` that is not an IP address (a link-local IPv6 \
                address may name its interface, `fe80::1%eth0`), or an item of `dns.search` or \
                `dns.options` that is empty or holds white space.",
            why: "These become the lines of the namespace's /etc/netns/<name>/resolv.conf, \
                which the services that join it see as /etc/resolv.conf. resolv.conf takes \
                name servers by address only (a name would need a resolver to find the \
                resolver), and it separates items by white space, so one item with a space \
                would be read as two.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.dns.servers = [ "dns.example.net" ];
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn.dns.servers = [ "10.64.0.1" ];
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::InvalidAddress => &Explanation {
            meaning: "A host-link address (`hostAddress`, `namespaceAddress`, or their IPv6 \
                twins) or a WireGuard address (`addresses`, a peer's `allowedIPs`) that is not \
                an address with a prefix length; a host link given one of its two addresses \
                only; or two host-link addresses that are not two distinct addresses of one \
                subnet.",
            why: "`ip address add` needs the prefix length to know the subnet, and the two \
                ends of a link reach each other only within one subnet. Given one end only, \
                the other would come from the pool (10.231.0.0/16), perhaps in another subnet.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.hostLink = {
    enable = true;
    hostAddress = "10.50.0.1";
    namespaceAddress = "10.50.0.2";
  };
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn.hostLink = {
    enable = true;
    hostAddress = "10.50.0.1/30";
    namespaceAddress = "10.50.0.2/30";
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::SubnetOverlap => &Explanation {
            meaning: "Two subnets that one routing table would hold overlap: the host-link \
                subnets of two namespaces (the host holds every link's host end), or, inside one \
                namespace, its tunnel's IPv4 address and its own host-link subnet. Tunnel \
                addresses of different namespaces may overlap, even be equal (every ProtonVPN \
                client is 10.2.0.2/32): each lives in its own namespace, and the host never \
                routes to them.",
            why: "Each host link gives the host a route to its subnet: with two that overlap, \
                the host would send the traffic for one namespace to the other. Inside a \
                namespace, a tunnel address in the host link's subnet makes the namespace send \
                traffic for one over the other. A link whose addresses are left to the pool \
                (10.231.0.0/16) gets a /30 that overlaps no given subnet and no other link.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.a.hostLink = {
    enable = true;
    hostAddress = "10.50.0.1/24";
    namespaceAddress = "10.50.0.2/24";
  };
  services.netns.namespaces.b.hostLink = {
    enable = true;
    hostAddress = "10.50.0.5/30";
    namespaceAddress = "10.50.0.6/30";
  };
}
"#,
                after: r#"
{
  services.netns.namespaces.a.hostLink = {
    enable = true;
    hostAddress = "10.50.0.1/30";
    namespaceAddress = "10.50.0.2/30";
  };
  services.netns.namespaces.b.hostLink = {
    enable = true;
    hostAddress = "10.50.0.5/30";
    namespaceAddress = "10.50.0.6/30";
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::InvalidInterfaceName => &Explanation {
            meaning: "A WireGuard `interface` name Linux refuses: empty, `.` or `..`, longer \
                than 15 bytes, or holding `/`, `:`, white space or a control character.",
            why: "The kernel limits interface names to 15 bytes and refuses those characters: \
                `ip link add` would fail when the unit starts, and the namespace would have no \
                tunnel.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.wireguard = {
    enable = true;
    interface = "wg-provider-stockholm";
    privateKeyFile = "/run/keys/vpn.key";
    addresses = [ "10.64.0.2/32" ];
    peers = [
      {
        publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
        endpoint = "198.51.100.7:51820";
        allowedIPs = [ "0.0.0.0/0" ];
      }
    ];
  };
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn.wireguard = {
    enable = true;
    interface = "wg-sthlm";
    privateKeyFile = "/run/keys/vpn.key";
    addresses = [ "10.64.0.2/32" ];
    peers = [
      {
        publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
        endpoint = "198.51.100.7:51820";
        allowedIPs = [ "0.0.0.0/0" ];
      }
    ];
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::InterfaceNameCollision => &Explanation {
            meaning: "Two interfaces with one name where they exist at the same time. In the \
                host namespace: the host ends of host links, every namespace's WireGuard \
                interface (created on the host, then moved into its namespace), and NixOS's \
                own `networking.wireguard.interfaces`. Inside a namespace: a WireGuard \
                interface named `lo` or like the namespace's end of its host link.",
            why: "The second `ip link add` of a name fails (the interface exists), so one of \
                the units fails, which one depending on the order they start in. Two \
                namespaces with WireGuard and the default `interface` (`wg0`) collide this way.",
            example: Example {
                language: Language::Nix,
                before: r#"
let
  tunnel = key: {
    enable = true;
    privateKeyFile = key;
    peers = [
      {
        publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
        endpoint = "198.51.100.7:51820";
        allowedIPs = [ "0.0.0.0/0" ];
      }
    ];
  };
in
{
  services.netns.namespaces.work.wireguard = tunnel "/run/keys/work.key";
  services.netns.namespaces.home.wireguard = tunnel "/run/keys/home.key";
}
"#,
                after: r#"
let
  tunnel = key: {
    enable = true;
    privateKeyFile = key;
    peers = [
      {
        publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
        endpoint = "198.51.100.7:51820";
        allowedIPs = [ "0.0.0.0/0" ];
      }
    ];
  };
in
{
  services.netns.namespaces.work.wireguard = tunnel "/run/keys/work.key";
  services.netns.namespaces.home.wireguard = tunnel "/run/keys/home.key" // { interface = "wg1"; };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::InlineSecret => &Explanation {
            meaning: "`wireguard.privateKeyFile`, a peer's `presharedKeyFile`, \
                `wireguard.configFile`, `openvpn.configFile` or `openvpn.authUserPassFile` is not \
                an absolute path: most often it is the key (or the file's text) itself, pasted \
                where the path of its file belongs.",
            why: "netns-compile passes keys to `wg` by path only, so that no secret is written \
                into the units and scripts, which end up in the world-readable Nix store. A \
                key given inline would be published there. The diagnostic does not repeat the \
                value, and nothing is written.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.wireguard = {
    enable = true;
    privateKeyFile = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
    peers = [
      {
        publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
        endpoint = "198.51.100.7:51820";
        allowedIPs = [ "0.0.0.0/0" ];
      }
    ];
  };
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn.wireguard = {
    enable = true;
    privateKeyFile = "/run/keys/vpn.key";
    peers = [
      {
        publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
        endpoint = "198.51.100.7:51820";
        allowedIPs = [ "0.0.0.0/0" ];
      }
    ];
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::InvalidWireguard => &Explanation {
            meaning: "A WireGuard setting that cannot work: no `privateKeyFile`, no `peers`, a \
                peer without `publicKey`, a `persistentKeepalive` outside 0–65535, an \
                `implementation` other than `\"kernel\"` and `\"userspace\"` (wireguard-go), or a \
                `configFile` path with a control character.",
            why: "Without a key or a peer the tunnel carries nothing, and as it is then the \
                namespace's only way out, everything inside would be cut off; the unit would \
                fail, or come up and carry nothing, only at run time.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.wireguard = {
    enable = true;
    addresses = [ "10.64.0.2/32" ];
    peers = [
      {
        publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
        endpoint = "198.51.100.7:51820";
        allowedIPs = [ "0.0.0.0/0" ];
      }
    ];
  };
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn.wireguard = {
    enable = true;
    privateKeyFile = "/run/keys/vpn.key";
    addresses = [ "10.64.0.2/32" ];
    peers = [
      {
        publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
        endpoint = "198.51.100.7:51820";
        allowedIPs = [ "0.0.0.0/0" ];
      }
    ];
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::StrictDnsWithoutServers => &Explanation {
            meaning: "A namespace sets `dns.strict = true` but lists no server in `dns.servers`.",
            why: "Strict DNS lets name lookups (UDP and TCP to ports 53, 853, 5353 and 5355) \
                leave the namespace only towards the servers in `dns.servers`; everything else is \
                dropped by netns-compile's own nftables table. With no server listed, every \
                lookup would be dropped and nothing inside could resolve a name.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.dns.strict = true;
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn.dns = {
    strict = true;
    servers = [ "10.64.0.1" ];
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::Ipv6Conflict => &Explanation {
            meaning: "A namespace's `ipv6` asks for what its interfaces contradict: `\"tunnel\"` \
                where the namespace has no tunnel (`wireguard`) or the tunnel has no IPv6 \
                address, or `\"disable\"` where the tunnel or the host link gives the namespace \
                an IPv6 address.",
            why: "`\"tunnel\"` lets IPv6 leave only through the tunnel's interface: without a \
                tunnel, or without an IPv6 address on it, no IPv6 could leave at all, which is \
                `\"disable\"` said in a misleading way. `\"disable\"` switches IPv6 off inside \
                the namespace (`disable_ipv6`), after which the kernel refuses IPv6 addresses: \
                the unit that adds them would fail.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn = {
    ipv6 = "tunnel";
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.2.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" "::/0" ];
        }
      ];
    };
  };
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn = {
    ipv6 = "tunnel";
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.2.0.2/32" "fd00:2::2/128" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" "::/0" ];
        }
      ];
    };
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::WireguardFileConflict => &Explanation {
            meaning: "`wireguard.configFile` (a wg-quick file, read when the tunnel's unit \
                starts) is given together with `privateKeyFile`, `addresses` or `peers`, the \
                inline options it replaces.",
            why: "The file has its own key, addresses and peers. netns-compile never reads it at \
                build time, so it cannot merge the two, and either choice would silently drop \
                settings you wrote.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.wireguard = {
    enable = true;
    configFile = "/run/secrets/mullvad-se.conf";
    privateKeyFile = "/run/keys/vpn.key";
  };
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn.wireguard = {
    enable = true;
    configFile = "/run/secrets/mullvad-se.conf";
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::TwoTunnels => &Explanation {
            meaning: "A namespace has both a `wireguard` tunnel and `openvpn`.",
            why: "Each tunnel's unit sets the namespace's default route through its own device, \
                and joined services require the one tunnel unit of their namespace: with two, \
                which one carries the traffic would depend on which came up last. Use one \
                namespace per tunnel.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn = {
    wireguard = {
      enable = true;
      configFile = "/run/secrets/mullvad-se.conf";
    };
    openvpn = {
      enable = true;
      configFile = "/run/secrets/provider.ovpn";
    };
  };
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn.wireguard = {
    enable = true;
    configFile = "/run/secrets/mullvad-se.conf";
  };
  services.netns.namespaces.ovpn.openvpn = {
    enable = true;
    configFile = "/run/secrets/provider.ovpn";
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::InvalidOpenvpn => &Explanation {
            meaning: "`openvpn.enable` is true but `openvpn.configFile` is not given, or a path \
                of `openvpn` holds a control character.",
            why: "OpenVPN's unit runs OpenVPN with the provider's file as `--config`: without \
                one there is nothing to connect to. The paths are written into the unit and its \
                script, where a control character would break them.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.openvpn.enable = true;
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn.openvpn = {
    enable = true;
    configFile = "/run/secrets/provider.ovpn";
    authUserPassFile = "/run/secrets/provider.auth";
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::InvalidWatchdog => &Explanation {
            meaning: "`watchdog` is enabled on a namespace without a tunnel (`wireguard` or \
                `openvpn`), or its \
                `interval` or `handshakeTimeout` is under one second.",
            why: "The watchdog restarts the namespace's tunnel when its last handshake is too \
                old: without a tunnel it has nothing to watch, and without a positive interval \
                it cannot tick.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.watchdog.enable = true;
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn = {
    wireguard = {
      enable = true;
      configFile = "/run/secrets/mullvad-se.conf";
    };
    watchdog.enable = true;
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::InvalidPortForward => &Explanation {
            meaning: "`portForward` is enabled on a namespace without a tunnel (`wireguard` or \
                `openvpn`), or \
                its `gateway` is not an IPv4 address.",
            why: "NAT-PMP asks the tunnel's gateway to forward a port to the namespace: without a \
                tunnel there is no gateway to ask, and NAT-PMP (RFC 6886) speaks to its gateway \
                by IPv4 address only.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.torrent.portForward = {
    enable = true;
    gateway = "gw.example";
  };
}
"#,
                after: r#"
{
  services.netns.namespaces.torrent = {
    wireguard = {
      enable = true;
      configFile = "/run/secrets/proton-nl.conf";
    };
    portForward = {
      enable = true;
      gateway = "10.2.0.1";
    };
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::NftRejected => &Explanation {
            meaning: "`nft -c -f`, run in a fresh network namespace, rejects a namespace's \
                nftables ruleset (its own or the inherited `networking.nftables.ruleset`). The \
                diagnostic quotes nft's own message. Rulesets are checked only when \
                `networking.nftables.enable` is true, since only then are they loaded.",
            why: "The namespace's unit loads the ruleset when it starts: rejected, the unit \
                fails, and the services that join the namespace do not start. Only nft knows \
                its grammar and the kernel's features, so this check asks it.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  networking.nftables.enable = true;
  services.netns.namespaces.vpn.nftables = ''
    table inet filter {
      chain input {
        type filter hook input priority 0; policy dorp;
        iif lo accept
      }
    }
  '';
}
"#,
                after: r#"
{
  networking.nftables.enable = true;
  services.netns.namespaces.vpn.nftables = ''
    table inet filter {
      chain input {
        type filter hook input priority 0; policy drop;
        iif lo accept
      }
    }
  '';
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::UnknownSysctl => &Explanation {
            meaning: "A `net.*` sysctl key of a namespace (its own or inherited) that this \
                kernel has neither in a fresh network namespace nor on the host: a typo, a key \
                of a module that is not loaded, or of another kernel version. The closest key \
                the kernel has is suggested.",
            why: "The namespace's sysctl script runs `sysctl --ignore`, which skips unknown \
                keys without a word: the setting would simply not happen.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.sysctl."net.ipv4.ip_forwad" = 1;
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn.sysctl."net.ipv4.ip_forward" = 1;
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::InheritedHostSysctl => &Explanation {
            meaning: "A namespace without a `sysctl` of its own inherits the whole of \
                `boot.kernel.sysctl`, as in NixOS, and that holds a key that is global to the \
                host (`kernel.*`, `vm.*`, `fs.*`, …).",
            why: "The namespace's sysctl script applies every inherited key inside the \
                namespace; for a global key that means setting it on the host again, each \
                time the namespace starts. That is usually the value it already has, but it \
                undoes a change made on the running host since. A warning, not an error: it \
                is what NixOS does. Any `sysctl` of the namespace's own, even an empty one, \
                replaces the inherited set.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  boot.kernel.sysctl."kernel.panic" = 30;
  services.netns.namespaces.vpn = { };
}
"#,
                after: r#"
{
  boot.kernel.sysctl."kernel.panic" = 30;
  # Its own sysctl, even an empty one, replaces the whole inherited set.
  services.netns.namespaces.vpn.sysctl = { };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::SysctlNotInNamespace => &Explanation {
            meaning: "A `net.*` sysctl key of a namespace (its own or inherited) that exists on \
                the host but not in a child network namespace, such as \
                `net.core.netdev_max_backlog`. The compiler knows such keys; `check --probe` \
                finds the ones it does not know by asking the kernel.",
            why: "The namespace's sysctl script runs `sysctl --ignore`, which skips the key \
                there: the setting has no effect inside the namespace. It can only be set for \
                the whole host, in `boot.kernel.sysctl`.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.sysctl."net.core.netdev_max_backlog" = 5000;
}
"#,
                after: r#"
{
  boot.kernel.sysctl."net.core.netdev_max_backlog" = 5000;
  services.netns.namespaces.vpn.sysctl = { };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::SysctlReadOnlyInNamespace => &Explanation {
            meaning: "A `net.*` sysctl key of a namespace (its own or inherited) that is \
                read-only in a child network namespace, such as `net.core.rmem_max` and \
                `net.core.wmem_max`.",
            why: "The kernel shares these between all namespaces and lets only the host change \
                them: set from inside the namespace, the value cannot take effect. Set it for \
                the host, in `boot.kernel.sysctl`.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.sysctl."net.core.rmem_max" = 16777216;
}
"#,
                after: r#"
{
  boot.kernel.sysctl."net.core.rmem_max" = 16777216;
  services.netns.namespaces.vpn.sysctl = { };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::EmptyRuleset => &Explanation {
            meaning: "`networking.nftables.enable` is true and a namespace's ruleset is empty: \
                its own, or the inherited `networking.nftables.ruleset`, which is empty unless \
                set.",
            why: "The namespace's nftables script runs `flush ruleset` and loads nothing: the \
                namespace is left unfiltered. A namespace inherits \
                `networking.nftables.ruleset` only, so a host firewall kept elsewhere (NixOS's \
                own firewall keeps its rules in `networking.nftables.tables`) does not reach \
                it. A warning, not an error: an open namespace may be intended.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  networking.nftables.enable = true;
  services.netns.namespaces.vpn = { };
}
"#,
                after: r#"
{
  networking.nftables.enable = true;
  services.netns.namespaces.vpn.nftables = ''
    table inet filter {
      chain input {
        type filter hook input priority 0; policy drop;
        iif lo accept
      }
    }
  '';
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::LateOrdering => &Explanation {
            meaning: "A namespace's unit is ordered `After=` a unit that itself starts after \
                `network.target`. With the netns module's own `Before=network.target` this is \
                a cycle (`netns::ordering-cycle`); this warning is for a namespace whose \
                `before` was taken away (`lib.mkForce [ ]`).",
            why: "The netns module orders every namespace before `network.target` so that it \
                is in place before anything that waits for the network, the services that \
                join it included. A namespace needs no network to be created; ordered after \
                `network-online.target` it waits until the host is online, and so does \
                everything that joins it. Order the service that needs the network instead.",
            example: Example {
                language: Language::Nix,
                before: r#"
{ lib, ... }:
{
  services.netns.namespaces.vpn.service = {
    before = lib.mkForce [ ];
    after = [ "network-online.target" ];
  };
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn = { };
  systemd.services.downloader = {
    netns = "vpn";
    after = [ "network-online.target" ];
  };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::NoWayOut => &Explanation {
            meaning: "A namespace that services join, that uses a connectivity option \
                (`publish`, `dns`), and that has neither a `hostLink` nor a WireGuard tunnel \
                (its own, or one of NixOS's `networking.wireguard.interfaces` moved into it). \
                A namespace without connectivity options is not warned about: being closed is \
                what the plain module is for.",
            why: "Inside there is only `lo` and the published ports: the services that join it \
                cannot reach any address beyond the host, not even the name server in \
                `dns.servers`, and would wait for timeouts. If the namespace is meant to be \
                closed, the warning can be ignored.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.dns.servers = [ "10.64.0.1" ];
  systemd.services.downloader.netns = "vpn";
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn = {
    dns.servers = [ "10.64.0.1" ];
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::UnitAsDropin => &Explanation {
            meaning: "A namespace's unit sets `overrideStrategy = \"asDropin\"` (in its \
                `service`, or on `systemd.services.netns-<escaped>`).",
            why: "With it NixOS writes the whole unit as a drop-in, \
                `netns-<escaped>.service.d/overrides.conf`, and no unit file: it is meant for \
                units that a package already ships. systemd loads a service only from a unit \
                file (`service_load` requires the fragment), so the unit is \"not found\", the \
                namespace is never made, and every service that joins it fails.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn = { };
  systemd.services.netns-vpn.overrideStrategy = "asDropin";
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn = { };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::CompiledSettingRead => &Explanation {
            meaning: "A module that extends `systemd.services` (`options.systemd.services = \
                mkOption { type = attrsOf (submodule ({ config, ... }: …)); }`) reads, in its \
                `config`, a setting of a namespace's own unit that names a store path in NixOS: \
                the netns module's `ExecStart`/`ExecStop` lines, the lines NixOS's systemd \
                module derives from the unit's scripts (`ExecStartPre` of `preStart`, \
                `ExecStart` of `script`, …), or the files of its triggers \
                (`unitConfig.X-Restart-Triggers`).",
            why: "NixOS applies such an extension to every service, `netns-<name>` included, and \
                its `config` sees what the netns module sets there and what NixOS's systemd \
                module derives. Those settings name the store paths of the scripts in NixOS, \
                which only the compiled unit knows (its paths are under `--prefix`, or the \
                `$out` of the build): evaluated with any other value, the extension could define \
                something NixOS would not, silently. The other settings of the netns module \
                (`description`, `before`, `Type`, `RemainAfterExit`, `PrivateNetwork`, \
                `PrivateMounts`) and the rest of what systemd's module derives (`name`, \
                `unitConfig.After` and the other lists' keys, `environment.PATH`) are known and \
                the extension sees them as NixOS's does.",
            example: Example {
                language: Language::Nix,
                before: r#"
{ lib, ... }:
{
  options.systemd.services = lib.mkOption {
    type = lib.types.attrsOf (lib.types.submodule ({ config, ... }: {
      config = lib.mkIf (lib.length (config.serviceConfig.ExecStart or [ ]) > 1) {
        after = [ "many-steps.target" ];
      };
    }));
  };
  config.services.netns.namespaces.vpn = { };
}
"#,
                after: r#"
{ lib, ... }:
{
  options.systemd.services = lib.mkOption {
    type = lib.types.attrsOf (lib.types.submodule ({ config, ... }: {
      config = lib.mkIf (config.serviceConfig.Type or "" == "oneshot") {
        after = [ "many-steps.target" ];
      };
    }));
  };
  config.services.netns.namespaces.vpn = { };
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::ShellcheckNotRun => &Explanation {
            meaning: "A namespace's unit has job scripts (`script`, `preStart`, `postStart`, …) \
                and `enableStrictShellChecks` (its own, or `systemd.enableStrictShellChecks`). \
                netns-compile writes them exactly as NixOS's `writeShellApplication` does \
                (`set -o errexit`, `nounset`, `pipefail`), but it runs no shellcheck.",
            why: "NixOS's build runs shellcheck on each such script and fails on any finding: \
                a script NixOS would refuse compiles here without a word of it. A warning, not \
                an error: the script itself is NixOS's, only the check is missing. Run \
                `shellcheck` on `libexec/netns-compile/<unit>/` of the output, or leave the \
                option off where the scripts are checked elsewhere.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn.service = {
    enableStrictShellChecks = true;
    postStart = "echo started";
  };
}
"#,
                after: r#"
{
  # Checked by `shellcheck result/libexec/netns-compile/netns-vpn.service/*-post-start`
  # in CI instead.
  services.netns.namespaces.vpn.service.postStart = "echo started";
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::DnsOutsideTunnel => &Explanation {
            meaning: "A namespace with a tunnel names a DNS server in `dns.servers` that is not \
                reached through the tunnel: it is inside the host link's subnet (the host's own \
                resolver, across `host0`), so lookups go to the host, not into the tunnel. Found \
                by `netns-compile audit`.",
            why: "Every name a service looks up leaves by the host's resolver and the host's own \
                network, beside the tunnel: the classic DNS leak. The connections that follow go \
                through the tunnel, but the names have already told where they go.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn = {
    hostLink = {
      enable = true;
      hostAddress = "10.231.9.1/30";
      namespaceAddress = "10.231.9.2/30";
    };
    dns.servers = [ "10.231.9.1" ];
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn = {
    hostLink = {
      enable = true;
      hostAddress = "10.231.9.1/30";
      namespaceAddress = "10.231.9.2/30";
    };
    dns.servers = [ "10.64.0.1" ];
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::StrictDnsOutsideTunnel => &Explanation {
            meaning: "A namespace with a tunnel and `dns.strict = true` names a DNS server in \
                `dns.servers` that is reached across the host link, outside the tunnel. Strict DNS \
                lets exactly the servers of `dns.servers` through, so it lets this one through too. \
                Found by `netns-compile audit`.",
            why: "`dns.strict` promises that name resolution cannot leak, but the server it allows \
                is the host's resolver, which asks its own upstream beside the tunnel: every name \
                looked up still leaves around it.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn = {
    hostLink = {
      enable = true;
      hostAddress = "10.231.9.1/30";
      namespaceAddress = "10.231.9.2/30";
    };
    dns = {
      servers = [ "10.231.9.1" ];
      strict = true;
    };
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn = {
    hostLink = {
      enable = true;
      hostAddress = "10.231.9.1/30";
      namespaceAddress = "10.231.9.2/30";
    };
    dns = {
      servers = [ "10.64.0.1" ];
      strict = true;
    };
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::Ipv6OutsideTunnel => &Explanation {
            meaning: "A namespace whose tunnel carries IPv4 only (no IPv6 address, so no IPv6 \
                default route into it) has IPv6 addresses on its host link, and IPv6 is left as \
                the user set it up: IPv6 has a route that does not go into the tunnel. Found by \
                `netns-compile audit`.",
            why: "IPv6 is not protected by the tunnel. The namespace's end of the link takes \
                router advertisements (the kernel's default), so any router on the host's side \
                gives IPv6 a default route across the link, and programs prefer IPv6 where it \
                answers: their traffic then leaves beside the tunnel.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  services.netns.namespaces.vpn = {
    hostLink = {
      enable = true;
      hostAddress = "10.231.9.1/30";
      namespaceAddress = "10.231.9.2/30";
      hostAddress6 = "fd31:9::1/64";
      namespaceAddress6 = "fd31:9::2/64";
    };
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                after: r#"
{
  services.netns.namespaces.vpn = {
    hostLink = {
      enable = true;
      hostAddress = "10.231.9.1/30";
      namespaceAddress = "10.231.9.2/30";
    };
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::HostLinkForwards => &Explanation {
            meaning: "A namespace has a tunnel and a host link, and the host's `boot.kernel.sysctl` \
                makes it forward what comes in by the link (`net.ipv4.ip_forward`, \
                `net.ipv4.conf.all.forwarding` or `net.ipv4.conf.default.forwarding`; \
                `net.ipv6.conf.all.forwarding` where the link has IPv6 addresses). Found by \
                `netns-compile audit`.",
            why: "The host link makes the host a gateway one route away: a route through `host0` \
                — which any process with CAP_NET_ADMIN in the namespace can add, and services run \
                as root have it — sends traffic to the host, which forwards it to its own network, \
                around the tunnel. A tunnel that is down then no longer means nothing leaves.",
            example: Example {
                language: Language::Nix,
                before: r#"
{
  boot.kernel.sysctl."net.ipv4.ip_forward" = 1;
  services.netns.namespaces.vpn = {
    hostLink = {
      enable = true;
      hostAddress = "10.231.9.1/30";
      namespaceAddress = "10.231.9.2/30";
    };
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                after: r#"
{
  boot.kernel.sysctl."net.ipv4.ip_forward" = 1;
  services.netns.namespaces.vpn = {
    publish.web = {
      listen = "127.0.0.1:8080";
      port = 8080;
    };
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                standalone: Standalone::Yes,
            },
        },
        Code::LiveNamespaceMissing => &Explanation {
            meaning: "`netns-compile audit --live` finds no `/run/netns/<name>` for a namespace of \
                the configuration: its unit is not started, failed, or was stopped.",
            why: "The services that join it are not running where the audit says they run, and \
                what the static audit says about them is not what the system does.",
            example: Example {
                language: Language::Nix,
                before: r#"
# Before `systemctl start netns-vpn.service`:
{
  services.netns.namespaces.vpn = {
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                after: r#"
# After `systemctl start netns-vpn.service`:
{
  services.netns.namespaces.vpn = {
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                standalone: Standalone::No {
                    reason: "the difference is between the running system and the configuration \
                        (`audit --live`): a configuration alone cannot show it",
                },
            },
        },
        Code::LiveServiceOutsideNamespace => &Explanation {
            meaning: "A service that joins a namespace runs (`systemctl show -p MainPID`), but its \
                process's network namespace (`/proc/PID/ns/net`) is not the one registered as \
                `/run/netns/<name>`.",
            why: "The process uses another network namespace's interfaces and routes — often the \
                host's, when the service was started before its drop-in was installed and not \
                restarted since — so nothing the audit says about the namespace holds for it.",
            example: Example {
                language: Language::Nix,
                before: r#"
# The service was running when its drop-in was installed, and not restarted since:
{
  services.netns.namespaces.vpn = {
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                after: r#"
# After `systemctl restart downloader.service`:
{
  services.netns.namespaces.vpn = {
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                standalone: Standalone::No {
                    reason: "the difference is between the running system and the configuration \
                        (`audit --live`): a configuration alone cannot show it",
                },
            },
        },
        Code::LiveInterfaceDiffers => &Explanation {
            meaning: "`netns-compile audit --live` finds an interface or an address in a namespace \
                that the configuration does not set up (added by hand, or by a program in the \
                namespace), or misses one it does set up (a tunnel whose unit is down).",
            why: "An interface is a way in and out: one added by hand is a way the audit cannot \
                judge, and a missing one means the namespace is not what the verdicts describe.",
            example: Example {
                language: Language::Nix,
                before: r#"
# After `ip link add veth-x netns vpn type veth peer name veth-y`:
{
  services.netns.namespaces.vpn = {
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                after: r#"
# After `ip -n vpn link delete veth-x`:
{
  services.netns.namespaces.vpn = {
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                standalone: Standalone::No {
                    reason: "the difference is between the running system and the configuration \
                        (`audit --live`): a configuration alone cannot show it",
                },
            },
        },
        Code::LiveRouteDiffers => &Explanation {
            meaning: "`netns-compile audit --live` finds a route in a namespace that the \
                configuration does not set up (the kernel's routes for an interface's own \
                addresses aside), or misses one it sets up (the default route into the tunnel).",
            why: "A route decides where traffic leaves: a route across the host link, added by \
                hand or learnt from a router advertisement, sends traffic around the tunnel; a \
                missing route into the tunnel means nothing leaves at all.",
            example: Example {
                language: Language::Nix,
                before: r#"
# After `ip -n vpn route add 192.0.2.0/24 dev host0`:
{
  services.netns.namespaces.vpn = {
    hostLink = {
      enable = true;
      hostAddress = "10.231.9.1/30";
      namespaceAddress = "10.231.9.2/30";
    };
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                after: r#"
# After `ip -n vpn route del 192.0.2.0/24 dev host0`:
{
  services.netns.namespaces.vpn = {
    hostLink = {
      enable = true;
      hostAddress = "10.231.9.1/30";
      namespaceAddress = "10.231.9.2/30";
    };
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                standalone: Standalone::No {
                    reason: "the difference is between the running system and the configuration \
                        (`audit --live`): a configuration alone cannot show it",
                },
            },
        },
        Code::LiveConfinementDiffers => &Explanation {
            meaning: "`netns-compile audit --live` finds the namespace's protections not as \
                configured: netns-compile's own nftables table missing, a table that is not in \
                the namespace's ruleset (or one of it missing), IPv6 switched on or off against \
                the configuration, a `resolv.conf` (the namespace's, or the one a service sees) \
                that names other servers, or a host resolver socket visible to a joined service.",
            why: "Each is what keeps DNS or IPv6 from leaving around the tunnel, or says what \
                filters the namespace: changed by hand, the static audit's verdicts no longer \
                hold.",
            example: Example {
                language: Language::Nix,
                before: r#"
# After `ip netns exec vpn nft add table inet mine`:
{
  services.netns.namespaces.vpn = {
    dns.servers = [ "10.64.0.1" ];
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                after: r#"
# After `ip netns exec vpn nft delete table inet mine`:
{
  services.netns.namespaces.vpn = {
    dns.servers = [ "10.64.0.1" ];
    wireguard = {
      enable = true;
      privateKeyFile = "/run/keys/vpn.key";
      addresses = [ "10.64.0.2/32" ];
      peers = [
        {
          publicKey = "cGVlcnB1YmxpY2tleWNHVmxjbkIxWW14cFkydGxlUT0=";
          endpoint = "198.51.100.7:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
  };
  systemd.services.downloader.netns = "vpn";
}
"#,
                standalone: Standalone::No {
                    reason: "the difference is between the running system and the configuration \
                        (`audit --live`): a configuration alone cannot show it",
                },
            },
        },
    }
}
