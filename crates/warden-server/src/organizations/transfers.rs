//! Responsibility transfers: the invitation (a `TRANSFER_RESPONSIBILITY` handshake) and the
//! transfers each side sees.

use warden_core::orgs::responsibility_transfers::{Direction, TransferView};

use super::handshakes::handshake_out;
use super::*;

fn transfer_out(v: &TransferView) -> ResponsibilityTransfer {
    let t = &v.transfer;
    ResponsibilityTransfer {
        arn: Some(v.arn.clone()),
        name: Some(t.name.clone()),
        id: Some(t.id.clone()),
        type_: Some(ResponsibilityTransferType::from(t.transfer_type.clone())),
        status: Some(ResponsibilityTransferStatus::from(v.status.clone())),
        source: Some(TransferParticipant {
            management_account_id: Some(t.source.clone()),
            management_account_email: Some(v.source_email.clone()),
        }),
        target: Some(TransferParticipant {
            management_account_id: Some(t.target.clone()),
            management_account_email: Some(v.target_email.clone()),
        }),
        start_timestamp: Some(ts(t.start)),
        end_timestamp: t.end.map(ts),
        active_handshake_id: Some(t.handshake.clone()),
    }
}

/// A page of transfers; the List calls have no paginator in the model, but take `NextToken` and
/// `MaxResults` (1 to 20).
fn transfers_page(
    items: Vec<TransferView>,
    next_token: Option<String>,
    max_results: Option<i32>,
) -> R<(Vec<ResponsibilityTransfer>, Option<String>)> {
    let query = PageQuery {
        marker: next_token,
        max_items: max_results,
    };
    let page = page_by_position(items, 6, query)?;
    Ok((page.items.iter().map(transfer_out).collect(), page.marker))
}

pub(super) fn invite_organization_to_transfer_responsibility(
    app: &AppState,
    ctx: &RequestCtx,
    input: InviteOrganizationToTransferResponsibilityRequest,
) -> R<InviteOrganizationToTransferResponsibilityResponse> {
    let orgs = app.orgs(ctx);
    let (handshake, _) = orgs.invite_to_transfer_responsibility(
        input.type_.as_str(),
        input.target.type_.as_str(),
        &input.target.id,
        input.notes.as_deref(),
        input.start_timestamp.unix_timestamp(),
        &input.source_name,
        tags_of(input.tags),
    )?;
    // The handshake as every handshake call shows it, the transfer's terms included.
    let out = handshake_out(&orgs.describe_handshake(&handshake.id)?);
    Ok(InviteOrganizationToTransferResponsibilityResponse {
        handshake: Some(out),
    })
}

pub(super) fn describe_responsibility_transfer(
    app: &AppState,
    ctx: &RequestCtx,
    input: DescribeResponsibilityTransferRequest,
) -> R<DescribeResponsibilityTransferResponse> {
    let t = app.orgs(ctx).describe_responsibility_transfer(&input.id)?;
    Ok(DescribeResponsibilityTransferResponse {
        responsibility_transfer: Some(transfer_out(&t)),
    })
}

pub(super) fn list_inbound_responsibility_transfers(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListInboundResponsibilityTransfersRequest,
) -> R<ListInboundResponsibilityTransfersResponse> {
    let items = app.orgs(ctx).list_responsibility_transfers(
        Direction::Inbound,
        input.type_.as_str(),
        input.id.as_deref(),
    )?;
    let (items, next) = transfers_page(items, input.next_token, input.max_results)?;
    Ok(ListInboundResponsibilityTransfersResponse {
        responsibility_transfers: Some(items),
        next_token: next,
    })
}

pub(super) fn list_outbound_responsibility_transfers(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListOutboundResponsibilityTransfersRequest,
) -> R<ListOutboundResponsibilityTransfersResponse> {
    let items = app.orgs(ctx).list_responsibility_transfers(
        Direction::Outbound,
        input.type_.as_str(),
        None,
    )?;
    let (items, next) = transfers_page(items, input.next_token, input.max_results)?;
    Ok(ListOutboundResponsibilityTransfersResponse {
        responsibility_transfers: Some(items),
        next_token: next,
    })
}

pub(super) fn update_responsibility_transfer(
    app: &AppState,
    ctx: &RequestCtx,
    input: UpdateResponsibilityTransferRequest,
) -> R<UpdateResponsibilityTransferResponse> {
    let t = app
        .orgs(ctx)
        .rename_responsibility_transfer(&input.id, &input.name)?;
    Ok(UpdateResponsibilityTransferResponse {
        responsibility_transfer: Some(transfer_out(&t)),
    })
}

pub(super) fn terminate_responsibility_transfer(
    app: &AppState,
    ctx: &RequestCtx,
    input: TerminateResponsibilityTransferRequest,
) -> R<TerminateResponsibilityTransferResponse> {
    let t = app.orgs(ctx).terminate_responsibility_transfer(
        &input.id,
        input.end_timestamp.map(|e| e.unix_timestamp()),
    )?;
    Ok(TerminateResponsibilityTransferResponse {
        responsibility_transfer: Some(transfer_out(&t)),
    })
}
