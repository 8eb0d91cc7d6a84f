// What the host says in a `wasi:http` `internal-error` that the guest reads back: written once
// here and `include!`d by both sides (`host-test/src/transport.rs` writes it,
// `src/http/codes.rs` reads it), so that neither matches a string the other may change.

/// The start of the host's message for a certificate it rejected (`internal-error`, since the
/// `TLS-certificate-error` code has no room for the reason): the guest does not retry it.
pub const TLS_CERTIFICATE_ERROR: &str = "TLS certificate error";
