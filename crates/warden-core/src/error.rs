//! The domain's errors. Each variant maps to exactly one AWS error code in
//! [`CoreError::aws_code`]; the message is the `Display` text, worded as AWS
//! words it. The edge turns the pair into the wire envelope.

use warden_store::StoreError;
use warden_wire::ErrorCode;

/// An error the domain raises: one variant per AWS error, carrying AWS's message where it varies.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// IAM `NoSuchEntity`: the named user, role, policy, key, ... does not exist.
    #[error("{0}")]
    NoSuchEntity(String),
    /// IAM `EntityAlreadyExists`: the name (compared case-insensitively) is taken.
    #[error("{0}")]
    EntityAlreadyExists(String),
    /// IAM `DeleteConflict`: the entity still has attachments, members or credentials.
    #[error("{0}")]
    DeleteConflict(String),
    /// IAM `LimitExceeded`: an AWS quota (tags, keys, versions, attachments, ...) would be
    /// exceeded.
    #[error("{0}")]
    LimitExceeded(String),
    /// IAM `InvalidPublicKey`: an SSH public key that does not parse or is too short.
    #[error("{0}")]
    InvalidPublicKey(String),
    /// IAM `UnrecognizedPublicKeyEncoding`: an SSH public key neither `ssh-rsa` nor PEM.
    #[error("{0}")]
    UnrecognizedPublicKeyEncoding(String),
    /// IAM `DuplicateSSHPublicKey`: the user already holds that SSH public key.
    #[error("{0}")]
    DuplicateSSHPublicKey(String),
    /// IAM `MalformedCertificate`: a certificate, chain or private key that does not parse, or a
    /// certificate outside its validity.
    #[error("{0}")]
    MalformedCertificate(String),
    /// IAM `KeyPairMismatch`: the private key is not the certificate's.
    #[error("{0}")]
    KeyPairMismatch(String),
    /// IAM `DuplicateCertificate`: the signing certificate is already held in the account.
    #[error("{0}")]
    DuplicateCertificate(String),
    /// IAM `InvalidInput`: a parameter is well-formed but not acceptable.
    #[error("{0}")]
    InvalidInput(String),
    /// `ValidationError`: a parameter breaks its API constraint, e.g. a bad Marker or out-of-
    /// range number.
    #[error("{0}")]
    ValidationError(String),
    /// STS `InvalidParameterValue`: e.g. a bad session tag or session policy parameter.
    #[error("{0}")]
    InvalidParameterValue(String),
    /// IAM `PasswordPolicyViolation`: the password breaks the account's policy or repeats an
    /// old one.
    #[error("{0}")]
    PasswordPolicyViolation(String),
    /// IAM `InvalidAuthenticationCode`: the MFA codes given to enable or resync a device are
    /// wrong.
    #[error("{0}")]
    InvalidAuthenticationCode(String),
    /// IAM `InvalidUserType`: the operation is not for this kind of user; kept for AWS
    /// parity, not raised yet.
    #[error("{0}")]
    InvalidUserType(String),
    /// IAM `EntityTemporarilyUnmodifiable`: the entity is being changed; kept for AWS parity,
    /// not raised yet.
    #[error("{0}")]
    EntityTemporarilyUnmodifiable(String),
    /// `AccessDenied`: a policy decision or an operation-specific refusal, with AWS's
    /// wording.
    #[error("{0}")]
    AccessDenied(String),
    /// `InvalidClientTokenId`: unknown or inactive key, bad session token, or its principal
    /// is gone.
    #[error("The security token included in the request is invalid.")]
    InvalidClientTokenId,
    /// `ExpiredToken`: the session token's credentials have expired.
    #[error("The security token included in the request is expired")]
    ExpiredToken,
    /// `MalformedPolicyDocument`: the policy document does not parse or breaks IAM's grammar.
    #[error("{0}")]
    MalformedPolicyDocument(String),
    /// STS `PackedPolicyTooLarge`: session policies and tags exceed the packed allowance.
    #[error("{0}")]
    PackedPolicyTooLarge(String),
    /// STS `InsufficientSessionLifetime`: GetScopedCredentials asked for more time than the calling session has.
    #[error("{0}")]
    InsufficientSessionLifetime(String),
    /// STS `InvalidIdentityToken`: a web identity token that is malformed, badly signed, of
    /// another issuer or audience, or of a provider the role's account does not have.
    #[error("{0}")]
    InvalidIdentityToken(String),
    /// STS `ExpiredTokenException`: the web identity token has expired.
    #[error("{0}")]
    ExpiredIdentityToken(String),
    /// STS `IDPCommunicationError`: the issuer's discovery document or keys could not be fetched.
    #[error("{0}")]
    IdpCommunicationError(String),
    /// STS `IDPRejectedClaim`: the identity provider reported that authentication failed (a SAML
    /// response whose status is not Success).
    #[error("{0}")]
    IdpRejectedClaim(String),
    /// STS `InvalidAuthorizationMessageException`: a message DecodeAuthorizationMessage cannot open.
    #[error("{0}")]
    InvalidAuthorizationMessage(String),
    /// STS `InvalidSubjectCredentials`: GetScopedCredentials called without temporary credentials.
    #[error("{0}")]
    InvalidSubjectCredentials(String),
    /// IAM `OrganizationNotFoundException`: centralized root access asked of an account in no organization.
    #[error("{0}")]
    RootAccessNoOrganization(String),
    /// IAM `OrganizationNotInAllFeaturesModeException`.
    #[error("{0}")]
    RootAccessNotAllFeatures(String),
    /// IAM `ServiceAccessNotEnabledException`: trusted access for IAM is not enabled in Organizations.
    #[error("{0}")]
    RootAccessServiceAccessNotEnabled(String),
    /// IAM `CallerIsNotManagementAccountException`.
    #[error("{0}")]
    RootAccessCallerNotManagement(String),
    /// IAM `AccountNotManagementOrDelegatedAdministratorException`.
    #[error("{0}")]
    RootAccessNotManagementOrDelegated(String),
    /// IAM `UnmodifiableEntity`: a service-linked role, changeable only by its service.
    #[error("{0}")]
    UnmodifiableEntity(String),
    /// Organizations `AWSOrganizationsNotInUseException`: the account is in no organization.
    #[error("{0}")]
    OrganizationsNotInUse(String),
    /// Organizations `AccessDeniedException`: the caller is not the management account.
    #[error("{0}")]
    OrganizationsAccessDenied(String),
    /// Organizations `AlreadyInOrganizationException`: CreateOrganization by an account already in
    /// one.
    #[error("{0}")]
    AlreadyInOrganization(String),
    /// Organizations `CreateAccountStatusNotFoundException`: no CreateAccount request has that id.
    #[error("{0}")]
    CreateAccountStatusNotFound(String),
    /// Organizations `AccountNotFoundException`: the account is not a member of the organization.
    #[error("{0}")]
    AccountNotFound(String),
    /// Organizations `EffectivePolicyNotFoundException`: the type is not enabled, or nothing of
    /// it applies to the account.
    #[error("{0}")]
    EffectivePolicyNotFound(String),
    /// Organizations `ResponsibilityTransferNotFoundException` (the model's text).
    #[error("We can't find a transfer that you specified.")]
    ResponsibilityTransferNotFound,
    /// Organizations `ResponsibilityTransferAlreadyInStatusException` (the model's text).
    #[error("The responsibility transfer is already in the status that you specified.")]
    ResponsibilityTransferAlreadyInStatus,
    /// Organizations `InvalidResponsibilityTransferTransitionException` (the model's text).
    #[error("The responsibility transfer can't transition to the requested state because it's not in a valid state for this operation.")]
    InvalidResponsibilityTransferTransition,
    /// Organizations `PolicyNotFoundException`: no policy has that id.
    #[error("We can't find a policy with the PolicyId that you specified.")]
    OrgPolicyNotFound,
    /// Organizations `PolicyInUseException`: the policy is still attached somewhere.
    #[error("The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.")]
    OrgPolicyInUse,
    /// Organizations `DuplicatePolicyException`: a policy with that name exists.
    #[error("A policy with the same name already exists.")]
    DuplicateOrgPolicy,
    /// Organizations `DuplicatePolicyAttachmentException`: the policy is already attached to the
    /// target.
    #[error("The selected policy is already attached to the specified target.")]
    DuplicateOrgPolicyAttachment,
    /// Organizations `PolicyNotAttachedException`: the policy is not attached to the target.
    #[error("The policy isn't attached to the specified target in the specified root.")]
    OrgPolicyNotAttached,
    /// Organizations `PolicyTypeNotEnabledException`: the policy's type is not enabled in the root.
    #[error("The specified policy type isn't currently enabled in this root. You can't attach policies of the specified type to entities in a root until you enable that type in the root.")]
    PolicyTypeNotEnabled,
    /// Organizations `PolicyTypeAlreadyEnabledException`: EnablePolicyType for a type already
    /// enabled.
    #[error("The specified policy type is already enabled in the specified root.")]
    PolicyTypeAlreadyEnabled,
    /// A policy type the organization (or warden) cannot use.
    #[error("{0}")]
    PolicyTypeNotAvailable(String),
    /// Organizations `RootNotFoundException`: no root has that id.
    #[error("We can't find a root with the RootId that you specified.")]
    RootNotFound,
    /// Organizations `TargetNotFoundException`: no root, OU or account has that id.
    #[error("We can't find a root, OU, account, or policy with the TargetId that you specified.")]
    TargetNotFound,
    /// Organizations `ParentNotFoundException`: no root or OU has that ParentId.
    #[error("We can't find a root or OU with the ParentId that you specified.")]
    ParentNotFound,
    /// Organizations `OrganizationalUnitNotFoundException`: no OU has that id.
    #[error("We can't find an OU with the OrganizationalUnitId that you specified.")]
    OrganizationalUnitNotFound,
    /// Organizations `DuplicateOrganizationalUnitException`: the parent already has an OU of that
    /// name.
    #[error("An OU with the same name already exists.")]
    DuplicateOrganizationalUnit,
    /// Organizations `OrganizationalUnitNotEmptyException`: DeleteOrganizationalUnit on an OU
    /// holding accounts or OUs.
    #[error("The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child OUs, and try the operation again.")]
    OrganizationalUnitNotEmpty,
    /// Organizations `ChildNotFoundException`: no OU or account has that ChildId.
    #[error("We can't find an organizational unit (OU) or Amazon Web Services account with the ChildId that you specified.")]
    ChildNotFound,
    /// Organizations `SourceParentNotFoundException`: MoveAccount's SourceParentId is not the
    /// account's parent.
    #[error("We can't find a source root or OU with the ParentId that you specified.")]
    SourceParentNotFound,
    /// Organizations `DestinationParentNotFoundException`: MoveAccount's destination is no root or
    /// OU.
    #[error("We can't find the destination container (a root or OU) with the ParentId that you specified.")]
    DestinationParentNotFound,
    /// Organizations `DuplicateAccountException`: the account is already in the destination.
    #[error("That account is already present in the specified destination.")]
    DuplicateAccount,
    /// Organizations `MalformedPolicyDocumentException`: the SCP or RCP content is not valid for
    /// its type.
    #[error(
        "The provided policy document doesn't meet the requirements of the specified policy type."
    )]
    OrgMalformedPolicyDocument,
    /// Organizations `OrganizationNotEmptyException`: DeleteOrganization while the organization
    /// has member accounts other than the management account.
    #[error(
        "To delete an organization you must first remove all member accounts (except the master)."
    )]
    OrganizationNotEmpty,
    /// Organizations' `ConstraintViolationException`, with its `Reason`.
    #[error("{message}")]
    OrgConstraintViolation {
        /// The `Reason` code, e.g. `MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED`.
        reason: &'static str,
        /// The message, as AWS words it.
        message: String,
    },
    /// Organizations' `InvalidInputException`, with its `Reason`.
    #[error("{message}")]
    OrgInvalidInput {
        /// The `Reason` code.
        reason: &'static str,
        /// The message, as AWS words it.
        message: String,
    },
    /// Organizations `HandshakeConstraintViolationException`, with its `Reason`.
    #[error("{message}")]
    HandshakeConstraintViolation {
        /// The `Reason` code, e.g. `ALREADY_IN_AN_ORGANIZATION`.
        reason: &'static str,
        /// The message.
        message: String,
    },
    /// Organizations `HandshakeNotFoundException`: no handshake the caller can see has that id.
    #[error("We can't find a handshake with the HandshakeId that you specified.")]
    HandshakeNotFound,
    /// Organizations `InvalidHandshakeTransitionException`: the handshake's state forbids the call.
    #[error("You can't perform the operation on the handshake in its current state.")]
    InvalidHandshakeTransition,
    /// Organizations `HandshakeAlreadyInStateException`: the handshake is already in that state.
    #[error("The specified handshake is already in the requested state.")]
    HandshakeAlreadyInState,
    /// Organizations `DuplicateHandshakeException`: an open invitation to that account exists.
    #[error("A handshake with the same action and target already exists.")]
    DuplicateHandshake,
    /// Organizations `AccountAlreadyClosedException`: CloseAccount on a closed account.
    #[error("The provided account is already closed.")]
    AccountAlreadyClosed,
    /// Organizations `AccountAlreadyRegisteredException`: already a delegated administrator.
    #[error("The provided account is already a delegated administrator for your organization.")]
    AccountAlreadyRegistered,
    /// Organizations `AccountNotRegisteredException`: not a delegated administrator.
    #[error(
        "The provided account is not a registered delegated administrator for your organization."
    )]
    AccountNotRegistered,
    /// Organizations `ResourcePolicyNotFoundException`: the organization has no resource policy.
    #[error("We can't find a resource policy request with the parameter that you specified.")]
    ResourcePolicyNotFound,
    /// IAM `ReportNotPresent` (410): no credential report was generated;
    /// AWS sends it without a message.
    #[error("")]
    ReportNotPresent,
    /// IAM `ReportExpired` (410): the credential report is older than 4 hours.
    #[error("")]
    ReportExpired,
    /// IAM `FeatureEnabled` (409): outbound web identity federation is already enabled.
    #[error("{0}")]
    FeatureEnabled(String),
    /// IAM `FeatureDisabled` (404): outbound web identity federation is not enabled.
    #[error("{0}")]
    FeatureDisabled(String),
    /// STS `OutboundWebIdentityFederationDisabledException` (403): GetWebIdentityToken in an
    /// account that has not enabled the feature.
    #[error("{0}")]
    OutboundFederationDisabled(String),
    /// STS `SessionDurationEscalationException` (403): the token would outlive the session.
    #[error("{0}")]
    SessionDurationEscalation(String),
    /// STS `JWTPayloadSizeExceededException` (400): the token's claims are too large.
    #[error("{0}")]
    JwtPayloadTooLarge(String),
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
            Self::FeatureEnabled(_) => ErrorCode::FeatureEnabled,
            Self::FeatureDisabled(_) => ErrorCode::FeatureDisabled,
            Self::OutboundFederationDisabled(_) => {
                ErrorCode::OutboundWebIdentityFederationDisabledException
            }
            Self::SessionDurationEscalation(_) => ErrorCode::SessionDurationEscalationException,
            Self::JwtPayloadTooLarge(_) => ErrorCode::JWTPayloadSizeExceededException,
            Self::EntityAlreadyExists(_) => ErrorCode::EntityAlreadyExists,
            Self::DeleteConflict(_) => ErrorCode::DeleteConflict,
            Self::LimitExceeded(_) => ErrorCode::LimitExceeded,
            Self::InvalidPublicKey(_) => ErrorCode::InvalidPublicKey,
            Self::UnrecognizedPublicKeyEncoding(_) => ErrorCode::UnrecognizedPublicKeyEncoding,
            Self::DuplicateSSHPublicKey(_) => ErrorCode::DuplicateSSHPublicKey,
            Self::MalformedCertificate(_) => ErrorCode::MalformedCertificate,
            Self::KeyPairMismatch(_) => ErrorCode::KeyPairMismatch,
            Self::DuplicateCertificate(_) => ErrorCode::DuplicateCertificate,
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
            Self::InsufficientSessionLifetime(_) => ErrorCode::InsufficientSessionLifetime,
            Self::InvalidIdentityToken(_) => ErrorCode::InvalidIdentityToken,
            Self::ExpiredIdentityToken(_) => ErrorCode::ExpiredTokenException,
            Self::IdpCommunicationError(_) => ErrorCode::IDPCommunicationError,
            Self::IdpRejectedClaim(_) => ErrorCode::IDPRejectedClaim,
            Self::RootAccessNoOrganization(_) => ErrorCode::OrganizationNotFoundException,
            Self::RootAccessNotAllFeatures(_) => {
                ErrorCode::OrganizationNotInAllFeaturesModeException
            }
            Self::RootAccessServiceAccessNotEnabled(_) => {
                ErrorCode::ServiceAccessNotEnabledException
            }
            Self::RootAccessCallerNotManagement(_) => {
                ErrorCode::CallerIsNotManagementAccountException
            }
            Self::RootAccessNotManagementOrDelegated(_) => {
                ErrorCode::AccountNotManagementOrDelegatedAdministratorException
            }
            Self::InvalidSubjectCredentials(_) => ErrorCode::InvalidSubjectCredentials,
            Self::InvalidAuthorizationMessage(_) => ErrorCode::InvalidAuthorizationMessageException,
            Self::UnmodifiableEntity(_) => ErrorCode::UnmodifiableEntity,
            Self::OrganizationsNotInUse(_) => ErrorCode::AWSOrganizationsNotInUseException,
            Self::OrganizationsAccessDenied(_) => ErrorCode::AccessDeniedException,
            Self::AlreadyInOrganization(_) => ErrorCode::AlreadyInOrganizationException,
            Self::CreateAccountStatusNotFound(_) => ErrorCode::CreateAccountStatusNotFoundException,
            Self::AccountNotFound(_) => ErrorCode::AccountNotFoundException,
            Self::EffectivePolicyNotFound(_) => ErrorCode::EffectivePolicyNotFoundException,
            Self::ResponsibilityTransferNotFound => {
                ErrorCode::ResponsibilityTransferNotFoundException
            }
            Self::ResponsibilityTransferAlreadyInStatus => {
                ErrorCode::ResponsibilityTransferAlreadyInStatusException
            }
            Self::InvalidResponsibilityTransferTransition => {
                ErrorCode::InvalidResponsibilityTransferTransitionException
            }
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
            Self::OrganizationNotEmpty => ErrorCode::OrganizationNotEmptyException,
            Self::OrgConstraintViolation { .. } => ErrorCode::ConstraintViolationException,
            Self::OrgInvalidInput { .. } => ErrorCode::InvalidInputException,
            Self::HandshakeConstraintViolation { .. } => {
                ErrorCode::HandshakeConstraintViolationException
            }
            Self::HandshakeNotFound => ErrorCode::HandshakeNotFoundException,
            Self::InvalidHandshakeTransition => ErrorCode::InvalidHandshakeTransitionException,
            Self::HandshakeAlreadyInState => ErrorCode::HandshakeAlreadyInStateException,
            Self::DuplicateHandshake => ErrorCode::DuplicateHandshakeException,
            Self::AccountAlreadyClosed => ErrorCode::AccountAlreadyClosedException,
            Self::AccountAlreadyRegistered => ErrorCode::AccountAlreadyRegisteredException,
            Self::AccountNotRegistered => ErrorCode::AccountNotRegisteredException,
            Self::ResourcePolicyNotFound => ErrorCode::ResourcePolicyNotFoundException,
            Self::ReportNotPresent => ErrorCode::ReportNotPresent,
            Self::ReportExpired => ErrorCode::ReportExpired,
            Self::Store(_) | Self::Internal(_) => ErrorCode::ServiceFailure,
        }
    }

    /// The machine-readable `Reason` Organizations adds to some errors.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            Self::OrgConstraintViolation { reason, .. }
            | Self::OrgInvalidInput { reason, .. }
            | Self::HandshakeConstraintViolation { reason, .. } => Some(reason),
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

/// The domain's result type: [`CoreError`] unless stated otherwise.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;
