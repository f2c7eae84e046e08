//! The transition feed: a registry listener publishing into a `tokio::sync::broadcast`
//! channel, and the server-sent-events stream that reads it.
//!
//! The listener runs on the thread that moved the breaker, so it only copies the
//! transition and sends it; everything else (snapshots, JSON) happens in the stream's task.
//! A slow reader that falls behind the channel's capacity gets a `lagged` event and should
//! refetch the snapshot. The listener holds the hub weakly: once every router built on it is
//! dropped, the listener does nothing.

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
use tokio::sync::broadcast;

use crate::state::{AppState, SharedRegistry};

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
    counts: Mutex<BTreeMap<(String, &'static str, &'static str), u64>>,
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
            *self
                .counts
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry((record.name.clone(), record.from, record.to))
                .or_default() += 1;
            // No subscriber is not an error: the record is simply dropped.
            let _ = self.sender.send(Arc::new(record));
        }
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

/// `GET /api/v1/events`: a `snapshot` event first, then one `transition` event per
/// transition, `lagged` when this reader fell behind, and keep-alive comments.
pub(crate) async fn stream(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let receiver = state.hub().subscribe();
    let first = snapshot_event(&state);
    let rest = stream::unfold((state, receiver), |(state, mut receiver)| async move {
        let event = match receiver.recv().await {
            Ok(record) => transition_event(&state, &record),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                SseEvent::default().event("lagged").data(missed.to_string())
            }
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(event), (state, receiver)))
    });
    let events = stream::once(async move { Ok(first) }).chain(rest);
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
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
