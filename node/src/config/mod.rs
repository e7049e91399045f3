//! keepalived.conf reader (VRRP part), with keepalived 2.2 semantics.
//!
//! Reading goes: `include` expands includes while lexing each file,
//! `document` parses sections into raw values, `semantic` applies
//! keepalived's defaults and cross-checks. Every stage reports into one
//! collector, so a single run lists every problem in the file set.

mod diagnostic;
mod document;
mod global;
mod ifname;
mod include;
mod instance;
mod lexer;
mod model;
mod number;
mod parser;
mod process;
mod raw;
mod render;
mod route;
mod script;
mod semantic;
mod source;
mod sync_group;
mod tracking;
mod vip;

use std::path::Path;

pub use diagnostic::{ConfigErrors, Diagnostic, Severity, SourceLocation, MAX_ERRORS};
pub use model::{
    Auth, AuthHmac, Config, Family, GlobalDefs, HmacAntiReplay, InitFile, InitialState, Notify, NotifyFifo, ParamMatch,
    Route, RouteKind, Rule, RuleAction, RunAs, Scope, ScriptCmd, SyncGroup, Track, TrackFile, TrackProcess,
    UnicastPeer, Version, Vip, Vmac, VrrpInstance, VrrpScript, RTPROT_KEEPALIVED,
};
pub use render::render_warnings;
pub use script::needs_shell;

use diagnostic::Reporter;
use lexer::Token;

/// How to read a file: [`load_with`]'s options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// `--strict`: refuse what keepalived would run with less authentication than the
    /// file asks for (an unknown `auth_type`, `auth_type PASS` without `auth_pass`...),
    /// without a tracked script, file, process or interface it cannot find or drops, or
    /// what vrrpd would run on another protocol version than keepalived (`version 2` with
    /// IPv6 addresses), instead of running it so with a warning.
    pub strict: bool,
}

/// A file that loads, and how many of its warnings keepalived reports as configuration
/// errors before running it anyway (`keepalived -t` then exits 5, and `vrrpd -t` too).
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub keepalived_errors: usize,
}

/// Reads `path` and the files it includes, with keepalived's recovery rules.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    load_with(path, ReadOptions::default()).map(|l| l.config)
}

/// [`load`], with options, telling how many warnings keepalived counts as errors.
pub fn load_with(path: &Path, options: ReadOptions) -> Result<Loaded, ConfigErrors> {
    let mut rep = Reporter::default();
    rep.strict = options.strict;
    let tokens = include::expand_file(path, &mut rep);
    finish(&tokens, rep)
}

/// Parses an in-memory text named `name` in diagnostics. Includes still read
/// the disk, relative to the current directory.
pub fn parse_str(name: &str, text: &str) -> Result<Config, ConfigErrors> {
    parse_str_with(name, text, ReadOptions::default()).map(|l| l.config)
}

/// [`parse_str`], with options.
pub fn parse_str_with(name: &str, text: &str, options: ReadOptions) -> Result<Loaded, ConfigErrors> {
    let mut rep = Reporter::default();
    rep.strict = options.strict;
    let tokens = include::expand_text(name, text, &mut rep);
    finish(&tokens, rep)
}

fn finish(tokens: &[Token], mut rep: Reporter) -> Result<Loaded, ConfigErrors> {
    let doc = document::parse_document(tokens, &mut rep);
    let resolved = semantic::resolve(doc, &mut rep);
    sort_by_position(&mut rep);
    rep.into_result(resolved).map(|(r, warnings, keepalived_errors)| Loaded {
        config: Config {
            global: r.global,
            instances: r.instances,
            scripts: r.scripts,
            track_files: r.track_files,
            track_processes: r.track_processes,
            sync_groups: r.sync_groups,
            warnings,
        },
        keepalived_errors,
    })
}

/// Stages report in their own order (lexing precedes parsing precedes
/// checks); users read files top to bottom, so present them that way.
fn sort_by_position(rep: &mut Reporter) {
    let sources = &rep.sources;
    let key = |d: &Diagnostic| sources.order_key(&d.location);
    rep.errors.sort_by_cached_key(key);
    rep.warnings.sort_by_cached_key(key);
}

#[cfg(test)]
mod keepalived_tests;
#[cfg(test)]
mod process_tests;
#[cfg(test)]
mod route_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tracking_tests;
