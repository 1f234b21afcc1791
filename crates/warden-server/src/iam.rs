//! IAM handlers: each is a plain function from the generated request type to
//! the generated response type, calling the domain and converting shapes.

use warden_core::auth::PrincipalKind;
use warden_core::keys::KeyOwner;
use warden_core::mfa::Assignment;
use warden_core::model::{self, KeyStatus, PasswordPolicy};
use warden_core::page::Page;
use warden_core::policies::{Holder, NewPolicy, PolicyFilter, PolicyView, VersionView};
use warden_core::roles::NewRole;
use warden_wire::generated::iam::*;
use warden_wire::ApiError;

use crate::edge::RequestCtx;
use crate::mapping::{tags_in, tags_out, ts, HandlerError, R};
use crate::AppState;

pub struct Iam<'a> {
    pub app: &'a AppState,
}

fn user_out(u: &model::User) -> User {
    User {
        path: Some(u.path.clone()),
        user_name: Some(u.name.clone()),
        user_id: u.id.clone(),
        arn: u.arn(),
        create_date: ts(u.created),
        password_last_used: u.password_last_used.map(ts),
        permissions_boundary: u.permissions_boundary.as_ref().map(|arn| {
            AttachedPermissionsBoundary {
                permissions_boundary_type: Some("PermissionsBoundaryPolicy".to_string()),
                permissions_boundary_arn: Some(arn.clone()),
            }
        }),
        tags: (!u.tags.is_empty()).then(|| tags_out(&u.tags)),
    }
}

fn role_out(r: &model::Role) -> Role {
    Role {
        path: r.path.clone(),
        role_name: r.name.clone(),
        role_id: r.id.clone(),
        arn: r.arn(),
        create_date: ts(r.created),
        assume_role_policy_document: Some(r.trust_document.clone()),
        description: r.description.clone(),
        max_session_duration: Some(r.max_session_duration),
        max_signin_session_duration: None,
        permissions_boundary: boundary_out(r.permissions_boundary.as_deref()),
        tags: (!r.tags.is_empty()).then(|| tags_out(&r.tags)),
        role_last_used: Some(RoleLastUsed {
            last_used_date: r.last_used.as_ref().map(|(t, _)| ts(*t)),
            region: r.last_used.as_ref().map(|(_, region)| region.clone()),
        }),
        source_role_template: None,
    }
}

fn boundary_out(arn: Option<&str>) -> Option<AttachedPermissionsBoundary> {
    arn.map(|arn| AttachedPermissionsBoundary {
        permissions_boundary_type: Some("PermissionsBoundaryPolicy".to_string()),
        permissions_boundary_arn: Some(arn.to_string()),
    })
}

fn instance_profile_out(p: &model::InstanceProfile, role: Option<&model::Role>) -> InstanceProfile {
    InstanceProfile {
        path: p.path.clone(),
        instance_profile_name: p.name.clone(),
        instance_profile_id: p.id.clone(),
        arn: p.arn(),
        create_date: ts(p.created),
        roles: role.map(role_out).into_iter().collect(),
        tags: (!p.tags.is_empty()).then(|| tags_out(&p.tags)),
    }
}

fn group_out(g: &model::Group) -> Group {
    Group {
        path: g.path.clone(),
        group_name: g.name.clone(),
        group_id: g.id.clone(),
        arn: g.arn(),
        create_date: ts(g.created),
    }
}

fn policy_out(p: &PolicyView) -> Policy {
    Policy {
        policy_name: Some(p.name.clone()),
        policy_id: Some(p.id.clone()),
        arn: Some(p.arn.clone()),
        path: Some(p.path.clone()),
        default_version_id: Some(p.default_version.clone()),
        attachment_count: Some(p.attachment_count),
        permissions_boundary_usage_count: Some(p.boundary_usage_count),
        is_attachable: Some(true),
        description: p.description.clone(),
        create_date: Some(ts(p.created)),
        update_date: Some(ts(p.updated)),
        tags: (!p.tags.is_empty()).then(|| tags_out(&p.tags)),
    }
}

fn version_out(v: &VersionView, with_document: bool) -> PolicyVersion {
    PolicyVersion {
        document: with_document.then(|| v.document.clone()),
        version_id: Some(v.id.clone()),
        is_default_version: Some(v.is_default),
        create_date: Some(ts(v.created)),
    }
}

/// ContextEntries as policy context values: list types stay lists, so set
/// operators see every value; scalar types take the one value.
fn context_entries(
    entries: Option<Vec<ContextEntry>>,
) -> Vec<(String, warden_policy::ContextValue)> {
    entries
        .unwrap_or_default()
        .into_iter()
        .filter_map(|e| {
            let key = e.context_key_name?;
            let values = e.context_key_values.unwrap_or_default();
            let is_list = e
                .context_key_type
                .as_deref()
                .is_some_and(|t| t.ends_with("List"));
            let value = if is_list || values.len() != 1 {
                warden_policy::ContextValue::from(values)
            } else {
                warden_policy::ContextValue::from(values.into_iter().next().unwrap_or_default())
            };
            Some((key, value))
        })
        .collect()
}

fn simulation_out(
    results: Vec<warden_core::simulate::SimResult>,
    marker: Option<&str>,
    max_items: Option<i32>,
) -> R<SimulatePolicyResponse> {
    let page = warden_core::page::paginate(
        results.into_iter().enumerate(),
        |(i, _)| format!("{i:06}"),
        marker,
        max_items,
    )?;
    let (evaluation_results, is_truncated, marker) = page_parts(page, |(_, r)| EvaluationResult {
        eval_action_name: r.action.clone(),
        eval_resource_name: Some(r.resource.clone()),
        eval_decision: r.decision.to_string(),
        matched_statements: Some(
            r.matched
                .iter()
                .map(|m| Statement {
                    source_policy_id: Some(m.source_policy_id.clone()),
                    source_policy_type: Some(m.source_policy_type.to_string()),
                    start_position: Some(Position {
                        line: Some(m.start.line as i32),
                        column: Some(m.start.column as i32),
                    }),
                    end_position: m.end.map(|e| Position {
                        line: Some(e.line as i32),
                        column: Some(e.column as i32),
                    }),
                })
                .collect(),
        ),
        missing_context_values: Some(r.missing_context.clone()),
        organizations_decision_detail: r.allowed_by_organizations.map(|a| {
            OrganizationsDecisionDetail {
                allowed_by_organizations: Some(a),
            }
        }),
        permissions_boundary_decision_detail: r.allowed_by_boundary.map(|a| {
            PermissionsBoundaryDecisionDetail {
                allowed_by_permissions_boundary: Some(a),
            }
        }),
        eval_decision_details: None,
        resource_specific_results: None,
    });
    Ok(SimulatePolicyResponse {
        evaluation_results: Some(evaluation_results),
        is_truncated,
        marker,
    })
}

/// One page of an entity's tags (the marker is the tag's position).
fn tag_page(
    tags: &[model::Tag],
    marker: Option<&str>,
    max_items: Option<i32>,
) -> R<(Vec<Tag>, Option<bool>, Option<String>)> {
    let page = warden_core::page::paginate(
        tags.iter().enumerate(),
        |(i, _)| format!("{i:04}"),
        marker,
        max_items,
    )?;
    Ok(page_parts(page, |(_, t)| Tag {
        key: t.key.clone(),
        value: t.value.clone(),
    }))
}

/// Splits a domain page into the `(items, IsTruncated, Marker)` triple every
/// List response carries.
fn page_parts<T, U>(page: Page<T>, f: impl Fn(&T) -> U) -> (Vec<U>, Option<bool>, Option<String>) {
    let truncated = page.is_truncated();
    (
        page.items.iter().map(f).collect(),
        Some(truncated),
        page.marker,
    )
}

