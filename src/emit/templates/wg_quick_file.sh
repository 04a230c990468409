# Bring up WireGuard from a wg-quick file (SPEC §14: `wireguard.configFile`).
#
# Why a POSIX sh script shipped in the output, not a subcommand of netns-compile: it runs with
# the tools the unit names already (ip, wg, nft, coreutils), so a host that installed the tree
# needs no netns-compile binary at run time, and the file is read only here, when the unit
# starts: never at build time, never copied into the output (it holds the private key).
#
# The variables above this text are set by netns-compile: ip, wg, nft, wireguard_go,
# implementation, namespace, interface, config_file, resolv_conf.
#
# The file is read as wg-quick(8) reads it, strictly:
# - `#` starts a comment; white space around a line, a key and a value is dropped (a CR of a
#   file written on Windows too); blank lines are skipped.
# - `[Interface]` and `[Peer]` start sections (any case, as wg(8) takes them); keys are matched
#   without regard to case.
# - [Interface] `Address` and `DNS` take comma-separated lists; a `DNS` item that is an IP
#   address (digits and dots, or anything with a colon) is a name server, any other item a
#   search domain, as wg-quick has it. `MTU` is the interface's MTU.
# - `PrivateKey`, `ListenPort`, `FwMark` and every [Peer] key (`PublicKey`, `PresharedKey`,
#   `AllowedIPs`, `Endpoint` with a host name or `[v6]:port`, `PersistentKeepalive`) go to
#   `wg setconf` unchanged: what `wg-quick strip` would give, made without wg-quick.
# - `PreUp`, `PostUp`, `PreDown`, `PostDown` would run commands on the host, `Table` and
#   `SaveConfig` would change the host's routing or rewrite the file: each fails the unit,
#   naming the key and the file, before anything is made. So does any other key.
#
# Its first argument says what to do: `up` (the default, ExecStart=); `dns-allow`
# (ExecReload=, after the namespace's guard loaded netns-compile's table again: the file's DNS
# servers are allowed again); `parse FILE`, which reads FILE instead, prints what it read and
# changes nothing (the tests hold it to provider-style files that way).

# No globbing: list items are split on commas and blanks, never expanded as file names.
set -fu
mode=${1-up}
if [ "$mode" = parse ]; then
    config_file=$2
fi

fail() {
    printf 'netns-compile: %s: %s\n' "$config_file" "$*" >&2
    exit 1
}

trim() {
    t=${1#"${1%%[![:space:]]*}"}
    printf '%s' "${t%"${t##*[![:space:]]}"}"
}

lower() {
    printf '%s' "$1" | tr '[:upper:]' '[:lower:]'
}

# With `dns.strict`, netns-compile's own table allows DNS only to its sets' servers: the file's
# are added (the guard unit, which loads the table, runs before this one).
allow_dns() {
    for s in $dns_servers; do
        case $s in *:*) allow=dns_allow6 ;; *) allow=dns_allow4 ;; esac
        if "$ip" netns exec "$namespace" "$nft" list set inet netns-compile "$allow" >/dev/null 2>&1; then
            "$ip" netns exec "$namespace" "$nft" add element inet netns-compile "$allow" "{ ${s%%%*} }"
        fi
    done
}

