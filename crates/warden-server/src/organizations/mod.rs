//! Organizations handlers (JSON 1.1 protocol): the routing table from the
//! generated `OrganizationsApi` trait to one plain function per operation,
//! grouped by concern in the submodules, and the conversions they share.

mod accounts;
mod delegation;
mod handshakes;
mod organization;
mod policies;
mod tags;
mod transfers;
mod units;

use warden_core::org_policies::{PolicyView, TargetView};
use warden_core::org_units::{Child as ChildEntry, OrgUnit};
use warden_core::orgs::{CreateAccountRequest as Request, Member, Organization as Org};
use warden_core::page::PageQuery;
use warden_wire::generated::organizations::*;
use warden_wire::page::{PageItems, PageRequest};

use crate::edge::RequestCtx;
use crate::mapping::{page_by_position, page_out, page_with, ts, HandlerError, R};
use crate::AppState;

pub struct Organizations<'a> {
    pub app: &'a AppState,
}

fn org_out(o: &Org) -> Organization {
    Organization {
        id: Some(o.id.clone()),
        arn: Some(o.arn()),
        feature_set: Some(OrganizationFeatureSet::from(o.feature_set.clone())),
        master_account_arn: Some(o.account_arn(&o.management_account)),
        master_account_id: Some(o.management_account.clone()),
        master_account_email: Some(o.management_email.clone()),
        available_policy_types: Some(policy_types_out(o)),
    }
}

fn policy_types_out(o: &Org) -> Vec<PolicyTypeSummary> {
    o.enabled_policy_types
        .iter()
        .map(|t| PolicyTypeSummary {
            type_: Some(PolicyType::from(t.clone())),
            status: Some(PolicyTypeStatus::ENABLED),
        })
        .collect()
}

fn root_out(o: &Org) -> Root {
    Root {
        id: Some(o.root_id()),
        arn: Some(o.root_arn()),
        name: Some("Root".to_string()),
        policy_types: Some(policy_types_out(o)),
    }
}

fn summary_out(p: &PolicyView) -> PolicySummary {
    PolicySummary {
        id: Some(p.id.clone()),
        arn: Some(p.arn.clone()),
        name: Some(p.name.clone()),
        description: Some(p.description.clone()),
        type_: Some(PolicyType::from(p.policy_type.clone())),
        aws_managed: Some(p.aws_managed),
    }
}

fn policy_out(p: &PolicyView) -> Policy {
    Policy {
        policy_summary: Some(summary_out(p)),
        content: Some(p.content.clone()),
    }
}

fn target_out(t: &TargetView) -> PolicyTargetSummary {
    PolicyTargetSummary {
        target_id: Some(t.id.clone()),
        arn: Some(t.arn.clone()),
        name: Some(t.name.clone()),
        type_: Some(TargetType::from(t.kind.to_string())),
    }
}

/// One page of a list answered in a fixed order, as `Resp` (the NextToken
/// is the item's position).
fn paged<Resp: PageItems<Rest = ()>, T>(
    items: Vec<T>,
    input: &impl PageRequest,
    f: impl FnMut(&T) -> Resp::Item,
) -> R<Resp> {
    Ok(page_out(
        page_by_position(items, 6, PageQuery::of(input))?,
        f,
    ))
}

fn account_out(o: &Org, m: &Member) -> Account {
    let (status, state) = warden_core::orgs::account_closure::account_status(
        o,
        &m.account,
        warden_core::model::now_epoch(),
    );
    Account {
        id: Some(m.account.clone()),
        arn: Some(o.account_arn(&m.account)),
        email: Some(m.email.clone()),
        name: Some(m.name.clone()),
        status: Some(AccountStatus::from(status.to_string())),
        state: Some(AccountState::from(state.to_string())),
        paths: Some(vec![o.account_path(&m.account)]),
        joined_method: Some(AccountJoinedMethod::from(m.joined_method.clone())),
        joined_timestamp: Some(ts(m.joined)),
    }
}

fn unit_out(o: &Org, u: &OrgUnit) -> OrganizationalUnit {
    OrganizationalUnit {
        id: Some(u.id.clone()),
        arn: Some(o.unit_arn(&u.id)),
        name: Some(u.name.clone()),
        path: Some(o.path_of(&u.id)),
    }
}

fn tags_of(tags: Option<Vec<Tag>>) -> Vec<warden_core::model::Tag> {
    tags.unwrap_or_default()
        .into_iter()
        .map(|t| warden_core::model::Tag {
            key: t.key,
            value: t.value,
        })
        .collect()
}