impl Iam<'_> {
    fn w(&self) -> &warden_core::Warden {
        &self.app.warden
    }

    /// The key owner an access-key call targets: the named user, or the
    /// caller itself when `UserName` is absent (root's own keys for root).
    fn key_owner<'n>(ctx: &'n RequestCtx, user_name: &'n Option<String>) -> R<KeyOwner<'n>> {
        match (user_name, &ctx.caller.kind) {
            (Some(n), _) => Ok(KeyOwner::User(n)),
            (None, PrincipalKind::User { name_lower }) => Ok(KeyOwner::User(name_lower)),
            (None, PrincipalKind::Root) => Ok(KeyOwner::Root),
            (None, _) => Err(ApiError::new(
                "ValidationError",
                "Must specify userName when calling with non-User credentials",
            )
            .into()),
        }
    }

    /// One page of attached policies as the wire shows them.
    fn attached(
        &self,
        ctx: &RequestCtx,
        h: Holder<'_>,
        path_prefix: Option<&str>,
        marker: Option<&str>,
        max_items: Option<i32>,
    ) -> R<(Vec<AttachedPolicy>, Option<bool>, Option<String>)> {
        let page = self.w().list_attached_policies(
            &ctx.caller.account,
            h,
            path_prefix,
            marker,
            max_items,
        )?;
        Ok(page_parts(page, |(name, arn)| AttachedPolicy {
            policy_name: Some(name.clone()),
            policy_arn: Some(arn.clone()),
        }))
    }

    /// The user a call targets when `UserName` may be omitted for a user
    /// caller; root must name one.
    fn named_or_caller(ctx: &RequestCtx, user_name: Option<String>) -> R<String> {
        crate::mapping::target_user(&ctx.caller, user_name)
    }
}

/// The inline-policy and attachment handlers are the same for users, groups
/// and roles but for their wire types: one macro writes each holder's seven.
macro_rules! policy_holder_handlers {
    (
        $holder:ident, $name:ident,
        $put:ident($put_req:ident),
        $get:ident($get_req:ident) -> $get_resp:ident,
        $list:ident($list_req:ident) -> $list_resp:ident,
        $delete:ident($delete_req:ident),
        $attach:ident($attach_req:ident),
        $detach:ident($detach_req:ident),
        $list_attached:ident($list_attached_req:ident) -> $list_attached_resp:ident
    ) => {
        fn $put(&self, ctx: &RequestCtx, input: $put_req) -> R<()> {
            self.w().put_inline_policy(
                &ctx.caller.account,
                Holder::$holder(&input.$name),
                &input.policy_name,
                &input.policy_document,
            )?;
            Ok(())
        }

        fn $get(&self, ctx: &RequestCtx, input: $get_req) -> R<$get_resp> {
            let (entity, policy_document) = self.w().get_inline_policy(
                &ctx.caller.account,
                Holder::$holder(&input.$name),
                &input.policy_name,
            )?;
            Ok($get_resp {
                $name: entity,
                policy_name: input.policy_name,
                policy_document,
            })
        }

        fn $list(&self, ctx: &RequestCtx, input: $list_req) -> R<$list_resp> {
            let page = self.w().list_inline_policies(
                &ctx.caller.account,
                Holder::$holder(&input.$name),
                input.marker.as_deref(),
                input.max_items,
            )?;
            let (policy_names, is_truncated, marker) = page_parts(page, Clone::clone);
            Ok($list_resp {
                policy_names,
                is_truncated,
                marker,
            })
        }

        fn $delete(&self, ctx: &RequestCtx, input: $delete_req) -> R<()> {
            self.w().delete_inline_policy(
                &ctx.caller.account,
                Holder::$holder(&input.$name),
                &input.policy_name,
            )?;
            Ok(())
        }

        fn $attach(&self, ctx: &RequestCtx, input: $attach_req) -> R<()> {
            self.w().attach_policy(
                &ctx.caller.account,
                Holder::$holder(&input.$name),
                &input.policy_arn,
            )?;
            Ok(())
        }

        fn $detach(&self, ctx: &RequestCtx, input: $detach_req) -> R<()> {
            self.w().detach_policy(
                &ctx.caller.account,
                Holder::$holder(&input.$name),
                &input.policy_arn,
            )?;
            Ok(())
        }

        fn $list_attached(
            &self,
            ctx: &RequestCtx,
            input: $list_attached_req,
        ) -> R<$list_attached_resp> {
            let (attached_policies, is_truncated, marker) = self.attached(
                ctx,
                Holder::$holder(&input.$name),
                input.path_prefix.as_deref(),
                input.marker.as_deref(),
                input.max_items,
            )?;
            Ok($list_attached_resp {
                attached_policies: Some(attached_policies),
                is_truncated,
                marker,
            })
        }
    };
}

