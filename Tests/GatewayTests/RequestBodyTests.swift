import HTTPTypes
import NIOCore
import Testing

@testable import Gateway

@Suite("Request bodies")
struct RequestBodyTests {
    struct Sample: Decodable {
        var username: Text?
        var scopes: Words?
        var days: WholeNumber?
    }

    static func detail(_ body: () throws -> Sample) -> String? {
        do {
            _ = try body()
            return nil
        } catch let error as APIError {
            #expect(error.status == .unprocessableContent)
            return error.detail
        } catch {
            return "\(error)"
        }
    }

    static func json(_ text: String) throws -> Sample { try RequestBody.json(Sample.self, from: ByteBuffer(string: text)) }
    static func form(_ text: String) throws -> Sample { try RequestBody.form(Sample.self, from: ByteBuffer(string: text)) }

    @Test func keysAreComparedAfterTheirEscapesAreDecoded() {
        #expect(throws: StrictJSON.Problem.duplicateKey("password")) {
            try StrictJSON.check(Array(#"{"passw\u006frd":"a","password":"b"}"#.utf8))
        }
        #expect(throws: StrictJSON.Problem.duplicateKey("a\"b")) { try StrictJSON.check(Array(#"{"a\"b":1,"a\u0022b":2}"#.utf8)) }
        #expect(throws: StrictJSON.Problem.duplicateKey("😀")) { try StrictJSON.check(Array(#"{"😀":1,"\ud83d\ude00":2}"#.utf8)) }
        #expect(throws: StrictJSON.Problem.malformed) { try StrictJSON.check(Array(#"{"\ud83d":1}"#.utf8)) }
        #expect(throws: StrictJSON.Problem.malformed) { try StrictJSON.check(Array(#"{"\q":1}"#.utf8)) }
        #expect(throws: StrictJSON.Problem.malformed) { try StrictJSON.check(Array("{\"a\u{01}\":1}".utf8)) }
        #expect(throws: Never.self) { try StrictJSON.check(Array(#"{"a\/b":"\n\t\\","c":[1,{"d":null}]}"#.utf8)) }
    }

    @Test func aBodyOfTheWrongShapeNamesTheField() throws {
        #expect(try Self.json(#"{"username":"alice"}"#).username?.value == "alice")
        #expect(Self.detail { try Self.json(#"{"username":42}"#) } == "username: must be a string")
        #expect(Self.detail { try Self.json(#"{"username":true}"#) } == "username: must be a string")
        #expect(Self.detail { try Self.json(#"{"username":"ab\u0000c"}"#) } == "username: must not contain NUL")
        #expect(Self.detail { try Self.json(#"["username"]"#) } == "body: a JSON object is required")
        #expect(Self.detail { try Self.json("") } == "body: a JSON object is required")
        #expect(Self.detail { try Self.json(#"{"username":"a","username":"b"}"#) } == #"body: duplicate key "username""#)
        #expect(Self.detail { try Self.json(#"{"username":"a""#) } == "body: not valid JSON")
        #expect(throws: APIError.self) { try Field.required(Self.json(#"{"username":""}"#).username, "username") }
        #expect(throws: APIError.self) { try Field.required(Self.json(#"{"username":null}"#).username, "username") }
    }

    @Test func listsAndNumbersTakeTheirUsualSpellings() throws {
        #expect(try Self.json(#"{"scopes":["a","b"]}"#).scopes?.values == ["a", "b"])
        #expect(try Self.json(#"{"scopes":"a b"}"#).scopes?.values == ["a", "b"])
        #expect(Self.detail { try Self.json(#"{"scopes":[1]}"#) } == "scopes: must be a list of strings")
        let tooMany = "[" + Array(repeating: #""s""#, count: Words.maximumCount + 1).joined(separator: ",") + "]"
        #expect(Self.detail { try Self.json(#"{"scopes":\#(tooMany)}"#) } == "scopes: must be a list of strings")
        #expect(try Self.json(#"{"days":30}"#).days?.value == 30)
        #expect(try Self.json(#"{"days":"30"}"#).days?.value == 30)
        #expect(Self.detail { try Self.json(#"{"days":true}"#) } == "days: must be a whole number")
        #expect(Self.detail { try Self.json(#"{"days":1.5}"#) } == "days: must be a whole number")
    }

    @Test func formsAreDecodedByHummingbird() throws {
        #expect(try Self.form("username=al%C3%AFce+x&scopes=a+b").username?.value == "alïce x")
        #expect(try Self.form("username=al%C3%AFce+x&scopes=a+b").scopes?.values == ["a", "b"])
        #expect(Self.detail { try Self.form("username=a&username=b") } == #"body: duplicate key "username""#)
        #expect(Self.detail { try Self.form("username=a%00b") } == "username: must not contain NUL")
        #expect(Self.detail { try Self.form("username=%zz") } == "body: malformed form")
    }
}
