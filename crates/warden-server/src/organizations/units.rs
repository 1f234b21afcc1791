//! Organizational units and the tree: OUs, their children and parents.

use super::*;

pub(super) fn create_organizational_unit(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreateOrganizationalUnitRequest,
) -> R<CreateOrganizationalUnitResponse> {
    let orgs = app.orgs(ctx);
    let unit = orgs.create_org_unit(&input.parent_id, &input.name, tags_of(input.tags))?;
    let org = orgs.list_roots()?;
    Ok(CreateOrganizationalUnitResponse {
        organizational_unit: Some(unit_out(&org, &unit)),
    })
}

pub(super) fn describe_organizational_unit(
    app: &AppState,
    ctx: &RequestCtx,
    input: DescribeOrganizationalUnitRequest,
) -> R<DescribeOrganizationalUnitResponse> {
    let orgs = app.orgs(ctx);
    let unit = orgs.describe_org_unit(&input.organizational_unit_id)?;
    let org = orgs.list_roots()?;
    Ok(DescribeOrganizationalUnitResponse {
        organizational_unit: Some(unit_out(&org, &unit)),
    })
}

pub(super) fn update_organizational_unit(
    app: &AppState,
    ctx: &RequestCtx,
    input: UpdateOrganizationalUnitRequest,
) -> R<UpdateOrganizationalUnitResponse> {
    let orgs = app.orgs(ctx);
    let unit = orgs.rename_org_unit(&input.organizational_unit_id, input.name.as_deref())?;
    let org = orgs.list_roots()?;
    Ok(UpdateOrganizationalUnitResponse {
        organizational_unit: Some(unit_out(&org, &unit)),
    })
}

pub(super) fn delete_organizational_unit(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeleteOrganizationalUnitRequest,
) -> R<()> {
    app.orgs(ctx)
        .delete_org_unit(&input.organizational_unit_id)?;
    Ok(())
}

pub(super) fn list_organizational_units_for_parent(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListOrganizationalUnitsForParentRequest,
) -> R<ListOrganizationalUnitsForParentResponse> {
    let orgs = app.orgs(ctx);
    let units = orgs.org_units_for_parent(&input.parent_id)?;
    let org = orgs.list_roots()?;
    paged(units, &input, |u| unit_out(&org, u))
}

pub(super) fn list_accounts_for_parent(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListAccountsForParentRequest,
) -> R<ListAccountsForParentResponse> {
    let orgs = app.orgs(ctx);
    let members = orgs.org_accounts_for_parent(&input.parent_id)?;
    let org = orgs.list_roots()?;
    paged(members, &input, |m| account_out(&org, m))
}

pub(super) fn list_children(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListChildrenRequest,
) -> R<ListChildrenResponse> {
    let children = app.orgs(ctx).org_children(&input.parent_id)?;
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
    let (id, kind) = app.orgs(ctx).org_parent_of(&input.child_id)?;
    paged(
        vec![Parent {
            id: Some(id),
            type_: Some(ParentType::from(kind.as_str().to_string())),
        }],
        &input,
        Clone::clone,
    )
}
