import NIOCore
public import WireProtocol
public import WireTransport

/// The gateway's calls to identity: one method per operation, over the balancing pool.
public struct IdentityClient: Sendable {
    let pool: BackendPool

    public init(pool: BackendPool) {
        self.pool = pool
    }

    public func register(_ request: WireRegisterRequest, requestID: String) async throws -> WireUser {
        try await self.pool.request(.register, request, as: WireUser.self, requestID: requestID)
    }

    public func verifyCredentials(_ request: WireVerifyCredentialsRequest, requestID: String) async throws -> WireUser {
        try await self.pool.request(.verifyCredentials, request, as: WireUser.self, requestID: requestID)
    }

    public func user(id: Int64, requestID: String) async throws -> WireUser {
        var request = WireGetUserRequest()
        request.id = id
        return try await self.pool.request(.getUser, request, as: WireUser.self, requestID: requestID, idempotent: true)
    }
}
