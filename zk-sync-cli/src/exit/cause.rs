//! Which exit code an error from the libraries gets, and how it reads: every such error
//! zk-sync reports goes through [`code_of`].

use super::{BAD_INPUT, HOLD_LOST, INTERNAL, NO_PERMISSION, UNAVAILABLE, USAGE, ZOOKEEPER};
use zk_sync_barrier::Error as BarrierError;
use zk_sync_core::{Error, InvalidArgument, ZkErrorCode};

/// An error from the core, or from a recipe that has errors of its own.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cause<'a> {
    Core(&'a Error),
    Barrier(&'a BarrierError),
}

impl<'a> From<&'a Error> for Cause<'a> {
    fn from(error: &'a Error) -> Cause<'a> {
        Cause::Core(error)
    }
}

impl<'a> From<&'a BarrierError> for Cause<'a> {
    fn from(error: &'a BarrierError) -> Cause<'a> {
        Cause::Barrier(error)
    }
}

/// When the error was met, which decides what a lost session means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum When {
    /// Before anything was held, or with nothing to hold (connecting, waiting, reading): the
    /// session is gone, ZooKeeper unavailable.
    NothingHeld,
    /// Giving a hold back after the run: the session took the hold with it.
    GivingBack,
}

/// The exit code for `cause`, met `when`.
///
/// A hold reported lost (a lease run out, a node deleted by someone else, a barrier member
/// gone, or any end of the session while giving back) is [`HOLD_LOST`], as a loss while the
/// command runs is; a session lost with nothing held is [`UNAVAILABLE`].
pub(crate) fn code_of(cause: Cause<'_>, when: When) -> u8 {
    let error = match cause {
        Cause::Core(error) => error,
        Cause::Barrier(BarrierError::Zk(error)) => error,
        Cause::Barrier(BarrierError::MemberLost { .. }) => return HOLD_LOST,
        Cause::Barrier(BarrierError::ZeroParticipants) => return USAGE,
        // Entering twice or leaving unentered is zk-sync's own mistake, as is a variant it
        // does not know.
        Cause::Barrier(_) => return INTERNAL,
    };
    if error.is_no_auth() {
        return NO_PERMISSION;
    }
    if when == When::GivingBack && error.is_hold_lost() {
        return HOLD_LOST;
    }
    match error {
        Error::LeaseExpired | Error::NodeDeleted { .. } => HOLD_LOST,
        Error::InvalidArgument(
            InvalidArgument::ConnectString(_)
            | InvalidArgument::EmptyPath
            | InvalidArgument::RelativePath(_)
            | InvalidArgument::TrailingSlash(_)
            | InvalidArgument::EmptySegment(_)
            | InvalidArgument::RelativeSegment(_)
            | InvalidArgument::ForbiddenCharacter(_)
            | InvalidArgument::RootPath,
        ) => BAD_INPUT,
        Error::InvalidArgument(_) => USAGE,
        Error::Connect { .. } | Error::SessionLost | Error::Closed => UNAVAILABLE,
        Error::Zk {
            code: ZkErrorCode::ConnectionLoss | ZkErrorCode::Timeout,
            ..
        } => UNAVAILABLE,
        _ => ZOOKEEPER,
    }
}

/// The error's text, without the "invalid argument" preamble.
pub(crate) fn describe(cause: Cause<'_>) -> String {
    match cause {
        Cause::Core(Error::InvalidArgument(why))
        | Cause::Barrier(BarrierError::Zk(Error::InvalidArgument(why))) => why.to_string(),
        Cause::Core(other) => other.to_string(),
        Cause::Barrier(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(error: &Error) -> u8 {
        code_of(Cause::Core(error), When::NothingHeld)
    }

    fn barrier(error: &BarrierError) -> u8 {
        code_of(Cause::Barrier(error), When::NothingHeld)
    }

    #[test]
    fn a_hold_reported_lost_is_75_whenever_it_is_met() {
        let deleted = Error::NodeDeleted {
            path: "/a/_c_x-lock-0000000001".to_owned(),
        };
        for when in [When::NothingHeld, When::GivingBack] {
            assert_eq!(code_of(Cause::Core(&Error::LeaseExpired), when), HOLD_LOST);
            assert_eq!(code_of(Cause::Core(&deleted), when), HOLD_LOST);
        }
        let member = BarrierError::MemberLost {
            path: "/b/1".to_owned(),
        };
        assert_eq!(barrier(&member), HOLD_LOST);
    }

    #[test]
    fn a_lost_session_is_unavailable_unless_it_took_a_hold_with_it() {
        for error in [Error::SessionLost, Error::Closed] {
            assert_eq!(code(&error), UNAVAILABLE, "{error}");
            assert_eq!(
                code_of(Cause::Core(&error), When::GivingBack),
                HOLD_LOST,
                "{error}"
            );
            assert_eq!(barrier(&BarrierError::Zk(error.clone())), UNAVAILABLE);
        }
    }

    #[test]
    fn barrier_errors_map_like_the_cores_and_misuse_is_internal() {
        assert_eq!(barrier(&BarrierError::AlreadyEntered), INTERNAL);
        assert_eq!(barrier(&BarrierError::NotEntered), INTERNAL);
        assert_eq!(barrier(&BarrierError::ZeroParticipants), USAGE);
        let refused = Error::zk("create", "/b", ZkErrorCode::NoAuth);
        assert_eq!(barrier(&BarrierError::Zk(refused.clone())), NO_PERMISSION);
        assert_eq!(code(&refused), NO_PERMISSION);
        let relative = Error::InvalidArgument(InvalidArgument::RelativePath("b".to_owned()));
        assert_eq!(barrier(&BarrierError::Zk(relative.clone())), BAD_INPUT);
        assert_eq!(
            describe(Cause::Barrier(&BarrierError::Zk(relative))),
            "path \"b\" must start with '/'"
        );
    }

    #[test]
    fn other_refusals_are_76_and_connection_trouble_69() {
        let exists = Error::zk("create", "/a", ZkErrorCode::NodeExists);
        assert_eq!(code(&exists), ZOOKEEPER);
        assert_eq!(code_of(Cause::Core(&exists), When::GivingBack), ZOOKEEPER);
        let lost = Error::zk("delete", "/a", ZkErrorCode::ConnectionLoss);
        assert_eq!(code(&lost), UNAVAILABLE);
    }
}
