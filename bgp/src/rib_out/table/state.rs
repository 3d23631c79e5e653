//! The queue state of one prefix and its two flags, packed in one word.

use super::GroupId;

/// The first group id: the values below it tell the other [`Queued`] states apart.
pub(super) const FIRST_GROUP: GroupId = 2;

/// Whether a prefix waits in a queue, and which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Queued {
    No,
    Withdraw,
    Announce(GroupId),
}

/// A prefix's [`Queued`] state and its two flags in one word (the enum alone takes two;
/// it is in every one of 100,000 map entries). Group ids start at [`FIRST_GROUP`], so 0
/// and 1 of the low bits are free for the other states; the two top bits are the flags
/// (group ids never get near them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct PrefixState(u64);

impl PrefixState {
    const RESEND: u64 = 1 << 63;
    const MARK: u64 = 1 << 62;
    pub(super) const QUEUED: u64 = Self::MARK - 1;

    /// Not queued, no flag but `mark`.
    pub(super) fn new(mark: bool) -> PrefixState {
        let mut state = PrefixState::default();
        state.set_mark(mark);
        state
    }

    pub(super) fn queued(self) -> Queued {
        match self.0 & Self::QUEUED {
            0 => Queued::No,
            1 => Queued::Withdraw,
            group => Queued::Announce(group),
        }
    }

    pub(super) fn set_queued(&mut self, queued: Queued) {
        let bits = match queued {
            Queued::No => 0,
            Queued::Withdraw => 1,
            Queued::Announce(group) => {
                debug_assert!((FIRST_GROUP..=Self::QUEUED).contains(&group));
                group & Self::QUEUED
            }
        };
        self.0 = (self.0 & !Self::QUEUED) | bits;
    }

    /// The queue state, leaving it [`Queued::No`].
    pub(super) fn take_queued(&mut self) -> Queued {
        let old = self.queued();
        self.set_queued(Queued::No);
        old
    }

    /// Announce again even if unchanged (ROUTE-REFRESH).
    pub(super) fn resend(self) -> bool {
        self.0 & Self::RESEND != 0
    }

    pub(super) fn set_resend(&mut self, on: bool) {
        self.set_flag(Self::RESEND, on);
    }

    /// Set by the last [`Table::replace`] (or an announce since) on every desired route.
    pub(super) fn mark(self) -> bool {
        self.0 & Self::MARK != 0
    }

    pub(super) fn set_mark(&mut self, on: bool) {
        self.set_flag(Self::MARK, on);
    }

    fn set_flag(&mut self, flag: u64, on: bool) {
        if on {
            self.0 |= flag;
        } else {
            self.0 &= !flag;
        }
    }
}

#[cfg(test)]
mod tests;
