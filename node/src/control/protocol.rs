//! Requests, replies and their framing: one JSON object per line, each way, bounded.

use std::io::{self, BufRead, Write};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::status::Status;

/// Longest request line vrrpd reads, newline excluded. Requests are a few dozen bytes.
pub const MAX_REQUEST_LEN: usize = 4096;

/// Longest reply line `vrrpctl` reads, newline excluded: a status of every instance vrrpd can
/// run is well under a megabyte.
pub const MAX_REPLY_LEN: usize = 16 << 20;

/// How much of a rejected line an error message quotes.
const QUOTE_LEN: usize = 200;

/// What a client asks vrrpd. On the wire: `{"request":"status"}`, `{"request":"reload"}`,
/// `{"request":"handover"}` (every master) or `{"request":"handover","instance":"VI_1"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum Request {
    /// A fresh [`Status`] of every instance.
    Status,
    /// Re-read the configuration. Not implemented yet: vrrpd acknowledges it and logs a
    /// warning that a restart is needed.
    Reload,
    /// The counters as they are, then set back to zero (keepalived's STATS_CLEAR).
    StatsClear,
    /// Make-before-break handover of one MASTER instance, or of every one
    /// (`vrrp_core::Instance::handle_handover`).
    Handover {
        /// The `vrrp_instance` name; none: every instance that is MASTER.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instance: Option<String>,
    },
}

impl Request {
    /// Every request vrrpd understands.
    pub const ALL: [Request; 4] =
        [Request::Status, Request::Reload, Request::StatsClear, Request::Handover { instance: None }];

    /// Whether the request changes vrrpd's state (only root and vrrpd's own user may make
    /// those); [`Request::Status`] only reads it.
    pub fn changes_state(&self) -> bool {
        match self {
            Request::Status => false,
            Request::Reload | Request::StatsClear | Request::Handover { .. } => true,
        }
    }

    /// Its name on the wire, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Request::Status => "status",
            Request::Reload => "reload",
            Request::StatsClear => "stats_clear",
            Request::Handover { .. } => "handover",
        }
    }

    /// The accepted requests as they are written on the wire, for error messages.
    pub fn accepted() -> String {
        let lines: Vec<String> = Self::ALL.iter().map(|r| serde_json::to_string(r).unwrap_or_default()).collect();
        lines.join(" or ")
    }
}

/// What vrrpd answers. On the wire: `{"reply":"status", …the Status fields…}`,
/// `{"reply":"reloaded","kept":["VI_1"],"changed":[],"added":[],"removed":[]}`, `{"reply":"handover_started","instances":["VI_1"]}`,
/// `{"reply":"error","message":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// Answer to [`Request::Status`].
    Status(Status),
    /// Answer to [`Request::Reload`]: the new configuration is in force; what it changed.
    Reloaded(ReloadSummary),
    /// Answer to [`Request::StatsClear`]: the status just before the counters were cleared.
    StatsCleared(Status),
    /// Answer to [`Request::Handover`]: these MASTER instances were passed on to the
    /// protocol loop, which hands each over.
    HandoverStarted {
        /// Their names.
        instances: Vec<String>,
    },
    /// The request was not understood (or could not be answered); `message` says what was
    /// received and what is accepted.
    Error {
        /// For a person to read.
        message: String,
    },
}

impl Reply {
    /// The answer to a line that was not a request: quotes what arrived, names what is accepted.
    pub fn rejecting(error: &FrameError) -> Reply {
        Reply::Error { message: format!("{error}; vrrpd accepts one JSON object per line: {}", Request::accepted()) }
    }
}

/// What a reload did, by instance name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReloadSummary {
    /// Same configuration: state, timers, VIPs and counters kept, nothing sent.
    pub kept: Vec<String>,
    /// Same virtual router (interface, VRID, family), new settings: state kept.
    pub changed: Vec<String>,
    /// New virtual routers, started.
    pub added: Vec<String>,
    /// Gone from the file: a MASTER among them hands over as at shutdown.
    pub removed: Vec<String>,
    /// In the file, waiting (FAULT) for their interface: they start when it is ready.
    /// Absent from an older vrrpd's reply: none.
    #[serde(default)]
    pub waiting: Vec<String>,
}

impl ReloadSummary {
    /// One line each for `vrrpctl reload` and the log: `kept: VI_1, VI_2; added: VI_3`.
    pub fn line(&self) -> String {
        let parts: Vec<String> = [
            ("kept", &self.kept),
            ("changed", &self.changed),
            ("added", &self.added),
            ("removed", &self.removed),
            ("waiting for their interface", &self.waiting),
        ]
        .into_iter()
        .filter(|(_, names)| !names.is_empty())
        .map(|(what, names)| format!("{what}: {}", names.join(", ")))
        .collect();
        if parts.is_empty() {
            "no instances".into()
        } else {
            parts.join("; ")
        }
    }
}

