internal import CLibPQ

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One libpq connection. The only file that imports `CLibPQ`: pointers, results and frees stay here.
///
/// Every call blocks, so a connection is only used on a ``BlockingPool`` thread,
/// by one thread at a time: ``PostgresPool`` hands it out and takes it back. Statements are
/// parameterised only, and prepared once per connection under their name.
final class LibPQConnection: BlockingConnection, @unchecked Sendable {
    private var handle: OpaquePointer
    private var prepared: Set<String> = []

    /// Connects with a `postgresql://` URL (any libpq connection string works).
    ///
    /// - Parameter connectTimeoutSeconds: used unless the URL sets `connect_timeout` itself.
    init(url: String, connectTimeoutSeconds: Int = 3) throws(PostgresError) {
        let keywords = ["connect_timeout", "dbname"]
        let values = [String(connectTimeoutSeconds), url]
        let handle: OpaquePointer? = Self.withCStringArray(keywords) { keywordPointers in
            Self.withCStringArray(values) { valuePointers in
                // expand_dbname = 1: the URL's settings override the defaults listed before it.
                PQconnectdbParams(keywordPointers, valuePointers, 1)
            }
        }
        guard let handle else {
            throw PostgresError(kind: .connectionFailed, message: "out of memory creating a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.errorMessage(handle)
            PQfinish(handle)
            throw PostgresError(kind: .connectionFailed, message: message)
        }
        // Server notices ("relation already exists, skipping") are not errors; keep them off stderr.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        self.handle = handle
    }

    deinit {
        PQfinish(self.handle)
    }

    /// Whether the connection is still up as far as libpq knows.
    public var isConnected: Bool { PQstatus(self.handle) == CONNECTION_OK }

    /// Runs trusted SQL without parameters (migrations, `BEGIN`); may hold several statements.
    func executeScript(_ sql: String) throws(PostgresError) {
        let result = PQexec(self.handle, sql)
        defer { PQclear(result) }
        try self.check(result)
    }

    /// Runs `work` in a transaction: committed when it returns, rolled back when it throws.
    func transaction<Result>(_ work: () throws -> Result) throws -> Result {
        try self.executeScript("BEGIN")
        do {
            let result = try work()
            try self.executeScript("COMMIT")
            return result
        } catch {
            try? self.executeScript("ROLLBACK")
            throw error
        }
    }

    /// Runs a statement with parameters, preparing it on this connection the first time.
    ///
    /// Values travel as text parameters, never spliced into SQL.
    func query(_ statement: PreparedStatement, _ parameters: [String?] = []) throws(PostgresError) -> PostgresRows {
        if !self.prepared.contains(statement.name) {
            let result = PQprepare(self.handle, statement.name, statement.sql, 0, nil)
            defer { PQclear(result) }
            try self.check(result)
            self.prepared.insert(statement.name)
        }
        let result: OpaquePointer? = Self.withOptionalCStringArray(parameters) { pointers in
            PQexecPrepared(self.handle, statement.name, Int32(parameters.count), pointers, nil, nil, 0)
        }
        defer { PQclear(result) }
        try self.check(result)
        return Self.rows(of: result)
    }

    /// Waits up to `timeout` for notifications on the channels this connection listens to
    /// (`LISTEN`, through ``executeScript(_:)``); empty when none came in time.
    ///
    /// - Throws: ``PostgresError`` of kind `connectionFailed` when the connection is lost.
    func notifications(waitingUpTo timeout: Duration) throws(PostgresError) -> [PostgresNotification] {
        let received = try self.receivedNotifications()
        guard received.isEmpty else { return received }
        let socket = PQsocket(self.handle)
        guard socket >= 0 else { throw PostgresError(kind: .connectionFailed, message: Self.errorMessage(self.handle)) }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let (seconds, attoseconds) = timeout.components
        let milliseconds = Int32(clamping: max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
        guard poll(&descriptor, 1, milliseconds) > 0 else { return [] }
        return try self.receivedNotifications()
    }

    /// Reads what the server sent and takes the notifications out of it.
    private func receivedNotifications() throws(PostgresError) -> [PostgresNotification] {
        guard PQconsumeInput(self.handle) == 1, self.isConnected else {
            throw PostgresError(kind: .connectionFailed, message: Self.errorMessage(self.handle))
        }
        var received: [PostgresNotification] = []
        while let notification = PQnotifies(self.handle) {
            received.append(
                PostgresNotification(
                    channel: String(cString: notification.pointee.relname),
                    payload: String(cString: notification.pointee.extra)
                )
            )
            PQfreemem(notification)
        }
        return received
    }

    private func check(_ result: OpaquePointer?) throws(PostgresError) {
        guard let result else {
            throw PostgresError(kind: self.isConnected ? .statementFailed : .connectionFailed, message: Self.errorMessage(self.handle))
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return
        default:
            let sqlState = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let constraint = PQresultErrorField(result, Int32(UInt8(ascii: "n"))).map { String(cString: $0) }
            let message = PQresultErrorMessage(result).map { String(cString: $0) } ?? "unknown error"
            if !self.isConnected {
                // A statement may fail because the server went away; the pool drops this connection.
                self.prepared.removeAll()
                throw PostgresError(kind: .connectionFailed, sqlState: sqlState, message: message.trimmedLine)
            }
            throw PostgresError(kind: .statementFailed, sqlState: sqlState, constraint: constraint, message: message.trimmedLine)
        }
    }

    private static func rows(of result: OpaquePointer?) -> PostgresRows {
        guard let result else { return PostgresRows(columns: [], rows: []) }
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
                }
            }
            rows.append(values)
        }
        return PostgresRows(columns: columns, rows: rows)
    }

    private static func errorMessage(_ handle: OpaquePointer) -> String {
        PQerrorMessage(handle).map { String(cString: $0).trimmedLine } ?? "unknown error"
    }

    private static func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        Self.withOptionalCStringArray(strings.map { Optional($0) }, body)
    }

    private static func withOptionalCStringArray<R>(
        _ strings: [String?],
        _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R
    ) -> R {
        let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
        pointers.append(nil)
        return pointers.withUnsafeBufferPointer { buffer in
            // A non-empty array's base address is never nil.
            body(buffer.baseAddress!)
        }
    }
}

/// A named, parameterised statement, prepared once per connection.
public struct PreparedStatement: Sendable, Hashable {
    public var name: String
    public var sql: String

    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }
}

/// A result in libpq's text format: column names and rows of optional strings.
public struct PostgresRows: Sendable {
    public var columns: [String]
    public var rows: [[String?]]

    /// The value of `column` in the first row, if any.
    public func first(_ column: String) -> String? {
        guard let index = self.columns.firstIndex(of: column), let row = self.rows.first else { return nil }
        return row[index]
    }
}

/// A `NOTIFY` received on a channel the connection listens to.
public struct PostgresNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String
}

extension String {
    var trimmedLine: String {
        var text = Substring(self)
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
