//! keepalived.conf reader (VRRP part).
