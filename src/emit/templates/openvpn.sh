# OpenVPN with its tun device in a network namespace (SPEC §14: `openvpn`).
#
# Why a POSIX sh script shipped in the output: as wg_quick_file.sh, it runs with the tools the
# unit names (ip, nft, coreutils) and reads the user's file only when the unit starts.
#
# The variables above this text are set by netns-compile: ip, nft, openvpn, namespace,
# interface, config_file, auth_user_pass_file (empty when not given), resolv_conf, dns_file.
#
# One script, several roles: OpenVPN runs its hooks with `script_type` in the environment.
# - No `script_type`, no argument: the unit's ExecStart=. The file is checked, then OpenVPN
#   replaces this shell (so it is the unit's main process and its readiness reaches systemd),
#   in the host's namespace (its socket stays there), with the file as `--config` and after it
#   the directives that override what would touch the host: the device is ours (`--dev
#   <interface> --dev-type tun`, no data channel offload, whose device is not a tun), OpenVPN
#   neither addresses it nor routes (`--ifconfig-noexec --route-noexec`: the pushed addresses,
#   routes and options still reach this script, nothing is applied on the host), and the only
#   scripts are this one (`--up`, `--down`, `--route-up`, `--route-pre-down`, `--ipchange`:
#   later directives win, so a line of the file naming another is overridden).
# - `script_type=up` (the device was opened, in the host's namespace): the device is moved into
#   the namespace, given OpenVPN's MTU and addresses (`ifconfig_local` with `ifconfig_netmask`
#   or a peer `ifconfig_remote`, `ifconfig_ipv6_local`/`ifconfig_ipv6_netbits`), brought up, and
#   the namespace's default route(s) go through it; the pushed DNS (`dhcp-option DNS`/`DNS6`,
#   `DOMAIN`, `DOMAIN-SEARCH`, and OpenVPN 2.6's `dns server N address`) is written into the
#   namespace's resolv.conf and allowed in netns-compile's table when `dns.strict` made one.
#   OpenVPN closes the device when it stops or reconnects: the device, and every route with it,
#   is then gone — nothing routes around it.
# - `script_type=down`: the device is deleted in the namespace (OpenVPN closing it would too).
# - any other `script_type` (route-up, route-pre-down, ipchange): nothing; they are ours only so
#   that the file's are not run.
# - `ready` (the unit's ExecStartPost=): waits, at most 60 s, for the up script to finish; OpenVPN
#   tells systemd it is ready before it has connected, and the joiners are to start only once
#   the way out exists.
# - `dns-allow` (the unit's ExecReload=, after the guard loaded its table again): the pushed
#   DNS servers, kept in `dns_file`, are allowed again.
#
# Directives that cannot be overridden from the command line and would run commands or keep
# OpenVPN from being the unit's process make the unit fail naming them, before anything is
# made: `daemon`, `config`, `plugin`, `tls-verify`, `client-connect`, `client-disconnect`,
# `learn-address`, `auth-user-pass-verify`, `tls-crypt-v2-verify`, `tls-export-cert`.
set -fu
mode=${script_type:-${1:-start}}

fail() {
    printf 'netns-compile: %s: %s\n' "$config_file" "$*" >&2
    exit 1
}

allow_dns() {
    [ -r "$dns_file" ] || return 0
    while read -r s; do
        case $s in *:*) allow=dns_allow6 ;; *) allow=dns_allow4 ;; esac
        if "$ip" netns exec "$namespace" "$nft" list set inet netns-compile "$allow" >/dev/null 2>&1; then
            "$ip" netns exec "$namespace" "$nft" add element inet netns-compile "$allow" "{ $s }"
        fi
    done <"$dns_file"
}

# The prefix length of a dotted netmask (`255.255.255.0` → 24).
prefix_of() {
    bits=0
    old_ifs=$IFS; IFS=.
    for o in $1; do
        case $o in
        255) bits=$((bits + 8)) ;; 254) bits=$((bits + 7)) ;; 252) bits=$((bits + 6)) ;;
        248) bits=$((bits + 5)) ;; 240) bits=$((bits + 4)) ;; 224) bits=$((bits + 3)) ;;
        192) bits=$((bits + 2)) ;; 128) bits=$((bits + 1)) ;;
        esac
    done
    IFS=$old_ifs
    echo "$bits"
}

check_file() {
    [ -r "$config_file" ] || fail "cannot be read"
    lineno=0
    inline=
    while IFS= read -r line || [ -n "$line" ]; do
        lineno=$((lineno + 1))
        # Inline blocks (`<ca>` … `</ca>`) hold certificates and keys, not directives.
        if [ -n "$inline" ]; then
            case $line in "</$inline>"*) inline= ;; esac
            continue
        fi
        set -- $line
        [ "$#" -gt 0 ] || continue
        word=${1#--}
        case $word in
        '<'*'>') inline=${word#<}; inline=${inline%>}; continue ;;
        daemon | config | plugin | tls-verify | client-connect | client-disconnect | learn-address | \
            auth-user-pass-verify | tls-crypt-v2-verify | tls-export-cert)
            # The rest of the line is not shown: it may name secrets.
            fail "line $lineno: $word would run a command or detach OpenVPN from its unit; netns-compile refuses it (remove the line)" ;;
        esac
    done <"$config_file"
}

