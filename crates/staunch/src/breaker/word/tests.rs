//! Unit tests of the pure transition functions.

use super::*;

const RULES: Rules = Rules {
    consecutive: Some(3),
    success_threshold: 2,
};

fn fail(w: Word) -> Word {
    record(w, w.generation(), false, Kind::Failure, false, RULES).unwrap_or(w)
}

#[test]
fn consecutive_failures_open_once_and_bump_the_generation() {
    let w = fail(fail(Word::INITIAL));
    assert_eq!(
        (w.state(), w.failures(), w.generation()),
        (CircuitState::Closed, 2, 0)
    );
    let w = fail(w);
    assert_eq!(
        (w.state(), w.failures(), w.trips(), w.generation()),
        (CircuitState::Open, 3, 1, 1)
    );
    assert_eq!(
        record(w, 0, false, Kind::Failure, false, RULES),
        None,
        "stale"
    );
}

#[test]
fn clean_success_changes_nothing_and_a_success_resets_the_count() {
    let w = Word::INITIAL;
    assert_eq!(record(w, 0, false, Kind::Success, false, RULES), None);
    let w = fail(w);
    assert_eq!(
        record(w, 0, false, Kind::Success, false, RULES),
        Some(Word::clean_closed(0))
    );
}

#[test]
fn half_open_limits_probes_and_needs_the_success_threshold() {
    let open = fail(fail(fail(Word::INITIAL)));
    assert_eq!(admit(open, false, 2), Admit::Reject);
    let Admit::Probe { next: h } = admit(open, true, 2) else {
        panic!()
    };
    assert_eq!(
        (h.state(), h.probes(), h.generation()),
        (CircuitState::HalfOpen, 1, 2)
    );
    let Admit::Probe { next: h } = admit(h, false, 2) else {
        panic!()
    };
    assert_eq!(admit(h, false, 2), Admit::Reject);
    let h = record(h, 2, true, Kind::Success, false, RULES).unwrap();
    assert_eq!((h.probes(), h.successes()), (1, 1));
    assert_eq!(
        admit(h, false, 2),
        Admit::Reject,
        "1 in flight + 1 done = 2"
    );
    let c = record(h, 2, true, Kind::Success, false, RULES).unwrap();
    assert_eq!(c, Word::clean_closed(3));
}

#[test]
fn a_failed_or_slow_probe_reopens_with_one_more_trip() {
    let open = fail(fail(fail(Word::INITIAL)));
    let Admit::Probe { next: h } = admit(open, true, 1) else {
        panic!()
    };
    for kind in [Kind::Failure, Kind::Slow] {
        let o = record(h, h.generation(), true, kind, false, RULES).unwrap();
        assert_eq!(
            (o.state(), o.trips(), o.generation()),
            (CircuitState::Open, 2, 3)
        );
    }
    let released = record(h, h.generation(), true, Kind::Released, false, RULES).unwrap();
    assert_eq!(
        (released.state(), released.probes()),
        (CircuitState::HalfOpen, 0)
    );
}

#[test]
fn window_mode_trips_on_the_window_verdict_only() {
    let rules = Rules {
        consecutive: None,
        success_threshold: 1,
    };
    let w = Word::INITIAL;
    assert_eq!(record(w, 0, false, Kind::Failure, false, rules), None);
    let o = record(w, 0, false, Kind::Slow, true, rules).unwrap();
    assert_eq!(o.state(), CircuitState::Open);
}

#[test]
fn manual_moves_clear_and_change_generation_only_on_a_change_of_state() {
    let w = fail(Word::INITIAL);
    assert_eq!(manual(w, Manual::Reset), Some(Word::clean_closed(0)));
    assert_eq!(manual(Word::INITIAL, Manual::Reset), None);
    let f = manual(w, Manual::To(CircuitState::ForcedOpen)).unwrap();
    assert_eq!((f.state(), f.generation()), (CircuitState::ForcedOpen, 1));
    assert_eq!(manual(f, Manual::To(CircuitState::ForcedOpen)), None);
    assert_eq!(admit(f, true, 1), Admit::Reject);
    let d = manual(f, Manual::To(CircuitState::Disabled)).unwrap();
    assert_eq!(admit(d, false, 1), Admit::Pass { generation: 2 });
}

