//! The parser must survive any input: no panic, and every diagnostic points
//! at a real (1-based) position.

use proptest::prelude::*;
use vrrp_node::config::{parse_str, ConfigErrors};

fn check_positions(result: &Result<vrrp_node::config::Config, ConfigErrors>) {
    let (errors, warnings) = match result {
        Ok(c) => (&[][..], &c.warnings[..]),
        Err(e) => {
            // Rendering quotes source lines: exercise it on arbitrary input too.
            let _ = e.render();
            (&e.errors[..], &e.warnings[..])
        }
    };
    for d in errors.iter().chain(warnings) {
        assert!(d.location.line >= 1, "{d}");
        assert!(d.location.column >= 1, "{d}");
    }
}

/// Words that steer the parser into every section, mixed with junk; `include`
/// is left out so fuzzing never globs the file system.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("vrrp_instance".to_string()),
        Just("global_defs".to_string()),
        Just("virtual_server".to_string()),
        Just("authentication".to_string()),
        Just("auth_type".to_string()),
        Just("PASS".to_string()),
        Just("AH".to_string()),
        Just("auth_pass".to_string()),
        Just("virtual_ipaddress".to_string()),
        Just("virtual_ipaddress_excluded".to_string()),
        Just("interface".to_string()),
        Just("virtual_router_id".to_string()),
        Just("priority".to_string()),
        Just("advert_int".to_string()),
        Just("version".to_string()),
        Just("vrrp_version".to_string()),
        Just("state".to_string()),
        Just("MASTER".to_string()),
        Just("native_ipv6".to_string()),
        Just("mcast_src_ip".to_string()),
        Just("preempt_delay".to_string()),
        Just("dev".to_string()),
        Just("brd".to_string()),
        Just("+".to_string()),
        Just("scope".to_string()),
        Just("label".to_string()),
        Just("10.0.0.1/24".to_string()),
        Just("vrrp_script".to_string()),
        Just("script".to_string()),
        Just("interval".to_string()),
        Just("weight".to_string()),
        Just("reverse".to_string()),
        Just("rise".to_string()),
        Just("user".to_string()),
        Just("init_fail".to_string()),
        Just("vrrp_track_file".to_string()),
        Just("file".to_string()),
        Just("init_file".to_string()),
        Just("track_script".to_string()),
        Just("track_interface".to_string()),
        Just("track_file".to_string()),
        Just("notify_master".to_string()),
        Just("notify_fifo".to_string()),
        Just("notify_fifo_script".to_string()),
        Just("-20".to_string()),
        Just("'".to_string()),
        Just("\\".to_string()),
        Just("\\x4".to_string()),
        Just("\"/bin/x 'a b' \\\"c\\\" | d\"".to_string()),
        Just("fd00::1".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("\n".to_string()),
        Just("#".to_string()),
        Just("!".to_string()),
        Just("\"".to_string()),
        "[0-9]{1,4}(\\.[0-9]{1,3})?",
        "[a-z0-9./:]{1,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC*") {
        prop_assume!(!text.contains("include"));
        check_positions(&parse_str("fuzz.conf", &text));
    }

    #[test]
    fn arbitrary_lines_never_panic(text in "[a-z_{}\"#! \\n\\t0-9./:]{0,200}") {
        prop_assume!(!text.contains("include"));
        check_positions(&parse_str("fuzz.conf", &text));
    }

    #[test]
    fn keyword_soup_never_panics(tokens in proptest::collection::vec(token(), 0..120)) {
        let text = tokens.join(" ");
        check_positions(&parse_str("fuzz.conf", &text));
    }
}
