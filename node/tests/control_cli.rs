//! `vrrpctl` against a stand-in vrrpd: what it sends, what it prints for each reply, and
//! that an error reply (or no reply) makes it exit non-zero. No root needed.

use std::io::BufReader;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::{Command, Output};

use vrrp_core::stats::NewMasterReason;
use vrrp_core::wire::{Family, Version};
use vrrp_core::{State, Stats};
use vrrp_node::control::protocol::{read_message, write_message, MAX_REQUEST_LEN};
use vrrp_node::control::status::InstanceStatus;
use vrrp_node::control::{Reply, Request, Status};

/// Runs `vrrpctl status [extra]` against a server that answers its one connection with
/// `answer` (written as-is), and returns what vrrpctl printed and the request it sent.
fn vrrpctl_against(answer: Vec<u8>, extra: &[&str]) -> (Output, Request) {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("vrrpd.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    let server = std::thread::spawn(move || {
        use std::io::Write;
        let (mut stream, _) = listener.accept().unwrap();
        let request: Request = read_message(BufReader::new(&stream), MAX_REQUEST_LEN, "request").unwrap();
        stream.write_all(&answer).unwrap();
        request
    });
    let out = vrrpctl(&socket, extra);
    (out, server.join().unwrap())
}

fn vrrpctl(socket: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vrrpctl"))
        .args(["--socket", socket.to_str().unwrap(), "status"])
        .args(extra)
        .output()
        .expect("run vrrpctl")
}

fn reply(reply: &Reply) -> Vec<u8> {
    let mut line = Vec::new();
    write_message(&mut line, reply).unwrap();
    line
}

fn status() -> Status {
    Status {
        instances: vec![InstanceStatus {
            waiting: None,
            name: "vi_1".into(),
            interface: "eth0".into(),
            vrid: 51,
            family: Family::Ipv4,
            version: Version::V3,
            state: State::Master,
            priority: 150,
            effective_priority: 150,
            master_ip: Some("192.0.2.1".into()),
            distinct_masters: 1,
            transitions: vec![],
            advert_int_cs: 100,
            vips: vec!["192.0.2.10/24".into()],
            stats: Stats {
                sent_advertisements: 12,
                new_master_reason: NewMasterReason::Priority,
                auth_failures: 2,
                ..Stats::default()
            },
        }],
        ..Status::default()
    }
}

#[test]
fn status_json_prints_the_status_document_unwrapped() {
    let (out, sent) = vrrpctl_against(reply(&Reply::Status(status())), &["--json"]);
    assert_eq!(sent, Request::Status);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout, serde_json::to_string(&status()).unwrap() + "\n");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(doc.get("reply").is_none(), "{doc}");
    assert_eq!(doc["instances"][0]["state"], "MASTER");
    assert_eq!(doc["instances"][0]["family"], "IPv4");
    assert_eq!(doc["instances"][0]["version"], 3);
    assert_eq!(doc["instances"][0]["stats"]["new_master_reason"], "priority");
    assert_eq!(doc["instances"][0]["stats"]["auth_failures"], 2);
    assert_eq!(doc["instances"][0]["stats"]["actions_dropped"], 0);
}

#[test]
fn status_prints_the_table() {
    let (out, sent) = vrrpctl_against(reply(&Reply::Status(status())), &[]);
    assert_eq!(sent, Request::Status);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout, status().table());
    assert!(stdout.lines().nth(1).unwrap().starts_with("vi_1 "), "{stdout}");
}

#[test]
fn an_error_reply_is_printed_and_exits_non_zero() {
    for json in [false, true] {
        let message = "malformed request \"x\" (not a JSON object); vrrpd accepts …";
        let args: &[&str] = if json { &["--json"] } else { &[] };
        let (out, _) = vrrpctl_against(reply(&Reply::Error { message: message.into() }), args);
        assert!(!out.status.success(), "{out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr, format!("vrrpctl: vrrpd refused the request: {message}\n"));
    }
}

#[test]
fn a_reply_that_is_not_one_exits_non_zero() {
    for (answer, says) in [
        (b"ok: reload requested\n".to_vec(), "unexpected reply from vrrpd: malformed reply \"ok: reload requested\""),
        (
            reply(&Reply::HandoverStarted { instances: vec![] }),
            "unexpected reply from vrrpd to a status request: HandoverStarted",
        ),
        (Vec::new(), "unexpected reply from vrrpd: connection closed before a message arrived"),
    ] {
        let (out, _) = vrrpctl_against(answer, &["--json"]);
        assert!(!out.status.success(), "{out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.starts_with(&format!("vrrpctl: {says}")), "{stderr}");
    }
}

#[test]
fn no_vrrpd_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = vrrpctl(&dir.path().join("none.sock"), &[]);
    assert!(!out.status.success(), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("vrrpctl: cannot reach vrrpd at "), "{stderr}");
}
