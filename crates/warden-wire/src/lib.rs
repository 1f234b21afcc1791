//! AWS wire protocols for warden: Query and JSON decoding, XML encoding, the
//! error envelope, and SigV4 verification.

pub mod sigv4;
