//! Organizations handlers (JSON 1.1 protocol).

use warden_core::org_policies::{PolicyView, TargetView};
use warden_core::org_units::{Child as ChildEntry, OrgUnit};
use warden_core::orgs::{CreateAccountRequest as Request, Member, Organization as Org};
use warden_wire::generated::organizations::*;
use warden_wire::page::{PageItems, PageRequest};

use crate::edge::RequestCtx;
use crate::mapping::{page_by_position, page_out, ts, HandlerError, R};
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
    Ok(page_out(page_by_position(items, 6, input)?, f))
}

fn account_out(o: &Org, m: &Member) -> Account {
    Account {
        id: Some(m.account.clone()),
        arn: Some(o.account_arn(&m.account)),
        email: Some(m.email.clone()),
        name: Some(m.name.clone()),
        status: Some(AccountStatus::ACTIVE),
        state: Some(AccountState::ACTIVE),
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
        state: Some(if r.failure.is_some() {
            CreateAccountState::FAILED
        } else {
            CreateAccountState::SUCCEEDED
        }),
        requested_timestamp: Some(ts(r.requested)),
        completed_timestamp: Some(ts(r.completed)),
        account_id: (!r.account.is_empty()).then(|| r.account.clone()),
        gov_cloud_account_id: None,
        failure_reason: r.failure.clone().map(CreateAccountFailureReason::from),
    }
}

