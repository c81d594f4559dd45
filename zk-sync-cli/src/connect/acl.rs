//! `--acl`: the ACL of the nodes zk-sync creates, as a preset or `SCHEME:ID:PERMS` entries.

use zk_sync_core::backend::{Acl, Perms};

/// What `--help` says about `--acl`, the default included.
pub(crate) const HELP: &str = "ACL of the nodes zk-sync creates (lock directories, their missing \
parents, contender nodes): a preset, open (world:anyone:cdrwa), creator (auth::cdrwa) or \
locked-down (auth::cdrwa,world:anyone:r), or SCHEME:ID:PERMS entries separated by commas, \
PERMS from cdrwa (e.g. world:anyone:r,digest:alice:HASH:cdrwa). Default: open, anyone may \
do anything. creator and locked-down need credentials (--auth-file, --sasl-user)";

/// A parsed `--acl` (a newtype, so that clap takes it as one value, not a list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AclList(pub(crate) Vec<Acl>);

/// Parses `--acl` for clap.
pub(crate) fn parse(text: &str) -> Result<AclList, String> {
    let acl = match text.trim() {
        "open" => vec![Acl::anyone_all()],
        "creator" => vec![Acl::creator_all()],
        "locked-down" => Acl::locked_down(),
        entries => entries
            .split(',')
            .map(|entry| entry_of(entry.trim()))
            .collect::<Result<_, _>>()?,
    };
    Ok(AclList(acl))
}

/// `scheme:id:perms`; the id may itself hold colons (`digest:user:hash`, an IPv6 address).
fn entry_of(entry: &str) -> Result<Acl, String> {
    let shape = || {
        format!("{entry:?} is neither a preset (open, creator, locked-down) nor SCHEME:ID:PERMS")
    };
    let (scheme, rest) = entry.split_once(':').ok_or_else(shape)?;
    let (id, perms) = rest.rsplit_once(':').ok_or_else(shape)?;
    if scheme.is_empty() {
        return Err(format!(
            "{entry:?} has no scheme (world, auth, digest, ip, ...)"
        ));
    }
    Ok(Acl::new(perms_of(entry, perms)?, scheme, id))
}

/// `cdrwa` letters in any order.
fn perms_of(entry: &str, letters: &str) -> Result<Perms, String> {
    if letters.is_empty() {
        return Err(format!("{entry:?} grants nothing: give PERMS from cdrwa"));
    }
    let mut bits = 0;
    for letter in letters.chars() {
        bits |= match letter {
            'c' => Perms::CREATE.0,
            'd' => Perms::DELETE.0,
            'r' => Perms::READ.0,
            'w' => Perms::WRITE.0,
            'a' => Perms::ADMIN.0,
            other => {
                return Err(format!(
                    "{entry:?}: {other:?} is not a permission (c create, d delete, r read, w write, a admin)"
                ))
            }
        };
    }
    Ok(Perms(bits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets() {
        assert_eq!(parse("open"), Ok(AclList(vec![Acl::anyone_all()])));
        assert_eq!(parse("creator"), Ok(AclList(vec![Acl::creator_all()])));
        assert_eq!(parse("locked-down"), Ok(AclList(Acl::locked_down())));
    }

    #[test]
    fn entries() {
        assert_eq!(
            parse("world:anyone:r,auth::cdrwa"),
            Ok(AclList(vec![Acl::anyone_read(), Acl::creator_all()]))
        );
        assert_eq!(
            parse("digest:alice:X/Y=:rw"),
            Ok(AclList(vec![Acl::new(
                Perms(Perms::READ.0 | Perms::WRITE.0),
                "digest",
                "alice:X/Y="
            )]))
        );
        assert_eq!(
            parse("ip:::1:r"),
            Ok(AclList(vec![Acl::new(Perms::READ, "ip", "::1")]))
        );
    }

    #[test]
    fn rejects() {
        for (bad, says) in [
            ("everyone", "neither a preset"),
            ("world:anyone", "neither a preset"),
            ("world:anyone:", "grants nothing"),
            ("world:anyone:rx", "'x' is not a permission"),
            (":anyone:r", "no scheme"),
            ("world:anyone:r,", "neither a preset"),
        ] {
            let error = parse(bad).expect_err(bad);
            assert!(error.contains(says), "{bad:?}: {error}");
        }
    }
}
