//! Member accounts: CreateAccount and its status, listing, describing and moving accounts.

use super::*;

pub(super) fn create_account(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreateAccountRequest,
) -> R<CreateAccountResponse> {
    let request = app.warden.create_member_account(
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

pub(super) fn describe_create_account_status(
    app: &AppState,
    ctx: &RequestCtx,
    input: DescribeCreateAccountStatusRequest,
) -> R<DescribeCreateAccountStatusResponse> {
    let request = app
        .warden
        .describe_create_account_status(&ctx.caller.account, &input.create_account_request_id)?;
    Ok(DescribeCreateAccountStatusResponse {
        create_account_status: Some(status_out(&request)),
    })
}

pub(super) fn list_accounts(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListAccountsRequest,
) -> R<ListAccountsResponse> {
    let org = app.warden.list_member_accounts(&ctx.caller.account)?;
    paged(org.members.iter().collect(), &input, |m| {
        account_out(&org, m)
    })
}

pub(super) fn describe_account(
    app: &AppState,
    ctx: &RequestCtx,
    input: DescribeAccountRequest,
) -> R<DescribeAccountResponse> {
    let (org, member) = app
        .warden
        .describe_member_account(&ctx.caller.account, &input.account_id)?;
    Ok(DescribeAccountResponse {
        account: Some(account_out(&org, &member)),
    })
}

pub(super) fn move_account(app: &AppState, ctx: &RequestCtx, input: MoveAccountRequest) -> R<()> {
    app.warden.move_org_account(
        &ctx.caller.account,
        &input.account_id,
        &input.source_parent_id,
        &input.destination_parent_id,
    )?;
    Ok(())
}
