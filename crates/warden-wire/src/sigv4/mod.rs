//! SigV4 verification (server side).
