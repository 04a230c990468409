//! "Did you mean …?": the one rule every stage uses to suggest a known name for an unknown one
//! (an undefined variable, a missing attribute, an unknown option, tool or namespace).

/// The candidate closest to `name`, if it is close enough to be a likely typo.
///
/// Closeness is the Damerau–Levenshtein distance (a swap of two neighbours is one edit),
/// ignoring case; a candidate is close enough within a third of the longer name's length, and
/// always within 2 edits (Nix's own limit for its suggestions). Of equally close candidates
/// the alphabetically first wins, so the suggestion does not depend on the candidates' order.
pub fn closest<'k>(name: &str, candidates: impl IntoIterator<Item = &'k str>) -> Option<&'k str> {
    let name_lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&name_lower, &c.to_lowercase()), c))
        .filter(|&(distance, c)| distance <= (c.len().max(name.len()) / 3).max(2))
        .min_by_key(|&(distance, c)| (distance, c))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn typos_are_suggested() {
        let options = ["nftables", "sysctl", "service"];
        assert_eq!(closest("sysctls", options), Some("sysctl"));
        assert_eq!(closest("nftable", options), Some("nftables"));
        // A swap of neighbours is one edit, and case does not count.
        assert_eq!(closest("sysclt", options), Some("sysctl"));
        assert_eq!(closest("NFTables", options), Some("nftables"));
    }

    #[test]
    fn unrelated_names_are_not() {
        assert_eq!(closest("zzzzzzzz", ["nftables", "sysctl", "service"]), None);
        assert_eq!(closest("abc", ["xyzuvw"]), None);
        assert_eq!(closest("x", std::iter::empty()), None);
    }

    #[test]
    fn ties_go_to_the_alphabetically_first() {
        assert_eq!(closest("bc", ["bd", "ac", "bb"]), Some("ac"));
        assert_eq!(closest("bc", ["bb", "bd", "ac"]), Some("ac"));
    }

    #[test]
    fn long_names_allow_more_edits() {
        // 28 bytes: up to 9 edits.
        let key = "net.ipv6.conf.all.forwarding";
        assert_eq!(closest("net.ipv6.conf.all.forward", [key]), Some(key));
        assert_eq!(closest("net.ipv4.ip_forward", [key]), None);
    }
}