impl OrganizationsApi for Organizations<'_> {
    type Ctx = RequestCtx;
    type Error = HandlerError;

    fn create_organization(
        &self,
        ctx: &RequestCtx,
        input: CreateOrganizationRequest,
    ) -> R<CreateOrganizationResponse> {
        let org = self.app.warden.create_organization(
            &ctx.caller.account,
            input.feature_set.as_ref().map(|f| f.as_str()),
        )?;
        Ok(CreateOrganizationResponse {
            organization: Some(org_out(&org)),
        })
    }

    fn describe_organization(&self, ctx: &RequestCtx) -> R<DescribeOrganizationResponse> {
        let org = self.app.warden.describe_organization(&ctx.caller.account)?;
        Ok(DescribeOrganizationResponse {
            organization: Some(org_out(&org)),
        })
    }

    fn create_account(
        &self,
        ctx: &RequestCtx,
        input: CreateAccountRequest,
    ) -> R<CreateAccountResponse> {
        let request = self.app.warden.create_member_account(
            &ctx.caller.account,
            &input.account_name,
            &input.email,
            input.role_name.as_deref(),
            tags_of(input.tags),
        )?;
        Ok(CreateAccountResponse {
            create_account_status: Some(status_out(&request)),
        })
    }

    fn describe_create_account_status(
        &self,
        ctx: &RequestCtx,
        input: DescribeCreateAccountStatusRequest,
    ) -> R<DescribeCreateAccountStatusResponse> {
        let request = self.app.warden.describe_create_account_status(
            &ctx.caller.account,
            &input.create_account_request_id,
        )?;
        Ok(DescribeCreateAccountStatusResponse {
            create_account_status: Some(status_out(&request)),
        })
    }

    fn list_accounts(
        &self,
        ctx: &RequestCtx,
        input: ListAccountsRequest,
    ) -> R<ListAccountsResponse> {
        let org = self.app.warden.list_member_accounts(&ctx.caller.account)?;
        paged(org.members.iter().collect(), &input, |m| {
            account_out(&org, m)
        })
    }

    fn describe_account(
        &self,
        ctx: &RequestCtx,
        input: DescribeAccountRequest,
    ) -> R<DescribeAccountResponse> {
        let (org, member) = self
            .app
            .warden
            .describe_member_account(&ctx.caller.account, &input.account_id)?;
        Ok(DescribeAccountResponse {
            account: Some(account_out(&org, &member)),
        })
    }

    fn list_roots(&self, ctx: &RequestCtx, input: ListRootsRequest) -> R<ListRootsResponse> {
        let org = self.app.warden.list_roots(&ctx.caller.account)?;
        paged(vec![root_out(&org)], &input, Clone::clone)
    }

    fn enable_policy_type(
        &self,
        ctx: &RequestCtx,
        input: EnablePolicyTypeRequest,
    ) -> R<EnablePolicyTypeResponse> {
        let org = self.app.warden.enable_policy_type(
            &ctx.caller.account,
            &input.root_id,
            input.policy_type.as_str(),
        )?;
        Ok(EnablePolicyTypeResponse {
            root: Some(root_out(&org)),
        })
    }

    fn disable_policy_type(
        &self,
        ctx: &RequestCtx,
        input: DisablePolicyTypeRequest,
    ) -> R<DisablePolicyTypeResponse> {
        let org = self.app.warden.disable_policy_type(
            &ctx.caller.account,
            &input.root_id,
            input.policy_type.as_str(),
        )?;
        Ok(DisablePolicyTypeResponse {
            root: Some(root_out(&org)),
        })
    }

    fn create_policy(
        &self,
        ctx: &RequestCtx,
        input: CreatePolicyRequest,
    ) -> R<CreatePolicyResponse> {
        let tags = tags_of(input.tags);
        let policy = self.app.warden.create_org_policy(
            &ctx.caller.account,
            &input.name,
            &input.description,
            input.type_.as_str(),
            &input.content,
            tags,
        )?;
        Ok(CreatePolicyResponse {
            policy: Some(policy_out(&policy)),
        })
    }

    fn describe_policy(
        &self,
        ctx: &RequestCtx,
        input: DescribePolicyRequest,
    ) -> R<DescribePolicyResponse> {
        let policy = self
            .app
            .warden
            .describe_org_policy(&ctx.caller.account, &input.policy_id)?;
        Ok(DescribePolicyResponse {
            policy: Some(policy_out(&policy)),
        })
    }

    fn update_policy(
        &self,
        ctx: &RequestCtx,
        input: UpdatePolicyRequest,
    ) -> R<UpdatePolicyResponse> {
        let policy = self.app.warden.update_org_policy(
            &ctx.caller.account,
            &input.policy_id,
            input.name.as_deref(),
            input.description.as_deref(),
            input.content.as_deref(),
        )?;
        Ok(UpdatePolicyResponse {
            policy: Some(policy_out(&policy)),
        })
    }

    fn delete_policy(&self, ctx: &RequestCtx, input: DeletePolicyRequest) -> R<()> {
        self.app
            .warden
            .delete_org_policy(&ctx.caller.account, &input.policy_id)?;
        Ok(())
    }

    fn list_policies(
        &self,
        ctx: &RequestCtx,
        input: ListPoliciesRequest,
    ) -> R<ListPoliciesResponse> {
        let policies = self
            .app
            .warden
            .list_org_policies(&ctx.caller.account, input.filter.as_str())?;
        paged(policies, &input, summary_out)
    }

    fn attach_policy(&self, ctx: &RequestCtx, input: AttachPolicyRequest) -> R<()> {
        self.app.warden.attach_org_policy(
            &ctx.caller.account,
            &input.policy_id,
            &input.target_id,
        )?;
        Ok(())
    }

    fn detach_policy(&self, ctx: &RequestCtx, input: DetachPolicyRequest) -> R<()> {
        self.app.warden.detach_org_policy(
            &ctx.caller.account,
            &input.policy_id,
            &input.target_id,
        )?;
        Ok(())
    }

    fn list_policies_for_target(
        &self,
        ctx: &RequestCtx,
        input: ListPoliciesForTargetRequest,
    ) -> R<ListPoliciesForTargetResponse> {
        let policies = self.app.warden.org_policies_for_target(
            &ctx.caller.account,
            &input.target_id,
            input.filter.as_str(),
        )?;
        paged(policies, &input, summary_out)
    }

    fn list_targets_for_policy(
        &self,
        ctx: &RequestCtx,
        input: ListTargetsForPolicyRequest,
    ) -> R<ListTargetsForPolicyResponse> {
        let targets = self
            .app
            .warden
            .org_targets_for_policy(&ctx.caller.account, &input.policy_id)?;
        paged(targets, &input, target_out)
    }
    fn create_organizational_unit(
        &self,
        ctx: &RequestCtx,
        input: CreateOrganizationalUnitRequest,
    ) -> R<CreateOrganizationalUnitResponse> {
        let warden = &self.app.warden;
        let account = &ctx.caller.account;
        let unit =
            warden.create_org_unit(account, &input.parent_id, &input.name, tags_of(input.tags))?;
        let org = warden.list_roots(account)?;
        Ok(CreateOrganizationalUnitResponse {
            organizational_unit: Some(unit_out(&org, &unit)),
        })
    }

    fn describe_organizational_unit(
        &self,
        ctx: &RequestCtx,
        input: DescribeOrganizationalUnitRequest,
    ) -> R<DescribeOrganizationalUnitResponse> {
        let warden = &self.app.warden;
        let account = &ctx.caller.account;
        let unit = warden.describe_org_unit(account, &input.organizational_unit_id)?;
        let org = warden.list_roots(account)?;
        Ok(DescribeOrganizationalUnitResponse {
            organizational_unit: Some(unit_out(&org, &unit)),
        })
    }

    fn update_organizational_unit(
        &self,
        ctx: &RequestCtx,
        input: UpdateOrganizationalUnitRequest,
    ) -> R<UpdateOrganizationalUnitResponse> {
        let warden = &self.app.warden;
        let account = &ctx.caller.account;
        let unit = warden.rename_org_unit(
            account,
            &input.organizational_unit_id,
            input.name.as_deref(),
        )?;
        let org = warden.list_roots(account)?;
        Ok(UpdateOrganizationalUnitResponse {
            organizational_unit: Some(unit_out(&org, &unit)),
        })
    }

    fn delete_organizational_unit(
        &self,
        ctx: &RequestCtx,
        input: DeleteOrganizationalUnitRequest,
    ) -> R<()> {
        self.app
            .warden
            .delete_org_unit(&ctx.caller.account, &input.organizational_unit_id)?;
        Ok(())
    }

    fn list_organizational_units_for_parent(
        &self,
        ctx: &RequestCtx,
        input: ListOrganizationalUnitsForParentRequest,
    ) -> R<ListOrganizationalUnitsForParentResponse> {
        let warden = &self.app.warden;
        let account = &ctx.caller.account;
        let units = warden.org_units_for_parent(account, &input.parent_id)?;
        let org = warden.list_roots(account)?;
        paged(units, &input, |u| unit_out(&org, u))
    }

    fn list_accounts_for_parent(
        &self,
        ctx: &RequestCtx,
        input: ListAccountsForParentRequest,
    ) -> R<ListAccountsForParentResponse> {
        let warden = &self.app.warden;
        let account = &ctx.caller.account;
        let members = warden.org_accounts_for_parent(account, &input.parent_id)?;
        let org = warden.list_roots(account)?;
        paged(members, &input, |m| account_out(&org, m))
    }

    fn list_children(
        &self,
        ctx: &RequestCtx,
        input: ListChildrenRequest,
    ) -> R<ListChildrenResponse> {
        let children = self
            .app
            .warden
            .org_children(&ctx.caller.account, &input.parent_id)?;
        let wanted: Vec<Child> = children
            .into_iter()
            .filter_map(|c| {
                let (id, kind) = match c {
                    ChildEntry::Account(id) => (id, ChildType::ACCOUNT),
                    ChildEntry::OrganizationalUnit(id) => (id, ChildType::ORGANIZATIONAL_UNIT),
                };
                (kind == input.child_type).then_some(Child {
                    id: Some(id),
                    type_: Some(kind),
                })
            })
            .collect();
        paged(wanted, &input, Clone::clone)
    }

    fn list_parents(&self, ctx: &RequestCtx, input: ListParentsRequest) -> R<ListParentsResponse> {
        let (id, kind) = self
            .app
            .warden
            .org_parent_of(&ctx.caller.account, &input.child_id)?;
        paged(
            vec![Parent {
                id: Some(id),
                type_: Some(ParentType::from(kind.as_str().to_string())),
            }],
            &input,
            Clone::clone,
        )
    }

    fn move_account(&self, ctx: &RequestCtx, input: MoveAccountRequest) -> R<()> {
        self.app.warden.move_org_account(
            &ctx.caller.account,
            &input.account_id,
            &input.source_parent_id,
            &input.destination_parent_id,
        )?;
        Ok(())
    }
    fn tag_resource(&self, ctx: &RequestCtx, input: TagResourceRequest) -> R<()> {
        self.app.warden.tag_org_resource(
            &ctx.caller.account,
            &input.resource_id,
            tags_of(Some(input.tags)),
        )?;
        Ok(())
    }

    fn untag_resource(&self, ctx: &RequestCtx, input: UntagResourceRequest) -> R<()> {
        self.app.warden.untag_org_resource(
            &ctx.caller.account,
            &input.resource_id,
            &input.tag_keys,
        )?;
        Ok(())
    }

    fn list_tags_for_resource(
        &self,
        ctx: &RequestCtx,
        input: ListTagsForResourceRequest,
    ) -> R<ListTagsForResourceResponse> {
        let tags = self
            .app
            .warden
            .org_resource_tags(&ctx.caller.account, &input.resource_id)?;
        paged(tags, &input, |t| Tag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
    }
}
