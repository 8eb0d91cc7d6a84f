//! An endpoint's answer taken as what it means for a call: a 2xx goes on to be read, an error
//! answer becomes its typed error (the endpoint's message, capped and scrubbed of the key), a
//! redirect an error naming the target's origin. Between the HTTP layer, which classifies
//! nothing, and the callers that read bodies (`client.rs`, `stream.rs`).

use crate::domain::{Error, Secrets};
use crate::errors;
use crate::http::{Answer, Refusal, Success};

/// The answer's 2xx head and body, or its typed error.
pub fn accepted(answer: Answer, key: &Secrets) -> Result<Success, Error> {
    match answer {
        Answer::Success(success) => Ok(success),
        Answer::Refused(Refusal { status, body, retry_after_ms }) => {
            Err(errors::from_answer(status, &body, retry_after_ms, key))
        }
        Answer::Redirect { status, location } => Err(errors::redirect(status, location.as_deref())),
    }
}