impl IamApi for Iam<'_> {
    type Ctx = RequestCtx;
    type Error = HandlerError;

    // ---- users ----

    fn create_user(&self, ctx: &RequestCtx, input: CreateUserRequest) -> R<CreateUserResponse> {
        if let Some(boundary) = &input.permissions_boundary {
            self.w().check_boundary(&ctx.caller.account, boundary)?;
        }
        let user = self.w().create_user(
            &ctx.caller.account,
            warden_core::users::NewUser {
                name: input.user_name,
                path: input.path,
                tags: tags_in(input.tags),
                permissions_boundary: input.permissions_boundary,
            },
        )?;
        Ok(CreateUserResponse {
            user: Some(user_out(&user)),
        })
    }

    fn get_user(&self, ctx: &RequestCtx, input: GetUserRequest) -> R<GetUserResponse> {
        let account = &ctx.caller.account;
        let user = match (input.user_name, &ctx.caller.kind) {
            // The root user has no user name or path; AWS answers with its ARN
            // and the account id as the user id.
            (None, PrincipalKind::Root) => {
                let created = self
                    .w()
                    .read()
                    .accounts
                    .get(account)
                    .map_or(0, |a| a.created);
                User {
                    path: None,
                    user_name: None,
                    user_id: account.clone(),
                    arn: ctx.caller.arn.clone(),
                    create_date: ts(created),
                    password_last_used: None,
                    permissions_boundary: None,
                    tags: None,
                }
            }
            (name, _) => {
                let name = crate::mapping::target_user(&ctx.caller, name)?;
                user_out(&self.w().get_user(account, &name)?)
            }
        };
        Ok(GetUserResponse { user })
    }

    fn list_users(&self, ctx: &RequestCtx, input: ListUsersRequest) -> R<ListUsersResponse> {
        let page = self.w().list_users(
            &ctx.caller.account,
            input.path_prefix.as_deref(),
            input.marker.as_deref(),
            input.max_items,
        )?;
        let (users, is_truncated, marker) = page_parts(page, user_out);
        Ok(ListUsersResponse {
            users,
            is_truncated,
            marker,
        })
    }

    fn update_user(&self, ctx: &RequestCtx, input: UpdateUserRequest) -> R<()> {
        self.w().update_user(
            &ctx.caller.account,
            &input.user_name,
            input.new_user_name.as_deref(),
            input.new_path.as_deref(),
        )?;
        Ok(())
    }

    fn delete_user(&self, ctx: &RequestCtx, input: DeleteUserRequest) -> R<()> {
        self.w()
            .delete_user(&ctx.caller.account, &input.user_name)?;
        Ok(())
    }

    fn tag_user(&self, ctx: &RequestCtx, input: TagUserRequest) -> R<()> {
        self.w().tag_user(
            &ctx.caller.account,
            &input.user_name,
            &tags_in(Some(input.tags)),
        )?;
        Ok(())
    }

    fn untag_user(&self, ctx: &RequestCtx, input: UntagUserRequest) -> R<()> {
        self.w()
            .untag_user(&ctx.caller.account, &input.user_name, &input.tag_keys)?;
        Ok(())
    }

    fn list_user_tags(
        &self,
        ctx: &RequestCtx,
        input: ListUserTagsRequest,
    ) -> R<ListUserTagsResponse> {
        let user = self.w().get_user(&ctx.caller.account, &input.user_name)?;
        let (tags, is_truncated, marker) =
            tag_page(&user.tags, input.marker.as_deref(), input.max_items)?;
        Ok(ListUserTagsResponse {
            tags,
            is_truncated,
            marker,
        })
    }

    fn put_user_permissions_boundary(
        &self,
        ctx: &RequestCtx,
        input: PutUserPermissionsBoundaryRequest,
    ) -> R<()> {
        let account = &ctx.caller.account;
        self.w()
            .check_boundary(account, &input.permissions_boundary)?;
        self.w().set_user_permissions_boundary(
            account,
            &input.user_name,
            Some(input.permissions_boundary),
        )?;
        Ok(())
    }

    fn delete_user_permissions_boundary(
        &self,
        ctx: &RequestCtx,
        input: DeleteUserPermissionsBoundaryRequest,
    ) -> R<()> {
        self.w()
            .set_user_permissions_boundary(&ctx.caller.account, &input.user_name, None)?;
        Ok(())
    }

    // ---- groups ----

    fn create_group(&self, ctx: &RequestCtx, input: CreateGroupRequest) -> R<CreateGroupResponse> {
        let g = self.w().create_group(
            &ctx.caller.account,
            &input.group_name,
            input.path.as_deref(),
        )?;
        Ok(CreateGroupResponse {
            group: group_out(&g),
        })
    }

    fn get_group(&self, ctx: &RequestCtx, input: GetGroupRequest) -> R<GetGroupResponse> {
        let (g, page) = self.w().get_group(
            &ctx.caller.account,
            &input.group_name,
            input.marker.as_deref(),
            input.max_items,
        )?;
        let (users, is_truncated, marker) = page_parts(page, user_out);
        Ok(GetGroupResponse {
            group: group_out(&g),
            users,
            is_truncated,
            marker,
        })
    }

    fn list_groups(&self, ctx: &RequestCtx, input: ListGroupsRequest) -> R<ListGroupsResponse> {
        let page = self.w().list_groups(
            &ctx.caller.account,
            input.path_prefix.as_deref(),
            input.marker.as_deref(),
            input.max_items,
        )?;
        let (groups, is_truncated, marker) = page_parts(page, group_out);
        Ok(ListGroupsResponse {
            groups,
            is_truncated,
            marker,
        })
    }

    fn list_groups_for_user(
        &self,
        ctx: &RequestCtx,
        input: ListGroupsForUserRequest,
    ) -> R<ListGroupsForUserResponse> {
        let page = self.w().list_groups_for_user(
            &ctx.caller.account,
            &input.user_name,
            input.marker.as_deref(),
            input.max_items,
        )?;
        let (groups, is_truncated, marker) = page_parts(page, group_out);
        Ok(ListGroupsForUserResponse {
            groups,
            is_truncated,
            marker,
        })
    }

    fn update_group(&self, ctx: &RequestCtx, input: UpdateGroupRequest) -> R<()> {
        self.w().update_group(
            &ctx.caller.account,
            &input.group_name,
            input.new_group_name.as_deref(),
            input.new_path.as_deref(),
        )?;
        Ok(())
    }

    fn delete_group(&self, ctx: &RequestCtx, input: DeleteGroupRequest) -> R<()> {
        self.w()
            .delete_group(&ctx.caller.account, &input.group_name)?;
        Ok(())
    }

    fn add_user_to_group(&self, ctx: &RequestCtx, input: AddUserToGroupRequest) -> R<()> {
        self.w()
            .add_user_to_group(&ctx.caller.account, &input.group_name, &input.user_name)?;
        Ok(())
    }

    fn remove_user_from_group(&self, ctx: &RequestCtx, input: RemoveUserFromGroupRequest) -> R<()> {
        self.w().remove_user_from_group(
            &ctx.caller.account,
            &input.group_name,
            &input.user_name,
        )?;
        Ok(())
    }

    // ---- access keys ----

    fn create_access_key(
        &self,
        ctx: &RequestCtx,
        input: CreateAccessKeyRequest,
    ) -> R<CreateAccessKeyResponse> {
        let owner = Self::key_owner(ctx, &input.user_name)?;
        let new = self.w().create_access_key(&ctx.caller.account, owner)?;
        Ok(CreateAccessKeyResponse {
            access_key: AccessKey {
                user_name: new.user_name.unwrap_or_default(),
                access_key_id: new.key.id.clone(),
                status: new.key.status.as_str().to_string(),
                secret_access_key: String::from_utf8_lossy(new.key.secret.expose()).into_owned(),
                create_date: Some(ts(new.key.created)),
            },
        })
    }

    fn list_access_keys(
        &self,
        ctx: &RequestCtx,
        input: ListAccessKeysRequest,
    ) -> R<ListAccessKeysResponse> {
        let owner = Self::key_owner(ctx, &input.user_name)?;
        let account = &ctx.caller.account;
        let page =
            self.w()
                .list_access_keys(account, owner, input.marker.as_deref(), input.max_items)?;
        let user_name = match owner {
            KeyOwner::Root => None,
            KeyOwner::User(n) => Some(self.w().get_user(account, n)?.name),
        };
        let (access_key_metadata, is_truncated, marker) = page_parts(page, |k| AccessKeyMetadata {
            user_name: user_name.clone(),
            access_key_id: Some(k.id.clone()),
            status: Some(k.status.as_str().to_string()),
            create_date: Some(ts(k.created)),
        });
        Ok(ListAccessKeysResponse {
            access_key_metadata,
            is_truncated,
            marker,
        })
    }

    fn update_access_key(&self, ctx: &RequestCtx, input: UpdateAccessKeyRequest) -> R<()> {
        let owner = Self::key_owner(ctx, &input.user_name)?;
        let status = if input.status == "Active" {
            KeyStatus::Active
        } else {
            KeyStatus::Inactive
        };
        self.w()
            .update_access_key(&ctx.caller.account, owner, &input.access_key_id, status)?;
        Ok(())
    }

    fn delete_access_key(&self, ctx: &RequestCtx, input: DeleteAccessKeyRequest) -> R<()> {
        let owner = Self::key_owner(ctx, &input.user_name)?;
        self.w()
            .delete_access_key(&ctx.caller.account, owner, &input.access_key_id)?;
        Ok(())
    }

    fn get_access_key_last_used(
        &self,
        ctx: &RequestCtx,
        input: GetAccessKeyLastUsedRequest,
    ) -> R<GetAccessKeyLastUsedResponse> {
        // AWS answers AccessDenied, not NoSuchEntity, for a key that does
        // not exist or belongs to another account (recorded against AWS).
        let denied = || {
            ApiError::access_denied(format!(
                "User: {} is not authorized to perform iam:GetAccessKeyLastUsed on resource: access key {}",
                ctx.caller.arn, input.access_key_id
            ))
        };
        let (account, user_name, used) = self
            .w()
            .access_key_last_used(&input.access_key_id)
            .map_err(|_| denied())?;
        if account != ctx.caller.account {
            return Err(denied().into());
        }
        let last = match used {
            Some(u) => AccessKeyLastUsed {
                last_used_date: Some(ts(u.date)),
                service_name: u.service,
                region: u.region,
            },
            // AWS reports "N/A" for a key never used.
            None => AccessKeyLastUsed {
                last_used_date: None,
                service_name: "N/A".to_string(),
                region: "N/A".to_string(),
            },
        };
        Ok(GetAccessKeyLastUsedResponse {
            user_name,
            access_key_last_used: Some(last),
        })
    }

    // ---- console passwords ----

    fn create_login_profile(
        &self,
        ctx: &RequestCtx,
        input: CreateLoginProfileRequest,
    ) -> R<CreateLoginProfileResponse> {
        let user = Self::named_or_caller(ctx, input.user_name)?;
        let password = input.password.ok_or_else(|| {
            ApiError::new(
                "ValidationError",
                "1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null",
            )
        })?;
        let (name, profile) = self.w().create_login_profile(
            &ctx.caller.account,
            &user,
            &password,
            input.password_reset_required.unwrap_or(false),
        )?;
        Ok(CreateLoginProfileResponse {
            login_profile: LoginProfile {
                user_name: name,
                create_date: ts(profile.created),
                password_reset_required: Some(profile.password_reset_required),
                max_signin_session_duration: None,
            },
        })
    }

    fn get_login_profile(
        &self,
        ctx: &RequestCtx,
        input: GetLoginProfileRequest,
    ) -> R<GetLoginProfileResponse> {
        let user = Self::named_or_caller(ctx, input.user_name)?;
        let (name, profile) = self.w().get_login_profile(&ctx.caller.account, &user)?;
        Ok(GetLoginProfileResponse {
            login_profile: LoginProfile {
                user_name: name,
                create_date: ts(profile.created),
                password_reset_required: Some(profile.password_reset_required),
                max_signin_session_duration: None,
            },
        })
    }

    fn update_login_profile(&self, ctx: &RequestCtx, input: UpdateLoginProfileRequest) -> R<()> {
        self.w().update_login_profile(
            &ctx.caller.account,
            &input.user_name,
            input.password.as_deref(),
            input.password_reset_required,
        )?;
        Ok(())
    }

    fn delete_login_profile(&self, ctx: &RequestCtx, input: DeleteLoginProfileRequest) -> R<()> {
        let user = Self::named_or_caller(ctx, input.user_name)?;
        self.w().delete_login_profile(&ctx.caller.account, &user)?;
        Ok(())
    }

    fn change_password(&self, ctx: &RequestCtx, input: ChangePasswordRequest) -> R<()> {
        let PrincipalKind::User { name_lower } = &ctx.caller.kind else {
            return Err(ApiError::new(
                "InvalidUserType",
                "Only IAM users can change their own password.",
            )
            .into());
        };
        self.w().change_password(
            &ctx.caller.account,
            name_lower,
            &input.old_password,
            &input.new_password,
        )?;
        Ok(())
    }

    fn get_account_password_policy(&self, ctx: &RequestCtx) -> R<GetAccountPasswordPolicyResponse> {
        let p = self.w().password_policy(&ctx.caller.account)?;
        Ok(GetAccountPasswordPolicyResponse {
            password_policy: warden_wire::generated::iam::PasswordPolicy {
                minimum_password_length: p.minimum_password_length,
                require_symbols: Some(p.require_symbols),
                require_numbers: Some(p.require_numbers),
                require_uppercase_characters: Some(p.require_uppercase_characters),
                require_lowercase_characters: Some(p.require_lowercase_characters),
                allow_users_to_change_password: Some(p.allow_users_to_change_password),
                expire_passwords: Some(p.max_password_age.is_some_and(|d| d > 0)),
                max_password_age: p.max_password_age,
                password_reuse_prevention: p.password_reuse_prevention,
                hard_expiry: p.hard_expiry,
            },
        })
    }

    fn update_account_password_policy(
        &self,
        ctx: &RequestCtx,
        input: UpdateAccountPasswordPolicyRequest,
    ) -> R<()> {
        let policy = PasswordPolicy {
            minimum_password_length: Some(input.minimum_password_length.unwrap_or(6)),
            require_symbols: input.require_symbols.unwrap_or(false),
            require_numbers: input.require_numbers.unwrap_or(false),
            require_uppercase_characters: input.require_uppercase_characters.unwrap_or(false),
            require_lowercase_characters: input.require_lowercase_characters.unwrap_or(false),
            allow_users_to_change_password: input.allow_users_to_change_password.unwrap_or(false),
            max_password_age: input.max_password_age,
            password_reuse_prevention: input.password_reuse_prevention,
            hard_expiry: input.hard_expiry,
        };
        self.w()
            .update_password_policy(&ctx.caller.account, policy)?;
        Ok(())
    }

    fn delete_account_password_policy(&self, ctx: &RequestCtx) -> R<()> {
        self.w().delete_password_policy(&ctx.caller.account)?;
        Ok(())
    }

    // ---- MFA ----

    fn create_virtual_mfa_device(
        &self,
        ctx: &RequestCtx,
        input: CreateVirtualMFADeviceRequest,
    ) -> R<CreateVirtualMFADeviceResponse> {
        let new = self.w().create_virtual_mfa_device(
            &ctx.caller.account,
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

    fn enable_mfa_device(&self, ctx: &RequestCtx, input: EnableMFADeviceRequest) -> R<()> {
        self.w().enable_mfa_device(
            &ctx.caller.account,
            &input.user_name,
            &input.serial_number,
            &input.authentication_code1,
            &input.authentication_code2,
        )?;
        Ok(())
    }

    fn resync_mfa_device(&self, ctx: &RequestCtx, input: ResyncMFADeviceRequest) -> R<()> {
        self.w().resync_mfa_device(
            &ctx.caller.account,
            &input.user_name,
            &input.serial_number,
            &input.authentication_code1,
            &input.authentication_code2,
        )?;
        Ok(())
    }

    fn deactivate_mfa_device(&self, ctx: &RequestCtx, input: DeactivateMFADeviceRequest) -> R<()> {
        let user = Self::named_or_caller(ctx, input.user_name)?;
        self.w()
            .deactivate_mfa_device(&ctx.caller.account, &user, &input.serial_number)?;
        Ok(())
    }

    fn delete_virtual_mfa_device(
        &self,
        ctx: &RequestCtx,
        input: DeleteVirtualMFADeviceRequest,
    ) -> R<()> {
        self.w()
            .delete_virtual_mfa_device(&ctx.caller.account, &input.serial_number)?;
        Ok(())
    }

    fn list_mfa_devices(
        &self,
        ctx: &RequestCtx,
        input: ListMFADevicesRequest,
    ) -> R<ListMFADevicesResponse> {
        // Root without a user name has no IAM-user devices to list.
        if input.user_name.is_none() && ctx.caller.is_root() {
            return Ok(ListMFADevicesResponse {
                mfa_devices: Vec::new(),
                is_truncated: Some(false),
                marker: None,
            });
        }
        let user = Self::named_or_caller(ctx, input.user_name)?;
        let (name, page) = self.w().list_mfa_devices(
            &ctx.caller.account,
            &user,
            input.marker.as_deref(),
            input.max_items,
        )?;
        let (mfa_devices, is_truncated, marker) = page_parts(page, |m| MFADevice {
            user_name: name.clone(),
            serial_number: m.serial.clone(),
            enable_date: ts(m.enable_date.unwrap_or(m.created)),
        });
        Ok(ListMFADevicesResponse {
            mfa_devices,
            is_truncated,
            marker,
        })
    }

    fn list_virtual_mfa_devices(
        &self,
        ctx: &RequestCtx,
        input: ListVirtualMFADevicesRequest,
    ) -> R<ListVirtualMFADevicesResponse> {
        let assignment = match input.assignment_status.as_deref() {
            Some("Assigned") => Assignment::Assigned,
            Some("Unassigned") => Assignment::Unassigned,
            _ => Assignment::Any,
        };
        let page = self.w().list_virtual_mfa_devices(
            &ctx.caller.account,
            assignment,
            input.marker.as_deref(),
            input.max_items,
        )?;
        let (virtual_mfa_devices, is_truncated, marker) =
            page_parts(page, |(m, u)| VirtualMFADevice {
                serial_number: m.serial.clone(),
                base32_string_seed: None,
                qr_code_png: None,
                user: u.as_ref().map(user_out),
                enable_date: m.enable_date.map(ts),
                tags: (!m.tags.is_empty()).then(|| tags_out(&m.tags)),
            });
        Ok(ListVirtualMFADevicesResponse {
            virtual_mfa_devices,
            is_truncated,
            marker,
        })
    }

    // ---- managed policies ----

    fn create_policy(
        &self,
        ctx: &RequestCtx,
        input: CreatePolicyRequest,
    ) -> R<CreatePolicyResponse> {
        let p = self.w().create_policy(
            &ctx.caller.account,
            NewPolicy {
                name: input.policy_name,
                path: input.path,
                document: input.policy_document,
                description: input.description,
                tags: tags_in(input.tags),
            },
        )?;
        // CreatePolicy's answer leaves out the description (GetPolicy has it).
        let mut out = policy_out(&p);
        out.description = None;
        Ok(CreatePolicyResponse { policy: Some(out) })
    }

    fn get_policy(&self, ctx: &RequestCtx, input: GetPolicyRequest) -> R<GetPolicyResponse> {
        let p = self
            .w()
            .get_policy(&ctx.caller.account, &input.policy_arn)?;
        Ok(GetPolicyResponse {
            policy: Some(policy_out(&p)),
        })
    }

    fn list_policies(
        &self,
        ctx: &RequestCtx,
        input: ListPoliciesRequest,
    ) -> R<ListPoliciesResponse> {
        let page = self.w().list_policies(
            &ctx.caller.account,
            &PolicyFilter {
                scope: input.scope.as_deref(),
                only_attached: input.only_attached.unwrap_or(false),
                path_prefix: input.path_prefix.as_deref(),
                usage: input.policy_usage_filter.as_deref(),
            },
            input.marker.as_deref(),
            input.max_items,
        )?;
        let (policies, is_truncated, marker) = page_parts(page, |p| {
            // ListPolicies leaves out descriptions and tags, as AWS does.
            let mut out = policy_out(p);
            out.description = None;
            out.tags = None;
            out
        });
        Ok(ListPoliciesResponse {
            policies: Some(policies),
            is_truncated,
            marker,
        })
    }

    fn delete_policy(&self, ctx: &RequestCtx, input: DeletePolicyRequest) -> R<()> {
        self.w()
            .delete_policy(&ctx.caller.account, &input.policy_arn)?;
        Ok(())
    }

    fn create_policy_version(
        &self,
        ctx: &RequestCtx,
        input: CreatePolicyVersionRequest,
    ) -> R<CreatePolicyVersionResponse> {
        let v = self.w().create_policy_version(
            &ctx.caller.account,
            &input.policy_arn,
            &input.policy_document,
            input.set_as_default.unwrap_or(false),
        )?;
        Ok(CreatePolicyVersionResponse {
            policy_version: Some(version_out(&v, false)),
        })
    }

    fn get_policy_version(
        &self,
        ctx: &RequestCtx,
        input: GetPolicyVersionRequest,
    ) -> R<GetPolicyVersionResponse> {
        let v = self.w().get_policy_version(
            &ctx.caller.account,
            &input.policy_arn,
            &input.version_id,
        )?;
        Ok(GetPolicyVersionResponse {
            policy_version: Some(version_out(&v, true)),
        })
    }

    fn list_policy_versions(
        &self,
        ctx: &RequestCtx,
        input: ListPolicyVersionsRequest,
    ) -> R<ListPolicyVersionsResponse> {
        let page = self.w().list_policy_versions(
            &ctx.caller.account,
            &input.policy_arn,
            input.marker.as_deref(),
            input.max_items,
        )?;
        let (versions, is_truncated, marker) = page_parts(page, |v| version_out(v, false));
        Ok(ListPolicyVersionsResponse {
            versions: Some(versions),
            is_truncated,
            marker,
        })
    }

    fn delete_policy_version(&self, ctx: &RequestCtx, input: DeletePolicyVersionRequest) -> R<()> {
        self.w().delete_policy_version(
            &ctx.caller.account,
            &input.policy_arn,
            &input.version_id,
        )?;
        Ok(())
    }

    fn set_default_policy_version(
        &self,
        ctx: &RequestCtx,
        input: SetDefaultPolicyVersionRequest,
    ) -> R<()> {
        self.w().set_default_policy_version(
            &ctx.caller.account,
            &input.policy_arn,
            &input.version_id,
        )?;
        Ok(())
    }

    fn tag_policy(&self, ctx: &RequestCtx, input: TagPolicyRequest) -> R<()> {
        self.w().tag_policy(
            &ctx.caller.account,
            &input.policy_arn,
            &tags_in(Some(input.tags)),
        )?;
        Ok(())
    }

    fn untag_policy(&self, ctx: &RequestCtx, input: UntagPolicyRequest) -> R<()> {
        self.w()
            .untag_policy(&ctx.caller.account, &input.policy_arn, &input.tag_keys)?;
        Ok(())
    }

    fn list_policy_tags(
        &self,
        ctx: &RequestCtx,
        input: ListPolicyTagsRequest,
    ) -> R<ListPolicyTagsResponse> {
        let p = self
            .w()
            .get_policy(&ctx.caller.account, &input.policy_arn)?;
        let (tags, is_truncated, marker) =
            tag_page(&p.tags, input.marker.as_deref(), input.max_items)?;
        Ok(ListPolicyTagsResponse {
            tags,
            is_truncated,
            marker,
        })
    }

    fn list_entities_for_policy(
        &self,
        ctx: &RequestCtx,
        input: ListEntitiesForPolicyRequest,
    ) -> R<ListEntitiesForPolicyResponse> {
        let entities = self.w().list_entities_for_policy(
            &ctx.caller.account,
            &input.policy_arn,
            input.entity_filter.as_deref(),
            input.path_prefix.as_deref(),
            input.policy_usage_filter.as_deref(),
        )?;
        Ok(ListEntitiesForPolicyResponse {
            policy_groups: Some(
                entities
                    .groups
                    .into_iter()
                    .map(|(n, id)| PolicyGroup {
                        group_name: Some(n),
                        group_id: Some(id),
                    })
                    .collect(),
            ),
            policy_users: Some(
                entities
                    .users
                    .into_iter()
                    .map(|(n, id)| PolicyUser {
                        user_name: Some(n),
                        user_id: Some(id),
                    })
                    .collect(),
            ),
            policy_roles: Some(
                entities
                    .roles
                    .into_iter()
                    .map(|(n, id)| PolicyRole {
                        role_name: Some(n),
                        role_id: Some(id),
                    })
                    .collect(),
            ),
            is_truncated: Some(false),
            marker: None,
        })
    }

    // ---- simulation and account views ----

    fn simulate_principal_policy(
        &self,
        ctx: &RequestCtx,
        input: SimulatePrincipalPolicyRequest,
    ) -> R<SimulatePolicyResponse> {
        use warden_core::simulate::{input_policies, SimRequest};
        use warden_policy::PolicyType;
        let extra = input_policies(
            &input.policy_input_list.unwrap_or_default(),
            "PolicyInputList",
            PolicyType::Identity,
        )?;
        let boundary = input_policies(
            &input
                .permissions_boundary_policy_input_list
                .unwrap_or_default(),
            "PermissionsBoundaryPolicyInputList",
            PolicyType::Boundary,
        )?
        .into_iter()
        .next();
        let req = SimRequest {
            caller_arn: input.caller_arn.unwrap_or_default(),
            actions: input.action_names,
            resources: input.resource_arns.unwrap_or_default(),
            context: context_entries(input.context_entries),
            resource_policy: input.resource_policy,
            resource_owner: input.resource_owner,
        };
        let results = self.w().simulate_principal(
            &ctx.caller.account,
            &input.policy_source_arn,
            extra,
            boundary,
            req,
        )?;
        simulation_out(results, input.marker.as_deref(), input.max_items)
    }

    fn simulate_custom_policy(
        &self,
        ctx: &RequestCtx,
        input: SimulateCustomPolicyRequest,
    ) -> R<SimulatePolicyResponse> {
        use warden_core::simulate::{input_policies, run, OrgLimits, SimRequest};
        use warden_policy::PolicyType;
        let identity = input_policies(
            &input.policy_input_list,
            "PolicyInputList",
            PolicyType::Identity,
        )?;
        let boundary = input_policies(
            &input
                .permissions_boundary_policy_input_list
                .unwrap_or_default(),
            "PermissionsBoundaryPolicyInputList",
            PolicyType::Boundary,
        )?
        .into_iter()
        .next();
        let req = SimRequest {
            // Only the input policies count: the simulated caller is an IAM
            // user with exactly those, even when root asks.
            caller_arn: input.caller_arn.unwrap_or_else(|| {
                format!("arn:aws:iam::{}:user/SimulatedUser", ctx.caller.account)
            }),
            actions: input.action_names,
            resources: input.resource_arns.unwrap_or_default(),
            context: context_entries(input.context_entries),
            resource_policy: input.resource_policy,
            resource_owner: input.resource_owner,
        };
        let results = run(&identity, boundary.as_ref(), &OrgLimits::default(), &req)?;
        simulation_out(results, input.marker.as_deref(), input.max_items)
    }

    fn get_context_keys_for_custom_policy(
        &self,
        _ctx: &RequestCtx,
        input: GetContextKeysForCustomPolicyRequest,
    ) -> R<GetContextKeysForPolicyResponse> {
        let policies = warden_core::simulate::input_policies(
            &input.policy_input_list,
            "PolicyInputList",
            warden_policy::PolicyType::Identity,
        )?;
        Ok(GetContextKeysForPolicyResponse {
            context_key_names: Some(warden_core::simulate::context_keys(
                policies.iter().map(|p| p.policy.as_ref()),
            )),
        })
    }

    fn get_context_keys_for_principal_policy(
        &self,
        ctx: &RequestCtx,
        input: GetContextKeysForPrincipalPolicyRequest,
    ) -> R<GetContextKeysForPolicyResponse> {
        let extra = warden_core::simulate::input_policies(
            &input.policy_input_list.unwrap_or_default(),
            "PolicyInputList",
            warden_policy::PolicyType::Identity,
        )?;
        let keys = self.w().principal_context_keys(
            &ctx.caller.account,
            &input.policy_source_arn,
            &extra,
        )?;
        Ok(GetContextKeysForPolicyResponse {
            context_key_names: Some(keys),
        })
    }

    fn get_account_authorization_details(
        &self,
        ctx: &RequestCtx,
        input: GetAccountAuthorizationDetailsRequest,
    ) -> R<GetAccountAuthorizationDetailsResponse> {
        let account = &ctx.caller.account;
        let filter = input.filter.unwrap_or_default();
        let wants = |kind: &str| filter.is_empty() || filter.iter().any(|f| f == kind);
        let policy_views = self
            .w()
            .list_policies(account, &PolicyFilter::default(), None, Some(1000))?
            .items;
        let detail_list = |list: &[model::InlinePolicy]| -> Option<Vec<PolicyDetail>> {
            Some(
                list.iter()
                    .map(|p| PolicyDetail {
                        policy_name: Some(p.name.clone()),
                        policy_document: Some(p.document.clone()),
                    })
                    .collect(),
            )
        };
        let attached = |arns: &[String]| -> Option<Vec<AttachedPolicy>> {
            Some(
                arns.iter()
                    .map(|arn| AttachedPolicy {
                        policy_name: policy_views
                            .iter()
                            .find(|v| &v.arn == arn)
                            .map(|v| v.name.clone()),
                        policy_arn: Some(arn.clone()),
                    })
                    .collect(),
            )
        };
        // One ordered sequence of items, paged together as AWS does.
        enum Item {
            User(UserDetail),
            Group(GroupDetail),
            Role(RoleDetail),
            Policy(ManagedPolicyDetail),
        }
        let mut items: Vec<Item> = Vec::new();
        {
            let s = self.w().read();
            if wants("User") {
                for u in s.users_of(account) {
                    let base = user_out(u);
                    items.push(Item::User(UserDetail {
                        path: base.path,
                        user_name: base.user_name,
                        user_id: Some(base.user_id),
                        arn: Some(base.arn),
                        create_date: Some(base.create_date),
                        user_policy_list: detail_list(&u.inline_policies),
                        group_list: Some(
                            u.groups
                                .iter()
                                .filter_map(|g| s.group(account, g).map(|g| g.name.clone()))
                                .collect(),
                        ),
                        attached_managed_policies: attached(&u.attached_policies),
                        permissions_boundary: base.permissions_boundary,
                        tags: base.tags,
                    }));
                }
            }
            if wants("Group") {
                for g in s.groups_of(account) {
                    items.push(Item::Group(GroupDetail {
                        path: Some(g.path.clone()),
                        group_name: Some(g.name.clone()),
                        group_id: Some(g.id.clone()),
                        arn: Some(g.arn()),
                        create_date: Some(ts(g.created)),
                        group_policy_list: detail_list(&g.inline_policies),
                        attached_managed_policies: attached(&g.attached_policies),
                    }));
                }
            }
            if wants("Role") {
                for r in s.roles_of(account) {
                    let base = role_out(r);
                    let profiles = s
                        .instance_profiles_of(account)
                        .filter(|p| p.role.as_deref() == Some(r.name.to_lowercase().as_str()))
                        .map(|p| instance_profile_out(p, Some(r)))
                        .collect();
                    items.push(Item::Role(RoleDetail {
                        path: Some(base.path),
                        role_name: Some(base.role_name),
                        role_id: Some(base.role_id),
                        arn: Some(base.arn),
                        create_date: Some(base.create_date),
                        assume_role_policy_document: Some(
                            warden_core::roles::effective_trust_document(&s, r),
                        ),
                        instance_profile_list: Some(profiles),
                        role_policy_list: detail_list(&r.inline_policies),
                        attached_managed_policies: attached(&r.attached_policies),
                        permissions_boundary: base.permissions_boundary,
                        tags: base.tags,
                        role_last_used: base.role_last_used,
                    }));
                }
            }
        }
        for v in &policy_views {
            let wanted = if v.aws_managed {
                // AWS lists the AWS managed policies that are in use.
                wants("AWSManagedPolicy") && v.attachment_count + v.boundary_usage_count > 0
            } else {
                wants("LocalManagedPolicy")
            };
            if !wanted {
                continue;
            }
            let versions = self
                .w()
                .list_policy_versions(account, &v.arn, None, Some(1000))?
                .items;
            items.push(Item::Policy(ManagedPolicyDetail {
                policy_name: Some(v.name.clone()),
                policy_id: Some(v.id.clone()),
                arn: Some(v.arn.clone()),
                path: Some(v.path.clone()),
                default_version_id: Some(v.default_version.clone()),
                attachment_count: Some(v.attachment_count),
                permissions_boundary_usage_count: Some(v.boundary_usage_count),
                is_attachable: Some(true),
                description: v.description.clone(),
                create_date: Some(ts(v.created)),
                update_date: Some(ts(v.updated)),
                policy_version_list: Some(versions.iter().map(|x| version_out(x, true)).collect()),
            }));
        }
        let page = warden_core::page::paginate(
            items.into_iter().enumerate(),
            |(i, _)| format!("{i:08}"),
            input.marker.as_deref(),
            input.max_items,
        )?;
        let is_truncated = Some(page.is_truncated());
        let (mut users, mut groups, mut roles, mut policies) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (_, item) in page.items {
            match item {
                Item::User(u) => users.push(u),
                Item::Group(g) => groups.push(g),
                Item::Role(r) => roles.push(r),
                Item::Policy(p) => policies.push(p),
            }
        }
        Ok(GetAccountAuthorizationDetailsResponse {
            user_detail_list: Some(users),
            group_detail_list: Some(groups),
            role_detail_list: Some(roles),
            policies: Some(policies),
            is_truncated,
            marker: page.marker,
        })
    }

    // ---- roles ----

    fn create_role(&self, ctx: &RequestCtx, input: CreateRoleRequest) -> R<CreateRoleResponse> {
        let role = self.w().create_role(
            &ctx.caller.account,
            NewRole {
                name: input.role_name,
                path: input.path,
                trust_document: input.assume_role_policy_document,
                description: input.description,
                max_session_duration: input.max_session_duration,
                permissions_boundary: input.permissions_boundary,
                tags: tags_in(input.tags),
            },
        )?;
        let mut out = role_out(&role);
        out.role_last_used = None;
        Ok(CreateRoleResponse { role: out })
    }

    fn get_role(&self, ctx: &RequestCtx, input: GetRoleRequest) -> R<GetRoleResponse> {
        let role = self.w().get_role(&ctx.caller.account, &input.role_name)?;
        Ok(GetRoleResponse {
            role: role_out(&role),
        })
    }

    fn list_roles(&self, ctx: &RequestCtx, input: ListRolesRequest) -> R<ListRolesResponse> {
        let page = self.w().list_roles(
            &ctx.caller.account,
            input.path_prefix.as_deref(),
            input.marker.as_deref(),
            input.max_items,
        )?;
        // ListRoles leaves out tags, boundary and last use, as AWS does.
        let (roles, is_truncated, marker) = page_parts(page, |r| {
            let mut out = role_out(r);
            out.tags = None;
            out.permissions_boundary = None;
            out.role_last_used = None;
            out
        });
        Ok(ListRolesResponse {
            roles,
            is_truncated,
            marker,
        })
    }

    fn update_role(&self, ctx: &RequestCtx, input: UpdateRoleRequest) -> R<UpdateRoleResponse> {
        self.w().update_role(
            &ctx.caller.account,
            &input.role_name,
            input.description,
            input.max_session_duration,
        )?;
        Ok(UpdateRoleResponse {})
    }

    fn update_role_description(
        &self,
        ctx: &RequestCtx,
        input: UpdateRoleDescriptionRequest,
    ) -> R<UpdateRoleDescriptionResponse> {
        let role = self.w().update_role(
            &ctx.caller.account,
            &input.role_name,
            Some(input.description),
            None,
        )?;
        Ok(UpdateRoleDescriptionResponse {
            role: Some(role_out(&role)),
        })
    }

    fn update_assume_role_policy(
        &self,
        ctx: &RequestCtx,
        input: UpdateAssumeRolePolicyRequest,
    ) -> R<()> {
        self.w().update_assume_role_policy(
            &ctx.caller.account,
            &input.role_name,
            &input.policy_document,
        )?;
        Ok(())
    }

    fn delete_role(&self, ctx: &RequestCtx, input: DeleteRoleRequest) -> R<()> {
        self.w()
            .delete_role(&ctx.caller.account, &input.role_name)?;
        Ok(())
    }

    fn tag_role(&self, ctx: &RequestCtx, input: TagRoleRequest) -> R<()> {
        self.w().tag_role(
            &ctx.caller.account,
            &input.role_name,
            &tags_in(Some(input.tags)),
        )?;
        Ok(())
    }

    fn untag_role(&self, ctx: &RequestCtx, input: UntagRoleRequest) -> R<()> {
        self.w()
            .untag_role(&ctx.caller.account, &input.role_name, &input.tag_keys)?;
        Ok(())
    }

    fn list_role_tags(
        &self,
        ctx: &RequestCtx,
        input: ListRoleTagsRequest,
    ) -> R<ListRoleTagsResponse> {
        let role = self.w().get_role(&ctx.caller.account, &input.role_name)?;
        let (tags, is_truncated, marker) =
            tag_page(&role.tags, input.marker.as_deref(), input.max_items)?;
        Ok(ListRoleTagsResponse {
            tags,
            is_truncated,
            marker,
        })
    }

    fn put_role_permissions_boundary(
        &self,
        ctx: &RequestCtx,
        input: PutRolePermissionsBoundaryRequest,
    ) -> R<()> {
        self.w().set_role_permissions_boundary(
            &ctx.caller.account,
            &input.role_name,
            Some(input.permissions_boundary),
        )?;
        Ok(())
    }

    fn delete_role_permissions_boundary(
        &self,
        ctx: &RequestCtx,
        input: DeleteRolePermissionsBoundaryRequest,
    ) -> R<()> {
        self.w()
            .set_role_permissions_boundary(&ctx.caller.account, &input.role_name, None)?;
        Ok(())
    }

    fn create_service_linked_role(
        &self,
        ctx: &RequestCtx,
        input: CreateServiceLinkedRoleRequest,
    ) -> R<CreateServiceLinkedRoleResponse> {
        let role = self.w().create_service_linked_role(
            &ctx.caller.account,
            &input.aws_service_name,
            input.description,
            input.custom_suffix.as_deref(),
        )?;
        Ok(CreateServiceLinkedRoleResponse {
            role: Some(role_out(&role)),
        })
    }

    fn delete_service_linked_role(
        &self,
        ctx: &RequestCtx,
        input: DeleteServiceLinkedRoleRequest,
    ) -> R<DeleteServiceLinkedRoleResponse> {
        // Deletion is immediate here; the task id records which role it was.
        let role = self
            .w()
            .delete_service_linked_role(&ctx.caller.account, &input.role_name)?;
        Ok(DeleteServiceLinkedRoleResponse {
            deletion_task_id: format!(
                "task/aws-service-role/{}/{}/{}",
                role.path.trim_matches('/').split('/').nth(1).unwrap_or(""),
                role.name,
                role.id
            ),
        })
    }

    fn get_service_linked_role_deletion_status(
        &self,
        _ctx: &RequestCtx,
        input: GetServiceLinkedRoleDeletionStatusRequest,
    ) -> R<GetServiceLinkedRoleDeletionStatusResponse> {
        if !input.deletion_task_id.starts_with("task/aws-service-role/") {
            return Err(ApiError::new(
                "NoSuchEntity",
                format!("Deletion task {} cannot be found.", input.deletion_task_id),
            )
            .into());
        }
        Ok(GetServiceLinkedRoleDeletionStatusResponse {
            status: "SUCCEEDED".to_string(),
            reason: None,
        })
    }

    // ---- instance profiles ----

    fn create_instance_profile(
        &self,
        ctx: &RequestCtx,
        input: CreateInstanceProfileRequest,
    ) -> R<CreateInstanceProfileResponse> {
        let p = self.w().create_instance_profile(
            &ctx.caller.account,
            &input.instance_profile_name,
            input.path.as_deref(),
            tags_in(input.tags),
        )?;
        Ok(CreateInstanceProfileResponse {
            instance_profile: instance_profile_out(&p, None),
        })
    }

    fn get_instance_profile(
        &self,
        ctx: &RequestCtx,
        input: GetInstanceProfileRequest,
    ) -> R<GetInstanceProfileResponse> {
        let (p, role) = self
            .w()
            .get_instance_profile(&ctx.caller.account, &input.instance_profile_name)?;
        Ok(GetInstanceProfileResponse {
            instance_profile: instance_profile_out(&p, role.as_ref()),
        })
    }

    fn list_instance_profiles(
        &self,
        ctx: &RequestCtx,
        input: ListInstanceProfilesRequest,
    ) -> R<ListInstanceProfilesResponse> {
        let page = self.w().list_instance_profiles(
            &ctx.caller.account,
            input.path_prefix.as_deref(),
            None,
            input.marker.as_deref(),
            input.max_items,
        )?;
        let (instance_profiles, is_truncated, marker) =
            page_parts(page, |(p, r)| instance_profile_out(p, r.as_ref()));
        Ok(ListInstanceProfilesResponse {
            instance_profiles,
            is_truncated,
            marker,
        })
    }

    fn list_instance_profiles_for_role(
        &self,
        ctx: &RequestCtx,
        input: ListInstanceProfilesForRoleRequest,
    ) -> R<ListInstanceProfilesForRoleResponse> {
        let page = self.w().list_instance_profiles(
            &ctx.caller.account,
            None,
            Some(&input.role_name),
            input.marker.as_deref(),
            input.max_items,
        )?;
        let (instance_profiles, is_truncated, marker) =
            page_parts(page, |(p, r)| instance_profile_out(p, r.as_ref()));
        Ok(ListInstanceProfilesForRoleResponse {
            instance_profiles,
            is_truncated,
            marker,
        })
    }

    fn delete_instance_profile(
        &self,
        ctx: &RequestCtx,
        input: DeleteInstanceProfileRequest,
    ) -> R<()> {
        self.w()
            .delete_instance_profile(&ctx.caller.account, &input.instance_profile_name)?;
        Ok(())
    }

    fn add_role_to_instance_profile(
        &self,
        ctx: &RequestCtx,
        input: AddRoleToInstanceProfileRequest,
    ) -> R<()> {
        self.w().add_role_to_instance_profile(
            &ctx.caller.account,
            &input.instance_profile_name,
            &input.role_name,
        )?;
        Ok(())
    }

    fn remove_role_from_instance_profile(
        &self,
        ctx: &RequestCtx,
        input: RemoveRoleFromInstanceProfileRequest,
    ) -> R<()> {
        self.w().remove_role_from_instance_profile(
            &ctx.caller.account,
            &input.instance_profile_name,
            &input.role_name,
        )?;
        Ok(())
    }

    fn tag_instance_profile(&self, ctx: &RequestCtx, input: TagInstanceProfileRequest) -> R<()> {
        self.w().tag_instance_profile(
            &ctx.caller.account,
            &input.instance_profile_name,
            &tags_in(Some(input.tags)),
            &[],
        )?;
        Ok(())
    }

    fn untag_instance_profile(
        &self,
        ctx: &RequestCtx,
        input: UntagInstanceProfileRequest,
    ) -> R<()> {
        self.w().tag_instance_profile(
            &ctx.caller.account,
            &input.instance_profile_name,
            &[],
            &input.tag_keys,
        )?;
        Ok(())
    }

    fn list_instance_profile_tags(
        &self,
        ctx: &RequestCtx,
        input: ListInstanceProfileTagsRequest,
    ) -> R<ListInstanceProfileTagsResponse> {
        let (p, _) = self
            .w()
            .get_instance_profile(&ctx.caller.account, &input.instance_profile_name)?;
        let (tags, is_truncated, marker) =
            tag_page(&p.tags, input.marker.as_deref(), input.max_items)?;
        Ok(ListInstanceProfileTagsResponse {
            tags,
            is_truncated,
            marker,
        })
    }

    policy_holder_handlers!(
        User, user_name,
        put_user_policy(PutUserPolicyRequest),
        get_user_policy(GetUserPolicyRequest) -> GetUserPolicyResponse,
        list_user_policies(ListUserPoliciesRequest) -> ListUserPoliciesResponse,
        delete_user_policy(DeleteUserPolicyRequest),
        attach_user_policy(AttachUserPolicyRequest),
        detach_user_policy(DetachUserPolicyRequest),
        list_attached_user_policies(ListAttachedUserPoliciesRequest) -> ListAttachedUserPoliciesResponse
    );

    policy_holder_handlers!(
        Group, group_name,
        put_group_policy(PutGroupPolicyRequest),
        get_group_policy(GetGroupPolicyRequest) -> GetGroupPolicyResponse,
        list_group_policies(ListGroupPoliciesRequest) -> ListGroupPoliciesResponse,
        delete_group_policy(DeleteGroupPolicyRequest),
        attach_group_policy(AttachGroupPolicyRequest),
        detach_group_policy(DetachGroupPolicyRequest),
        list_attached_group_policies(ListAttachedGroupPoliciesRequest) -> ListAttachedGroupPoliciesResponse
    );

    policy_holder_handlers!(
        Role, role_name,
        put_role_policy(PutRolePolicyRequest),
        get_role_policy(GetRolePolicyRequest) -> GetRolePolicyResponse,
        list_role_policies(ListRolePoliciesRequest) -> ListRolePoliciesResponse,
        delete_role_policy(DeleteRolePolicyRequest),
        attach_role_policy(AttachRolePolicyRequest),
        detach_role_policy(DetachRolePolicyRequest),
        list_attached_role_policies(ListAttachedRolePoliciesRequest) -> ListAttachedRolePoliciesResponse
    );

    // ---- account ----

    fn create_account_alias(&self, ctx: &RequestCtx, input: CreateAccountAliasRequest) -> R<()> {
        self.w()
            .create_account_alias(&ctx.caller.account, &input.account_alias)?;
        Ok(())
    }

    fn delete_account_alias(&self, ctx: &RequestCtx, input: DeleteAccountAliasRequest) -> R<()> {
        self.w()
            .delete_account_alias(&ctx.caller.account, &input.account_alias)?;
        Ok(())
    }

    fn list_account_aliases(
        &self,
        ctx: &RequestCtx,
        input: ListAccountAliasesRequest,
    ) -> R<ListAccountAliasesResponse> {
        let aliases = self.w().account_aliases(&ctx.caller.account)?;
        let page = warden_core::page::paginate(
            aliases,
            Clone::clone,
            input.marker.as_deref(),
            input.max_items,
        )?;
        let (account_aliases, is_truncated, marker) = page_parts(page, Clone::clone);
        Ok(ListAccountAliasesResponse {
            account_aliases,
            is_truncated,
            marker,
        })
    }

    fn get_account_summary(&self, ctx: &RequestCtx) -> R<GetAccountSummaryResponse> {
        let summary = self.w().account_summary(&ctx.caller.account);
        Ok(GetAccountSummaryResponse {
            summary_map: Some(
                summary
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            ),
        })
    }
}
