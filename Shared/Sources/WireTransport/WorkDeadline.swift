public import NIOCore

/// When the caller of the work in progress stops waiting, carried through the task so that code
/// far from the request (a connection pool) can bound its own waiting by it.
///
/// ```swift
/// try await WorkDeadline.$current.withValue(request.deadline) { try await handler(request) }
/// ```
public enum WorkDeadline {
    /// The deadline of the request this task works for; `nil` outside a request.
    @TaskLocal public static var current: NIODeadline?
}
