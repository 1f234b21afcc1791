//! MFA devices: virtual devices, their assignment to users, and their tags.

use warden_core::mfa::Assignment;
use warden_core::page::PageQuery;
use warden_wire::generated::iam::*;

use super::{named_or_caller, tag_page, user_out};
use crate::edge::RequestCtx;
use crate::mapping::{page_out, tags_in, tags_out, ts, whole, R};
use crate::AppState;

pub(super) fn create_virtual_mfa_device(
    app: &AppState,
    ctx: &RequestCtx,
    input: CreateVirtualMFADeviceRequest,
) -> R<CreateVirtualMFADeviceResponse> {
    let new = app.iam(ctx).create_virtual_mfa_device(
        &input.virtual_mfa_device_name,
        input.path.as_deref(),
        tags_in(input.tags),
    )?;
    Ok(CreateVirtualMFADeviceResponse {
        virtual_mfa_device: VirtualMFADevice {
            serial_number: new.device.serial.clone(),
            base32_string_seed: Some(new.base32_seed.into_bytes()),
            qr_code_png: Some(new.qr_png),
            user: None,
            enable_date: None,
            tags: (!new.device.tags.is_empty()).then(|| tags_out(&new.device.tags)),
        },
    })
}

pub(super) fn enable_mfa_device(
    app: &AppState,
    ctx: &RequestCtx,
    input: EnableMFADeviceRequest,
) -> R<()> {
    app.iam(ctx).enable_mfa_device(
        &input.user_name,
        &input.serial_number,
        &input.authentication_code1,
        &input.authentication_code2,
    )?;
    Ok(())
}

pub(super) fn resync_mfa_device(
    app: &AppState,
    ctx: &RequestCtx,
    input: ResyncMFADeviceRequest,
) -> R<()> {
    app.iam(ctx).resync_mfa_device(
        &input.user_name,
        &input.serial_number,
        &input.authentication_code1,
        &input.authentication_code2,
    )?;
    Ok(())
}

pub(super) fn deactivate_mfa_device(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeactivateMFADeviceRequest,
) -> R<()> {
    let user = named_or_caller(ctx, input.user_name)?;
    app.iam(ctx)
        .deactivate_mfa_device(&user, &input.serial_number)?;
    Ok(())
}

pub(super) fn delete_virtual_mfa_device(
    app: &AppState,
    ctx: &RequestCtx,
    input: DeleteVirtualMFADeviceRequest,
) -> R<()> {
    app.iam(ctx)
        .delete_virtual_mfa_device(&input.serial_number)?;
    Ok(())
}

pub(super) fn list_mfa_devices(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListMFADevicesRequest,
) -> R<ListMFADevicesResponse> {
    // Root without a user name has no IAM-user devices to list.
    if input.user_name.is_none() && ctx.caller.is_root() {
        return Ok(whole(ListMFADevicesResponse::default()));
    }
    let user = named_or_caller(ctx, input.user_name.clone())?;
    let (name, page) = app
        .iam(ctx)
        .list_mfa_devices(&user, PageQuery::of(&input))?;
    Ok(page_out(page, |m| MFADevice {
        user_name: name.clone(),
        serial_number: m.serial.clone(),
        enable_date: ts(m.enable_date.unwrap_or(m.created)),
    }))
}

pub(super) fn list_virtual_mfa_devices(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListVirtualMFADevicesRequest,
) -> R<ListVirtualMFADevicesResponse> {
    let assignment = match &input.assignment_status {
        Some(s) if *s == AssignmentStatusType::ASSIGNED => Assignment::Assigned,
        Some(s) if *s == AssignmentStatusType::UNASSIGNED => Assignment::Unassigned,
        _ => Assignment::Any,
    };
    let page = app
        .iam(ctx)
        .list_virtual_mfa_devices(assignment, PageQuery::of(&input))?;
    Ok(page_out(page, |(m, u)| VirtualMFADevice {
        serial_number: m.serial.clone(),
        base32_string_seed: None,
        qr_code_png: None,
        user: u.as_ref().map(user_out),
        enable_date: m.enable_date.map(ts),
        // "this operation does not return tags" (IAM API reference, ListVirtualMFADevices).
        tags: None,
    }))
}

pub(super) fn list_mfa_device_tags(
    app: &AppState,
    ctx: &RequestCtx,
    input: ListMFADeviceTagsRequest,
) -> R<ListMFADeviceTagsResponse> {
    let tags = app.iam(ctx).mfa_device_tags(&input.serial_number)?;
    tag_page(&tags, &input)
}

pub(super) fn tag_mfa_device(
    app: &AppState,
    ctx: &RequestCtx,
    input: TagMFADeviceRequest,
) -> R<()> {
    app.iam(ctx)
        .tag_mfa_device(&input.serial_number, &tags_in(Some(input.tags)), &[])?;
    Ok(())
}

pub(super) fn untag_mfa_device(
    app: &AppState,
    ctx: &RequestCtx,
    input: UntagMFADeviceRequest,
) -> R<()> {
    app.iam(ctx)
        .tag_mfa_device(&input.serial_number, &[], &input.tag_keys)?;
    Ok(())
}

pub(super) fn get_mfa_device(
    app: &AppState,
    ctx: &RequestCtx,
    input: GetMFADeviceRequest,
) -> R<GetMFADeviceResponse> {
    let dev = app
        .iam(ctx)
        .mfa_device(&input.serial_number, input.user_name.as_deref())?;
    // A virtual device holds no FIPS or FIDO certification: no Certifications.
    Ok(GetMFADeviceResponse {
        user_name: dev.user_name,
        serial_number: dev.serial,
        enable_date: dev.enable_date.map(ts),
        certifications: None,
    })
}
