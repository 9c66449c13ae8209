import Foundation
import Testing

@Suite("Documentation stays true")
struct DocumentationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every variable a configuration reads, found in the sources.
    static func variablesRead() throws -> Set<String> {
        var names: Set<String> = []
        let pattern = try NSRegularExpression(
            pattern:
                #"environment\.(?:string|integer|boolean|choice|require|requireValueOrFile|valueOrFile|secret|optional|publicURL)\(\s*"([A-Z0-9_]+)""#
        )
        let enumerator = FileManager.default.enumerator(at: root.appendingPathComponent("Services"), includingPropertiesForKeys: nil)
        let shared = FileManager.default.enumerator(at: root.appendingPathComponent("Shared/Sources"), includingPropertiesForKeys: nil)
        for case let url as URL in (enumerator?.allObjects ?? []) + (shared?.allObjects ?? []) where url.pathExtension == "swift" {
            let text = try String(contentsOf: url, encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                if let range = Range(match.range(at: 1), in: text) { names.insert(String(text[range])) }
            }
        }
        return names
    }

    @Test func envExampleAndREADMEListEveryVariable() throws {
        let variables = try Self.variablesRead()
        #expect(variables.count > 20)
        let example = try String(contentsOf: Self.root.appendingPathComponent(".env.example"), encoding: .utf8)
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        for name in variables.sorted() {
            #expect(example.contains(name), ".env.example lists \(name)")
            #expect(readme.contains(name), "README.md lists \(name)")
        }
    }
}
