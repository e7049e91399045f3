//! Lab support: network namespaces, veth, bridge; used by tests and `vrrp-lab`.