fn status_out(r: &Request) -> CreateAccountStatus {
    CreateAccountStatus {
        id: Some(r.id.clone()),
        account_name: Some(r.account_name.clone()),
        state: Some(CreateAccountState::from(r.state().to_string())),
        requested_timestamp: Some(ts(r.requested)),
        completed_timestamp: Some(ts(r.completed)),
        account_id: (!r.account.is_empty()).then(|| r.account.clone()),
        gov_cloud_account_id: None,
        failure_reason: r.failure.clone().map(CreateAccountFailureReason::from),
    }
}

#[rustfmt::skip]
impl OrganizationsApi for Organizations<'_> {
    type Ctx = RequestCtx;
    type Error = HandlerError;

    fn create_organization(&self, ctx: &RequestCtx, input: CreateOrganizationRequest) -> R<CreateOrganizationResponse> { organization::create_organization(self.app, ctx, input) }
    fn describe_organization(&self, ctx: &RequestCtx) -> R<DescribeOrganizationResponse> { organization::describe_organization(self.app, ctx) }
    fn delete_organization(&self, ctx: &RequestCtx) -> R<()> { organization::delete_organization(self.app, ctx) }
    fn create_account(&self, ctx: &RequestCtx, input: CreateAccountRequest) -> R<CreateAccountResponse> { accounts::create_account(self.app, ctx, input) }
    fn describe_create_account_status(&self, ctx: &RequestCtx, input: DescribeCreateAccountStatusRequest) -> R<DescribeCreateAccountStatusResponse> { accounts::describe_create_account_status(self.app, ctx, input) }
    fn list_accounts(&self, ctx: &RequestCtx, input: ListAccountsRequest) -> R<ListAccountsResponse> { accounts::list_accounts(self.app, ctx, input) }
    fn describe_account(&self, ctx: &RequestCtx, input: DescribeAccountRequest) -> R<DescribeAccountResponse> { accounts::describe_account(self.app, ctx, input) }
    fn remove_account_from_organization(&self, ctx: &RequestCtx, input: RemoveAccountFromOrganizationRequest) -> R<()> { accounts::remove_account_from_organization(self.app, ctx, input) }
    fn leave_organization(&self, ctx: &RequestCtx) -> R<()> { accounts::leave_organization(self.app, ctx) }
    fn list_create_account_status(&self, ctx: &RequestCtx, input: ListCreateAccountStatusRequest) -> R<ListCreateAccountStatusResponse> { accounts::list_create_account_status(self.app, ctx, input) }
    fn list_roots(&self, ctx: &RequestCtx, input: ListRootsRequest) -> R<ListRootsResponse> { organization::list_roots(self.app, ctx, input) }
    fn enable_policy_type(&self, ctx: &RequestCtx, input: EnablePolicyTypeRequest) -> R<EnablePolicyTypeResponse> { organization::enable_policy_type(self.app, ctx, input) }
    fn disable_policy_type(&self, ctx: &RequestCtx, input: DisablePolicyTypeRequest) -> R<DisablePolicyTypeResponse> { organization::disable_policy_type(self.app, ctx, input) }
    fn create_policy(&self, ctx: &RequestCtx, input: CreatePolicyRequest) -> R<CreatePolicyResponse> { policies::create_policy(self.app, ctx, input) }
    fn describe_policy(&self, ctx: &RequestCtx, input: DescribePolicyRequest) -> R<DescribePolicyResponse> { policies::describe_policy(self.app, ctx, input) }
    fn update_policy(&self, ctx: &RequestCtx, input: UpdatePolicyRequest) -> R<UpdatePolicyResponse> { policies::update_policy(self.app, ctx, input) }
    fn delete_policy(&self, ctx: &RequestCtx, input: DeletePolicyRequest) -> R<()> { policies::delete_policy(self.app, ctx, input) }
    fn list_policies(&self, ctx: &RequestCtx, input: ListPoliciesRequest) -> R<ListPoliciesResponse> { policies::list_policies(self.app, ctx, input) }
    fn attach_policy(&self, ctx: &RequestCtx, input: AttachPolicyRequest) -> R<()> { policies::attach_policy(self.app, ctx, input) }
    fn detach_policy(&self, ctx: &RequestCtx, input: DetachPolicyRequest) -> R<()> { policies::detach_policy(self.app, ctx, input) }
    fn list_policies_for_target(&self, ctx: &RequestCtx, input: ListPoliciesForTargetRequest) -> R<ListPoliciesForTargetResponse> { policies::list_policies_for_target(self.app, ctx, input) }
    fn list_targets_for_policy(&self, ctx: &RequestCtx, input: ListTargetsForPolicyRequest) -> R<ListTargetsForPolicyResponse> { policies::list_targets_for_policy(self.app, ctx, input) }
    fn create_organizational_unit(&self, ctx: &RequestCtx, input: CreateOrganizationalUnitRequest) -> R<CreateOrganizationalUnitResponse> { units::create_organizational_unit(self.app, ctx, input) }
    fn describe_organizational_unit(&self, ctx: &RequestCtx, input: DescribeOrganizationalUnitRequest) -> R<DescribeOrganizationalUnitResponse> { units::describe_organizational_unit(self.app, ctx, input) }
    fn update_organizational_unit(&self, ctx: &RequestCtx, input: UpdateOrganizationalUnitRequest) -> R<UpdateOrganizationalUnitResponse> { units::update_organizational_unit(self.app, ctx, input) }
    fn delete_organizational_unit(&self, ctx: &RequestCtx, input: DeleteOrganizationalUnitRequest) -> R<()> { units::delete_organizational_unit(self.app, ctx, input) }
    fn list_organizational_units_for_parent(&self, ctx: &RequestCtx, input: ListOrganizationalUnitsForParentRequest) -> R<ListOrganizationalUnitsForParentResponse> { units::list_organizational_units_for_parent(self.app, ctx, input) }
    fn list_accounts_for_parent(&self, ctx: &RequestCtx, input: ListAccountsForParentRequest) -> R<ListAccountsForParentResponse> { units::list_accounts_for_parent(self.app, ctx, input) }
    fn list_children(&self, ctx: &RequestCtx, input: ListChildrenRequest) -> R<ListChildrenResponse> { units::list_children(self.app, ctx, input) }
    fn list_parents(&self, ctx: &RequestCtx, input: ListParentsRequest) -> R<ListParentsResponse> { units::list_parents(self.app, ctx, input) }
    fn move_account(&self, ctx: &RequestCtx, input: MoveAccountRequest) -> R<()> { accounts::move_account(self.app, ctx, input) }
    fn tag_resource(&self, ctx: &RequestCtx, input: TagResourceRequest) -> R<()> { tags::tag_resource(self.app, ctx, input) }
    fn untag_resource(&self, ctx: &RequestCtx, input: UntagResourceRequest) -> R<()> { tags::untag_resource(self.app, ctx, input) }
    fn list_tags_for_resource(&self, ctx: &RequestCtx, input: ListTagsForResourceRequest) -> R<ListTagsForResourceResponse> { tags::list_tags_for_resource(self.app, ctx, input) }
    fn invite_account_to_organization(&self, ctx: &RequestCtx, input: InviteAccountToOrganizationRequest) -> R<InviteAccountToOrganizationResponse> { handshakes::invite_account_to_organization(self.app, ctx, input) }
    fn accept_handshake(&self, ctx: &RequestCtx, input: AcceptHandshakeRequest) -> R<AcceptHandshakeResponse> { handshakes::accept_handshake(self.app, ctx, input) }
    fn decline_handshake(&self, ctx: &RequestCtx, input: DeclineHandshakeRequest) -> R<DeclineHandshakeResponse> { handshakes::decline_handshake(self.app, ctx, input) }
    fn cancel_handshake(&self, ctx: &RequestCtx, input: CancelHandshakeRequest) -> R<CancelHandshakeResponse> { handshakes::cancel_handshake(self.app, ctx, input) }
    fn describe_handshake(&self, ctx: &RequestCtx, input: DescribeHandshakeRequest) -> R<DescribeHandshakeResponse> { handshakes::describe_handshake(self.app, ctx, input) }
    fn list_handshakes_for_account(&self, ctx: &RequestCtx, input: ListHandshakesForAccountRequest) -> R<ListHandshakesForAccountResponse> { handshakes::list_handshakes_for_account(self.app, ctx, input) }
    fn list_handshakes_for_organization(&self, ctx: &RequestCtx, input: ListHandshakesForOrganizationRequest) -> R<ListHandshakesForOrganizationResponse> { handshakes::list_handshakes_for_organization(self.app, ctx, input) }
    fn enable_all_features(&self, ctx: &RequestCtx, input: EnableAllFeaturesRequest) -> R<EnableAllFeaturesResponse> { handshakes::enable_all_features(self.app, ctx, input) }
    fn close_account(&self, ctx: &RequestCtx, input: CloseAccountRequest) -> R<()> { delegation::close_account(self.app, ctx, input) }
    fn enable_aws_service_access(&self, ctx: &RequestCtx, input: EnableAWSServiceAccessRequest) -> R<()> { delegation::enable_aws_service_access(self.app, ctx, input) }
    fn disable_aws_service_access(&self, ctx: &RequestCtx, input: DisableAWSServiceAccessRequest) -> R<()> { delegation::disable_aws_service_access(self.app, ctx, input) }
    fn list_aws_service_access_for_organization(&self, ctx: &RequestCtx, input: ListAWSServiceAccessForOrganizationRequest) -> R<ListAWSServiceAccessForOrganizationResponse> { delegation::list_aws_service_access_for_organization(self.app, ctx, input) }
    fn register_delegated_administrator(&self, ctx: &RequestCtx, input: RegisterDelegatedAdministratorRequest) -> R<()> { delegation::register_delegated_administrator(self.app, ctx, input) }
    fn deregister_delegated_administrator(&self, ctx: &RequestCtx, input: DeregisterDelegatedAdministratorRequest) -> R<()> { delegation::deregister_delegated_administrator(self.app, ctx, input) }
    fn list_delegated_administrators(&self, ctx: &RequestCtx, input: ListDelegatedAdministratorsRequest) -> R<ListDelegatedAdministratorsResponse> { delegation::list_delegated_administrators(self.app, ctx, input) }
    fn list_delegated_services_for_account(&self, ctx: &RequestCtx, input: ListDelegatedServicesForAccountRequest) -> R<ListDelegatedServicesForAccountResponse> { delegation::list_delegated_services_for_account(self.app, ctx, input) }
    fn put_resource_policy(&self, ctx: &RequestCtx, input: PutResourcePolicyRequest) -> R<PutResourcePolicyResponse> { delegation::put_resource_policy(self.app, ctx, input) }
    fn describe_resource_policy(&self, ctx: &RequestCtx) -> R<DescribeResourcePolicyResponse> { delegation::describe_resource_policy(self.app, ctx) }
    fn delete_resource_policy(&self, ctx: &RequestCtx) -> R<()> { delegation::delete_resource_policy(self.app, ctx) }
    fn describe_effective_policy(&self, ctx: &RequestCtx, input: DescribeEffectivePolicyRequest) -> R<DescribeEffectivePolicyResponse> { policies::describe_effective_policy(self.app, ctx, input) }
    fn list_accounts_with_invalid_effective_policy(&self, ctx: &RequestCtx, input: ListAccountsWithInvalidEffectivePolicyRequest) -> R<ListAccountsWithInvalidEffectivePolicyResponse> { policies::list_accounts_with_invalid_effective_policy(self.app, ctx, input) }
    fn list_effective_policy_validation_errors(&self, ctx: &RequestCtx, input: ListEffectivePolicyValidationErrorsRequest) -> R<ListEffectivePolicyValidationErrorsResponse> { policies::list_effective_policy_validation_errors(self.app, ctx, input) }
    fn invite_organization_to_transfer_responsibility(&self, ctx: &RequestCtx, input: InviteOrganizationToTransferResponsibilityRequest) -> R<InviteOrganizationToTransferResponsibilityResponse> { transfers::invite_organization_to_transfer_responsibility(self.app, ctx, input) }
    fn describe_responsibility_transfer(&self, ctx: &RequestCtx, input: DescribeResponsibilityTransferRequest) -> R<DescribeResponsibilityTransferResponse> { transfers::describe_responsibility_transfer(self.app, ctx, input) }
    fn list_inbound_responsibility_transfers(&self, ctx: &RequestCtx, input: ListInboundResponsibilityTransfersRequest) -> R<ListInboundResponsibilityTransfersResponse> { transfers::list_inbound_responsibility_transfers(self.app, ctx, input) }
    fn list_outbound_responsibility_transfers(&self, ctx: &RequestCtx, input: ListOutboundResponsibilityTransfersRequest) -> R<ListOutboundResponsibilityTransfersResponse> { transfers::list_outbound_responsibility_transfers(self.app, ctx, input) }
    fn update_responsibility_transfer(&self, ctx: &RequestCtx, input: UpdateResponsibilityTransferRequest) -> R<UpdateResponsibilityTransferResponse> { transfers::update_responsibility_transfer(self.app, ctx, input) }
    fn terminate_responsibility_transfer(&self, ctx: &RequestCtx, input: TerminateResponsibilityTransferRequest) -> R<TerminateResponsibilityTransferResponse> { transfers::terminate_responsibility_transfer(self.app, ctx, input) }
}
