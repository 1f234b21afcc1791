//! Handshakes: inviting standalone accounts, and the answers to an
//! invitation; EnableAllFeatures, which answers with a handshake too.

use warden_core::orgs::handshakes::{HandshakeFilter as Filter, HandshakeView};

use super::*;

/// The handshake as AWS shows an invitation: the sending organization and
/// the target as parties; the organization (with its management account's
/// email and name and its feature set), the target and the notes as
/// resources (the shape of the AWS CLI reference's InviteAccountToOrganization
/// example); an approval asked by EnableAllFeatures names its parent as a
/// PARENT_HANDSHAKE resource.
pub(super) fn handshake_out(v: &HandshakeView) -> Handshake {
    let h = &v.handshake;
    let leaf = |type_: HandshakeResourceType, value: &str| HandshakeResource {
        value: Some(value.to_string()),
        type_: Some(type_),
        resources: None,
    };
    let mut resources = vec![
        HandshakeResource {
            value: Some(v.org_id.clone()),
            type_: Some(HandshakeResourceType::ORGANIZATION),
            resources: Some(vec![
                leaf(HandshakeResourceType::MASTER_EMAIL, &v.management_email),
                leaf(HandshakeResourceType::MASTER_NAME, &v.management_name),
                leaf(
                    HandshakeResourceType::ORGANIZATION_FEATURE_SET,
                    &v.feature_set,
                ),
            ]),
        },
        leaf(
            HandshakeResourceType::from(h.target_type.clone()),
            &h.target_id,
        ),
    ];
    if let Some(notes) = &h.notes {
        resources.push(leaf(HandshakeResourceType::NOTES, notes));
    }
    if let Some(parent) = &h.parent {
        resources.push(leaf(HandshakeResourceType::PARENT_HANDSHAKE, parent));
    }
    // A transfer invitation carries the transfer's terms (HandshakeResourceType).
    if let Some(t) = &v.transfer {
        let start = ts(t.start)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        resources.extend([
            leaf(HandshakeResourceType::RESPONSIBILITY_TRANSFER, &t.id),
            leaf(HandshakeResourceType::TRANSFER_TYPE, &t.transfer_type),
            leaf(HandshakeResourceType::TRANSFER_START_TIMESTAMP, &start),
        ]);
    }
    Handshake {
        id: Some(h.id.clone()),
        arn: Some(v.arn()),
        parties: Some(vec![
            HandshakeParty {
                id: v.org_id.clone(),
                type_: HandshakePartyType::ORGANIZATION,
            },
            HandshakeParty {
                id: h.target_id.clone(),
                type_: HandshakePartyType::from(h.target_type.clone()),
            },
        ]),
        state: Some(HandshakeState::from(v.state.clone())),
        requested_timestamp: Some(ts(h.requested)),
        expiration_timestamp: Some(ts(h.expires)),
        action: Some(ActionType::from(h.action.clone())),
        resources: Some(resources),
    }
}

fn filter_of(filter: Option<HandshakeFilter>) -> Filter {
    let f = filter.unwrap_or(HandshakeFilter {
        action_type: None,
        parent_handshake_id: None,
    });
    Filter {
        action_type: f.action_type.map(|a| a.as_str().to_string()),
        parent_handshake_id: f.parent_handshake_id,
    }
}

pub(super) fn invite_account_to_organization(
    app: &AppState,
    ctx: &RequestCtx,
    input: InviteAccountToOrganizationRequest,
) -> R<InviteAccountToOrganizationResponse> {
    let v = app.orgs(ctx).invite_account(
        input.target.type_.as_str(),
        &input.target.id,
        input.notes.as_deref(),
        tags_of(input.tags),
    )?;
    Ok(InviteAccountToOrganizationResponse {
        handshake: Some(handshake_out(&v)),
    })
}

pub(super) fn accept_handshake(
    app: &AppState,
    ctx: &RequestCtx,
    input: AcceptHandshakeRequest,
) -> R<AcceptHandshakeResponse> {
    let v = app.orgs(ctx).accept_handshake(&input.handshake_id)?;
    Ok(AcceptHandshakeResponse {
        handshake: Some(handshake_out(&v)),
    })
}

pub(super) fn decline_handshake(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeclineHandshakeRequest,
) -> R<DeclineHandshakeResponse> {
    let v = app.orgs(ctx).decline_handshake(&input.handshake_id)?;
    Ok(DeclineHandshakeResponse {
        handshake: Some(handshake_out(&v)),
    })
}

pub(super) fn cancel_handshake(
    app: &AppState,
    ctx: &RequestCtx,
    input: CancelHandshakeRequest,
) -> R<CancelHandshakeResponse> {
    let v = app.orgs(ctx).cancel_handshake(&input.handshake_id)?;
    Ok(CancelHandshakeResponse {
        handshake: Some(handshake_out(&v)),
    })
}

pub(super) fn describe_handshake(
    app: &AppState,
    ctx: &RequestCtx,
    input: DescribeHandshakeRequest,
) -> R<DescribeHandshakeResponse> {
    let v = app.orgs(ctx).describe_handshake(&input.handshake_id)?;
    Ok(DescribeHandshakeResponse {
        handshake: Some(handshake_out(&v)),
    })
}

pub(super) fn list_handshakes_for_account(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListHandshakesForAccountRequest,
) -> R<ListHandshakesForAccountResponse> {
    let filter = filter_of(input.filter.clone());
    let found = app.orgs(ctx).list_handshakes_for_account(&filter)?;
    paged(found, &input, handshake_out)
}

pub(super) fn list_handshakes_for_organization(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListHandshakesForOrganizationRequest,
) -> R<ListHandshakesForOrganizationResponse> {
    let filter = filter_of(input.filter.clone());
    let found = app.orgs(ctx).list_handshakes_for_organization(&filter)?;
    paged(found, &input, handshake_out)
}

pub(super) fn enable_all_features(
    app: &AppState,
    ctx: &RequestCtx,
    _input: EnableAllFeaturesRequest,
) -> R<EnableAllFeaturesResponse> {
    let v = app.orgs(ctx).enable_all_features()?;
    Ok(EnableAllFeaturesResponse {
        handshake: Some(handshake_out(&v)),
    })
}