#[test]
fn generations_wrap_and_counters_saturate() {
    let w = Word::pack(CircuitState::Closed, GEN_MASK, 70_000, 300, 300, 300);
    assert_eq!(
        (w.failures(), w.probes(), w.successes(), w.trips()),
        (0xFFFF, 255, 255, 255)
    );
    assert_eq!(w.enter(CircuitState::Open).generation(), 0);
}

#[test]
fn forcing_open_keeps_the_counts_of_the_word() {
    let w = fail(fail(Word::INITIAL));
    let forced = manual(w, Manual::To(CircuitState::ForcedOpen)).unwrap();
    assert_eq!(
        (forced.state(), forced.failures(), forced.generation()),
        (CircuitState::ForcedOpen, 2, 1)
    );
    let open = fail(fail(fail(Word::INITIAL)));
    let forced = manual(open, Manual::To(CircuitState::ForcedOpen)).unwrap();
    assert_eq!((forced.failures(), forced.trips()), (3, 1));
}

#[test]
fn a_disabled_breaker_still_counts_consecutive_failures() {
    let disabled = manual(Word::INITIAL, Manual::To(CircuitState::Disabled)).unwrap();
    let g = disabled.generation();
    assert_eq!(
        record(disabled, g, false, Kind::Success, false, RULES),
        None
    );
    let once = record(disabled, g, false, Kind::Failure, false, RULES).unwrap();
    let twice = record(once, g, false, Kind::Failure, false, RULES).unwrap();
    let thrice = record(twice, g, false, Kind::Failure, false, RULES).unwrap();
    assert_eq!(
        (thrice.state(), thrice.failures()),
        (CircuitState::Disabled, 3),
        "counted, never tripped"
    );
    let cleared = record(thrice, g, false, Kind::Slow, false, RULES).unwrap();
    assert_eq!(
        (cleared.state(), cleared.failures()),
        (CircuitState::Disabled, 0)
    );
    assert_eq!(record(once, g, false, Kind::Released, false, RULES), None);
    let window = Rules {
        consecutive: None,
        ..RULES
    };
    assert_eq!(record(once, g, false, Kind::Failure, false, window), None);
}

#[test]
fn a_failed_probe_counts_one_more_failure_and_a_slow_one_does_not() {
    let open = fail(fail(fail(Word::INITIAL)));
    let Admit::Probe { next: probing } = admit(open, true, 1) else {
        panic!()
    };
    let g = probing.generation();
    let failed = record(probing, g, true, Kind::Failure, false, RULES).unwrap();
    assert_eq!((failed.state(), failed.failures()), (CircuitState::Open, 4));
    let slow = record(probing, g, true, Kind::Slow, false, RULES).unwrap();
    assert_eq!((slow.state(), slow.failures()), (CircuitState::Open, 3));
}

#[test]
fn widening_finds_the_count_of_changes_nearest_the_reading() {
    // The reading is exact, behind or ahead by a little, and across a wrap.
    assert_eq!(widen(5, 5), 5);
    assert_eq!(widen(5, 9), 9);
    assert_eq!(widen(9, 5), 5);
    let wrap = 3 << 21;
    assert_eq!(widen(wrap - 2, 1), wrap + 1);
    assert_eq!(widen(wrap + 1, GEN_MASK), wrap - 1);
    // The farthest either way that is still told apart.
    assert_eq!(widen(wrap, (1 << 20) - 1), wrap + (1 << 20) - 1);
    assert_eq!(widen(wrap, 1 << 20), wrap - (1 << 20));
    // The same generation 2²¹ changes later is another era.
    assert_eq!(era(widen(wrap + 7, 7)), 3);
    assert_eq!(era(widen(wrap + (1 << 21) + 7, 7)), 4);
}
