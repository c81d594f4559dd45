//! `--acl`: the ACL of the nodes zk-sync creates, as a preset or `SCHEME:ID:PERMS` entries,
//! and the check that the session can still work under it.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use zk_sync_core::backend::{Acl, Perms};

/// What `--help` says about `--acl`, the default included.
pub(crate) const HELP: &str = "ACL of the nodes zk-sync creates (lock directories, their missing \
parents, contender nodes): a preset, open (world:anyone:cdrwa), creator (auth::cdrwa) or \
locked-down (auth::cdrwa,world:anyone:r), or SCHEME:ID:PERMS entries separated by commas, \
SCHEME one of world, auth, digest, ip, x509, sasl, PERMS from cdrwa (e.g. \
world:anyone:r,digest:alice:HASH:cdrwa, HASH the base64 SHA-1 of alice:PASSWORD). It must let \
this session create and delete its own nodes. Default: open, anyone may do anything. creator \
and locked-down need credentials (--auth-file, --sasl-user)";

/// The schemes a ZooKeeper server knows out of the box: any other is refused here, before
/// the server would refuse it.
const SCHEMES: [&str; 6] = ["world", "auth", "digest", "ip", "x509", "sasl"];

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
    let (id, letters) = rest.rsplit_once(':').ok_or_else(shape)?;
    if scheme.is_empty() {
        return Err(format!(
            "{entry:?} has no scheme (world, auth, digest, ip, x509 or sasl)"
        ));
    }
    if !SCHEMES.contains(&scheme) {
        return Err(format!(
            "{entry:?}: unknown scheme {scheme:?} (world, auth, digest, ip, x509 or sasl)"
        ));
    }
    let perms = perms_of(entry, letters)?;
    match scheme {
        "world" if id != "anyone" => {
            return Err(format!("{entry:?}: the world scheme's only id is anyone"))
        }
        "digest" => check_digest_id(id, letters)?,
        _ => {}
    }
    Ok(Acl::new(perms, scheme, id))
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

/// A digest id is `USER:HASH`, what the server compares with its sessions' ids: with a
/// password in place of the hash, the entry would name nobody.
fn check_digest_id(id: &str, letters: &str) -> Result<(), String> {
    let (user, hash) = id.split_once(':').unwrap_or((id, ""));
    if !user.is_empty() && BASE64.decode(hash).is_ok_and(|sha1| sha1.len() == 20) {
        return Ok(());
    }
    let write = if user.is_empty() || hash.is_empty() {
        let user = if user.is_empty() { "USER" } else { user };
        format!("digest:{user}:HASH:{letters}")
    } else {
        // What was written in place of the hash reads as the password.
        format!("digest:{}:{letters}", digest_id(user, hash))
    };
    Err(format!(
        "a digest id is USER:HASH, HASH the base64 SHA-1 of USER:PASSWORD, not the password: write {write}"
    ))
}

/// The digest id of `user` with `password`: `user:base64(sha1(user:password))`, as ZooKeeper
/// computes it.
pub(crate) fn digest_id(user: &str, password: &str) -> String {
    let sha1 = sha1_smol::Sha1::from(format!("{user}:{password}")).digest();
    format!("{user}:{}", BASE64.encode(sha1.bytes()))
}

/// Who the session will be, as far as it is known before connecting.
#[derive(Debug, Default)]
pub(crate) struct Identity {
    /// Whether it authenticates at all (credentials, SASL): `auth` entries then name it.
    pub(crate) authenticated: bool,
    /// Its digest id, from digest credentials.
    pub(crate) digest: Option<String>,
    /// Its SASL user.
    pub(crate) sasl: Option<String>,
    /// Whether it presents a TLS client certificate (the server may derive an `x509` id).
    pub(crate) certificate: bool,
}

impl Identity {
    /// Whether `entry` may name this session. An `ip` entry may: only the server knows the
    /// address the session comes from; an `x509` one may when a certificate is presented.
    fn may_be(&self, entry: &Acl) -> bool {
        match entry.scheme.as_str() {
            "world" => entry.id == "anyone",
            "auth" => self.authenticated,
            "digest" => self.digest.as_deref() == Some(entry.id.as_str()),
            "sasl" => self.sasl.as_deref() == Some(entry.id.as_str()),
            "ip" => true,
            "x509" => self.certificate,
            _ => false,
        }
    }
}