nl='
'
tab=$(printf '\t')
[ -r "$config_file" ] || fail "cannot be read"
section=
stripped=
addresses=
dns_servers=
dns_search=
mtu=
private_key=
peers=0
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    line=$(trim "${line%%#*}")
    [ -n "$line" ] || continue
    case $line in
    \[*\])
        case $(lower "$line") in
        '[interface]') section=interface; stripped="$stripped[Interface]$nl" ;;
        '[peer]') section=peer; peers=$((peers + 1)); stripped="$stripped[Peer]$nl" ;;
        *) fail "line $lineno: unknown section $line (wg-quick files have [Interface] and [Peer])" ;;
        esac
        continue
        ;;
    *=*) ;;
    # The line itself is not shown: it may hold a key.
    *) fail "line $lineno is neither a [Section] nor Key = Value" ;;
    esac
    key=$(trim "${line%%=*}")
    value=$(trim "${line#*=}")
    case $section/$(lower "$key") in
    interface/address)
        old_ifs=$IFS; IFS=", $tab"
        for a in $value; do
            a=$(trim "$a")
            case $a in
            '' | *[!0-9a-fA-F:./]*) fail "line $lineno: Address $a is not an address with a prefix" ;;
            esac
            addresses="$addresses$a$nl"
        done
        IFS=$old_ifs
        ;;
    interface/dns)
        old_ifs=$IFS; IFS=", $tab"
        for d in $value; do
            d=$(trim "$d")
            case $d in
            *:* | *[!0-9.]*) ;;
            *) dns_servers="$dns_servers$d$nl"; continue ;;
            esac
            case $d in
            *:*)
                case $d in
                *[!0-9a-fA-F:.%]*) fail "line $lineno: DNS server $d is not an IPv6 address" ;;
                esac
                dns_servers="$dns_servers$d$nl"
                ;;
            *) dns_search="$dns_search $d" ;;
            esac
        done
        IFS=$old_ifs
        ;;
    interface/mtu)
        case $value in
        '' | *[!0-9]*) fail "line $lineno: MTU $value is not a number" ;;
        esac
        mtu=$value
        ;;
    interface/preup | interface/postup | interface/predown | interface/postdown)
        fail "line $lineno: $key would run a command on the host; netns-compile refuses it (remove the line)" ;;
    interface/table | interface/saveconfig)
        fail "line $lineno: $key would change the host's routing or rewrite the file; netns-compile refuses it (remove the line)" ;;
    interface/privatekey)
        private_key=1
        stripped="$stripped$key = $value$nl"
        ;;
    interface/listenport | interface/fwmark | peer/publickey | peer/presharedkey | peer/allowedips | peer/endpoint | peer/persistentkeepalive)
        stripped="$stripped$key = $value$nl"
        ;;
    /*) fail "line $lineno: $key comes before any [Interface] or [Peer] section" ;;
    *) fail "line $lineno: unknown key $key in [$section]" ;;
    esac
done <"$config_file"
[ -n "$private_key" ] || fail "has no PrivateKey in [Interface]"
[ "$peers" -gt 0 ] || fail "has no [Peer]"

if [ "$mode" = dns-allow ]; then
    allow_dns
    exit 0
fi
if [ "$mode" = parse ]; then
    for a in $addresses; do printf 'address %s\n' "$a"; done
    for s in $dns_servers; do printf 'dns %s\n' "$s"; done
    [ -z "$dns_search" ] || printf 'search%s\n' "$dns_search"
    [ -z "$mtu" ] || printf 'mtu %s\n' "$mtu"
    printf -- '--- wg setconf\n%s' "$stripped"
    exit 0
fi

# Made in the host's namespace (its UDP socket stays there, where the endpoint is reached),
# then moved in. Until the end, a failure removes what was made: a oneshot that fails gets no
# ExecStop.
made=
cleanup() {
    [ "$?" = 0 ] || [ -z "$made" ] || {
        "$ip" -n "$namespace" link delete dev "$interface" 2>/dev/null ||
            "$ip" link delete dev "$interface" 2>/dev/null || true
    }
}
trap cleanup EXIT
if [ "$implementation" = userspace ]; then
    "$wireguard_go" "$interface"
else
    "$ip" link add dev "$interface" type wireguard
fi
made=1
# The stripped file on a pipe: the private key touches no disk. `wg setconf` resolves host
# names of endpoints here, so a restart resolves them again.
printf '%s' "$stripped" | "$wg" setconf "$interface" /dev/stdin
[ -z "$mtu" ] || "$ip" link set dev "$interface" mtu "$mtu"
"$ip" link set dev "$interface" netns "$namespace"
# With `ipv6 = "disable"` the guard switched IPv6 off in the namespace: the kernel would refuse
# the file's IPv6 addresses (providers' files have them), so they are left out.
v6_off=$("$ip" netns exec "$namespace" cat /proc/sys/net/ipv6/conf/default/disable_ipv6 2>/dev/null || echo 0)
v4= v6=
for a in $addresses; do
    case $a in
    *:*)
        if [ "$v6_off" = 1 ]; then
            echo "netns-compile: IPv6 is disabled in namespace $namespace: $a left out"
            continue
        fi
        v6=1
        ;;
    *) v4=1 ;;
    esac
    "$ip" -n "$namespace" address add "$a" dev "$interface"
done
"$ip" -n "$namespace" link set dev "$interface" up
# The default route goes with the interface: when it is deleted, nothing is left to leave by.
if [ -n "$v4" ] || [ -z "$v6" ]; then
    "$ip" -n "$namespace" route add default dev "$interface"
fi
[ -z "$v6" ] || "$ip" -n "$namespace" -6 route add default dev "$interface"

if [ -n "$dns_servers$dns_search" ]; then
    # Truncated in place, never replaced: joined services bind-mount this file.
    {
        for s in $dns_servers; do printf 'nameserver %s\n' "$s"; done
        [ -z "$dns_search" ] || printf 'search%s\n' "$dns_search"
    } >"$resolv_conf"
    allow_dns
fi
