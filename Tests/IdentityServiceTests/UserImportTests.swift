import Testing

@testable import IdentityService

@Suite("User import: reading an export")
struct UserImportTests {
    /// A JSON export's fields read as a CSV's cells would: numbers and booleans as text, null and
    /// nested values left out.
    @Test func jsonFieldsReadAsTheirText() throws {
        let records = try UserImport.jsonRecords(
            #"[{"id": 44, "username": "ana", "is_active": false, "full_name": null, "extra": {"a": 1}, "score": 1.5}]"#
        )
        #expect(records == [["id": "44", "username": "ana", "is_active": "false"]])
    }

    @Test func aBooleanIsNotAnId() throws {
        let export =
            #"[{"id": true, "username": "ana", "email": "a@example.com", "hashed_password": "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"}]"#
        let record = try #require(try UserImport.jsonRecords(export).first)
        guard case .failure(let error) = UserImport.user(from: record, row: 1) else {
            Issue.record("a boolean id was accepted")
            return
        }
        #expect(error.reason == "id is not a positive integer")
    }

    @Test(arguments: [
        (#"{"username": "ana"}"#, "the JSON export must be an array of objects"),
        (#"[1, 2]"#, "the JSON export must be an array of objects"),
        (#"[{"username": "ana""#, "the JSON export is not valid JSON"),
    ])
    func aWrongExportIsRefusedWhole(text: String, reason: String) {
        #expect {
            _ = try UserImport.jsonRecords(text)
        } throws: { error in
            (error as? UserImport.RowError)?.reason == reason
        }
    }
}
