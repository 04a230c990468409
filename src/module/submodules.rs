//! The submodules of a namespace (SPEC §11–§14) as the model reads them: each sub-option by
//! its name once, here beside the schema that declares it (`schema.rs`).
//!
//! A view is not a copy: an accessor looks its sub-option up when the model asks, so the
//! model reads (and reports) in the order it always has.

use crate::node::{Attrs, Entry, Node};
use crate::source::Span;

/// A view of a submodule's merged options: `key_span` is where its key is written (or, for
/// an item of a list, the item), each accessor the sub-option's merged value.
macro_rules! submodule_view {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $method:ident = $key:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug)]
        pub struct $name<'a> {
            pub key_span: Span,
            options: &'a Attrs,
        }

        impl<'a> $name<'a> {
            /// The sub-options' names, in the order the accessors read them.
            #[cfg(test)]
            const NAMES: &'static [&'static str] = &[$($key),*];

            pub fn new(key_span: Span, options: &'a Attrs) -> Self {
                $name { key_span, options }
            }

            $($(#[$fdoc])* pub fn $method(&self) -> Option<&'a Node> {
                self.options.get($key)
            })*
        }
    };
}

submodule_view!(
    /// `publish.<label>` (SPEC §11).
    PublishOptions {
        listen = "listen",
        port = "port",
        protocol = "protocol",
    }
);

submodule_view!(
    /// `dns` (SPEC §11, `strict` §13).
    DnsOptions {
        servers = "servers",
        search = "search",
        options = "options",
        strict = "strict",
    }
);

submodule_view!(
    /// `hostLink` (SPEC §12).
    HostLinkOptions {
        host_address = "hostAddress",
        namespace_address = "namespaceAddress",
        host_address6 = "hostAddress6",
        namespace_address6 = "namespaceAddress6",
    }
);

submodule_view!(
    /// `wireguard` (SPEC §11, `configFile` §14).
    WireGuardOptions {
        interface = "interface",
        private_key_file = "privateKeyFile",
        config_file = "configFile",
        addresses = "addresses",
        /// Each an item of [`PeerOptions`] ([`WireGuardOptions::peer_list`]).
        peers = "peers",
        implementation = "implementation",
    }
);

submodule_view!(
    /// One of `wireguard.peers`.
    PeerOptions {
        public_key = "publicKey",
        endpoint = "endpoint",
        allowed_ips = "allowedIPs",
        persistent_keepalive = "persistentKeepalive",
        preshared_key_file = "presharedKeyFile",
    }
);

submodule_view!(
    /// `openvpn` (SPEC §14).
    OpenVpnOptions {
        config_file = "configFile",
        auth_user_pass_file = "authUserPassFile",
    }
);

submodule_view!(
    /// `watchdog` (SPEC §14).
    WatchdogOptions {
        interval = "interval",
        handshake_timeout = "handshakeTimeout",
    }
);

submodule_view!(
    /// `portForward` (SPEC §14).
    PortForwardOptions {
        gateway = "gateway",
        on_change = "onChange",
    }
);

impl<'a> PublishOptions<'a> {
    /// The published port `e` (`publish.<label>`); one that is not a set reads as empty.
    pub fn of(e: &'a Entry) -> Self {
        static EMPTY: std::sync::LazyLock<Attrs> = std::sync::LazyLock::new(Attrs::new);
        Self::new(e.key_span, e.value.attrs().unwrap_or(&EMPTY))
    }
}

impl<'a> WireGuardOptions<'a> {
    /// `peers`, each with the span of its item.
    pub fn peer_list(&self) -> impl Iterator<Item = PeerOptions<'a>> + 'a {
        self.peers()
            .and_then(Node::as_list)
            .unwrap_or(&[])
            .iter()
            .filter_map(|p| Some(PeerOptions::new(p.span, p.attrs()?)))
    }
}

/// `enable` of a submodule that does nothing unless enabled.
pub const ENABLE: &str = "enable";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::schema::namespace_schema;
    use crate::module::types::{Schema, Ty};
    use crate::node::Kind;

    fn submodule<'s>(schema: &'s Schema, name: &str) -> &'s Schema {
        match schema.option(name).map(|o| &o.1) {
            Some(Ty::Submodule(s)) => s,
            Some(Ty::AttrsOf(t) | Ty::ListOf(t)) => match &**t {
                Ty::Submodule(s) => s,
                other => panic!("{name}: {other:?}"),
            },
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn every_sub_option_read_is_declared() {
        let empty = Node::new(Span::BUILTIN, Kind::Attrs(Attrs::new()));
        let ns = namespace_schema(&empty, &empty);
        let wireguard = submodule(&ns, "wireguard");
        for (schema, names) in [
            (submodule(&ns, "publish"), PublishOptions::NAMES),
            (submodule(&ns, "dns"), DnsOptions::NAMES),
            (submodule(&ns, "hostLink"), HostLinkOptions::NAMES),
            (wireguard, WireGuardOptions::NAMES),
            (submodule(wireguard, "peers"), PeerOptions::NAMES),
            (submodule(&ns, "openvpn"), OpenVpnOptions::NAMES),
            (submodule(&ns, "watchdog"), WatchdogOptions::NAMES),
            (submodule(&ns, "portForward"), PortForwardOptions::NAMES),
        ] {
            for name in names {
                assert!(schema.option(name).is_some(), "{name}");
            }
        }
    }
}
