#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A user exported from the FastAPI service's `users` table, to be loaded without touching
/// its password hash (users keep their passwords; the hash is upgraded at their next login).
public struct ImportedUser: Sendable, Hashable {
    public var id: Int64?
    public var username: String
    public var email: String
    public var fullName: String?
    public var passwordHash: String
    public var isActive: Bool
    /// As exported (ISO 8601); PostgreSQL parses it.
    public var createdAt: String?
}

/// Reads an export as CSV (a header row naming the columns) or a JSON array of objects.
///
/// Column names follow the FastAPI models: `hashed_password` (or `password_hash`), `is_active`,
/// `created_at`, `full_name`; `id` is kept when present so user ids stay stable.
public enum UserImport {
    public struct RowError: Error, Sendable, CustomStringConvertible {
        public var row: Int
        public var reason: String
        public var description: String { "row \(self.row): \(self.reason)" }
    }

    public static func parse(_ text: String, json: Bool) throws -> [Result<ImportedUser, RowError>] {
        let records: [[String: String]] = json ? try Self.jsonRecords(text) : Self.csvRecords(text)
        return records.enumerated().map { index, record in Self.user(from: record, row: index + 1) }
    }

    static func user(from record: [String: String], row: Int) -> Result<ImportedUser, RowError> {
        func value(_ names: String...) -> String? {
            for name in names { if let value = record[name], !value.isEmpty { return value } }
            return nil
        }
        guard let username = value("username") else { return .failure(RowError(row: row, reason: "no username")) }
        guard let email = value("email") else { return .failure(RowError(row: row, reason: "no email")) }
        guard let hash = value("hashed_password", "password_hash") else { return .failure(RowError(row: row, reason: "no password hash")) }
        guard Argon2Parameters(phc: hash) != nil else {
            return .failure(RowError(row: row, reason: "the password hash is not an Argon2id PHC string"))
        }
        let active = value("is_active").map { ["true", "t", "1", "yes"].contains($0.lowercased()) } ?? true
        var id: Int64?
        if let text = value("id") {
            guard let parsed = Int64(text), parsed > 0 else { return .failure(RowError(row: row, reason: "id is not a positive integer")) }
            id = parsed
        }
        return .success(
            ImportedUser(
                id: id,
                username: username,
                email: email,
                fullName: value("full_name"),
                passwordHash: hash,
                isActive: active,
                createdAt: value("created_at")
            )
        )
    }

    static func jsonRecords(_ text: String) throws -> [[String: String]] {
        let objects: [[String: JSONField]]
        do {
            objects = try JSONDecoder().decode([[String: JSONField]].self, from: Data(text.utf8))
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            throw RowError(row: 0, reason: "the JSON export is not valid JSON")
        } catch {
            throw RowError(row: 0, reason: "the JSON export must be an array of objects")
        }
        return objects.map { object in object.compactMapValues(\.text) }
    }

    /// A field of a JSON export as a CSV cell would hold it: strings as they are, an integer
    /// (an id) and a boolean (is_active) as text; other values (null, objects) have none.
    struct JSONField: Decodable {
        var text: String?

        init(from decoder: any Decoder) throws {
            let value = try decoder.singleValueContainer()
            if let text = try? value.decode(String.self) {
                self.text = text
            } else if let flag = try? value.decode(Bool.self) {
                self.text = flag ? "true" : "false"
            } else {
                self.text = (try? value.decode(Int64.self)).map { String($0) }
            }
        }
    }

    /// RFC 4180: quoted fields may hold commas, quotes (doubled) and newlines.
    static func csvRecords(_ text: String) -> [[String: String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" {
                            field.append("\"")
                        } else {
                            quoted = false
                            if next == "," {
                                row.append(field); field = ""
                            } else if next == "\n" || next == "\r\n" {
                                row.append(field); field = ""; rows.append(row); row = []
                            } else if next != "\r" {
                                field.append(next)
                            }
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(character)
                }
            } else if character == "\"" && field.isEmpty {
                quoted = true
            } else if character == "," {
                row.append(field); field = ""
            } else if character == "\n" || character == "\r\n" {
                row.append(field); field = ""; rows.append(row); row = []
            } else if character != "\r" {
                field.append(character)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        guard let header = rows.first else { return [] }
        let names = header.map { $0.trimmingCharacters(in: " \t").lowercased() }
        return rows.dropFirst().filter { !($0.count == 1 && $0[0].isEmpty) }.map { values in
            var record: [String: String] = [:]
            for (name, value) in zip(names, values) { record[name] = value }
            return record
        }
    }
}
