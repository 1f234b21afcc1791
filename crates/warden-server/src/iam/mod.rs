//! IAM: the routing table from the generated `IamApi` trait to one plain
//! function per operation, grouped by resource family in the submodules, and
//! the wire conversions more than one family shares. Adding an operation is
//! one function in its family and one line here.

mod account;
mod certificates;
mod credentials;
mod groups;
mod instance_profiles;
mod mfa;
mod oidc_providers;
mod policies;
mod reports;
mod roles;
mod root_access;
mod saml_providers;
mod service_credentials;
mod simulation;
mod ssh_keys;
mod users;

use warden_core::model;
use warden_core::page::PageQuery;
use warden_core::policies::VersionView;
use warden_wire::generated::iam::*;
use warden_wire::page::{PageItems, PageRequest};

use crate::edge::RequestCtx;
use crate::mapping::{page_by_position, page_out, tags_out, ts, HandlerError, R};
use crate::AppState;

pub struct Iam<'a> {
    pub app: &'a AppState,
}

fn user_out(u: &model::User) -> User {
    User {
        path: Some(u.path.clone()),
        user_name: Some(u.name.clone()),
        user_id: u.id.clone(),
        arn: u.arn(),
        create_date: ts(u.created),
        password_last_used: u.password_last_used.map(ts),
        permissions_boundary: boundary_out(u.permissions_boundary.as_deref()),
        tags: (!u.tags.is_empty()).then(|| tags_out(&u.tags)),
    }
}

fn role_out(r: &model::Role) -> Role {
    Role {
        path: r.path.clone(),
        role_name: r.name.clone(),
        role_id: r.id.clone(),
        arn: r.arn(),
        create_date: ts(r.created),
        assume_role_policy_document: Some(r.trust_document.clone()),
        description: r.description.clone(),
        max_session_duration: Some(r.max_session_duration),
        max_signin_session_duration: None,
        permissions_boundary: boundary_out(r.permissions_boundary.as_deref()),
        tags: (!r.tags.is_empty()).then(|| tags_out(&r.tags)),
        role_last_used: Some(RoleLastUsed {
            last_used_date: r.last_used.as_ref().map(|(t, _)| ts(*t)),
            region: r.last_used.as_ref().map(|(_, region)| region.clone()),
        }),
        source_role_template: None,
    }
}

/// A user's or role's boundary as AWS answers it. The type is `Policy`, not the botocore model's only enum
/// value `PermissionsBoundaryPolicy`: GetUser/GetRole output recorded against AWS (LocalStack's IAM snapshots,
/// its provider and tests; aws CLI outputs quoted in public write-ups) all say `Policy`.
fn boundary_out(arn: Option<&str>) -> Option<AttachedPermissionsBoundary> {
    arn.map(|arn| AttachedPermissionsBoundary {
        permissions_boundary_type: Some(PermissionsBoundaryAttachmentType::from(
            "Policy".to_string(),
        )),
        permissions_boundary_arn: Some(arn.to_string()),
    })
}

fn instance_profile_out(p: &model::InstanceProfile, role: Option<&model::Role>) -> InstanceProfile {
    InstanceProfile {
        path: p.path.clone(),
        instance_profile_name: p.name.clone(),
        instance_profile_id: p.id.clone(),
        arn: p.arn(),
        create_date: ts(p.created),
        roles: role.map(role_out).into_iter().collect(),
        tags: (!p.tags.is_empty()).then(|| tags_out(&p.tags)),
    }
}

fn group_out(g: &model::Group) -> Group {
    Group {
        path: g.path.clone(),
        group_name: g.name.clone(),
        group_id: g.id.clone(),
        arn: g.arn(),
        create_date: ts(g.created),
    }
}

fn version_out(v: &VersionView, with_document: bool) -> PolicyVersion {
    PolicyVersion {
        document: with_document.then(|| v.document.clone()),
        version_id: Some(v.id.clone()),
        is_default_version: Some(v.is_default),
        create_date: Some(ts(v.created)),
    }
}

/// One page of an entity's tags, as any `List*Tags` response (the marker
/// is the tag's position).
fn tag_page<Resp: PageItems<Item = Tag, Rest = ()>>(
    tags: &[model::Tag],
    input: &impl PageRequest,
) -> R<Resp> {
    let page = page_by_position(tags, 4, PageQuery::of(input))?;
    Ok(page_out(page, |t| Tag {
        key: t.key.clone(),
        value: t.value.clone(),
    }))
}

/// The user a call targets when `UserName` may be omitted for a user
/// caller; root must name one.
fn named_or_caller(ctx: &RequestCtx, user_name: Option<String>) -> R<String> {
    crate::mapping::target_user(&ctx.caller, user_name)
}

