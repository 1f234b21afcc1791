//! The domain's errors. Each variant maps to exactly one AWS error code in
//! [`CoreError::aws_code`]; the message is the `Display` text, worded as AWS
//! words it. The edge turns the pair into the wire envelope.

use warden_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{0}")]
    NoSuchEntity(String),
    #[error("{0}")]
    EntityAlreadyExists(String),
    #[error("{0}")]
    DeleteConflict(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    ValidationError(String),
    #[error("{0}")]
    InvalidParameterValue(String),
    #[error("{0}")]
    PasswordPolicyViolation(String),
    #[error("{0}")]
    InvalidAuthenticationCode(String),
    #[error("{0}")]
    InvalidUserType(String),
    #[error("{0}")]
    EntityTemporarilyUnmodifiable(String),
    #[error("{0}")]
    AccessDenied(String),
    #[error("The security token included in the request is invalid.")]
    InvalidClientTokenId,
    #[error("The security token included in the request is expired")]
    ExpiredToken,
    #[error("{0}")]
    MalformedPolicyDocument(String),
    #[error("{0}")]
    PackedPolicyTooLarge(String),
    #[error("{0}")]
    UnmodifiableEntity(String),
    #[error("{0}")]
    OrganizationsNotInUse(String),
    #[error("{0}")]
    OrganizationsAccessDenied(String),
    #[error("{0}")]
    AlreadyInOrganization(String),
    #[error("{0}")]
    CreateAccountStatusNotFound(String),
    #[error("{0}")]
    AccountNotFound(String),
    /// A storage failure: the change was not applied.
    #[error("storage failure: {0}")]
    Store(#[from] StoreError),
    /// A bug or corrupted state; never caused by client input.
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    /// The AWS error code. This is the one place domain errors meet AWS codes.
    pub fn aws_code(&self) -> &'static str {
        match self {
            Self::NoSuchEntity(_) => "NoSuchEntity",
            Self::EntityAlreadyExists(_) => "EntityAlreadyExists",
            Self::DeleteConflict(_) => "DeleteConflict",
            Self::LimitExceeded(_) => "LimitExceeded",
            Self::InvalidInput(_) => "InvalidInput",
            Self::ValidationError(_) => "ValidationError",
            Self::InvalidParameterValue(_) => "InvalidParameterValue",
            Self::PasswordPolicyViolation(_) => "PasswordPolicyViolation",
            Self::InvalidAuthenticationCode(_) => "InvalidAuthenticationCode",
            Self::InvalidUserType(_) => "InvalidUserType",
            Self::EntityTemporarilyUnmodifiable(_) => "EntityTemporarilyUnmodifiable",
            Self::AccessDenied(_) => "AccessDenied",
            Self::InvalidClientTokenId => "InvalidClientTokenId",
            Self::ExpiredToken => "ExpiredToken",
            Self::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            Self::PackedPolicyTooLarge(_) => "PackedPolicyTooLarge",
            Self::UnmodifiableEntity(_) => "UnmodifiableEntity",
            Self::OrganizationsNotInUse(_) => "AWSOrganizationsNotInUseException",
            Self::OrganizationsAccessDenied(_) => "AccessDeniedException",
            Self::AlreadyInOrganization(_) => "AlreadyInOrganizationException",
            Self::CreateAccountStatusNotFound(_) => "CreateAccountStatusNotFoundException",
            Self::AccountNotFound(_) => "AccountNotFoundException",
            Self::Store(_) | Self::Internal(_) => "ServiceFailure",
        }
    }

    /// True for server-side faults (the client did nothing wrong).
    pub fn is_server_fault(&self) -> bool {
        matches!(self, Self::Store(_) | Self::Internal(_))
    }

    /// The text to show a client. Server faults never leak internals.
    pub fn client_message(&self) -> String {
        if self.is_server_fault() {
            "An internal error occurred. Try again later.".to_string()
        } else {
            self.to_string()
        }
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
