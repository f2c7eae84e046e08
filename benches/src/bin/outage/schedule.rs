//! The scenario's time line: healthy, then the outage in three acts, then healthy again.

use std::time::Duration;

/// What the dependency does at a given moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Healthy, before the outage.
    Before,
    /// The port is closed: connections are refused.
    Refused,
    /// Every request is answered `503`.
    Unavailable,
    /// Requests are read and never answered.
    Hanging,
    /// Healthy again.
    After,
}

/// Every phase, in order (and in the order of [`Phase`]'s discriminants).
pub(crate) const PHASES: [Phase; 5] = [
    Phase::Before,
    Phase::Refused,
    Phase::Unavailable,
    Phase::Hanging,
    Phase::After,
];

impl Phase {
    /// Whether the dependency is down in this phase.
    pub(crate) fn is_outage(self) -> bool {
        matches!(self, Phase::Refused | Phase::Unavailable | Phase::Hanging)
    }
}

/// How long each phase lasts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Schedule {
    pub(crate) before: Duration,
    pub(crate) refused: Duration,
    pub(crate) unavailable: Duration,
    pub(crate) hanging: Duration,
    pub(crate) after: Duration,
}

impl Schedule {
    /// When the outage starts.
    pub(crate) fn outage_start(&self) -> Duration {
        self.before
    }

    /// When the dependency is back.
    pub(crate) fn outage_end(&self) -> Duration {
        self.before + self.refused + self.unavailable + self.hanging
    }

    /// When the scenario ends.
    pub(crate) fn total(&self) -> Duration {
        self.outage_end() + self.after
    }

    /// The phase at `elapsed` since the start.
    pub(crate) fn phase_at(&self, elapsed: Duration) -> Phase {
        let mut end = Duration::ZERO;
        for (phase, length) in
            PHASES
                .into_iter()
                .zip([self.before, self.refused, self.unavailable, self.hanging])
        {
            end += length;
            if elapsed < end {
                return phase;
            }
        }
        Phase::After
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_follow_each_other() {
        let ms = Duration::from_millis;
        let s = Schedule {
            before: ms(100),
            refused: ms(100),
            unavailable: ms(100),
            hanging: ms(100),
            after: ms(100),
        };
        let seen: Vec<Phase> = [0, 150, 250, 399, 400, 10_000]
            .map(|t| s.phase_at(ms(t)))
            .to_vec();
        assert_eq!(
            seen,
            [
                Phase::Before,
                Phase::Refused,
                Phase::Unavailable,
                Phase::Hanging,
                Phase::After,
                Phase::After
            ]
        );
        assert_eq!(
            (s.outage_start(), s.outage_end(), s.total()),
            (ms(100), ms(400), ms(500))
        );
    }
}
