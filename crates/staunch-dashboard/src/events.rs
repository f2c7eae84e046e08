//! The transition feed: a registry listener publishing into a `tokio::sync::broadcast`
//! channel, and the server-sent-events stream that reads it.
//!
//! The listener runs on the thread that moved the breaker, so it only copies the
//! transition and sends it; everything else (snapshots, JSON) happens in the stream's task.
//!
//! Nothing grows without bound, whoever connects. Each stream buffers at most the channel's
//! capacity of transitions ([`Dashboard::event_capacity`](crate::Dashboard::event_capacity));
//! a reader that falls further behind gets a `lagged` event and is disconnected (a browser's
//! `EventSource` reconnects and starts again from a fresh snapshot). At most
//! [`Dashboard::max_event_streams`](crate::Dashboard::max_event_streams) streams are open at
//! once; more are answered `503` with `Retry-After`. The transition counts are kept for at
//! most [`MAX_COUNTED`] (breaker, from, to) triples: when full, the counts of breakers no
//! longer registered are dropped, and transitions of new breakers beyond that are not
//! counted. The listener holds the hub weakly: once every router built on it is dropped,
//! the listener does nothing.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use serde::Serialize;
use staunch::{Event, ListenerId, Registry, Snapshot, Transition};
use tokio::sync::{broadcast, OwnedSemaphorePermit};

use crate::error::ApiError;
use crate::state::{AppState, SharedRegistry};

/// The most (breaker, from, to) triples whose transitions are counted for `/metrics`.
pub(crate) const MAX_COUNTED: usize = 4096;

type Counts = BTreeMap<(String, &'static str, &'static str), u64>;

/// One transition as sent to subscribers.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TransitionRecord {
    pub(crate) name: String,
    pub(crate) from: &'static str,
    pub(crate) to: &'static str,
    /// The breaker's clock time of the transition, in milliseconds.
    pub(crate) at_ms: u64,
}

impl TransitionRecord {
    pub(crate) fn new(transition: &Transition) -> Self {
        Self {
            name: transition.name.clone(),
            from: transition.from.as_str(),
            to: transition.to.as_str(),
            at_ms: millis(transition.at),
        }
    }
}

/// Fans transitions out to the event streams and counts them for `/metrics`.
///
/// Its registry listener is removed when the last router built on it is dropped.
pub(crate) struct Hub {
    sender: broadcast::Sender<Arc<TransitionRecord>>,
    counts: Mutex<Counts>,
    registry: SharedRegistry,
    listener: ListenerId,
}

impl Hub {
    /// A hub listening to every present and future breaker of `registry`.
    pub(crate) fn listen(registry: SharedRegistry, capacity: usize) -> Arc<Self> {
        Arc::new_cyclic(|weak: &Weak<Self>| {
            let weak = weak.clone();
            let listener = registry.add_listener(move |event| {
                if let Some(hub) = weak.upgrade() {
                    hub.on_event(event);
                }
            });
            Self {
                sender: broadcast::channel(capacity).0,
                counts: Mutex::default(),
                registry,
                listener,
            }
        })
    }

    fn on_event(&self, event: &Event) {
        if let Event::Transition(transition) = event {
            let record = TransitionRecord::new(transition);
            self.count(&record);
            // No subscriber is not an error: the record is simply dropped.
            let _ = self.sender.send(Arc::new(record));
        }
    }

    /// Counts one transition, within [`MAX_COUNTED`] triples.
    fn count(&self, record: &TransitionRecord) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (record.name.clone(), record.from, record.to);
        if counts.len() >= MAX_COUNTED && !counts.contains_key(&key) {
            counts.retain(|(name, _, _), _| self.registry.get(name).is_some());
            if counts.len() >= MAX_COUNTED {
                return;
            }
        }
        *counts.entry(key).or_default() += 1;
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<TransitionRecord>> {
        self.sender.subscribe()
    }

    /// The registry the hub listens to.
    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Transitions seen since the hub was made, by breaker, from and to.
    pub(crate) fn transition_counts(&self) -> Vec<((String, &'static str, &'static str), u64)> {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.registry.remove_listener(self.listener);
    }
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("subscribers", &self.sender.receiver_count())
            .field("listener", &self.listener)
            .finish_non_exhaustive()
    }
}

/// The body of a `transition` event: the transition and the breaker's snapshot right after.
#[derive(Serialize)]
struct TransitionMessage<'a> {
    #[serde(flatten)]
    transition: &'a TransitionRecord,
    snapshot: Option<Snapshot>,
}

/// What one event stream holds: its place among the open streams (given back when the
/// stream is dropped), its receiver, and whether it has ended.
struct Reader {
    state: AppState,
    receiver: broadcast::Receiver<Arc<TransitionRecord>>,
    _place: OwnedSemaphorePermit,
    ended: bool,
}

/// `GET /api/v1/events`: a `snapshot` event first, then one `transition` event per
/// transition, and keep-alive comments; a reader that fell behind gets `lagged` (the number
/// of transitions it missed) and the stream ends. Beyond the cap on open streams,
/// `503 {"error": "too_many_streams"}`.
pub(crate) async fn stream(
    State(state): State<AppState>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let place = Arc::clone(state.streams())
        .try_acquire_owned()
        .map_err(|_| ApiError::TooManyStreams)?;
    let reader = Reader {
        receiver: state.hub().subscribe(),
        state,
        _place: place,
        ended: false,
    };
    let first = snapshot_event(&reader.state);
    let rest = stream::unfold(reader, |mut reader| async move {
        if reader.ended {
            return None;
        }
        let event = match reader.receiver.recv().await {
            Ok(record) => transition_event(&reader.state, &record),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                reader.ended = true;
                SseEvent::default().event("lagged").data(missed.to_string())
            }
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(event), reader))
    });
    let events = stream::once(async move { Ok(first) }).chain(rest);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn snapshot_event(state: &AppState) -> SseEvent {
    json_event(
        "snapshot",
        &crate::api::with_settings_errors(&state.registry().snapshot()),
    )
}

fn transition_event(state: &AppState, record: &TransitionRecord) -> SseEvent {
    let snapshot = state.registry().get(&record.name).map(|b| b.snapshot());
    let message = TransitionMessage {
        transition: record,
        snapshot,
    };
    json_event("transition", &message)
}

fn json_event(kind: &'static str, value: &impl Serialize) -> SseEvent {
    // Serializing these plain structs cannot fail; an empty object keeps the stream going
    // if it ever did.
    let data = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned());
    SseEvent::default().event(kind).data(data)
}

/// Whole milliseconds, saturating.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
