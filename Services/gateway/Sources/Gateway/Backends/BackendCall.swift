/// Runs backend calls so that every failure becomes the one HTTP mapping of ``APIError``.
enum BackendCall {
    /// Runs `body`; a backend error becomes its ``APIError`` (an ``APIError`` passes through).
    static func run<Result>(_ service: String, _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.from(backendError: error, service: service)
        }
    }
}
