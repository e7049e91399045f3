//! Linux networking: VRRP raw sockets, gratuitous ARP / unsolicited NA, rtnetlink.
