//! Centralized root access for member accounts (the management account's
//! features that STS AssumeRoot needs).

use warden_core::iam::root_access::{
    OrganizationsFeatures, ROOT_CREDENTIALS_MANAGEMENT, ROOT_SESSIONS,
};
use warden_wire::generated::iam::*;

use crate::edge::RequestCtx;
use crate::mapping::R;
use crate::AppState;

/// The (OrganizationId, EnabledFeatures) pair every one of these operations answers.
fn features_out(f: OrganizationsFeatures) -> (Option<String>, Option<Vec<FeatureType>>) {
    (
        Some(f.organization_id),
        Some(f.enabled.into_iter().map(FeatureType::from).collect()),
    )
}

fn set(app: &AppState, ctx: &RequestCtx, feature: &str, enable: bool) -> R<OrganizationsFeatures> {
    Ok(app.iam(ctx).set_organizations_feature(feature, enable)?)
}

pub(super) fn list_organizations_features(
    app: &AppState,
    ctx: &RequestCtx,
) -> R<ListOrganizationsFeaturesResponse> {
    let (organization_id, enabled_features) = features_out(app.iam(ctx).organizations_features()?);
    Ok(ListOrganizationsFeaturesResponse {
        organization_id,
        enabled_features,
    })
}

pub(super) fn enable_root_sessions(
    app: &AppState,
    ctx: &RequestCtx,
) -> R<EnableOrganizationsRootSessionsResponse> {
    let (organization_id, enabled_features) = features_out(set(app, ctx, ROOT_SESSIONS, true)?);
    Ok(EnableOrganizationsRootSessionsResponse {
        organization_id,
        enabled_features,
    })
}

pub(super) fn disable_root_sessions(
    app: &AppState,
    ctx: &RequestCtx,
) -> R<DisableOrganizationsRootSessionsResponse> {
    let (organization_id, enabled_features) = features_out(set(app, ctx, ROOT_SESSIONS, false)?);
    Ok(DisableOrganizationsRootSessionsResponse {
        organization_id,
        enabled_features,
    })
}

pub(super) fn enable_root_credentials_management(
    app: &AppState,
    ctx: &RequestCtx,
) -> R<EnableOrganizationsRootCredentialsManagementResponse> {
    let (organization_id, enabled_features) =
        features_out(set(app, ctx, ROOT_CREDENTIALS_MANAGEMENT, true)?);
    Ok(EnableOrganizationsRootCredentialsManagementResponse {
        organization_id,
        enabled_features,
    })
}

pub(super) fn disable_root_credentials_management(
    app: &AppState,
    ctx: &RequestCtx,
) -> R<DisableOrganizationsRootCredentialsManagementResponse> {
    let (organization_id, enabled_features) =
        features_out(set(app, ctx, ROOT_CREDENTIALS_MANAGEMENT, false)?);
    Ok(DisableOrganizationsRootCredentialsManagementResponse {
        organization_id,
        enabled_features,
    })
}
