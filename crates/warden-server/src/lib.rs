//! warden-server
