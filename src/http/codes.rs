//! Host error codes (`wasi:http/types.error-code`) as typed errors.

use super::transport::ErrorCode;
use crate::domain::Error;
use crate::errors::{lasting, transient};

include!("../../client/src/host_errors.rs");

/// The WIT name of a host error code (its `Debug` form would cost the component kilobytes).
pub(super) fn code_name(code: &ErrorCode) -> &'static str {
    match code {
        ErrorCode::DnsTimeout => "DNS-timeout",
        ErrorCode::DnsError(_) => "DNS-error",
        ErrorCode::DestinationNotFound => "destination-not-found",
        ErrorCode::DestinationUnavailable => "destination-unavailable",
        ErrorCode::DestinationIpProhibited => "destination-IP-prohibited",
        ErrorCode::DestinationIpUnroutable => "destination-IP-unroutable",
        ErrorCode::ConnectionRefused => "connection-refused",
        ErrorCode::ConnectionTerminated => "connection-terminated",
        ErrorCode::ConnectionTimeout => "connection-timeout",
        ErrorCode::ConnectionReadTimeout => "connection-read-timeout",
        ErrorCode::ConnectionWriteTimeout => "connection-write-timeout",
        ErrorCode::ConnectionLimitReached => "connection-limit-reached",
        ErrorCode::TlsProtocolError => "TLS-protocol-error",
        ErrorCode::TlsCertificateError => "TLS-certificate-error",
        ErrorCode::TlsAlertReceived(_) => "TLS-alert-received",
        ErrorCode::HttpRequestDenied => "HTTP-request-denied",
        ErrorCode::HttpRequestUriInvalid => "HTTP-request-URI-invalid",
        ErrorCode::HttpResponseIncomplete => "HTTP-response-incomplete",
        ErrorCode::HttpResponseBodySize(_) => "HTTP-response-body-size",
        ErrorCode::HttpResponseTimeout => "HTTP-response-timeout",
        ErrorCode::HttpProtocolError => "HTTP-protocol-error",
        ErrorCode::ConfigurationError => "configuration-error",
        ErrorCode::InternalError(_) => "internal-error",
        _ => "HTTP-error",
    }
}

/// A failure reported by the host, typed; whether trying again may help is decided here.
pub(super) fn from_code(code: ErrorCode, authority: &str) -> Error {
    match code {
        ErrorCode::DnsTimeout
        | ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => {
            Error::Timeout(transient(format!("{} talking to {authority}", code_name(&code))))
        }
        ErrorCode::HttpRequestDenied => {
            Error::Transport(lasting(format!("the host denied the request to {authority} (HTTP-request-denied)")))
        }
        ErrorCode::DestinationIpProhibited => Error::Transport(lasting(format!(
            "the host prohibits the address {authority} resolves to (destination-IP-prohibited)"
        ))),
        // Trying again cannot make a certificate acceptable.
        ErrorCode::TlsCertificateError => {
            Error::Transport(lasting(format!("{TLS_CERTIFICATE_ERROR} talking to {authority}")))
        }
        ErrorCode::InternalError(Some(message)) => {
            let certificate = message.starts_with(TLS_CERTIFICATE_ERROR);
            let message: String = message.chars().take(300).collect();
            let message = format!("{message} (talking to {authority})");
            Error::Transport(if certificate { lasting(message) } else { transient(message) })
        }
        ErrorCode::HttpResponseBodySize(_) => crate::errors::malformed(code_name(&code)),
        ErrorCode::HttpRequestUriInvalid | ErrorCode::ConfigurationError => {
            Error::Transport(lasting(format!("{} for {authority}", code_name(&code))))
        }
        other => Error::Transport(transient(format!("{} talking to {authority}", code_name(&other)))),
    }
}
