//! Member accounts: CreateAccount and its status, listing, describing, moving and removing
//! accounts, and a member leaving.

use super::*;

pub(super) fn create_account(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreateAccountRequest,
) -> R<CreateAccountResponse> {
    let request = app.orgs(ctx).create_member_account(
        &input.account_name,
        &input.email,
        input.role_name.as_deref(),
        tags_of(input.tags),
    )?;
    Ok(CreateAccountResponse {
        create_account_status: Some(status_out(&request)),
    })
}

pub(super) fn describe_create_account_status(
    app: &AppState,
    ctx: &RequestCtx,
    input: DescribeCreateAccountStatusRequest,
) -> R<DescribeCreateAccountStatusResponse> {
    let request = app
        .orgs(ctx)
        .describe_create_account_status(&input.create_account_request_id)?;
    Ok(DescribeCreateAccountStatusResponse {
        create_account_status: Some(status_out(&request)),
    })
}

pub(super) fn list_accounts(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListAccountsRequest,
) -> R<ListAccountsResponse> {
    let org = app.orgs(ctx).list_member_accounts()?;
    paged(org.members.iter().collect(), &input, |m| {
        account_out(&org, m)
    })
}

pub(super) fn describe_account(
    app: &AppState,
    ctx: &RequestCtx,
    input: DescribeAccountRequest,
) -> R<DescribeAccountResponse> {
    let (org, member) = app.orgs(ctx).describe_member_account(&input.account_id)?;
    Ok(DescribeAccountResponse {
        account: Some(account_out(&org, &member)),
    })
}

pub(super) fn move_account(app: &AppState, ctx: &RequestCtx, input: MoveAccountRequest) -> R<()> {
    app.orgs(ctx).move_org_account(
        &input.account_id,
        &input.source_parent_id,
        &input.destination_parent_id,
    )?;
    Ok(())
}

pub(super) fn remove_account_from_organization(
    app: &AppState,
    ctx: &RequestCtx,
    input: RemoveAccountFromOrganizationRequest,
) -> R<()> {
    app.orgs(ctx).remove_member_account(&input.account_id)?;
    Ok(())
}

pub(super) fn leave_organization(app: &AppState, ctx: &RequestCtx) -> R<()> {
    app.orgs(ctx).leave_organization()?;
    Ok(())
}

pub(super) fn list_create_account_status(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListCreateAccountStatusRequest,
) -> R<ListCreateAccountStatusResponse> {
    let states: Vec<&str> = input.states.iter().flatten().map(|s| s.as_str()).collect();
    let requests = app.orgs(ctx).list_create_account_status(&states)?;
    paged(requests, &input, status_out)
}
