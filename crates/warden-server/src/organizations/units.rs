//! Organizational units and the tree: OUs, their children and parents.

use super::*;

pub(super) fn create_organizational_unit(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreateOrganizationalUnitRequest,
) -> R<CreateOrganizationalUnitResponse> {
    let warden = &app.warden;
    let account = &ctx.caller.account;
    let unit =
        warden.create_org_unit(account, &input.parent_id, &input.name, tags_of(input.tags))?;
    let org = warden.list_roots(account)?;
    Ok(CreateOrganizationalUnitResponse {
        organizational_unit: Some(unit_out(&org, &unit)),
    })
}

pub(super) fn describe_organizational_unit(
    app: &AppState,
    ctx: &RequestCtx,
    input: DescribeOrganizationalUnitRequest,
) -> R<DescribeOrganizationalUnitResponse> {
    let warden = &app.warden;
    let account = &ctx.caller.account;
    let unit = warden.describe_org_unit(account, &input.organizational_unit_id)?;
    let org = warden.list_roots(account)?;
    Ok(DescribeOrganizationalUnitResponse {
        organizational_unit: Some(unit_out(&org, &unit)),
    })
}

pub(super) fn update_organizational_unit(
    app: &AppState,
    ctx: &RequestCtx,
    input: UpdateOrganizationalUnitRequest,
) -> R<UpdateOrganizationalUnitResponse> {
    let warden = &app.warden;
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

pub(super) fn delete_organizational_unit(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeleteOrganizationalUnitRequest,
) -> R<()> {
    app.warden
        .delete_org_unit(&ctx.caller.account, &input.organizational_unit_id)?;
    Ok(())
}

pub(super) fn list_organizational_units_for_parent(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListOrganizationalUnitsForParentRequest,
) -> R<ListOrganizationalUnitsForParentResponse> {
    let warden = &app.warden;
    let account = &ctx.caller.account;
    let units = warden.org_units_for_parent(account, &input.parent_id)?;
    let org = warden.list_roots(account)?;
    paged(units, &input, |u| unit_out(&org, u))
}

pub(super) fn list_accounts_for_parent(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListAccountsForParentRequest,
) -> R<ListAccountsForParentResponse> {
    let warden = &app.warden;
    let account = &ctx.caller.account;
    let members = warden.org_accounts_for_parent(account, &input.parent_id)?;
    let org = warden.list_roots(account)?;
    paged(members, &input, |m| account_out(&org, m))
}

pub(super) fn list_children(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListChildrenRequest,
) -> R<ListChildrenResponse> {
    let children = app
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

pub(super) fn list_parents(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListParentsRequest,
) -> R<ListParentsResponse> {
    let (id, kind) = app
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
