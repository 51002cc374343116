import Common
import Hummingbird

/// User administration, for tokens with the role `admin`: list and read accounts, change roles,
/// disable, enable and delete. Each change revokes what it must before it is committed (so that a
/// failure after the commit cannot leave them alive) and again after, under the credential epoch the
/// change advanced (so that no signin or refresh that read the old state outlives it, see
/// ``CredentialIssuer``): a role change refuses the user's access tokens (the next refresh carries the
/// new roles); disable and delete end every session.
struct AdminUsersController: UsesAuthDependencies {
    let dependencies: AuthDependencies

    /// On a group whose routes already require an unrevoked admin's token.
    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.get("users", use: self.list)
        group.get("users/:id", use: self.detail)
        group.put("users/:id/roles", use: self.replaceRoles)
        group.post("users/:id/disable") { request, context in try await self.change(.disable, request, context) }
        group.post("users/:id/enable") { request, context in try await self.change(.enable, request, context) }
        group.delete("users/:id") { request, context in try await self.change(.delete, request, context) }
    }

    /// Long enough for any email; a longer search matches nothing anyway.
    static let maximumSearchCharacters = 254

    /// Users by id: from above `after` (the `next` of the previous page), `offset` more skipped (up to
    /// ``RequestParameters/maximumOffset``: a deep offset walks every row it skips), `q` a substring.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> UserListResponse {
        let limit = try RequestParameters.limit(request)
        let offset = try RequestParameters.offset(request)
        let after = try RequestParameters.after(request)
        let text = request.uri.queryParameters.get("q")
        if let text, text.count > Self.maximumSearchCharacters {
            throw APIError(.badRequest, "q must be at most \(Self.maximumSearchCharacters) characters")
        }
        let query = UserListQuery(text: text, after: after, offset: offset, limit: limit)
        let page = try await self.users.list(query)
        return UserListResponse(users: page.users.map(UserListItem.init), total: page.total, totalExact: page.totalIsExact, next: page.next)
    }

    @Sendable func detail(_ request: Request, context: AppRequestContext) async throws -> UserDetailResponse {
        let id = try RequestParameters.userID(context)
        guard let user = try await self.users.summary(id: id) else { throw AccountController.userNotFound }
        let locked = try await self.throttle.lockedFor(username: user.username)
        let live = try await self.sessions.liveSessions(ofUser: id)
        return UserDetailResponse(
            user: UserListItem(user),
            lockedUntil: locked.map { APITime.string(unixSeconds: Int(self.clock.now()) + $0) },
            sessions: live.count
        )
    }

    @Sendable func replaceRoles(_ request: Request, context: AppRequestContext) async throws -> EditedResponse<MessageResponse> {
        let id = try RequestParameters.userID(context)
        let fields = try await RequestFields.parse(request, context: context)
        guard let names = try fields.strings("roles") else { throw APIError(.badRequest, "Failed! roles is required!") }
        var roles: [Role] = []
        for name in names {
            guard let role = Role(rawValue: name) else { throw APIError(.badRequest, "Failed! Role does not exist = \(name)") }
            if !roles.contains(role) { roles.append(role) }
        }
        guard !roles.isEmpty else { throw APIError(.badRequest, "Failed! roles must name at least one role!") }
        return try await self.change(.replaceRoles(roles.sorted { $0.id < $1.id }), request, context, id: id)
    }

    /// Applies `change` under the last-admin rule, with its revocations and its audit event.
    private func change(
        _ change: AccountChange, _ request: Request, _ context: AppRequestContext, id: Int? = nil
    ) async throws -> EditedResponse<MessageResponse> {
        let claims = try context.requireClaims()
        let id = try id ?? RequestParameters.userID(context)
        if id == claims.id, change == .disable || change == .delete {
            throw APIError(.badRequest, change == .disable ? "You cannot disable your own account!" : "You cannot delete your own account!")
        }
        let revoke = self.revocation(for: change, userID: id)
        let applied: AppliedAccountChange
        do {
            applied = try await self.users.apply(change, toUserID: id, actorID: claims.id) { _ in _ = try await revoke(nil) }
        } catch let refused as AccountChangeRefused {
            throw Self.error(for: refused, change)
        }
        let position = try await revoke(applied.epoch)
        let (type, message, details) = Self.outcome(of: change, before: applied.before)
        await self.audit.record(RequestOrigin(request).event(type, userID: id, actorID: claims.id, details: details, clock: self.clock))
        context.logger.notice("Account changed by an admin", metadata: ["user_id": "\(id)", "actor_id": "\(claims.id)", "change": "\(type)"])
        return EditedResponse(headers: .revocationPosition(position), response: MessageResponse(message: message))
    }

    /// What the change revokes: a role change the access tokens, disable and delete every session;
    /// before the commit without an epoch, after it under the epoch the change committed.
    private func revocation(for change: AccountChange, userID: Int) -> @Sendable (Int?) async throws -> StreamID? {
        let sessions = self.sessions
        switch change {
        case .replaceRoles: return { epoch in try await sessions.refuseAccessTokens(ofUser: userID, epoch: epoch) }
        case .disable, .delete: return { epoch in try await sessions.revokeAllSessions(userID: userID, epoch: epoch) }
        case .enable: return { _ in nil }
        }
    }

    private static func outcome(of change: AccountChange, before: UserSummary) -> (AuditEventType, String, [String: JSONValue]) {
        switch change {
        case .replaceRoles(let roles):
            let old = JSONValue.array(before.roles.map { .string($0.rawValue) })
            return (.rolesChanged, "Roles changed", ["old": old, "new": .array(roles.map { .string($0.rawValue) })])
        case .disable: return (.userDisabled, "User disabled", [:])
        case .enable: return (.userEnabled, "User enabled", [:])
        case .delete: return (.userDeleted, "User deleted", ["username": .string(before.username)])
        }
    }

    private static func error(for refused: AccountChangeRefused, _ change: AccountChange) -> APIError {
        switch refused.code {
        case .notFound: return AccountController.userNotFound
        case .actorNotAdmin: return .requireAdmin
        default:
            switch change {
            case .disable: return APIError(.badRequest, "Failed! The last admin cannot be disabled!")
            case .delete: return APIError(.badRequest, "Failed! The last admin cannot be deleted!")
            default: return APIError(.badRequest, "Failed! The last admin cannot lose the admin role!")
            }
        }
    }
}