/// One line per operation: the family function that serves it. Operations
/// not listed answer `NotImplemented` (the trait's defaults).
#[rustfmt::skip]
impl IamApi for Iam<'_> {
    type Ctx = RequestCtx;
    type Error = HandlerError;

    fn create_user(&self, ctx: &RequestCtx, i: CreateUserRequest) -> R<CreateUserResponse> { users::create_user(self.app, ctx, i) }
    fn get_user(&self, ctx: &RequestCtx, i: GetUserRequest) -> R<GetUserResponse> { users::get_user(self.app, ctx, i) }
    fn list_users(&self, ctx: &RequestCtx, i: ListUsersRequest) -> R<ListUsersResponse> { users::list_users(self.app, ctx, i) }
    fn update_user(&self, ctx: &RequestCtx, i: UpdateUserRequest) -> R<()> { users::update_user(self.app, ctx, i) }
    fn delete_user(&self, ctx: &RequestCtx, i: DeleteUserRequest) -> R<()> { users::delete_user(self.app, ctx, i) }
    fn tag_user(&self, ctx: &RequestCtx, i: TagUserRequest) -> R<()> { users::tag_user(self.app, ctx, i) }
    fn untag_user(&self, ctx: &RequestCtx, i: UntagUserRequest) -> R<()> { users::untag_user(self.app, ctx, i) }
    fn list_user_tags(&self, ctx: &RequestCtx, i: ListUserTagsRequest) -> R<ListUserTagsResponse> { users::list_user_tags(self.app, ctx, i) }
    fn put_user_permissions_boundary(&self, ctx: &RequestCtx, i: PutUserPermissionsBoundaryRequest) -> R<()> { policies::put_user_permissions_boundary(self.app, ctx, i) }
    fn delete_user_permissions_boundary(&self, ctx: &RequestCtx, i: DeleteUserPermissionsBoundaryRequest) -> R<()> { policies::delete_user_permissions_boundary(self.app, ctx, i) }
    fn create_group(&self, ctx: &RequestCtx, i: CreateGroupRequest) -> R<CreateGroupResponse> { groups::create_group(self.app, ctx, i) }
    fn get_group(&self, ctx: &RequestCtx, i: GetGroupRequest) -> R<GetGroupResponse> { groups::get_group(self.app, ctx, i) }
    fn list_groups(&self, ctx: &RequestCtx, i: ListGroupsRequest) -> R<ListGroupsResponse> { groups::list_groups(self.app, ctx, i) }
    fn list_groups_for_user(&self, ctx: &RequestCtx, i: ListGroupsForUserRequest) -> R<ListGroupsForUserResponse> { groups::list_groups_for_user(self.app, ctx, i) }
    fn update_group(&self, ctx: &RequestCtx, i: UpdateGroupRequest) -> R<()> { groups::update_group(self.app, ctx, i) }
    fn delete_group(&self, ctx: &RequestCtx, i: DeleteGroupRequest) -> R<()> { groups::delete_group(self.app, ctx, i) }
    fn add_user_to_group(&self, ctx: &RequestCtx, i: AddUserToGroupRequest) -> R<()> { groups::add_user_to_group(self.app, ctx, i) }
    fn remove_user_from_group(&self, ctx: &RequestCtx, i: RemoveUserFromGroupRequest) -> R<()> { groups::remove_user_from_group(self.app, ctx, i) }
    fn create_access_key(&self, ctx: &RequestCtx, i: CreateAccessKeyRequest) -> R<CreateAccessKeyResponse> { credentials::create_access_key(self.app, ctx, i) }
    fn list_access_keys(&self, ctx: &RequestCtx, i: ListAccessKeysRequest) -> R<ListAccessKeysResponse> { credentials::list_access_keys(self.app, ctx, i) }
    fn update_access_key(&self, ctx: &RequestCtx, i: UpdateAccessKeyRequest) -> R<()> { credentials::update_access_key(self.app, ctx, i) }
    fn delete_access_key(&self, ctx: &RequestCtx, i: DeleteAccessKeyRequest) -> R<()> { credentials::delete_access_key(self.app, ctx, i) }
    fn get_access_key_last_used(&self, ctx: &RequestCtx, i: GetAccessKeyLastUsedRequest) -> R<GetAccessKeyLastUsedResponse> { credentials::get_access_key_last_used(self.app, ctx, i) }
    fn upload_ssh_public_key(&self, ctx: &RequestCtx, i: UploadSSHPublicKeyRequest) -> R<UploadSSHPublicKeyResponse> { ssh_keys::upload_ssh_public_key(self.app, ctx, i) }
    fn get_ssh_public_key(&self, ctx: &RequestCtx, i: GetSSHPublicKeyRequest) -> R<GetSSHPublicKeyResponse> { ssh_keys::get_ssh_public_key(self.app, ctx, i) }
    fn list_ssh_public_keys(&self, ctx: &RequestCtx, i: ListSSHPublicKeysRequest) -> R<ListSSHPublicKeysResponse> { ssh_keys::list_ssh_public_keys(self.app, ctx, i) }
    fn update_ssh_public_key(&self, ctx: &RequestCtx, i: UpdateSSHPublicKeyRequest) -> R<()> { ssh_keys::update_ssh_public_key(self.app, ctx, i) }
    fn delete_ssh_public_key(&self, ctx: &RequestCtx, i: DeleteSSHPublicKeyRequest) -> R<()> { ssh_keys::delete_ssh_public_key(self.app, ctx, i) }
    fn create_service_specific_credential(&self, ctx: &RequestCtx, i: CreateServiceSpecificCredentialRequest) -> R<CreateServiceSpecificCredentialResponse> { service_credentials::create_service_specific_credential(self.app, ctx, i) }
    fn list_service_specific_credentials(&self, ctx: &RequestCtx, i: ListServiceSpecificCredentialsRequest) -> R<ListServiceSpecificCredentialsResponse> { service_credentials::list_service_specific_credentials(self.app, ctx, i) }
    fn reset_service_specific_credential(&self, ctx: &RequestCtx, i: ResetServiceSpecificCredentialRequest) -> R<ResetServiceSpecificCredentialResponse> { service_credentials::reset_service_specific_credential(self.app, ctx, i) }
    fn update_service_specific_credential(&self, ctx: &RequestCtx, i: UpdateServiceSpecificCredentialRequest) -> R<()> { service_credentials::update_service_specific_credential(self.app, ctx, i) }
    fn delete_service_specific_credential(&self, ctx: &RequestCtx, i: DeleteServiceSpecificCredentialRequest) -> R<()> { service_credentials::delete_service_specific_credential(self.app, ctx, i) }
    fn create_open_id_connect_provider(&self, ctx: &RequestCtx, i: CreateOpenIDConnectProviderRequest) -> R<CreateOpenIDConnectProviderResponse> { oidc_providers::create_open_id_connect_provider(self.app, ctx, i) }
    fn get_open_id_connect_provider(&self, ctx: &RequestCtx, i: GetOpenIDConnectProviderRequest) -> R<GetOpenIDConnectProviderResponse> { oidc_providers::get_open_id_connect_provider(self.app, ctx, i) }
    fn list_open_id_connect_providers(&self, ctx: &RequestCtx, i: ListOpenIDConnectProvidersRequest) -> R<ListOpenIDConnectProvidersResponse> { oidc_providers::list_open_id_connect_providers(self.app, ctx, i) }
    fn delete_open_id_connect_provider(&self, ctx: &RequestCtx, i: DeleteOpenIDConnectProviderRequest) -> R<()> { oidc_providers::delete_open_id_connect_provider(self.app, ctx, i) }
    fn update_open_id_connect_provider_thumbprint(&self, ctx: &RequestCtx, i: UpdateOpenIDConnectProviderThumbprintRequest) -> R<()> { oidc_providers::update_open_id_connect_provider_thumbprint(self.app, ctx, i) }
    fn update_open_id_connect_provider(&self, ctx: &RequestCtx, i: UpdateOpenIDConnectProviderRequest) -> R<()> { oidc_providers::update_open_id_connect_provider(self.app, ctx, i) }
    fn add_client_id_to_open_id_connect_provider(&self, ctx: &RequestCtx, i: AddClientIDToOpenIDConnectProviderRequest) -> R<()> { oidc_providers::add_client_id_to_open_id_connect_provider(self.app, ctx, i) }
    fn remove_client_id_from_open_id_connect_provider(&self, ctx: &RequestCtx, i: RemoveClientIDFromOpenIDConnectProviderRequest) -> R<()> { oidc_providers::remove_client_id_from_open_id_connect_provider(self.app, ctx, i) }
    fn tag_open_id_connect_provider(&self, ctx: &RequestCtx, i: TagOpenIDConnectProviderRequest) -> R<()> { oidc_providers::tag_open_id_connect_provider(self.app, ctx, i) }
    fn untag_open_id_connect_provider(&self, ctx: &RequestCtx, i: UntagOpenIDConnectProviderRequest) -> R<()> { oidc_providers::untag_open_id_connect_provider(self.app, ctx, i) }
    fn list_open_id_connect_provider_tags(&self, ctx: &RequestCtx, i: ListOpenIDConnectProviderTagsRequest) -> R<ListOpenIDConnectProviderTagsResponse> { oidc_providers::list_open_id_connect_provider_tags(self.app, ctx, i) }
    fn upload_server_certificate(&self, ctx: &RequestCtx, i: UploadServerCertificateRequest) -> R<UploadServerCertificateResponse> { certificates::upload_server_certificate(self.app, ctx, i) }
    fn get_server_certificate(&self, ctx: &RequestCtx, i: GetServerCertificateRequest) -> R<GetServerCertificateResponse> { certificates::get_server_certificate(self.app, ctx, i) }
    fn list_server_certificates(&self, ctx: &RequestCtx, i: ListServerCertificatesRequest) -> R<ListServerCertificatesResponse> { certificates::list_server_certificates(self.app, ctx, i) }
    fn update_server_certificate(&self, ctx: &RequestCtx, i: UpdateServerCertificateRequest) -> R<()> { certificates::update_server_certificate(self.app, ctx, i) }
    fn delete_server_certificate(&self, ctx: &RequestCtx, i: DeleteServerCertificateRequest) -> R<()> { certificates::delete_server_certificate(self.app, ctx, i) }
    fn tag_server_certificate(&self, ctx: &RequestCtx, i: TagServerCertificateRequest) -> R<()> { certificates::tag_server_certificate(self.app, ctx, i) }
    fn untag_server_certificate(&self, ctx: &RequestCtx, i: UntagServerCertificateRequest) -> R<()> { certificates::untag_server_certificate(self.app, ctx, i) }
    fn list_server_certificate_tags(&self, ctx: &RequestCtx, i: ListServerCertificateTagsRequest) -> R<ListServerCertificateTagsResponse> { certificates::list_server_certificate_tags(self.app, ctx, i) }
    fn upload_signing_certificate(&self, ctx: &RequestCtx, i: UploadSigningCertificateRequest) -> R<UploadSigningCertificateResponse> { certificates::upload_signing_certificate(self.app, ctx, i) }
    fn list_signing_certificates(&self, ctx: &RequestCtx, i: ListSigningCertificatesRequest) -> R<ListSigningCertificatesResponse> { certificates::list_signing_certificates(self.app, ctx, i) }
    fn update_signing_certificate(&self, ctx: &RequestCtx, i: UpdateSigningCertificateRequest) -> R<()> { certificates::update_signing_certificate(self.app, ctx, i) }
    fn delete_signing_certificate(&self, ctx: &RequestCtx, i: DeleteSigningCertificateRequest) -> R<()> { certificates::delete_signing_certificate(self.app, ctx, i) }
    fn create_login_profile(&self, ctx: &RequestCtx, i: CreateLoginProfileRequest) -> R<CreateLoginProfileResponse> { credentials::create_login_profile(self.app, ctx, i) }
    fn get_login_profile(&self, ctx: &RequestCtx, i: GetLoginProfileRequest) -> R<GetLoginProfileResponse> { credentials::get_login_profile(self.app, ctx, i) }
    fn update_login_profile(&self, ctx: &RequestCtx, i: UpdateLoginProfileRequest) -> R<()> { credentials::update_login_profile(self.app, ctx, i) }
    fn delete_login_profile(&self, ctx: &RequestCtx, i: DeleteLoginProfileRequest) -> R<()> { credentials::delete_login_profile(self.app, ctx, i) }
    fn change_password(&self, ctx: &RequestCtx, i: ChangePasswordRequest) -> R<()> { credentials::change_password(self.app, ctx, i) }
    fn get_account_password_policy(&self, ctx: &RequestCtx) -> R<GetAccountPasswordPolicyResponse> { credentials::get_account_password_policy(self.app, ctx) }
    fn update_account_password_policy(&self, ctx: &RequestCtx, i: UpdateAccountPasswordPolicyRequest) -> R<()> { credentials::update_account_password_policy(self.app, ctx, i) }
    fn delete_account_password_policy(&self, ctx: &RequestCtx) -> R<()> { credentials::delete_account_password_policy(self.app, ctx) }
    fn create_virtual_mfa_device(&self, ctx: &RequestCtx, i: CreateVirtualMFADeviceRequest) -> R<CreateVirtualMFADeviceResponse> { mfa::create_virtual_mfa_device(self.app, ctx, i) }
    fn enable_mfa_device(&self, ctx: &RequestCtx, i: EnableMFADeviceRequest) -> R<()> { mfa::enable_mfa_device(self.app, ctx, i) }
    fn resync_mfa_device(&self, ctx: &RequestCtx, i: ResyncMFADeviceRequest) -> R<()> { mfa::resync_mfa_device(self.app, ctx, i) }
    fn deactivate_mfa_device(&self, ctx: &RequestCtx, i: DeactivateMFADeviceRequest) -> R<()> { mfa::deactivate_mfa_device(self.app, ctx, i) }
    fn delete_virtual_mfa_device(&self, ctx: &RequestCtx, i: DeleteVirtualMFADeviceRequest) -> R<()> { mfa::delete_virtual_mfa_device(self.app, ctx, i) }
    fn list_mfa_devices(&self, ctx: &RequestCtx, i: ListMFADevicesRequest) -> R<ListMFADevicesResponse> { mfa::list_mfa_devices(self.app, ctx, i) }
    fn list_virtual_mfa_devices(&self, ctx: &RequestCtx, i: ListVirtualMFADevicesRequest) -> R<ListVirtualMFADevicesResponse> { mfa::list_virtual_mfa_devices(self.app, ctx, i) }
    fn list_mfa_device_tags(&self, ctx: &RequestCtx, i: ListMFADeviceTagsRequest) -> R<ListMFADeviceTagsResponse> { mfa::list_mfa_device_tags(self.app, ctx, i) }
    fn get_mfa_device(&self, ctx: &RequestCtx, i: GetMFADeviceRequest) -> R<GetMFADeviceResponse> { mfa::get_mfa_device(self.app, ctx, i) }
    fn tag_mfa_device(&self, ctx: &RequestCtx, i: TagMFADeviceRequest) -> R<()> { mfa::tag_mfa_device(self.app, ctx, i) }
    fn untag_mfa_device(&self, ctx: &RequestCtx, i: UntagMFADeviceRequest) -> R<()> { mfa::untag_mfa_device(self.app, ctx, i) }
    fn create_policy(&self, ctx: &RequestCtx, i: CreatePolicyRequest) -> R<CreatePolicyResponse> { policies::create_policy(self.app, ctx, i) }
    fn get_policy(&self, ctx: &RequestCtx, i: GetPolicyRequest) -> R<GetPolicyResponse> { policies::get_policy(self.app, ctx, i) }
    fn list_policies(&self, ctx: &RequestCtx, i: ListPoliciesRequest) -> R<ListPoliciesResponse> { policies::list_policies(self.app, ctx, i) }
    fn delete_policy(&self, ctx: &RequestCtx, i: DeletePolicyRequest) -> R<()> { policies::delete_policy(self.app, ctx, i) }
    fn create_policy_version(&self, ctx: &RequestCtx, i: CreatePolicyVersionRequest) -> R<CreatePolicyVersionResponse> { policies::create_policy_version(self.app, ctx, i) }
    fn get_policy_version(&self, ctx: &RequestCtx, i: GetPolicyVersionRequest) -> R<GetPolicyVersionResponse> { policies::get_policy_version(self.app, ctx, i) }
    fn list_policy_versions(&self, ctx: &RequestCtx, i: ListPolicyVersionsRequest) -> R<ListPolicyVersionsResponse> { policies::list_policy_versions(self.app, ctx, i) }
    fn delete_policy_version(&self, ctx: &RequestCtx, i: DeletePolicyVersionRequest) -> R<()> { policies::delete_policy_version(self.app, ctx, i) }
    fn set_default_policy_version(&self, ctx: &RequestCtx, i: SetDefaultPolicyVersionRequest) -> R<()> { policies::set_default_policy_version(self.app, ctx, i) }
    fn tag_policy(&self, ctx: &RequestCtx, i: TagPolicyRequest) -> R<()> { policies::tag_policy(self.app, ctx, i) }
    fn untag_policy(&self, ctx: &RequestCtx, i: UntagPolicyRequest) -> R<()> { policies::untag_policy(self.app, ctx, i) }
    fn list_policy_tags(&self, ctx: &RequestCtx, i: ListPolicyTagsRequest) -> R<ListPolicyTagsResponse> { policies::list_policy_tags(self.app, ctx, i) }
    fn list_entities_for_policy(&self, ctx: &RequestCtx, i: ListEntitiesForPolicyRequest) -> R<ListEntitiesForPolicyResponse> { policies::list_entities_for_policy(self.app, ctx, i) }
    fn simulate_principal_policy(&self, ctx: &RequestCtx, i: SimulatePrincipalPolicyRequest) -> R<SimulatePolicyResponse> { simulation::simulate_principal_policy(self.app, ctx, i) }
    fn simulate_custom_policy(&self, ctx: &RequestCtx, i: SimulateCustomPolicyRequest) -> R<SimulatePolicyResponse> { simulation::simulate_custom_policy(self.app, ctx, i) }
    fn get_context_keys_for_custom_policy(&self, ctx: &RequestCtx, i: GetContextKeysForCustomPolicyRequest) -> R<GetContextKeysForPolicyResponse> { simulation::get_context_keys_for_custom_policy(self.app, ctx, i) }
    fn get_context_keys_for_principal_policy(&self, ctx: &RequestCtx, i: GetContextKeysForPrincipalPolicyRequest) -> R<GetContextKeysForPolicyResponse> { simulation::get_context_keys_for_principal_policy(self.app, ctx, i) }
    fn get_account_authorization_details(&self, ctx: &RequestCtx, i: GetAccountAuthorizationDetailsRequest) -> R<GetAccountAuthorizationDetailsResponse> { account::get_account_authorization_details(self.app, ctx, i) }
    fn create_role(&self, ctx: &RequestCtx, i: CreateRoleRequest) -> R<CreateRoleResponse> { roles::create_role(self.app, ctx, i) }
    fn get_role(&self, ctx: &RequestCtx, i: GetRoleRequest) -> R<GetRoleResponse> { roles::get_role(self.app, ctx, i) }
    fn list_roles(&self, ctx: &RequestCtx, i: ListRolesRequest) -> R<ListRolesResponse> { roles::list_roles(self.app, ctx, i) }
    fn update_role(&self, ctx: &RequestCtx, i: UpdateRoleRequest) -> R<UpdateRoleResponse> { roles::update_role(self.app, ctx, i) }
    fn update_role_description(&self, ctx: &RequestCtx, i: UpdateRoleDescriptionRequest) -> R<UpdateRoleDescriptionResponse> { roles::update_role_description(self.app, ctx, i) }
    fn update_assume_role_policy(&self, ctx: &RequestCtx, i: UpdateAssumeRolePolicyRequest) -> R<()> { roles::update_assume_role_policy(self.app, ctx, i) }
    fn delete_role(&self, ctx: &RequestCtx, i: DeleteRoleRequest) -> R<()> { roles::delete_role(self.app, ctx, i) }
    fn tag_role(&self, ctx: &RequestCtx, i: TagRoleRequest) -> R<()> { roles::tag_role(self.app, ctx, i) }
    fn untag_role(&self, ctx: &RequestCtx, i: UntagRoleRequest) -> R<()> { roles::untag_role(self.app, ctx, i) }
    fn list_role_tags(&self, ctx: &RequestCtx, i: ListRoleTagsRequest) -> R<ListRoleTagsResponse> { roles::list_role_tags(self.app, ctx, i) }
    fn put_role_permissions_boundary(&self, ctx: &RequestCtx, i: PutRolePermissionsBoundaryRequest) -> R<()> { policies::put_role_permissions_boundary(self.app, ctx, i) }
    fn delete_role_permissions_boundary(&self, ctx: &RequestCtx, i: DeleteRolePermissionsBoundaryRequest) -> R<()> { policies::delete_role_permissions_boundary(self.app, ctx, i) }
    fn create_service_linked_role(&self, ctx: &RequestCtx, i: CreateServiceLinkedRoleRequest) -> R<CreateServiceLinkedRoleResponse> { roles::create_service_linked_role(self.app, ctx, i) }
    fn delete_service_linked_role(&self, ctx: &RequestCtx, i: DeleteServiceLinkedRoleRequest) -> R<DeleteServiceLinkedRoleResponse> { roles::delete_service_linked_role(self.app, ctx, i) }
    fn get_service_linked_role_deletion_status(&self, ctx: &RequestCtx, i: GetServiceLinkedRoleDeletionStatusRequest) -> R<GetServiceLinkedRoleDeletionStatusResponse> { roles::get_service_linked_role_deletion_status(self.app, ctx, i) }
    fn create_instance_profile(&self, ctx: &RequestCtx, i: CreateInstanceProfileRequest) -> R<CreateInstanceProfileResponse> { instance_profiles::create_instance_profile(self.app, ctx, i) }
    fn get_instance_profile(&self, ctx: &RequestCtx, i: GetInstanceProfileRequest) -> R<GetInstanceProfileResponse> { instance_profiles::get_instance_profile(self.app, ctx, i) }
    fn list_instance_profiles(&self, ctx: &RequestCtx, i: ListInstanceProfilesRequest) -> R<ListInstanceProfilesResponse> { instance_profiles::list_instance_profiles(self.app, ctx, i) }
    fn list_instance_profiles_for_role(&self, ctx: &RequestCtx, i: ListInstanceProfilesForRoleRequest) -> R<ListInstanceProfilesForRoleResponse> { instance_profiles::list_instance_profiles_for_role(self.app, ctx, i) }
    fn delete_instance_profile(&self, ctx: &RequestCtx, i: DeleteInstanceProfileRequest) -> R<()> { instance_profiles::delete_instance_profile(self.app, ctx, i) }
    fn add_role_to_instance_profile(&self, ctx: &RequestCtx, i: AddRoleToInstanceProfileRequest) -> R<()> { instance_profiles::add_role_to_instance_profile(self.app, ctx, i) }
    fn remove_role_from_instance_profile(&self, ctx: &RequestCtx, i: RemoveRoleFromInstanceProfileRequest) -> R<()> { instance_profiles::remove_role_from_instance_profile(self.app, ctx, i) }
    fn tag_instance_profile(&self, ctx: &RequestCtx, i: TagInstanceProfileRequest) -> R<()> { instance_profiles::tag_instance_profile(self.app, ctx, i) }
    fn untag_instance_profile(&self, ctx: &RequestCtx, i: UntagInstanceProfileRequest) -> R<()> { instance_profiles::untag_instance_profile(self.app, ctx, i) }
    fn list_instance_profile_tags(&self, ctx: &RequestCtx, i: ListInstanceProfileTagsRequest) -> R<ListInstanceProfileTagsResponse> { instance_profiles::list_instance_profile_tags(self.app, ctx, i) }
    fn create_account_alias(&self, ctx: &RequestCtx, i: CreateAccountAliasRequest) -> R<()> { account::create_account_alias(self.app, ctx, i) }
    fn enable_outbound_web_identity_federation(&self, ctx: &RequestCtx) -> R<EnableOutboundWebIdentityFederationResponse> { crate::outbound::enable(self.app, ctx) }
    fn disable_outbound_web_identity_federation(&self, ctx: &RequestCtx) -> R<()> { crate::outbound::disable(self.app, ctx) }
    fn get_outbound_web_identity_federation_info(&self, ctx: &RequestCtx) -> R<GetOutboundWebIdentityFederationInfoResponse> { crate::outbound::info(self.app, ctx) }
    fn delete_account_alias(&self, ctx: &RequestCtx, i: DeleteAccountAliasRequest) -> R<()> { account::delete_account_alias(self.app, ctx, i) }
    fn list_account_aliases(&self, ctx: &RequestCtx, i: ListAccountAliasesRequest) -> R<ListAccountAliasesResponse> { account::list_account_aliases(self.app, ctx, i) }
    fn get_account_summary(&self, ctx: &RequestCtx) -> R<GetAccountSummaryResponse> { account::get_account_summary(self.app, ctx) }
    fn list_organizations_features(&self, ctx: &RequestCtx, _: ListOrganizationsFeaturesRequest) -> R<ListOrganizationsFeaturesResponse> { root_access::list_organizations_features(self.app, ctx) }
    fn enable_organizations_root_sessions(&self, ctx: &RequestCtx, _: EnableOrganizationsRootSessionsRequest) -> R<EnableOrganizationsRootSessionsResponse> { root_access::enable_root_sessions(self.app, ctx) }
    fn disable_organizations_root_sessions(&self, ctx: &RequestCtx, _: DisableOrganizationsRootSessionsRequest) -> R<DisableOrganizationsRootSessionsResponse> { root_access::disable_root_sessions(self.app, ctx) }
    fn enable_organizations_root_credentials_management(&self, ctx: &RequestCtx, _: EnableOrganizationsRootCredentialsManagementRequest) -> R<EnableOrganizationsRootCredentialsManagementResponse> { root_access::enable_root_credentials_management(self.app, ctx) }
    fn disable_organizations_root_credentials_management(&self, ctx: &RequestCtx, _: DisableOrganizationsRootCredentialsManagementRequest) -> R<DisableOrganizationsRootCredentialsManagementResponse> { root_access::disable_root_credentials_management(self.app, ctx) }
    fn set_security_token_service_preferences(&self, ctx: &RequestCtx, i: SetSecurityTokenServicePreferencesRequest) -> R<()> { account::set_security_token_service_preferences(self.app, ctx, i) }
    fn generate_credential_report(&self, ctx: &RequestCtx) -> R<GenerateCredentialReportResponse> { reports::generate_credential_report(self.app, ctx) }
    fn get_credential_report(&self, ctx: &RequestCtx) -> R<GetCredentialReportResponse> { reports::get_credential_report(self.app, ctx) }
    fn generate_service_last_accessed_details(&self, ctx: &RequestCtx, i: GenerateServiceLastAccessedDetailsRequest) -> R<GenerateServiceLastAccessedDetailsResponse> { reports::generate_service_last_accessed_details(self.app, ctx, i) }
    fn get_service_last_accessed_details(&self, ctx: &RequestCtx, i: GetServiceLastAccessedDetailsRequest) -> R<GetServiceLastAccessedDetailsResponse> { reports::get_service_last_accessed_details(self.app, ctx, i) }
    fn get_service_last_accessed_details_with_entities(&self, ctx: &RequestCtx, i: GetServiceLastAccessedDetailsWithEntitiesRequest) -> R<GetServiceLastAccessedDetailsWithEntitiesResponse> { reports::get_service_last_accessed_details_with_entities(self.app, ctx, i) }
    fn list_policies_granting_service_access(&self, ctx: &RequestCtx, i: ListPoliciesGrantingServiceAccessRequest) -> R<ListPoliciesGrantingServiceAccessResponse> { reports::list_policies_granting_service_access(self.app, ctx, i) }
    fn generate_organizations_access_report(&self, ctx: &RequestCtx, i: GenerateOrganizationsAccessReportRequest) -> R<GenerateOrganizationsAccessReportResponse> { reports::generate_organizations_access_report(self.app, ctx, i) }
    fn get_organizations_access_report(&self, ctx: &RequestCtx, i: GetOrganizationsAccessReportRequest) -> R<GetOrganizationsAccessReportResponse> { reports::get_organizations_access_report(self.app, ctx, i) }
    fn put_user_policy(&self, ctx: &RequestCtx, i: PutUserPolicyRequest) -> R<()> { policies::put_user_policy(self.app, ctx, i) }
    fn get_user_policy(&self, ctx: &RequestCtx, i: GetUserPolicyRequest) -> R<GetUserPolicyResponse> { policies::get_user_policy(self.app, ctx, i) }
    fn list_user_policies(&self, ctx: &RequestCtx, i: ListUserPoliciesRequest) -> R<ListUserPoliciesResponse> { policies::list_user_policies(self.app, ctx, i) }
    fn delete_user_policy(&self, ctx: &RequestCtx, i: DeleteUserPolicyRequest) -> R<()> { policies::delete_user_policy(self.app, ctx, i) }
    fn attach_user_policy(&self, ctx: &RequestCtx, i: AttachUserPolicyRequest) -> R<()> { policies::attach_user_policy(self.app, ctx, i) }
    fn detach_user_policy(&self, ctx: &RequestCtx, i: DetachUserPolicyRequest) -> R<()> { policies::detach_user_policy(self.app, ctx, i) }
    fn list_attached_user_policies(&self, ctx: &RequestCtx, i: ListAttachedUserPoliciesRequest) -> R<ListAttachedUserPoliciesResponse> { policies::list_attached_user_policies(self.app, ctx, i) }
    fn put_group_policy(&self, ctx: &RequestCtx, i: PutGroupPolicyRequest) -> R<()> { policies::put_group_policy(self.app, ctx, i) }
    fn get_group_policy(&self, ctx: &RequestCtx, i: GetGroupPolicyRequest) -> R<GetGroupPolicyResponse> { policies::get_group_policy(self.app, ctx, i) }
    fn list_group_policies(&self, ctx: &RequestCtx, i: ListGroupPoliciesRequest) -> R<ListGroupPoliciesResponse> { policies::list_group_policies(self.app, ctx, i) }
    fn delete_group_policy(&self, ctx: &RequestCtx, i: DeleteGroupPolicyRequest) -> R<()> { policies::delete_group_policy(self.app, ctx, i) }
    fn attach_group_policy(&self, ctx: &RequestCtx, i: AttachGroupPolicyRequest) -> R<()> { policies::attach_group_policy(self.app, ctx, i) }
    fn detach_group_policy(&self, ctx: &RequestCtx, i: DetachGroupPolicyRequest) -> R<()> { policies::detach_group_policy(self.app, ctx, i) }
    fn list_attached_group_policies(&self, ctx: &RequestCtx, i: ListAttachedGroupPoliciesRequest) -> R<ListAttachedGroupPoliciesResponse> { policies::list_attached_group_policies(self.app, ctx, i) }
    fn put_role_policy(&self, ctx: &RequestCtx, i: PutRolePolicyRequest) -> R<()> { policies::put_role_policy(self.app, ctx, i) }
    fn get_role_policy(&self, ctx: &RequestCtx, i: GetRolePolicyRequest) -> R<GetRolePolicyResponse> { policies::get_role_policy(self.app, ctx, i) }
    fn list_role_policies(&self, ctx: &RequestCtx, i: ListRolePoliciesRequest) -> R<ListRolePoliciesResponse> { policies::list_role_policies(self.app, ctx, i) }
    fn delete_role_policy(&self, ctx: &RequestCtx, i: DeleteRolePolicyRequest) -> R<()> { policies::delete_role_policy(self.app, ctx, i) }
    fn attach_role_policy(&self, ctx: &RequestCtx, i: AttachRolePolicyRequest) -> R<()> { policies::attach_role_policy(self.app, ctx, i) }
    fn detach_role_policy(&self, ctx: &RequestCtx, i: DetachRolePolicyRequest) -> R<()> { policies::detach_role_policy(self.app, ctx, i) }
    fn list_attached_role_policies(&self, ctx: &RequestCtx, i: ListAttachedRolePoliciesRequest) -> R<ListAttachedRolePoliciesResponse> { policies::list_attached_role_policies(self.app, ctx, i) }
    fn create_saml_provider(&self, ctx: &RequestCtx, i: CreateSAMLProviderRequest) -> R<CreateSAMLProviderResponse> { saml_providers::create_saml_provider(self.app, ctx, i) }
    fn get_saml_provider(&self, ctx: &RequestCtx, i: GetSAMLProviderRequest) -> R<GetSAMLProviderResponse> { saml_providers::get_saml_provider(self.app, ctx, i) }
    fn list_saml_providers(&self, ctx: &RequestCtx, i: ListSAMLProvidersRequest) -> R<ListSAMLProvidersResponse> { saml_providers::list_saml_providers(self.app, ctx, i) }
    fn update_saml_provider(&self, ctx: &RequestCtx, i: UpdateSAMLProviderRequest) -> R<UpdateSAMLProviderResponse> { saml_providers::update_saml_provider(self.app, ctx, i) }
    fn delete_saml_provider(&self, ctx: &RequestCtx, i: DeleteSAMLProviderRequest) -> R<()> { saml_providers::delete_saml_provider(self.app, ctx, i) }
    fn tag_saml_provider(&self, ctx: &RequestCtx, i: TagSAMLProviderRequest) -> R<()> { saml_providers::tag_saml_provider(self.app, ctx, i) }
    fn untag_saml_provider(&self, ctx: &RequestCtx, i: UntagSAMLProviderRequest) -> R<()> { saml_providers::untag_saml_provider(self.app, ctx, i) }
    fn list_saml_provider_tags(&self, ctx: &RequestCtx, i: ListSAMLProviderTagsRequest) -> R<ListSAMLProviderTagsResponse> { saml_providers::list_saml_provider_tags(self.app, ctx, i) }
}