/// Why a line could not be read as a message.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The connection failed or timed out.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The peer closed the connection without sending anything.
    #[error("connection closed before a message arrived")]
    Closed,
    /// No newline within `max` bytes; the rest is not read.
    #[error("message longer than {max} bytes")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// A line arrived but is not the expected JSON.
    #[error("malformed {what} {received:?} ({reason})")]
    Malformed {
        /// "request" or "reply".
        what: &'static str,
        /// The line (its first 200 characters).
        received: String,
        /// What the JSON parser said.
        reason: String,
    },
}

/// Writes `message` as one line of JSON.
pub fn write_message<T: Serialize>(mut to: impl Write, message: &T) -> io::Result<()> {
    let mut line = serde_json::to_vec(message).map_err(io::Error::other)?;
    line.push(b'\n');
    to.write_all(&line)?;
    to.flush()
}

/// Reads one line of at most `max` bytes (newline excluded) and parses it as a `T`;
/// `what` names it in errors. A last line without a newline is accepted.
pub fn read_message<T: DeserializeOwned>(from: impl BufRead, max: usize, what: &'static str) -> Result<T, FrameError> {
    let mut line = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    from.take(limit).read_until(b'\n', &mut line)?;
    if line.last() == Some(&b'\n') {
        line.pop();
    } else if line.len() > max {
        return Err(FrameError::TooLong { max });
    } else if line.is_empty() {
        return Err(FrameError::Closed);
    }
    let malformed = |reason: String| FrameError::Malformed {
        what,
        received: String::from_utf8_lossy(&line).chars().take(QUOTE_LEN).collect(),
        reason,
    };
    // serde would also take a tagged enum written as an array; the protocol is objects.
    if line.trim_ascii_start().first() != Some(&b'{') {
        return Err(malformed("not a JSON object".into()));
    }
    serde_json::from_slice(&line).map_err(|e| malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::status::InstanceStatus;
    use vrrp_core::stats::NewMasterReason;
    use vrrp_core::wire::{Family, Version};
    use vrrp_core::{State, Stats};

    fn read_request(bytes: &[u8]) -> Result<Request, FrameError> {
        read_message(bytes, MAX_REQUEST_LEN, "request")
    }

    fn status() -> Status {
        let stats = Stats { rcvd_advertisements: 7, new_master_reason: NewMasterReason::Priority, ..Stats::default() };
        Status {
            instances: vec![InstanceStatus {
                waiting: None,
                name: "vi_1".into(),
                interface: "eth0".into(),
                vrid: 51,
                family: Family::Ipv6,
                version: Version::V3,
                state: State::Master,
                priority: 150,
                effective_priority: 150,
                master_ip: Some("fe80::1".into()),
                distinct_masters: 1,
                transitions: vec![],
                advert_int_cs: 100,
                vips: vec!["2001:db8::1/64".into()],
                stats,
            }],
            ..Status::default()
        }
    }

    #[test]
    fn requests_are_tagged_objects_and_round_trip() {
        let mut wire = Vec::new();
        let one = Request::Handover { instance: Some("VI_1".into()) };
        let all: Vec<Request> = Request::ALL.into_iter().chain([one]).collect();
        for request in &all {
            write_message(&mut wire, request).unwrap();
        }
        assert_eq!(
            String::from_utf8(wire.clone()).unwrap(),
            "{\"request\":\"status\"}\n{\"request\":\"reload\"}\n{\"request\":\"stats_clear\"}\n\
             {\"request\":\"handover\"}\n\
             {\"request\":\"handover\",\"instance\":\"VI_1\"}\n"
        );
        let mut from = &wire[..];
        for request in all {
            assert_eq!(read_message::<Request>(&mut from, MAX_REQUEST_LEN, "request").unwrap(), request);
        }
        assert!(matches!(read_request(from), Err(FrameError::Closed)));
    }

    #[test]
    fn names_are_the_wire_tags_and_only_status_leaves_the_state_alone() {
        for request in Request::ALL {
            let wire = serde_json::to_string(&request).unwrap();
            assert_eq!(wire, format!("{{\"request\":\"{}\"}}", request.name()));
            assert_eq!(request.changes_state(), request != Request::Status, "{wire}");
        }
    }

    #[test]
    fn replies_round_trip() {
        let replies = [
            Reply::Status(status()),
            Reply::Reloaded(ReloadSummary { kept: vec!["VI_1".into()], ..Default::default() }),
            Reply::StatsCleared(status()),
            Reply::HandoverStarted { instances: vec!["VI_1".into()] },
            Reply::Error { message: "no \"x\"".into() },
        ];
        for reply in replies {
            let mut wire = Vec::new();
            write_message(&mut wire, &reply).unwrap();
            assert_eq!(wire.iter().filter(|&&b| b == b'\n').count(), 1, "one line");
            assert_eq!(read_message::<Reply>(&wire[..], MAX_REPLY_LEN, "reply").unwrap(), reply);
        }
    }

    #[test]
    fn a_status_reply_is_the_status_document_plus_its_tag() {
        let reply = serde_json::to_value(Reply::Status(status())).unwrap();
        let mut document = serde_json::to_value(status()).unwrap();
        document.as_object_mut().unwrap().insert("reply".into(), "status".into());
        assert_eq!(reply, document);
        assert_eq!(reply["instances"][0]["state"], "MASTER");
        assert_eq!(
            serde_json::to_string(&Reply::Reloaded(ReloadSummary {
                kept: vec!["VI_1".into()],
                added: vec!["VI_2".into()],
                ..Default::default()
            }))
            .unwrap(),
            r#"{"reply":"reloaded","kept":["VI_1"],"changed":[],"added":["VI_2"],"removed":[],"waiting":[]}"#
        );
    }

    #[test]
    fn an_unknown_request_is_named_in_the_error_with_what_is_accepted() {
        let err = read_request(b"{\"request\":\"frobnicate\"}\n").unwrap_err();
        assert!(matches!(&err, FrameError::Malformed { received, .. } if received == r#"{"request":"frobnicate"}"#));
        let Reply::Error { message } = Reply::rejecting(&err) else { panic!("not an error reply") };
        assert!(message.contains("frobnicate"), "{message}");
        assert!(
            message.contains(
                r#"{"request":"status"} or {"request":"reload"} or {"request":"stats_clear"} or {"request":"handover"}"#
            ),
            "{message}"
        );
    }

    #[test]
    fn malformed_json_and_old_text_requests_are_rejected_with_their_text() {
        for (line, quoted) in [
            (&b"status\n"[..], "\"status\""),
            (b"{\"request\":\n", "\"{\\\"request\\\":\""),
            (b"{}\n", "\"{}\""),
            (b"[\"status\"]\n", "\"[\\\"status\\\"]\""),
            (b"\xff\xfe\n", "\"\u{fffd}\u{fffd}\""),
            (b"\n", "\"\""),
        ] {
            let err = read_request(line).unwrap_err();
            assert!(matches!(err, FrameError::Malformed { what: "request", .. }), "{err:?}");
            let Reply::Error { message } = Reply::rejecting(&err) else { panic!("not an error reply") };
            assert!(message.starts_with(&format!("malformed request {quoted} (")), "{message}");
        }
        assert!(
            matches!(read_request(b"{}"), Err(FrameError::Malformed { reason, .. }) if reason.contains("missing field `request`"))
        );
    }

    #[test]
    fn an_oversize_line_is_refused_after_reading_at_most_the_limit() {
        let mut long = vec![b' '; 10 * MAX_REQUEST_LEN];
        long.extend_from_slice(b"{\"request\":\"status\"}\n");
        let mut from = &long[..];
        let err = read_message::<Request>(&mut from, MAX_REQUEST_LEN, "request").unwrap_err();
        assert!(matches!(err, FrameError::TooLong { max: MAX_REQUEST_LEN }));
        assert_eq!(long.len() - from.len(), MAX_REQUEST_LEN + 1, "read no further than the limit");
        let Reply::Error { message } = Reply::rejecting(&err) else { panic!("not an error reply") };
        assert!(message.starts_with("message longer than 4096 bytes"), "{message}");
        // Exactly at the limit is fine; whitespace around the object is JSON's business.
        let mut edge = vec![b' '; MAX_REQUEST_LEN - 20];
        edge.extend_from_slice(b"{\"request\":\"status\"}\n");
        assert_eq!(edge.len(), MAX_REQUEST_LEN + 1);
        assert_eq!(read_request(&edge).unwrap(), Request::Status);
    }

    #[test]
    fn a_last_line_without_newline_and_crlf_are_accepted() {
        assert_eq!(read_request(b"{\"request\":\"reload\"}").unwrap(), Request::Reload);
        assert_eq!(read_request(b"{\"request\":\"status\"}\r\n").unwrap(), Request::Status);
        assert_eq!(read_request(b"{\"request\":\"status\",\"from\":\"a newer vrrpctl\"}\n").unwrap(), Request::Status);
    }
}
