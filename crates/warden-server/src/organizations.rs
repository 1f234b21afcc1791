//! Organizations handlers (JSON 1.1 protocol).

use warden_core::orgs::{CreateAccountRequest as Request, Member, Organization as Org};
use warden_wire::generated::organizations::*;
use warden_wire::ApiError;

use crate::edge::RequestCtx;
use crate::mapping::{api_error, ts};
use crate::AppState;

pub struct Organizations<'a> {
    pub app: &'a AppState,
}

type R<T> = Result<T, ApiError>;

fn org_out(o: &Org) -> Organization {
    Organization {
        id: Some(o.id.clone()),
        arn: Some(o.arn()),
        feature_set: Some(o.feature_set.clone()),
        master_account_arn: Some(o.account_arn(&o.management_account)),
        master_account_id: Some(o.management_account.clone()),
        master_account_email: Some(o.management_email.clone()),
        available_policy_types: Some(Vec::new()),
    }
}

fn account_out(o: &Org, m: &Member) -> Account {
    Account {
        id: Some(m.account.clone()),
        arn: Some(o.account_arn(&m.account)),
        email: Some(m.email.clone()),
        name: Some(m.name.clone()),
        status: Some("ACTIVE".to_string()),
        state: Some("ACTIVE".to_string()),
        paths: None,
        joined_method: Some(m.joined_method.clone()),
        joined_timestamp: Some(ts(m.joined)),
    }
}

fn status_out(r: &Request) -> CreateAccountStatus {
    CreateAccountStatus {
        id: Some(r.id.clone()),
        account_name: Some(r.account_name.clone()),
        state: Some(
            if r.failure.is_some() {
                "FAILED"
            } else {
                "SUCCEEDED"
            }
            .to_string(),
        ),
        requested_timestamp: Some(ts(r.requested)),
        completed_timestamp: Some(ts(r.completed)),
        account_id: (!r.account.is_empty()).then(|| r.account.clone()),
        gov_cloud_account_id: None,
        failure_reason: r.failure.clone(),
    }
}

impl OrganizationsApi for Organizations<'_> {
    type Ctx = RequestCtx;

    fn create_organization(
        &self,
        ctx: &RequestCtx,
        input: CreateOrganizationRequest,
    ) -> R<CreateOrganizationResponse> {
        let org = self
            .app
            .warden
            .create_organization(&ctx.caller.account, input.feature_set.as_deref())
            .map_err(api_error)?;
        Ok(CreateOrganizationResponse {
            organization: Some(org_out(&org)),
        })
    }

    fn describe_organization(&self, ctx: &RequestCtx) -> R<DescribeOrganizationResponse> {
        let org = self
            .app
            .warden
            .describe_organization(&ctx.caller.account)
            .map_err(api_error)?;
        Ok(DescribeOrganizationResponse {
            organization: Some(org_out(&org)),
        })
    }

    fn create_account(
        &self,
        ctx: &RequestCtx,
        input: CreateAccountRequest,
    ) -> R<CreateAccountResponse> {
        let request = self
            .app
            .warden
            .create_member_account(
                &ctx.caller.account,
                &input.account_name,
                &input.email,
                input.role_name.as_deref(),
            )
            .map_err(api_error)?;
        Ok(CreateAccountResponse {
            create_account_status: Some(status_out(&request)),
        })
    }

    fn describe_create_account_status(
        &self,
        ctx: &RequestCtx,
        input: DescribeCreateAccountStatusRequest,
    ) -> R<DescribeCreateAccountStatusResponse> {
        let request = self
            .app
            .warden
            .describe_create_account_status(&ctx.caller.account, &input.create_account_request_id)
            .map_err(api_error)?;
        Ok(DescribeCreateAccountStatusResponse {
            create_account_status: Some(status_out(&request)),
        })
    }

    fn list_accounts(
        &self,
        ctx: &RequestCtx,
        input: ListAccountsRequest,
    ) -> R<ListAccountsResponse> {
        let org = self
            .app
            .warden
            .list_member_accounts(&ctx.caller.account)
            .map_err(api_error)?;
        let page = warden_core::page::paginate(
            org.members.iter().enumerate(),
            |(i, _)| format!("{i:06}"),
            input.next_token.as_deref(),
            input.max_results,
        )
        .map_err(api_error)?;
        Ok(ListAccountsResponse {
            accounts: Some(
                page.items
                    .iter()
                    .map(|(_, m)| account_out(&org, m))
                    .collect(),
            ),
            next_token: page.marker,
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
            .describe_member_account(&ctx.caller.account, &input.account_id)
            .map_err(api_error)?;
        Ok(DescribeAccountResponse {
            account: Some(account_out(&org, &member)),
        })
    }
}
