//! Deterministic multi-router simulator running the real vrrp-core.