case $mode in
start)
    check_file
    rm -f "$dns_file"
    # OpenVPN reads `--up` and the others as a command line of its own, where a backslash
    # escapes: unit names of odd namespaces have some.
    hook=$(printf '%s' "$0" | sed 's/\\/\\\\/g; s/ /\\ /g')
    set -- --config "$config_file" --dev "$interface" --dev-type tun --disable-dco \
        --ifconfig-noexec --route-noexec --script-security 2 \
        --up "$hook" --down "$hook" --route-up "$hook" --route-pre-down "$hook" --ipchange "$hook"
    [ -z "$auth_user_pass_file" ] || set -- "$@" --auth-user-pass "$auth_user_pass_file"
    exec "$openvpn" "$@"
    ;;
dns-allow)
    allow_dns
    exit 0
    ;;
ready)
    # OpenVPN tells systemd it is ready before it has connected; the up script's last step
    # is writing `dns_file`, so the joiners wait for it (bounded: 60 s).
    tries=0
    while [ ! -e "$dns_file" ]; do
        tries=$((tries + 1))
        [ "$tries" -le 600 ] || fail "OpenVPN did not connect and bring its device up in 60 s"
        sleep 0.1
    done
    exit 0
    ;;
down)
    rm -f "$dns_file"
    "$ip" -n "$namespace" link delete dev "$interface" 2>/dev/null || true
    exit 0
    ;;
up) ;;
*) exit 0 ;;
esac

dev=${dev:-$interface}
"$ip" link set dev "$dev" netns "$namespace"
[ -z "${tun_mtu-}" ] || "$ip" -n "$namespace" link set dev "$dev" mtu "$tun_mtu"
v4= v6=
if [ -n "${ifconfig_local-}" ]; then
    if [ -n "${ifconfig_netmask-}" ]; then
        "$ip" -n "$namespace" address add "$ifconfig_local/$(prefix_of "$ifconfig_netmask")" dev "$dev"
    elif [ -n "${ifconfig_remote-}" ]; then
        "$ip" -n "$namespace" address add "$ifconfig_local" peer "$ifconfig_remote" dev "$dev"
    else
        "$ip" -n "$namespace" address add "$ifconfig_local/32" dev "$dev"
    fi
    v4=1
fi
if [ -n "${ifconfig_ipv6_local-}" ]; then
    # With `ipv6 = "disable"` the kernel would refuse it: left out, as for a wg-quick file.
    v6_off=$("$ip" netns exec "$namespace" cat /proc/sys/net/ipv6/conf/default/disable_ipv6 2>/dev/null || echo 0)
    if [ "$v6_off" = 1 ]; then
        echo "netns-compile: IPv6 is disabled in namespace $namespace: $ifconfig_ipv6_local left out"
    else
        "$ip" -n "$namespace" -6 address add "$ifconfig_ipv6_local/${ifconfig_ipv6_netbits:-64}" dev "$dev"
        v6=1
    fi
fi
"$ip" -n "$namespace" link set dev "$dev" up
if [ -n "$v4" ] || [ -z "$v6" ]; then
    "$ip" -n "$namespace" route add default dev "$dev"
fi
[ -z "$v6" ] || "$ip" -n "$namespace" -6 route add default dev "$dev"

# The pushed options, in order: `foreign_option_1`, `foreign_option_2`, …
nl='
'
servers=
search=
i=1
while eval "[ -n \"\${foreign_option_$i-}\" ]"; do
    eval "option=\$foreign_option_$i"
    set -- $option
    if [ "$#" -ge 3 ] && [ "$1" = dhcp-option ]; then
        case $2 in
        DNS | DNS6) servers="$servers$3$nl" ;;
        DOMAIN | DOMAIN-SEARCH) search="$search $3" ;;
        esac
    fi
    i=$((i + 1))
done
# OpenVPN 2.6's `dns` option reaches scripts as `dns_server_<n>_address_<m>`.
for s in $(env | sed -n 's/^dns_server_[0-9]*_address_[0-9]*=//p'); do
    servers="$servers$s$nl"
done
if [ -n "$servers$search" ]; then
    # Truncated in place, never replaced: joined services bind-mount this file.
    {
        for s in $servers; do printf 'nameserver %s\n' "$s"; done
        [ -z "$search" ] || printf 'search%s\n' "$search"
    } >"$resolv_conf"
fi
# Last: its existence says the way out is ready (`ready`, above).
mkdir -p "${dns_file%/*}"
printf '%s' "$servers" >"$dns_file.new"
mv -f "$dns_file.new" "$dns_file"
allow_dns
