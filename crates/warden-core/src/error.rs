//! The domain's errors. Each variant maps to exactly one AWS error code in
//! [`CoreError::aws_code`]; the message is the `Display` text, worded as AWS
//! words it. The edge turns the pair into the wire envelope.

use warden_store::StoreError;
use warden_wire::ErrorCode;

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
    #[error("We can't find a policy with the PolicyId that you specified.")]
    OrgPolicyNotFound,
    #[error("The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.")]
    OrgPolicyInUse,
    #[error("A policy with the same name already exists.")]
    DuplicateOrgPolicy,
    #[error("The selected policy is already attached to the specified target.")]
    DuplicateOrgPolicyAttachment,
    #[error("The policy isn't attached to the specified target in the specified root.")]
    OrgPolicyNotAttached,
    #[error("The specified policy type isn't currently enabled in this root. You can't attach policies of the specified type to entities in a root until you enable that type in the root.")]
    PolicyTypeNotEnabled,
    #[error("The specified policy type is already enabled in the specified root.")]
    PolicyTypeAlreadyEnabled,
    /// A policy type the organization (or warden) cannot use.
    #[error("{0}")]
    PolicyTypeNotAvailable(String),
    #[error("We can't find a root with the RootId that you specified.")]
    RootNotFound,
    #[error("We can't find a root, OU, account, or policy with the TargetId that you specified.")]
    TargetNotFound,
    #[error("We can't find a root or OU with the ParentId that you specified.")]
    ParentNotFound,
    #[error("We can't find an OU with the OrganizationalUnitId that you specified.")]
    OrganizationalUnitNotFound,
    #[error("An OU with the same name already exists.")]
    DuplicateOrganizationalUnit,
    #[error("The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child OUs, and try the operation again.")]
    OrganizationalUnitNotEmpty,
    #[error("We can't find an organizational unit (OU) or Amazon Web Services account with the ChildId that you specified.")]
    ChildNotFound,
    #[error("We can't find a source root or OU with the ParentId that you specified.")]
    SourceParentNotFound,
    #[error("We can't find the destination container (a root or OU) with the ParentId that you specified.")]
    DestinationParentNotFound,
    #[error("That account is already present in the specified destination.")]
    DuplicateAccount,
    #[error(
        "The provided policy document doesn't meet the requirements of the specified policy type."
    )]
    OrgMalformedPolicyDocument,
    /// Organizations' `ConstraintViolationException`, with its `Reason`.
    #[error("{message}")]
    OrgConstraintViolation {
        reason: &'static str,
        message: String,
    },
    /// Organizations' `InvalidInputException`, with its `Reason`.
    #[error("{message}")]
    OrgInvalidInput {
        reason: &'static str,
        message: String,
    },
    /// A storage failure: the change was not applied.
    #[error("storage failure: {0}")]
    Store(#[from] StoreError),
    /// A bug or corrupted state; never caused by client input.
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    /// The AWS error code. This is the one place domain errors meet AWS codes;
    /// the code is typed, so its HTTP status comes with it.
    pub fn aws_code(&self) -> ErrorCode {
        match self {
            Self::NoSuchEntity(_) => ErrorCode::NoSuchEntity,
            Self::EntityAlreadyExists(_) => ErrorCode::EntityAlreadyExists,
            Self::DeleteConflict(_) => ErrorCode::DeleteConflict,
            Self::LimitExceeded(_) => ErrorCode::LimitExceeded,
            Self::InvalidInput(_) => ErrorCode::InvalidInput,
            Self::ValidationError(_) => ErrorCode::ValidationError,
            Self::InvalidParameterValue(_) => ErrorCode::InvalidParameterValue,
            Self::PasswordPolicyViolation(_) => ErrorCode::PasswordPolicyViolation,
            Self::InvalidAuthenticationCode(_) => ErrorCode::InvalidAuthenticationCode,
            Self::InvalidUserType(_) => ErrorCode::InvalidUserType,
            Self::EntityTemporarilyUnmodifiable(_) => ErrorCode::EntityTemporarilyUnmodifiable,
            Self::AccessDenied(_) => ErrorCode::AccessDenied,
            Self::InvalidClientTokenId => ErrorCode::InvalidClientTokenId,
            Self::ExpiredToken => ErrorCode::ExpiredToken,
            Self::MalformedPolicyDocument(_) => ErrorCode::MalformedPolicyDocument,
            Self::PackedPolicyTooLarge(_) => ErrorCode::PackedPolicyTooLarge,
            Self::UnmodifiableEntity(_) => ErrorCode::UnmodifiableEntity,
            Self::OrganizationsNotInUse(_) => ErrorCode::AWSOrganizationsNotInUseException,
            Self::OrganizationsAccessDenied(_) => ErrorCode::AccessDeniedException,
            Self::AlreadyInOrganization(_) => ErrorCode::AlreadyInOrganizationException,
            Self::CreateAccountStatusNotFound(_) => ErrorCode::CreateAccountStatusNotFoundException,
            Self::AccountNotFound(_) => ErrorCode::AccountNotFoundException,
            Self::OrgPolicyNotFound => ErrorCode::PolicyNotFoundException,
            Self::OrgPolicyInUse => ErrorCode::PolicyInUseException,
            Self::DuplicateOrgPolicy => ErrorCode::DuplicatePolicyException,
            Self::DuplicateOrgPolicyAttachment => ErrorCode::DuplicatePolicyAttachmentException,
            Self::OrgPolicyNotAttached => ErrorCode::PolicyNotAttachedException,
            Self::PolicyTypeNotEnabled => ErrorCode::PolicyTypeNotEnabledException,
            Self::PolicyTypeAlreadyEnabled => ErrorCode::PolicyTypeAlreadyEnabledException,
            Self::PolicyTypeNotAvailable(_) => {
                ErrorCode::PolicyTypeNotAvailableForOrganizationException
            }
            Self::RootNotFound => ErrorCode::RootNotFoundException,
            Self::TargetNotFound => ErrorCode::TargetNotFoundException,
            Self::ParentNotFound => ErrorCode::ParentNotFoundException,
            Self::OrganizationalUnitNotFound => ErrorCode::OrganizationalUnitNotFoundException,
            Self::DuplicateOrganizationalUnit => ErrorCode::DuplicateOrganizationalUnitException,
            Self::OrganizationalUnitNotEmpty => ErrorCode::OrganizationalUnitNotEmptyException,
            Self::ChildNotFound => ErrorCode::ChildNotFoundException,
            Self::SourceParentNotFound => ErrorCode::SourceParentNotFoundException,
            Self::DestinationParentNotFound => ErrorCode::DestinationParentNotFoundException,
            Self::DuplicateAccount => ErrorCode::DuplicateAccountException,
            Self::OrgMalformedPolicyDocument => ErrorCode::MalformedPolicyDocumentException,
            Self::OrgConstraintViolation { .. } => ErrorCode::ConstraintViolationException,
            Self::OrgInvalidInput { .. } => ErrorCode::InvalidInputException,
            Self::Store(_) | Self::Internal(_) => ErrorCode::ServiceFailure,
        }
    }

    /// The machine-readable `Reason` Organizations adds to some errors.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            Self::OrgConstraintViolation { reason, .. } | Self::OrgInvalidInput { reason, .. } => {
                Some(reason)
            }
            _ => None,
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
