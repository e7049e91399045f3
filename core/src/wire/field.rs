//! Byte ranges of the fields of a VRRP advertisement (RFC 9568 §5.1, RFC 3768 §5.1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! v3: |(rsvd) |     Max Adver Int     |          Checksum         |
//! v2: |   Auth Type   |   Adver Int   |          Checksum         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       IPvX Address(es)                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! v2 only: |             Authentication Data (8 octets)           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use core::ops::Range;

/// A field that spans octets.
pub type Field = Range<usize>;

/// Version (high nibble) and Type (low nibble).
pub const VER_TYPE: usize = 0;
/// Virtual Router Identifier.
pub const VRID: usize = 1;
/// Priority.
pub const PRIORITY: usize = 2;
/// Count IPvX Addr.
pub const COUNT: usize = 3;
/// v3: 4 reserved bits and the 12-bit Max Adver Int, in centiseconds.
pub const V3_MAX_ADVER_INT: Field = 4..6;
/// v2: Auth Type.
pub const V2_AUTH_TYPE: usize = 4;
/// v2: Adver Int, in seconds.
pub const V2_ADVER_INT: usize = 5;
/// Checksum.
pub const CHECKSUM: Field = 6..8;
/// Start of the address list.
pub const ADDRESSES: usize = 8;