/// Checks that the session `identity` describes could list, create and delete its own nodes
/// under `acl`. The directories zk-sync creates get the ACL too: without this check the first
/// contender node would be refused, or its queue could not be read, leaving a directory that
/// nobody can use.
pub(crate) fn check_usable(acl: &[Acl], identity: &Identity) -> Result<(), String> {
    // The server writes `auth` as the session's identities; it refuses `auth` without any.
    if acl.iter().any(|entry| entry.scheme == "auth") && !identity.authenticated {
        return Err("an ACL that grants the creator (auth, creator, locked-down) needs credentials: --auth-file, ZK_SYNC_AUTH or --sasl-user".to_owned());
    }
    let granted = acl
        .iter()
        .filter(|entry| identity.may_be(entry))
        .fold(0, |bits, entry| bits | entry.perms.0);
    let needed = Perms::READ.0 | Perms::CREATE.0 | Perms::DELETE.0;
    if granted & needed == needed {
        return Ok(());
    }
    Err("under this --acl, this session could not list, create and delete its own nodes: grant r, c and d to world:anyone, to auth (with credentials) or to an identity of the session (e.g. --acl world:anyone:r,auth::cdrwa)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `echo -n alice:secret | openssl sha1 -binary | base64`
    const ALICE: &str = "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=";

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
            parse(&format!("digest:{ALICE}:rw")),
            Ok(AclList(vec![Acl::new(
                Perms(Perms::READ.0 | Perms::WRITE.0),
                "digest",
                ALICE
            )]))
        );
        assert_eq!(
            parse("ip:::1:r"),
            Ok(AclList(vec![Acl::new(Perms::READ, "ip", "::1")]))
        );
        assert_eq!(digest_id("alice", "secret"), ALICE);
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
            ("kerberos:alice:cdrwa", "unknown scheme \"kerberos\""),
            ("World:anyone:r", "unknown scheme \"World\""),
            ("world:alice:r", "only id is anyone"),
            ("digest:alice:cdrwa", "write digest:alice:HASH:cdrwa"),
            ("digest::cdrwa", "write digest:USER:HASH:cdrwa"),
        ] {
            let error = parse(bad).expect_err(bad);
            assert!(error.contains(says), "{bad:?}: {error}");
        }
    }

    #[test]
    fn a_password_in_a_digest_id_is_refused_saying_what_to_write() {
        let error = parse("digest:alice:secret:cdrwa").unwrap_err();
        assert!(
            error.ends_with(&format!("not the password: write digest:{ALICE}:cdrwa")),
            "{error}"
        );
    }

    fn usable(acl: &str, identity: &Identity) -> Result<(), String> {
        check_usable(&parse(acl).unwrap().0, identity)
    }

    #[test]
    fn the_session_must_be_able_to_create_and_delete_its_nodes() {
        let nobody = Identity::default();
        let alice = Identity {
            authenticated: true,
            digest: Some(ALICE.to_owned()),
            ..Identity::default()
        };
        let sasl_bob = Identity {
            authenticated: true,
            sasl: Some("bob".to_owned()),
            ..Identity::default()
        };
        let certified = Identity {
            certificate: true,
            ..Identity::default()
        };
        let refused = "could not list, create and delete its own nodes";
        for (acl, identity, says) in [
            ("world:anyone:r", &alice, Some(refused)),
            ("world:anyone:rwa", &nobody, Some(refused)),
            ("creator", &nobody, Some("needs credentials")),
            (
                "world:anyone:r,auth::cdrwa",
                &nobody,
                Some("needs credentials"),
            ),
            ("open", &nobody, None),
            // It could create and delete, but not list its own queue.
            ("auth::cd", &alice, Some(refused)),
            ("locked-down", &alice, None),
            ("locked-down", &sasl_bob, None),
            // Create from one entry, delete from another.
            (&format!("world:anyone:cr,digest:{ALICE}:d"), &alice, None),
            (
                &format!("world:anyone:r,digest:{ALICE}:cdrwa"),
                &alice,
                None,
            ),
            (
                &format!("world:anyone:r,digest:{ALICE}:cdrwa"),
                &sasl_bob,
                Some(refused),
            ),
            ("world:anyone:r,sasl:bob:cdrwa", &sasl_bob, None),
            ("world:anyone:r,sasl:bob:cdrwa", &alice, Some(refused)),
            ("ip:10.0.0.0/8:cdrwa", &nobody, None),
            ("x509:CN=alice:cdrwa", &certified, None),
            ("x509:CN=alice:cdrwa", &nobody, Some(refused)),
        ] {
            match (usable(acl, identity), says) {
                (Ok(()), None) => {}
                (Err(error), Some(says)) => assert!(error.contains(says), "{acl}: {error}"),
                (result, _) => panic!("{acl} for {identity:?}: {result:?}"),
            }
        }
    }
}
